"""make bench: what an isolated node adds to one prompt in the real ComfyUI (v0.3.64 under
.build/comfyui), comfy_pipes against comfy-env 0.4.46, in one server: EmptyImage 512x512 -> the
same invert node (bench_pack/nodes) run three ways -> a sink. The three ways: in ComfyUI's process
(BenchInvertLocal), through comfy_pipes' @isolated in its own venv (BenchInvertIsolated), and
isolated by comfy-env 0.4.46's own mechanism (BenchInvertComfyEnv: register_nodes over nodes/,
whose comfy-env.toml comfy-env's `install` turns into its env). Each prompt is timed by ComfyUI's own
execution_start and execution_success timestamps (whole ms); the kinds alternate prompt by prompt,
after 3 warm-up rounds, so that the machine's other work weighs on each alike. Every prompt holds
the three chains and only one has a new input: ComfyUI runs that one and keeps the others' cached
outputs. (A prompt frees, inside its own timing, the outputs of the nodes it lacks; with one chain
a prompt, each would pay for freeing the previous kind's result. This way each frees its own
previous result, as a workflow run again and again does.)
Prints one markdown table row. Usage: run.py ROUNDS (PIPES_BIN_DIR, PIPES_NODE_VENV as make test
sets them).

comfy-env needs a ComfyUI whose python imports comfy_env; the ComfyUI venv that the tests use
stays as it is: comfy-env goes into .build/bench-comfyenv/venv, a venv layered on it (a .pth file
names the ComfyUI venv's site-packages), with pip, which installs only what ComfyUI's venv lacks of
comfy-env's requirements; that venv's python runs the server for all three kinds. comfy-env builds and launches its env
with a pixi it downloads from GitHub, which this machine cannot reach: see pixi_standin.py for what
stands in for pixi and why that does not touch a call. The env itself is comfy-env's: its `install`
(run here once; a no-op when nothing changed) writes the manifest, the stamp and the hash its
runtime checks, in a workspace of the bench's own (COMFY_ENV_ROOT=.build/bench-comfyenv/workspace,
HOME=.build/bench-comfyenv/home for the pixi path, for install and server alike).

Nothing is left behind: the server is stopped (SIGTERM to its session), then every process it
started in a group of its own (comfy-env's worker) that has not ended 5 s later is killed by pid;
the server's TMPDIR (comfy-env's worker files) is removed with its folder.
"""
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(root, "Tests", "ComfyUI"))
import comfyui  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PACK = os.path.join(HERE, "bench_pack")
COMFY_ENV = "0.4.46"
BENCH = os.path.join(root, ".build", "bench-comfyenv")


def comfy_env_setup():
    """(python, environment additions) for a server where comfy-env isolates nodes/, built once."""
    venv = os.path.join(BENCH, "venv")
    python = os.path.join(venv, "bin", "python")
    probe = [python, "-c", "import importlib.metadata as m; print(m.version('comfy-env'))"]
    if not os.path.exists(python) or subprocess.run(probe, capture_output=True, text=True).stdout.strip() != COMFY_ENV:
        shutil.rmtree(venv, ignore_errors=True)
        comfyui.layered_venv(venv)
        # pip through the layered venv sees what the ComfyUI venv has (numpy, pyyaml, pip) as installed,
        # so only comfy-env and the rest of its requirements (uv, tomli, pre-commit, …) land here.
        subprocess.run([python, "-m", "pip", "install", "-q", "comfy-env==" + COMFY_ENV], check=True,
                       stdout=sys.stderr)
    home = os.path.join(BENCH, "home")
    pixi = os.path.join(home, ".comfy-env", "pixi", "0.75.0", "pixi")  # comfy_env.pixi.PIXI under this HOME
    os.makedirs(os.path.dirname(pixi), exist_ok=True)
    with open(pixi, "w") as handle:
        handle.write('#!/bin/sh\nexec "%s" "%s" "$@"\n' % (python, os.path.join(HERE, "pixi_standin.py")))
    os.chmod(pixi, 0o755)
    env = {"HOME": home, "COMFY_ENV_ROOT": os.path.join(BENCH, "workspace"),
           "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR", os.path.join(BENCH, "uv-cache"))}
    # comfy-env's install reads the packs of a ComfyUI folder: the bench's own (custom_nodes/, user/).
    base = os.path.join(BENCH, "comfyui")
    target = os.path.join(base, "custom_nodes", "bench_pack")
    shutil.rmtree(target, ignore_errors=True)
    os.makedirs(os.path.join(base, "user"), exist_ok=True)
    shutil.copytree(PACK, target, ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run([python, "-m", "comfy_env.cli", "install", "--dir", target], cwd=target,
                          env=dict(os.environ, **env), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError("comfy-env install failed:\n" + (done.stdout + done.stderr)[-3000:])
    return python, env


def descendants(pid):
    """Every live process below pid (by /proc's parent links)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop(server):
    """Stops the server, then ends whatever it started outside its session that outlived it."""
    left = descendants(server.process.pid) if server.process is not None else []
    server.close()
    deadline = time.monotonic() + 5
    while any(alive(pid) for pid in left) and time.monotonic() < deadline:
        time.sleep(0.1)
    killed = [pid for pid in left if alive(pid)]
    for pid in killed:
        os.kill(pid, signal.SIGKILL)
    if killed:
        print("bench: killed %s, started by the server and still running 5 s after it stopped" % killed,
              file=sys.stderr)
    return [pid for pid in killed if alive(pid)]


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    env = dict(os.environ)
    env.update(PYTHONPATH=os.path.join(root, "Sources", "node-run"),
               COMFY_PIPES_NODE_RUN=os.path.join(os.environ.get("PIPES_BIN_DIR", os.path.join(root, "bin")), "node-run"))
    python, why_not = comfyui.PYTHON, None
    try:
        python, extra = comfy_env_setup()
        env.update(extra)
    except (OSError, RuntimeError, subprocess.CalledProcessError) as error:
        why_not = str(error).strip().splitlines()[-1]
        print("bench: comfy-env %s not measured: %s" % (COMFY_ENV, error), file=sys.stderr)
    load = os.getloadavg()
    server = comfyui.ComfyUI(packs=[PACK], python=python, env=env)
    # comfy-env's worker files (its scripts' folder, comfy_worker_*.log) go to the temp folder, and
    # a SIGTERM'd server runs no atexit to remove them: give it one that goes with the server's.
    env["TMPDIR"] = os.path.join(server.work, "tmp")
    os.makedirs(env["TMPDIR"])
    times = {"BenchInvertLocal": [], "BenchInvertIsolated": []}
    try:
        server.start()
        if why_not is None:
            if "BenchInvertComfyEnv" in server.get("/object_info"):
                times["BenchInvertComfyEnv"] = []
            else:
                why_not = "comfy-env registered no node (its log: see the server log)"
                print("bench: comfy-env registered no node:\n" + server.tail(), file=sys.stderr)
        kinds = list(times)
        colours = {node: n << 16 for n, node in enumerate(kinds)}

        def prompt(node):
            """One prompt that runs `node`: ComfyUI's execution_success - execution_start, in ms. The prompt
            holds every kind's chain, and only `node`'s has a new input, so ComfyUI runs that one and keeps
            the others' cached outputs: the previous output of `node` is what this prompt frees."""
            colours[node] += 1
            graph = {}
            for n, kind in enumerate(kinds):
                graph.update({
                    "%d1" % n: {"class_type": "EmptyImage", "inputs": {"width": 512, "height": 512, "batch_size": 1,
                                                                       "color": colours[kind]}},
                    "%d2" % n: {"class_type": kind, "inputs": {"image": ["%d1" % n, 0]}},
                    "%d3" % n: {"class_type": "BenchSink", "inputs": {"image": ["%d2" % n, 0]}},
                })
            entry = server.run(graph)
            if entry["status"]["status_str"] != "success":
                sys.exit("bench: %s failed:\n%s\n%s" % (node, entry["status"], server.tail()))
            cached = set(comfyui.messages(entry, "execution_cached")[0]["nodes"])
            if colours[node] - (kinds.index(node) << 16) > 1 and cached != set(graph) - {
                    "%d%d" % (kinds.index(node), i) for i in (1, 2, 3)}:
                sys.exit("bench: ComfyUI ran other chains than %s's (cached: %s)" % (node, sorted(cached)))
            start = comfyui.messages(entry, "execution_start")[0]["timestamp"]
            return comfyui.messages(entry, "execution_success")[0]["timestamp"] - start

        for k in range(rounds + 3):  # 3 warm-up rounds: the workers start, first calls
            for node in kinds:
                took = prompt(node)
                if k >= 3:
                    times[node].append(took)
    finally:
        left = stop(server)
        if left:
            print("bench: processes %s would not end" % left, file=sys.stderr)
    for node, values in times.items():  # the raw figures, for a reader of a noisy run
        print("bench: %s ms: %s" % (node, " ".join("%d" % v for v in values)), file=sys.stderr)
    counted = len(times["BenchInvertLocal"])
    local = statistics.median(times["BenchInvertLocal"])
    ours = statistics.median(times["BenchInvertIsolated"])
    nice = os.nice(0)
    measure = ("time one prompt takes with an isolated node in the real ComfyUI 0.3.64, over the same node in "
               "ComfyUI's process (EmptyImage 512×512 → invert → sink; median of %d prompts each, ComfyUI's "
               "execution timestamps; the kinds alternate in one server; load average %.1f → %.1f%s)"
               % (counted, load[0], os.getloadavg()[0], ", nice %d" % nice if nice else ""))
    # The fastest tenth of each kind: what is left of a kind's cost when the machine's other work lets
    # it run at once (a busy 2-core box adds tens of ms to any prompt at random).
    low = {node: statistics.quantiles(values, n=10)[0] for node, values in times.items()}
    value = ("comfy_pipes: %+.1f ms (%.1f ms against %.1f ms in-process; fastest tenth: %+.1f ms, %.1f against %.1f)"
             % (ours - local, ours, local, low["BenchInvertIsolated"] - low["BenchInvertLocal"],
                low["BenchInvertIsolated"], low["BenchInvertLocal"]))
    if why_not is not None:
        print("| %s | %s | comfy-env %s in the same ComfyUI: not measured (%s) | — |"
              % (measure, value, COMFY_ENV, why_not))
        return
    theirs = statistics.median(times["BenchInvertComfyEnv"])
    if ours - local >= 1:
        less = "%.1f× less added time" % ((theirs - local) / (ours - local))
    else:
        less = "comfy_pipes within 1 ms of in-process (or under it: the load's noise)"
    print("| %s | %s | comfy-env %s (register_nodes, its worker): %+.1f ms (%.1f ms; fastest tenth: %+.1f ms, %.1f) "
          "| %s; the prompt takes %.2f× its in-process time through comfy_pipes, %.2f× through comfy-env |"
          % (measure, value, COMFY_ENV, theirs - local, theirs, low["BenchInvertComfyEnv"] - low["BenchInvertLocal"],
             low["BenchInvertComfyEnv"], less, ours / local, theirs / local))

main()
