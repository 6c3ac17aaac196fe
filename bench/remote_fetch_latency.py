"""Measures remote-fetch's completion latency against fake_comfyui; see remote.sh."""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

JOBS = 20


def prompt(k, seconds):
    return {"1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": k}},
            "2": {"class_type": "FakeSleep", "inputs": {"seconds": seconds, "image": ["1", 0], "progress": False}},
            "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "bench/b"}}}


def get(base, path):
    with urllib.request.urlopen(base + path, timeout=10) as r:
        return json.loads(r.read())


def measure(binary, base, work, extra, seconds):
    """Each job's record is handed over right after its POST; a job of `seconds` 0 has usually
    finished on the server before remote-fetch reads its record (the pipeline case)."""
    fetch = subprocess.Popen([binary, "-o", os.path.join(work, "out"), "-q"] + extra, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, bufsize=1)
    client = "bench-" + uuid.uuid4().hex[:8]
    latencies = []
    for k in range(JOBS):
        pid = str(uuid.uuid4())
        body = json.dumps({"prompt": prompt(k * 7919 % 0xFFFFFF, seconds), "client_id": client, "prompt_id": pid}).encode()
        urllib.request.urlopen(urllib.request.Request(base + "/prompt", data=body), timeout=10).read()
        fetch.stdin.write(json.dumps({"type": "job", "remote": base, "prompt_id": pid, "client_id": client,
                                      "number": k}) + "\n")
        fetch.stdin.flush()
        while True:
            line = fetch.stdout.readline()
            if not line:
                raise SystemExit("bench: remote-fetch ended early")
            record = json.loads(line)
            if record.get("type") in ("done", "error") and record.get("prompt_id", record.get("detail", {}).get("prompt_id")) == pid:
                break
        arrived = time.time() * 1000
        if record["type"] != "done":
            raise SystemExit("bench: %s" % line)
        messages = get(base, "/history/" + pid)[pid]["status"]["messages"]
        finished = [m[1]["timestamp"] for m in messages if m[0] == "execution_success"][0]
        latencies.append(arrived - finished)
    fetch.stdin.close()
    fetch.wait(timeout=30)
    return latencies


def main():
    binary, script = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="remote-fetch-bench.")
    server = subprocess.Popen([sys.executable, script, "--port", "0", "--output-dir", os.path.join(work, "o"),
                               "--input-dir", os.path.join(work, "i")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        port = int(server.stdout.readline().split()[1])
        base = "http://127.0.0.1:%d" % port
        cases = (("WebSocket", [], 0.15), ("WebSocket, pipeline: a trivial job, its record after the POST", [], 0),
                 ("--poll", ["--poll"], 0.15))
        for name, extra, seconds in cases:
            lat = sorted(measure(binary, base, work, extra, seconds))
            median = statistics.median(lat)
            p90 = lat[int(len(lat) * 0.9) - 1]
            print("| `remote-fetch` (%s): job finished on the server → its `done` record, file fetched "
                  "(median / p90 of %d) | %.1f ms / %.1f ms | NetDist polls every 0.5 s: 250 ms mean, 500 ms worst "
                  "| %.0f× sooner than 250 ms; target ≤ 20 ms |" % (name, JOBS, median, p90, 250 / max(median, 0.1)))
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
