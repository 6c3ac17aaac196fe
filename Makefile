# comfy-pipes: build, test, demo, lint and install the kit.
SWIFT     ?= swift
## swift build leaves an empty TemporaryDirectory.* in $TMPDIR per run; its own go under .build/tmp.
SWIFT_BUILD := mkdir -p .build/tmp && TMPDIR="$(CURDIR)/.build/tmp" $(SWIFT) build
PREFIX    ?= /usr/local
TOOLS     := cuda-detect wheel-url tensor-pack venv-make node-run remote-queue remote-fetch
## The git commit that --version shows after the version, "-dirty" with uncommitted changes.
COMMIT    := $(shell git rev-parse --short=12 HEAD 2>/dev/null)$(shell git diff --quiet HEAD -- 2>/dev/null || echo -dirty)
RELEASE   := -c release --static-swift-stdlib
MANPAGES  := $(wildcard man/man1/*.1 man/man7/*.7)
## The tracked sh scripts installed beside the tools (the node-pack install hook).
HOOKS     := bin/comfy-pipes-install
TEST_VENV := .build/test-venv
## uv for venv-make's tests and the demo: the one on PATH, else one installed into a private venv
## under .build (never into the system's python, which PEP 668 forbids on Debian and Ubuntu).
TOOLS_VENV := .build/tools
export PATH := $(if $(shell command -v uv 2>/dev/null),,$(abspath $(TOOLS_VENV))/bin:)$(PATH)
NODE_VENV := .build/node-venv

COMFYUI   := .build/comfyui
COMFYUI_ARCHIVE ?= $(abspath ../shared/comfyui/ComfyUI-v0.3.64.tar.gz)

.PHONY: all build test test-fixtures test-uv test-packaging test-comfyui test-examples demo bench fuzz lint lint-man lint-swift install uninstall \
  wheel dist comfyui clean

all: build

## Release build with the Swift runtime linked in, every product in one swift build; the tools
## land in bin/, stripped of their symbol tables (the unstripped ones stay in .build/release), with
## the commit stamped in afterwards (packaging/stamp_commit.py), so a new commit rebuilds nothing.
build:
	$(SWIFT_BUILD) $(RELEASE)
	@mkdir -p bin
	@dir=$$($(SWIFT_BUILD) $(RELEASE) --show-bin-path); \
	  for t in $(TOOLS); do strip -o "bin/$$t.tmp" "$$dir/$$t" && python3 packaging/stamp_commit.py "$(COMMIT)" "bin/$$t.tmp" \
	    && mv -f "bin/$$t.tmp" "bin/$$t" || exit 1; done
	@echo "built: $(addprefix bin/,$(TOOLS))"

## The wheel for pip (dist/comfy_pipes-VERSION-py3-none-manylinux_2_NN_ARCH.whl) and the release
## archive for people without Python (dist/comfy-pipes-VERSION-linux-ARCH.tar.gz), from bin/, by
## packaging/release.py (standard library only; the same tree gives the same bytes).
wheel: build
	@python3 packaging/release.py wheel --bin bin --out dist

dist: build
	@python3 packaging/release.py dist --bin bin --out dist

## The real ComfyUI (v0.3.64, CPU torch) that the tests start, built once under .build/comfyui.
comfyui: $(COMFYUI)/ok

$(COMFYUI)/ok:
	sh Tests/Fixtures/comfyui/setup.sh "$(COMFYUI)" "$(COMFYUI_ARCHIVE)"

## Unit and end-to-end tests (debug build), plus the man-page lint. Interop tests use a venv
## with numpy, safetensors and Pillow from PyPI, made here once.
test: lint-man test-fixtures test-uv $(TEST_VENV)/ok $(NODE_VENV)/ok build $(COMFYUI)/ok
	$(SWIFT_BUILD) --build-tests
	PIPES_TEST_PYTHON="$(abspath $(TEST_VENV))/bin/python" PIPES_NODE_VENV="$(abspath $(NODE_VENV))" \
	  TMPDIR="$(CURDIR)/.build/tmp" $(SWIFT) test --skip-build
	@$(MAKE) --no-print-directory test-packaging test-comfyui test-examples

## Every example of README.md and of the man pages' EXAMPLES, run as printed with bin/'s tools and
## local stand-ins for remote hosts, their output checked (Tests/Examples/test_examples.py).
test-examples: build test-uv
	PIPES_BIN_DIR="$(abspath bin)" python3 -m unittest discover -s Tests/Examples -t Tests/Examples

## The wheel of bin/'s release tools, pip-installed into fresh venvs (python -m venv, uv venv).
test-packaging: build test-uv
	PIPES_BIN_DIR="$(abspath bin)" python3 -m unittest discover -s Tests/Packaging -t Tests/Packaging

## What runs inside ComfyUI, in the real one (v0.3.64 from ../shared/comfyui, CPU torch).
test-comfyui: build test-uv $(COMFYUI)/ok $(NODE_VENV)/ok $(TEST_VENV)/ok
	PIPES_BIN_DIR="$(abspath bin)" PIPES_NODE_VENV="$(abspath $(NODE_VENV))" PIPES_NUMPY2_VENV="$(abspath $(TEST_VENV))" \
	  "$(COMFYUI)/venv/bin/python" -m unittest discover -s Tests/ComfyUI -t Tests/ComfyUI

$(TEST_VENV)/ok:
	rm -rf "$(TEST_VENV)"
	python3 -m venv "$(TEST_VENV)"
	"$(TEST_VENV)/bin/python" -m pip install --quiet --disable-pip-version-check numpy safetensors pillow packaging
	touch "$@"

## venv-make's tests need uv; without one on PATH it goes into .build/tools (on PATH for make).
test-uv:
	@command -v uv >/dev/null 2>&1 || { rm -rf "$(TOOLS_VENV)" && python3 -m venv "$(TOOLS_VENV)" && \
	  "$(TOOLS_VENV)/bin/python" -m pip install --quiet --disable-pip-version-check uv; }

## node-run's tests run nodes in a venv with numpy 1.26.4 while the test's own python has numpy 2.
## uv makes it from the real interpreter behind python3 (a pyenv shim is a script); uv comes from
## PyPI when it is missing.
$(NODE_VENV)/ok: | test-uv
	rm -rf "$(NODE_VENV)"
	@uv=$$(command -v uv); \
	  py=$$(python3 -c 'import sys; print(sys.executable)') && set -x && \
	  UV_PYTHON_DOWNLOADS=never $$uv venv -q --python "$$py" "$(NODE_VENV)" && \
	  UV_PYTHON_DOWNLOADS=never $$uv pip install -q --python "$(NODE_VENV)/bin/python" numpy==1.26.4
	touch "$@"

## The stand-in ComfyUI server's own checks of the API it imitates (Tests/Fixtures/fake_comfyui/README.md).
test-fixtures:
	cd Tests/Fixtures/fake_comfyui && python3 -m unittest -q

## The main job, end to end, on this machine.
demo: build test-uv
	@sh bin/comfy-pipes-demo

## Benchmarks, side by side with their baselines and the peers (README, Performance); the table goes to bench/results.md.
bench: build $(COMFYUI)/ok $(NODE_VENV)/ok
	@command -v hyperfine >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq hyperfine; } >/dev/null 2>&1 || \
	  { echo "bench: hyperfine is missing and apt-get could not install it; install it and run make bench again" >&2; exit 69; }
	@{ echo "# make bench, $$(date -u +%Y-%m-%dT%H:%MZ), $$(uname -sm), $$(nproc) cores"; echo; \
	   echo "| measure | value | baseline | ratio |"; echo "| --- | --- | --- | --- |"; \
	   sh bench/wheel-url.sh; sh bench/tensor-pack.sh; sh bench/venv-make.sh; sh bench/node-run.sh; \
	   sh bench/remote.sh; sh bench/peers.sh; python3 bench/install_plans.py; sh bench/size.sh; \
	   $(BENCH_COMFYUI); } | tee bench/results.md

## Just the real-ComfyUI row of make bench: the same node in ComfyUI's process, through comfy_pipes and
## through comfy-env 0.4.46 (installed into .build/bench-comfyenv, never into the tests' ComfyUI venv).
.PHONY: bench-comfyui
bench-comfyui: build $(COMFYUI)/ok $(NODE_VENV)/ok
	@$(BENCH_COMFYUI)

BENCH_COMFYUI = PIPES_BIN_DIR="$(abspath bin)" PIPES_NODE_VENV="$(abspath $(NODE_VENV))" \
  "$(COMFYUI)/venv/bin/python" bench/comfyui/run.py 60

## libFuzzer + AddressSanitizer over every reader of untrusted input (Tests/FuzzTests/FuzzTargets.swift),
## FUZZ_SECONDS each (default 60); crashes land in Tests/FuzzTests/regressions/, which make test replays.
fuzz:
	@sh Tests/Fuzz/run.sh $(FUZZ_TARGETS)

lint: lint-swift lint-man

lint-swift:
	$(SWIFT) format lint --strict -r Sources Tests Package.swift

## mandoc when it is installed, else groff's own warnings; either fails on any complaint.
lint-man:
	@command -v mandoc >/dev/null 2>&1 || command -v groff >/dev/null 2>&1 || \
	  { echo "make: the man-page lint needs groff or mandoc: apt-get install groff (or mandoc), then run make again" >&2; exit 69; }
	@for page in $(MANPAGES); do \
	  if command -v mandoc >/dev/null 2>&1; then \
	    out=$$(mandoc -Tlint -W warning "$$page" 2>&1); \
	  else \
	    out=$$(groff -mdoc -ww -z "$$page" 2>&1); \
	  fi; \
	  if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; \
	done; echo "man pages: $(words $(MANPAGES)) linted"

install: build
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(PREFIX)/share/man/man1" "$(DESTDIR)$(PREFIX)/share/man/man7"
	install -m 755 $(addprefix bin/,$(TOOLS)) $(HOOKS) "$(DESTDIR)$(PREFIX)/bin/"
	install -m 644 $(wildcard man/man1/*.1) "$(DESTDIR)$(PREFIX)/share/man/man1/"
	$(if $(wildcard man/man7/*.7),install -m 644 $(wildcard man/man7/*.7) "$(DESTDIR)$(PREFIX)/share/man/man7/")

uninstall:
	rm -f $(addprefix "$(DESTDIR)$(PREFIX)/bin/",$(TOOLS) $(notdir $(HOOKS)))
	rm -f $(addprefix "$(DESTDIR)$(PREFIX)/share/man/man1/",$(notdir $(wildcard man/man1/*.1)))
	rm -f $(addprefix "$(DESTDIR)$(PREFIX)/share/man/man7/",$(notdir $(wildcard man/man7/*.7)))

clean:
	rm -rf .build $(addprefix bin/,$(TOOLS))
