#!/bin/sh
# make fuzz: builds every reader of untrusted input with libFuzzer and AddressSanitizer
# (swiftc -sanitize=fuzzer,address), then runs each target of Tests/FuzzTests/FuzzTargets.swift
# for FUZZ_SECONDS (default 60) from its seed corpus. A crash is copied into
# Tests/FuzzTests/regressions/<target>/, where `make test` replays it, and the run fails.
# Usage: Tests/Fuzz/run.sh [target…]   (default: every target)
set -eu
cd "$(dirname "$0")/../.."
root=$PWD
out=$root/.build/fuzz
seconds=${FUZZ_SECONDS:-60}
targets=${*:-"records toml wheel-filename pep440 requirement-specs index-pages npy npz safetensors png tensor-record unpack-writer websocket-frames comfy-answers shm-names worker-frames"}
flags="-sanitize=fuzzer,address -parse-as-library -enable-testing -Onone -g -I $out/modules -I $out"
mkdir -p "$out/modules/CPipeShims" "$out/modules/CPipeCurl" "$out/modules/CZlib" "$out/derived"

# C modules, as SwiftPM would declare them.
for m in CPipeShims CPipeCurl; do
  printf 'module %s {\n  umbrella header "%s/Sources/%s/include/%s.h"\n  export *\n}\n' \
    "$m" "$root" "$m" "$m" > "$out/modules/$m/module.modulemap"
  clang -c -fsanitize=fuzzer-no-link,address -g -I "Sources/$m/include" Sources/$m/*.c -o "$out/$m.o"
done
sed "s|header \"|header \"$root/Sources/CZlib/|" Sources/CZlib/module.modulemap > "$out/modules/CZlib/module.modulemap"

# registry.json, embedded as SwiftPM's .embedInCode does.
python3 - "$out/derived/embedded_resources.swift" <<'PY'
import sys
data = open("Sources/WheelURL/registry.json", "rb").read()
open(sys.argv[1], "w").write("struct PackageResources {\nstatic let registry_json: [UInt8] = [%s]\n}\n"
                             % ",".join(map(str, data)))
PY

module() {  # module NAME SOURCES…: a static library and its .swiftmodule
  name=$1; shift
  echo "fuzz: compiling $name"
  swiftc $flags -module-name "$name" -emit-module -emit-module-path "$out/$name.swiftmodule" \
    -emit-library -static -o "$out/lib$name.a" "$@"
}
module PipeKit Sources/PipeKit/*.swift
module PipeHTTP Sources/PipeHTTP/*.swift
module WheelURL Sources/WheelURL/*.swift "$out/derived/embedded_resources.swift"
module tensor_pack $(ls Sources/tensor-pack/*.swift | grep -v '/main.swift$')
module ComfyRemote Sources/ComfyRemote/*.swift
module remote_fetch $(ls Sources/remote-fetch/*.swift | grep -v '/main.swift$')
module node_run Sources/node-run/Frames.swift Sources/node-run/AdaptiveSpin.swift
echo "fuzz: linking $out/fuzz-targets"
swiftc $flags -module-name FuzzTargets Tests/FuzzTests/FuzzTargets*.swift Tests/Fuzz/Entry.swift \
  -L "$out" -lnode_run -lremote_fetch -lComfyRemote -ltensor_pack -lWheelURL -lPipeHTTP -lPipeKit "$out/CPipeShims.o" "$out/CPipeCurl.o" -lz -ldl -lm \
  -o "$out/fuzz-targets" 2>&1 | grep -v "Cannot export local symbol" || true
test -x "$out/fuzz-targets"

status=0
for target in $targets; do
  work=$out/run/$target
  rm -rf "$work" && mkdir -p "$work/corpus" "$work/crashes"
  cp Tests/FuzzTests/corpus/$target/* "$work/corpus/" 2>/dev/null || true
  log=$work/log
  # Inputs as large as the readers' own limits (PNG text and skip pieces of 64 KiB, npz pieces
  # of 1 MiB, inline tensors of 64 KiB): 4 MiB, tried from the start for the file readers.
  case $target in
    npy|npz|safetensors|png|unpack-writer) length="-max_len=4194304 -len_control=0" ;;
    *) length="-max_len=4194304" ;;
  esac
  FUZZ_TARGET=$target ASAN_OPTIONS=detect_leaks=0 "$out/fuzz-targets" -max_total_time="$seconds" \
    $length -timeout=10 -rss_limit_mb=4096 -artifact_prefix="$work/crashes/" -print_final_stats=1 \
    "$work/corpus" > "$log" 2>&1 || true
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if ls "$work/crashes/"* > /dev/null 2>&1; then
    mkdir -p "Tests/FuzzTests/regressions/$target"
    cp "$work/crashes/"* "Tests/FuzzTests/regressions/$target/"
    echo "fuzz: $target: CRASH after ${execs:-?} runs; saved in Tests/FuzzTests/regressions/$target/ (log: $log)"
    grep -m3 -E "ERROR|Fatal error|SUMMARY" "$log" | sed 's/^/  /'
    status=1
  else
    echo "fuzz: $target: ${execs:-?} runs in ${seconds}s, no crash"
  fi
done
exit $status
