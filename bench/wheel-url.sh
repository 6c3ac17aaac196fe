#!/bin/sh
# wheel-url's benchmark: resolve 20 requests against a local find-links page of 5,000 wheel
# links (250 projects x 20 builds), offline, with the release build in bin/. Target: < 50 ms.
# Prints one table row (make bench collects the rows into bench/results.md).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin/wheel-url"
[ -x "$bin" ] || { echo "bench: $bin is missing; run make build" >&2; exit 69; }
command -v hyperfine >/dev/null 2>&1 || { echo "bench: hyperfine is missing (apt-get install -y hyperfine)" >&2; exit 69; }
work=$(mktemp -d "${TMPDIR:-/tmp}/wheel-url-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

python3 "$root/Tests/Fixtures/wheel_index/wheel_index.py" --bench-links "$work/links.html" --count 5000
links=$(grep -c '<a ' "$work/links.html")
cat > "$work/env.json" <<'JSON'
{"type":"env","os":"linux","arch":"x86_64","glibc":"2.36","python":{"executable":"/usr/bin/python3","version":"3.11.7","tag":"cp311","abi":"cp311"},"cuda":{"version":"12.8","short":"128","source":"flag"},"torch":{"version":"2.8.0","cuda":"12.8","local":"cu128"},"backend":"cu128"}
JSON
requests="pkg000 pkg013 pkg026 pkg039 pkg052 pkg065 pkg078 pkg091 pkg104 pkg117
pkg130==1.0.0 pkg143==1.0.0 pkg156==1.0.0 pkg169==1.0.0 pkg182==1.0.0
pkg195>=1.0 pkg208>=1.0 pkg221>=1.0 pkg234>=1.0 pkg247<2"
# shellcheck disable=SC2086
set -- --env "$work/env.json" --offline --no-registry --find-links "$work/links.html" $requests
wheels=$("$bin" "$@" < /dev/null | grep -c '"type":"wheel"')
[ "$wheels" -eq 20 ] || { echo "bench: expected 20 wheel records, got $wheels" >&2; exit 1; }

hyperfine -N --warmup 5 --runs 100 --export-json "$work/result.json" --command-name wheel-url \
  "$bin $*" < /dev/null > "$work/hyperfine.txt"
median=$(python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' "$work/result.json")
echo "| \`wheel-url\`: 20 requests against a local find-links page of $links links (hyperfine median) | $median ms | target < 50 ms | $(python3 -c "print('%.0f %%' % ($median / 50 * 100))") of the target |"
