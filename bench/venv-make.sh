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
# uv on PATH may be a script (a pyenv shim costs ~75 ms a call): resolve the real binary once,
# and give both sides that same binary, first on PATH for venv-make, by path for the commands.
case $(head -c 4 "$uv" | od -An -c | tr -d ' ') in
  177ELF) ;;
  *) real=$(python3 -c 'import uv; print(uv.find_uv_bin())' 2>/dev/null) || real=$(pyenv which uv 2>/dev/null) || real=
     [ -n "$real" ] && [ -x "$real" ] && uv=$real ;;
esac
mkdir -p "$work/uv-bin" && ln -s "$uv" "$work/uv-bin/uv" && PATH="$work/uv-bin:$PATH"
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

# The same two commands venv-make runs, with the same uv binary, by hand; then venv-make, which
# adds its lock, fingerprint, verification (python starts) and swap. The two alternate, so that
# load from elsewhere falls on both alike; medians of 11 each.
cat > "$work/by-hand.sh" <<SH
#!/bin/sh
set -e
"$uv" venv --quiet --relocatable --no-project --python $py "$work/hand"
"$uv" pip install --quiet --python "$work/hand/bin/python" numpy==1.26.4
SH
python3 - "$work" "$bin" "$py" > "$work/cold.txt" <<'PY'
import shutil, statistics, subprocess, sys, time
work, binary, py = sys.argv[1:4]
commands = {
    "made": [binary, "--quiet", "--dir", f"{work}/cold", "--python", py, "-r", f"{work}/requirements.txt"],
    "hand": ["sh", f"{work}/by-hand.sh"],
}
times = {k: [] for k in commands}
for _ in range(11):
    for key, argv in commands.items():
        for d in ("cold", "hand"):
            shutil.rmtree(f"{work}/{d}", ignore_errors=True)
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        times[key].append(time.perf_counter() - start)
print("%.1f %.1f" % tuple(statistics.median(times[k]) * 1000 for k in ("made", "hand")))
PY
read -r made hand < "$work/cold.txt"
echo "| \`venv-make\` cold build, numpy==1.26.4, warm uv cache (median of 11, alternating; includes its check of the new env) | $made ms | \`uv venv\` + \`uv pip install\` by hand, same uv binary: $hand ms | $(python3 -c "print('%.2f×' % ($made / $hand))") (target ≤ 1.2×) |"
