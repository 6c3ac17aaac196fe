"""Nothing left behind by isolated nodes in the real ComfyUI: after SIGTERM (how systemd and
docker stop it) no segment and no node-run or worker process of it remains; after SIGKILL, the
next ComfyUI to start removes the dead one's segments."""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import comfyui  # noqa: E402
from test_isolated_nodes import BIN, NODE_VENV, image, why_not  # noqa: E402


def segments_of(pid):
    return sorted(name for name in os.listdir("/dev/shm") if name.startswith("cpipes-%d-" % pid))


def descendants(pid):
    """Every process below `pid`, from /proc."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in os.listdir("/proc/%d/task" % parent) if os.path.isdir("/proc/%d" % parent) else []:
            try:
                with open("/proc/%d/task/%s/children" % (parent, task)) as handle:
                    children = [int(c) for c in handle.read().split()]
            except OSError:
                children = []
            found += children
            todo += children
    return found


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@unittest.skipIf(why_not(), why_not())
class NothingLeftBehind(unittest.TestCase):
    def server(self, base=None):
        env = dict(os.environ)
        env.update(PYTHONPATH=os.path.join(comfyui.ROOT, "Sources", "node-run"),
                   COMFY_PIPES_NODE_RUN=os.path.join(BIN, "node-run"), PIPES_NODE_VENV=NODE_VENV)
        server = comfyui.ComfyUI(packs=[] if base else ["iso_pack"], env=env, base=base)
        self.addCleanup(server.close)
        return server.start()

    def run_isolated(self, server, times):
        entry = server.run({
            "1": image(width=8 * times),
            "2": {"class_type": "IsoKinds", "inputs": {"image": ["1", 0], "times": times}},
            "3": {"class_type": "PreviewAny", "inputs": {"source": ["2", 4]}},
        })
        self.assertEqual(entry["status"]["status_str"], "success", server.tail())

    def test_sigterm_leaves_no_segment_and_no_process(self):
        server = self.server()
        self.run_isolated(server, 2)
        pid = server.process.pid
        self.assertTrue(segments_of(pid), "the host pools segments while it runs")
        below = descendants(pid)
        self.assertTrue(below, "node-run and its worker run below ComfyUI")
        os.kill(pid, signal.SIGTERM)  # ComfyUI alone, as systemd's KillMode=mixed would
        server.process.wait(timeout=30)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(alive(p) for p in below):
            time.sleep(0.05)
        self.assertEqual([p for p in below if alive(p)], [], "no node-run or worker outlives ComfyUI")
        self.assertEqual(segments_of(pid), [])

    def test_sigint_during_a_call_stops_comfyui_within_five_seconds(self):
        server = self.server()
        self.run_isolated(server, 5)  # the worker is up
        server.queue({
            "1": image(width=48),
            "2": {"class_type": "IsoSlow", "inputs": {"image": ["1", 0], "seconds": 60.0, "checks": False}},
            "3": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}},
        })
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not server.get("/queue")["queue_running"]:
            time.sleep(0.05)
        time.sleep(0.5)
        below = descendants(server.process.pid)
        started = time.monotonic()
        # SIGINT, as Ctrl-C in its terminal (a background process of a shell ignores SIGINT, so
        # the harness starts ComfyUI in its own session, where it does not).
        os.kill(server.process.pid, signal.SIGINT)
        server.process.wait(timeout=30)
        self.assertLess(time.monotonic() - started, 5.0, server.tail())
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(alive(p) for p in below):
            time.sleep(0.05)
        self.assertEqual([p for p in below if alive(p)], [], "no node-run or worker outlives ComfyUI")

    def test_the_next_start_removes_what_a_killed_comfyui_left(self):
        first = self.server()
        self.run_isolated(first, 3)
        pid = first.process.pid
        os.kill(pid, signal.SIGKILL)
        first.process.wait(timeout=30)
        left = segments_of(pid)
        self.assertTrue(left, "SIGKILL runs no clean-up: the pool's segments stay (until the next start)")
        second = self.server(base=first.base)
        self.run_isolated(second, 4)
        self.assertEqual(segments_of(pid), [], "the next ComfyUI removed the dead one's segments")


if __name__ == "__main__":
    unittest.main()
