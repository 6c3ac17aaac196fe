#!/bin/sh
# make bench, what a user downloads: each tool's size as `make` leaves it in bin/ (release,
# static Swift runtime, stripped), the wheel's and the release archive's sizes (make wheel /
# make dist). Target: the whole wheel under 25 MB. Prints markdown table rows.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/cpipes-size.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
mb() { python3 -c 'import os, sys; print("%.1f MB" % (sum(os.path.getsize(p) for p in sys.argv[1:]) / 1e6))' "$@"; }
sizes=
for tool in cuda-detect wheel-url venv-make tensor-pack node-run remote-queue remote-fetch; do
  sizes="$sizes$tool $(mb "$root/bin/$tool"), "
done
echo "| size of each tool in bin/ (release, static Swift runtime, stripped) | ${sizes%, } | — | — |"
wheel=$(python3 "$root/packaging/release.py" wheel --bin "$root/bin" --out "$work")
archive=$(python3 "$root/packaging/release.py" dist --bin "$root/bin" --out "$work")
python3 -c 'import os, sys; w, a = (os.path.getsize(p) / 1e6 for p in sys.argv[1:3])
print(f"| the wheel ({os.path.basename(sys.argv[1])}) / the release archive | {w:.1f} MB / {a:.1f} MB | target: wheel < 25 MB | {w / 25 * 100:.0f} % of the target |")' \
  "$wheel" "$archive"
