#!/bin/sh
# remote-fetch's benchmark: the time from a job finishing on the server (the timestamp of its
# execution_success message in /history) to remote-fetch's `done` record for it, files
# downloaded, against the fake ComfyUI server; 20 jobs one after another, WebSocket and --poll.
# Baseline: NetDist polls all of /history every 0.5 s (250 ms on average, 500 ms at worst).
# Target: <= 20 ms. Prints table rows (make bench collects them into bench/results.md).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin/remote-fetch"
[ -x "$bin" ] || { echo "bench: $bin is missing; run make build" >&2; exit 69; }
exec python3 "$root/bench/remote_fetch_latency.py" "$bin" "$root/Tests/Fixtures/fake_comfyui/fake_comfyui.py"
