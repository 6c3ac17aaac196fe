#!/bin/sh
# remote-queue and remote-fetch against the fake ComfyUI server (Tests/Fixtures/fake_comfyui):
# 1. throughput: 200 trivial jobs through `remote-queue --to … | remote-fetch -o …` over 4 fake
#    servers against 1; each fake sleeps 0.1 s per prompt (--prompt-delay) to stand for GPU
#    time, so the ratio measures how well the jobs are spread (target >= 3.5x);
# 2. latency: a job finishing on the server (its execution_success timestamp in /history) to
#    remote-fetch's `done` record, files fetched (target <= 20 ms; NetDist polls every 0.5 s); also the
#    pipeline case: a trivial job whose record reaches remote-fetch after the server finished it.
# BIN (default bin/, where `make build` puts release binaries) holds remote-queue and remote-fetch.
# Prints table rows; make bench collects them into bench/results.md.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$root/bin}
for tool in remote-queue remote-fetch; do
  [ -x "$bin/$tool" ] || { echo "bench: $bin/$tool is missing; run make build" >&2; exit 69; }
done
fake=$root/Tests/Fixtures/fake_comfyui/fake_comfyui.py
python3 "$root/bench/remote_throughput.py" "$bin" "$fake"
python3 "$root/bench/remote_fetch_latency.py" "$bin/remote-fetch" "$fake"
