#!/bin/sh
# venv-make's benchmarks, with the release build in bin/ and uv's cache warm (both sides alike):
#  - the no-op: the same plan again (hyperfine median). Target: <= 20 ms.
#  - a cold build of an env with numpy==1.26.4 against the same `uv venv` + `uv pip install`
#    commands run by hand. Target: within 1.2x.
# Prints table rows (make bench collects them into bench/results.md). Needs uv and PyPI once.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin/venv-make"
[ -x "$bin" ] || { echo "bench: $bin is missing; run make build" >&2; exit 69; }
command -v hyperfine >/dev/null 2>&1 || { echo "bench: hyperfine is missing (apt-get install -y hyperfine)" >&2; exit 69; }
uv=$(command -v uv) || { echo "bench: uv is missing (python3 -m pip install uv)" >&2; exit 69; }
work=$(mktemp -d "${TMPDIR:-/tmp}/venv-make-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
export UV_PYTHON_DOWNLOADS=never UV_CACHE_DIR="$work/uv-cache" NO_COLOR=1
py=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
echo "numpy==1.26.4" > "$work/requirements.txt"
median() { python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"] * 1000))' "$1" "$2"; }

# Warm the cache, then build the env the no-op answers for.
"$bin" --quiet --dir "$work/warm" --python "$py" -r "$work/requirements.txt" > /dev/null
"$bin" --quiet --dir "$work/env" --python "$py" -r "$work/requirements.txt" > /dev/null
"$bin" --dir "$work/env" --python "$py" -r "$work/requirements.txt" | grep -q '"changed":false' \
  || { echo "bench: the second run was not a no-op" >&2; exit 1; }
hyperfine -N --warmup 5 --runs 100 --export-json "$work/noop.json" \
  "$bin --dir $work/env --python $py -r $work/requirements.txt" > /dev/null
noop=$(median "$work/noop.json" 0)
echo "| \`venv-make\` no-op: the same plan again (hyperfine median) | $noop ms | target ≤ 20 ms | $(python3 -c "print('%.0f %%' % ($noop / 20 * 100))") of the target |"

cat > "$work/by-hand.sh" <<SH
#!/bin/sh
set -e
"$uv" venv --quiet --relocatable --python $py "$work/hand"
"$uv" pip install --quiet --python "$work/hand/bin/python" numpy==1.26.4
SH
hyperfine -N --runs 5 --export-json "$work/cold.json" \
  --prepare "rm -rf $work/cold $work/hand" \
  -n venv-make "$bin --quiet --dir $work/cold --python $py -r $work/requirements.txt" \
  -n by-hand "sh $work/by-hand.sh" > /dev/null
made=$(median "$work/cold.json" 0)
hand=$(median "$work/cold.json" 1)
echo "| \`venv-make\` cold build, numpy==1.26.4, warm uv cache (median of 5; includes its check of the new env) | $made ms | \`uv venv\` + \`uv pip install\` by hand: $hand ms | $(python3 -c "print('%.2f×' % ($made / $hand))") (target ≤ 1.2×) |"
