"""make bench, node-run part: node-run, pyisolate 0.10.2 and comfy-env's SubprocessWorker side by side,
one table row per measure. Usage: drive.py NODE_RUN VENV WORK MEMCPY_BINARY (bench/memcpy.c built)"""
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

node_run, venv, work, memcpy_binary = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
# The table goes to the real stdout; everything else (the peers print to fd 1) to stderr.
table = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
here = os.path.dirname(os.path.abspath(__file__))
host_dir = os.path.join(work, "host")
os.makedirs(host_dir, exist_ok=True)
with open(os.path.join(host_dir, "comfy_pipes_host.py"), "wb") as f:
    f.write(subprocess.run([node_run, "--print-host-module"], check=True, capture_output=True).stdout)
sys.path.insert(0, host_dir)
import comfy_pipes_host  # noqa: E402

rows = []


def row(measure, value, baseline, ratio):
    rows.append("| %s | %s | %s | %s |" % (measure, value, baseline, ratio))


def p50(samples):
    return statistics.median(samples)


# -- node-run ---------------------------------------------------------------------------------------
base = [node_run, "-q", "--venv", venv, "--path", here]

def raw_pingpong(n):
    proc = subprocess.Popen(base + ["--call", "benchmod:empty"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            bufsize=0)
    out = proc.stdout
    times = []
    for k in range(n):
        line = b'{"type":"call","id":%d}\n' % k
        t = time.perf_counter()
        proc.stdin.write(line)
        out.readline()
        times.append(time.perf_counter() - t)
    proc.stdin.close()
    proc.wait()
    return times[200:]


def streamed(n):
    data = b"".join(b'{"type":"call","id":%d}\n' % k for k in range(n))
    t = time.perf_counter()
    subprocess.run(base + ["--call", "benchmod:empty"], input=data, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def warm_start():
    t = time.perf_counter()
    proc = subprocess.Popen(base + ["--call", "benchmod:empty"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    proc.stdin.write(b'{"type":"call","id":1}\n')
    proc.stdin.flush()
    proc.stdout.readline()
    elapsed = time.perf_counter() - t
    proc.stdin.close()
    proc.wait()
    return elapsed


nr_empty = p50(raw_pingpong(3000))
nr_stream = streamed(20000) / 20000
nr_start = p50([warm_start() for _ in range(7)])
runner = comfy_pipes_host._runner({"venv": venv, "python": None, "node_run": node_run, "path": here,
                                   "timeout": None, "tensors": None, "allow_pickle": False})
host_empty = []
for k in range(1200):
    t = time.perf_counter()
    runner.call("benchmod:Bench", "size", {"x": "ab"})
    host_empty.append(time.perf_counter() - t)
host_empty = p50(host_empty[200:])
arr2 = np.random.default_rng(1).random(512 * 1024, dtype=np.float32)
nr_2mib = []
for k in range(100):
    t = time.perf_counter()
    assert runner.call("benchmod:Bench", "size", {"x": arr2})[0] == arr2.size
    nr_2mib.append(time.perf_counter() - t)
nr_2mib = p50(nr_2mib[10:])
nr_64 = []
memcpys = []
for k in range(9):
    populated = subprocess.run([memcpy_binary, str(64 << 20)], check=True, capture_output=True, text=True)
    memcpys.append(float(populated.stdout.split()[2]))
    fresh = np.full(16 << 20, float(k), dtype=np.float32)
    t = time.perf_counter()
    back = runner.call("benchmod:Bench", "echo", {"x": fresh})[0]
    nr_64.append(time.perf_counter() - t)
    assert back.shape == fresh.shape and back[-1] == k
    del back
nr_64 = p50(nr_64)
memcpy = p50(memcpys)

# -- pyisolate 0.10.2 -------------------------------------------------------------------------------
pi = {}
pi_note = ""
try:
    from pyisolate import ExtensionManager, ExtensionManagerConfig, SandboxMode
    sys.path.insert(0, here)
    from pyisolate_ext import BenchExt

    ext_dir = os.path.join(work, "pyisolate_ext")
    os.makedirs(ext_dir, exist_ok=True)
    with open(os.path.join(ext_dir, "__init__.py"), "w") as f:
        f.write("")
    with open(os.path.join(ext_dir, "pyisolate_ext.py"), "w") as f:
        f.write(open(os.path.join(here, "pyisolate_ext.py")).read())
    config = {"name": "bench", "module_path": ext_dir, "isolated": True, "dependencies": ["pyisolate==0.10.2"],
              "apis": [], "share_torch": False, "share_cuda_ipc": False, "sandbox_mode": SandboxMode.DISABLED,
              "execution_model": "sealed_worker"}

    async def pyisolate_bench():
        starts = []
        for attempt in range(4):
            manager = ExtensionManager(BenchExt, ExtensionManagerConfig(venv_root_path=os.path.join(work, "pi-venvs")))
            t = time.perf_counter()
            ext = manager.load_extension(dict(config))
            await ext.empty()
            starts.append(time.perf_counter() - t)
            if attempt < 3:
                manager.stop_all_extensions()
        pi["start"] = p50(starts[1:])  # the first one builds the venv
        times = []
        for _ in range(1200):
            t = time.perf_counter()
            await ext.empty()
            times.append(time.perf_counter() - t)
        pi["empty"] = p50(times[200:])
        times = []
        for _ in range(3):
            t = time.perf_counter()
            assert await ext.size(arr2) == arr2.size
            times.append(time.perf_counter() - t)
        pi["2mib"] = p50(times)
        manager.stop_all_extensions()

    asyncio.run(pyisolate_bench())
except Exception as error:  # say why, in the table
    pi_note = "pyisolate failed here: %s: %s" % (type(error).__name__, str(error).splitlines()[0][:120])


# -- comfy-env (SubprocessWorker, the worker its isolated nodes run in) -----------------------------
ce = {}
ce_note = ""
try:
    import importlib.metadata

    from comfy_env.isolation.workers.subprocess import SubprocessWorker

    ce_version = importlib.metadata.version("comfy-env")
    starts = []
    for attempt in range(3):
        t = time.perf_counter()
        worker = SubprocessWorker(python=os.path.join(venv, "bin", "python"), sys_path=[here])
        worker.call_module("benchmod", "empty")
        starts.append(time.perf_counter() - t)
        if attempt < 2:
            worker.shutdown()
    ce["start"] = p50(starts)
    times = []
    for _ in range(600):
        t = time.perf_counter()
        worker.call_module("benchmod", "empty")
        times.append(time.perf_counter() - t)
    ce["empty"] = p50(times[100:])
    times = []
    for _ in range(50):
        t = time.perf_counter()
        assert worker.call_module("benchmod", "size_of", x=arr2) == arr2.size
        times.append(time.perf_counter() - t)
    ce["2mib"] = p50(times[5:])
    times = []
    for k in range(5):
        fresh = np.full(16 << 20, float(k), dtype=np.float32)
        t = time.perf_counter()
        back = worker.call_module("benchmod", "echo", x=fresh)
        times.append(time.perf_counter() - t)
        assert back.shape == fresh.shape and back[-1] == k
        del back
    ce["64"] = p50(times)
    worker.shutdown()
except Exception as error:  # say why, in the table
    ce_note = "comfy-env failed here: %s: %s" % (type(error).__name__, str(error).splitlines()[0][:120])


def ms(seconds):
    return "%.3f ms" % (seconds * 1000) if seconds < 0.01 else "%.1f ms" % (seconds * 1000)


def versus(key, ours, label="pyisolate 0.10.2 sealed_worker"):
    """The baseline and ratio cells: pyisolate's figure, then comfy-env's where it was measured."""
    cells = []
    if key in pi:
        cells.append(("%s: %s" % (label, ms(pi[key])), "%.1f× faster" % (pi[key] / ours)))
    else:
        cells.append((pi_note or "pyisolate: not measured", "—"))
    if key in ce:
        cells.append(("comfy-env %s SubprocessWorker: %s" % (ce_version, ms(ce[key])), "%.1f× faster" % (ce[key] / ours)))
    elif ce_note:
        cells.append((ce_note, "—"))
    return "; ".join(c[0] for c in cells), "; ".join(c[1] for c in cells)


b, r = versus("empty", nr_empty)
row("node-run empty call, p50 round trip (Python client on the pipe; target ≤ 0.05 ms)", ms(nr_empty), b, r)
row("node-run empty call, streamed (20,000 calls through one worker, per call)", ms(nr_stream), "—", "—")
b, r = versus("empty", host_empty)
row("node-run empty call through the host module (@isolated proxy, reader thread), p50", ms(host_empty), b, r)
b, r = versus("2mib", nr_2mib)
row("2 MiB float32 numpy argument, p50 (node-run: one copy into a recycled pool segment; pyisolate: JSON list)", ms(nr_2mib), b, r)
row("fresh 64 MiB float32 tensor into a call and back, p50 of 9 (host module, two copies: in, into a recycled "
    "pool segment; out, into a new segment)", ms(nr_64),
    "two 64 MiB memcpys into new memory (MAP_POPULATE), p50 of 9 interleaved: %s" % ms(2 * memcpy), "%.2f× the memcpys (target ≤ 1.5×)" % (nr_64 / (2 * memcpy)))
if "64" in ce:
    row("fresh 64 MiB float32 tensor into a call and back, comfy-env %s SubprocessWorker (its shm path), p50 of 5" % ce_version,
        ms(ce["64"]), "node-run, the row above: %s" % ms(nr_64), "node-run %.1f× faster" % (ce["64"] / nr_64))
row("fresh 64 MiB float32 tensor, pyisolate 0.10.2", "not measured",
    "without torch, pyisolate's sealed_worker sends ndarrays as JSON lists (the 2 MiB row × 32); its shm tensor path needs torch, not installed here", "—")
b, r = versus("start", nr_start)
row("warm start to first call, no torch (node-run: process start to first result)", ms(nr_start), b, r)
table.write("\n".join(rows) + "\n")
table.flush()
