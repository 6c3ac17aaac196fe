#!/bin/sh
# make bench, node-run part: node-run, pyisolate 0.10.2 and comfy-env side by side in one run (DESIGN.md §4):
# empty call p50, a 2 MiB numpy argument, a fresh 64 MiB float32 tensor in and out against two
# 64 MiB memcpys measured in the same run, and warm start to first call without torch.
# pyisolate comes from PyPI into a bench venv made here with uv; it runs as a sealed_worker (its
# host-coupled mode needs torch in the host). Prints a markdown table row per measure.
# The memcpy baseline (bench/memcpy.c, "populated": mmap MAP_POPULATE + memcpy of 64 MiB, i.e. new
# memory, zeroing included) runs once before each 64 MiB call and the median is taken: on a shared
# machine a single sample swings 2x, and interleaving puts both sides under the same load.
set -eu
bin=${BIN:-bin}
work=$(mktemp -d "${TMPDIR:-/tmp}/cpipes-bench-XXXXXX")
trap 'rm -rf "$work"; "$bin/tensor-pack" --gc --older-than 0 -q >/dev/null 2>&1 || true' EXIT
cc -O2 -o "$work/memcpy" bench/memcpy.c
uv=$(command -v uv) || { python3 -m pip install --quiet --disable-pip-version-check uv && uv="python3 -m uv"; }
py=$(python3 -c 'import sys; print(sys.executable)')
export UV_PYTHON_DOWNLOADS=never
$uv venv -q --python "$py" "$work/venv"
$uv pip install -q --python "$work/venv/bin/python" numpy pyisolate==0.10.2 comfy-env
"$work/venv/bin/python" bench/node-run/drive.py "$(cd "$bin" && pwd)/node-run" "$work/venv" "$work" "$work/memcpy"
