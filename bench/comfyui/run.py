"""make bench: what an isolated node adds to one prompt in the real ComfyUI (v0.3.64 under
.build/comfyui): EmptyImage 512x512 -> invert (in ComfyUI's process, or through comfy_pipes'
@isolated in its own venv) -> a sink, each prompt timed by ComfyUI's own execution_start and
execution_success timestamps, the two kinds alternating. Prints one markdown table row.
Usage: run.py ROUNDS (PIPES_BIN_DIR, PIPES_NODE_VENV as make test sets them)."""
import os
import statistics
import sys

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(root, "Tests", "ComfyUI"))
import comfyui  # noqa: E402


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    env = dict(os.environ)
    env.update(PYTHONPATH=os.path.join(root, "Sources", "node-run"),
               COMFY_PIPES_NODE_RUN=os.path.join(os.environ.get("PIPES_BIN_DIR", os.path.join(root, "bin")), "node-run"))
    server = comfyui.ComfyUI(packs=[os.path.join(root, "bench", "comfyui", "bench_pack")], env=env)
    times = {"BenchInvertLocal": [], "BenchInvertIsolated": []}
    try:
        server.start()
        for k in range(rounds + 3):
            for node in times:
                entry = server.run({
                    "1": {"class_type": "EmptyImage", "inputs": {"width": 512, "height": 512, "batch_size": 1,
                                                                 "color": k * 2 + (node == "BenchInvertIsolated")}},
                    "2": {"class_type": node, "inputs": {"image": ["1", 0]}},
                    "3": {"class_type": "BenchSink", "inputs": {"image": ["2", 0]}},
                })
                if entry["status"]["status_str"] != "success":
                    sys.exit("bench: %s failed:\n%s" % (node, server.tail()))
                start = comfyui.messages(entry, "execution_start")[0]["timestamp"]
                end = comfyui.messages(entry, "execution_success")[0]["timestamp"]
                if k >= 3:
                    times[node].append(end - start)
    finally:
        server.close()
    local = statistics.median(times["BenchInvertLocal"])
    isolated = statistics.median(times["BenchInvertIsolated"])
    print("| isolated node in the real ComfyUI 0.3.64: extra time per prompt over the same node in ComfyUI's "
          "process (512×512 IMAGE in and out, median of %d, ComfyUI's execution timestamps) | %.1f ms "
          "(prompt %.1f ms against %.1f ms) | comfy-env 0.4.46's isolation in the same ComfyUI: not measured yet | — |"
          % (rounds, isolated - local, isolated, local))


main()
