"""Measures remote-queue | remote-fetch throughput over 4 fake_comfyui servers against 1; see remote.sh."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

JOBS = 200
SERVERS = 4
GPU_SECONDS = 0.1  # --prompt-delay: what each prompt costs a server, standing for GPU time

WORKFLOW = {"1": {"class_type": "EmptyImage", "inputs": {"width": 16, "height": 16, "batch_size": 1, "color": 1}},
            "2": {"class_type": "ImageAddNoise", "inputs": {"image": ["1", 0], "seed": 1, "strength": 0.5}},
            "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "bench/t"}}}


def start(script, work, k):
    server = subprocess.Popen(
        [sys.executable, script, "--port", "0", "--output-dir", os.path.join(work, "o%d" % k),
         "--input-dir", os.path.join(work, "i%d" % k), "--prompt-delay", str(GPU_SECONDS), "--exit-with-stdin"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return server, "127.0.0.1:%d" % int(server.stdout.readline().split()[1])


def run(bindir, script, work, count):
    servers = [start(script, work, k) for k in range(count)]
    try:
        wf = os.path.join(work, "wf.json")
        with open(wf, "w") as f:
            json.dump(WORKFLOW, f)
        out = os.path.join(work, "out%d" % count)
        to = ",".join(address for _, address in servers)
        began = time.monotonic()
        queue = subprocess.Popen([os.path.join(bindir, "remote-queue"), "-q", "--to", to, "--count", str(JOBS), wf],
                                 stdout=subprocess.PIPE)
        fetch = subprocess.run([os.path.join(bindir, "remote-fetch"), "-q", "-o", out], stdin=queue.stdout,
                               stdout=subprocess.PIPE, text=True)
        queue.wait()
        seconds = time.monotonic() - began
        records = [json.loads(line) for line in fetch.stdout.splitlines()]
        done = [r for r in records if r.get("type") == "done" and r.get("status") == "success"]
        if len(done) != JOBS or queue.returncode or fetch.returncode:
            raise SystemExit("bench: %d of %d jobs done over %d servers" % (len(done), JOBS, count))
        return seconds
    finally:
        for server, _ in servers:
            server.stdin.close()
            server.wait(timeout=10)


def main():
    bindir, script = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="remote-bench.")
    try:
        one = run(bindir, script, work, 1)
        many = run(bindir, script, work, SERVERS)
        print("| `remote-queue --to 4 servers \\| remote-fetch`: %d trivial jobs, each fake server sleeping %.1f s "
              "per prompt (`--prompt-delay`, standing for GPU time, so this measures distribution) "
              "| %.1f jobs/s (%.1f s) | 1 server: %.1f jobs/s (%.1f s) | %.2f× (target ≥ 3.5×) |"
              % (JOBS, GPU_SECONDS, JOBS / many, many, JOBS / one, one, one / many))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
