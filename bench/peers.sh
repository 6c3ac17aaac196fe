#!/bin/sh
# make bench, the comfy-env comparisons that are not node-run's: start-up of every tool against
# comfy-env's CLI, and cuda-detect against comfy-env's own detection run the way an install hook
# runs it (a fresh python process). comfy-env comes from PyPI into .build/bench-peers, made here
# once with uv. Prints markdown table rows.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/bin
peers=$root/.build/bench-peers
command -v hyperfine >/dev/null 2>&1 || { echo "bench: hyperfine is missing (apt-get install -y hyperfine)" >&2; exit 69; }
if [ ! -x "$peers/bin/comfy-env" ]; then
  uv=$(command -v uv) || { python3 -m pip install --quiet uv && uv="python3 -m uv"; }
  py=$(python3 -c 'import sys; print(sys.executable)')
  UV_PYTHON_DOWNLOADS=never $uv venv -q --python "$py" "$peers" >&2
  UV_PYTHON_DOWNLOADS=never $uv pip install -q --python "$peers/bin/python" comfy-env >&2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/cpipes-peers.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
version=$("$peers/bin/python" -c 'import importlib.metadata as m; print(m.version("comfy-env"))')

median() {  # median NAME COMMAND…: hyperfine's median in ms
  name=$1; shift
  hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-json "$work/$name.json" "$*" > /dev/null 2>&1
  python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' \
    "$work/$name.json"
}
row() {  # row MEASURE OURS_MS PEER_LABEL PEER_MS
  python3 -c 'import sys; m, a, l, b = sys.argv[1:]; a, b = float(a), float(b)
print(f"| {m} | {a:.1f} ms | {l}: {b:.1f} ms | {b / a:.0f}× faster |")' "$@"
}

peer=$(median comfy-env-version "$peers/bin/comfy-env" --version)
slowest=0
for tool in cuda-detect wheel-url venv-make tensor-pack node-run remote-queue remote-fetch; do
  [ -x "$bin/$tool" ] || continue
  ms=$(median "$tool-version" "$bin/$tool" --version)
  slowest=$(python3 -c "print(max($slowest, $ms))")
done
row "tool start-up, \`--version\` (slowest of the seven)" "$slowest" "comfy-env $version \`--version\`" "$peer"

cat > "$work/detect.py" <<'PY'
from comfy_env.detection.gpu import detect_cuda_environment, get_recommended_cuda_version
from comfy_env.detection.backend import detect_backend
detect_cuda_environment(); detect_backend(); get_recommended_cuda_version()
PY
peer=$(median comfy-env-detect "$peers/bin/python" "$work/detect.py")
ours=$(median cuda-detect "$bin/cuda-detect" --python "$peers/bin/python")
row "machine detection, whole process (\`cuda-detect --python\` the same interpreter)" "$ours" \
  "comfy-env $version detect_cuda_environment + detect_backend" "$peer"
