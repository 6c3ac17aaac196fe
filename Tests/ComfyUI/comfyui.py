"""A real ComfyUI (v0.3.64, built by `make comfyui` under .build/comfyui) started for a test: its
own base directory with the test's packs in custom_nodes/, on a free loopback port, driven over
/prompt, /history, /interrupt, /object_info and /ws, and stopped (SIGTERM, then SIGKILL) at the
end. Standard library only, so any python can drive it."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMFYUI = os.environ.get("PIPES_COMFYUI", os.path.join(ROOT, ".build", "comfyui"))
SOURCE = os.path.join(COMFYUI, "src")
PYTHON = os.path.join(COMFYUI, "venv", "bin", "python")
PACKS = os.path.join(ROOT, "Tests", "Fixtures", "comfyui", "packs")


## What the tests run besides ComfyUI: the built tools, the numpy 1.26 env of the packs' nodes and a
## numpy 2 env, as `make test-comfyui` passes them.
BIN = os.environ.get("PIPES_BIN_DIR", os.path.join(ROOT, "bin"))
NODE_VENV = os.environ.get("PIPES_NODE_VENV", os.path.join(ROOT, ".build", "node-venv"))
NUMPY2_VENV = os.environ.get("PIPES_NUMPY2_VENV", os.path.join(ROOT, ".build", "test-venv"))


def available():
    """Why the real ComfyUI cannot run here, or None."""
    if not os.path.isfile(os.path.join(COMFYUI, "ok")):
        return "the real ComfyUI is not built (make comfyui)"
    return None


def missing(tools=(), venvs=()):
    """Why a test of the real ComfyUI with these tools of BIN and these venvs cannot run, or None."""
    if available():
        return available()
    for venv in venvs:
        if not os.path.isfile(os.path.join(venv, "bin", "python")):
            return "no venv at %s (make test makes it)" % venv
    for tool in tools:
        if not os.access(os.path.join(BIN, tool), os.X_OK):
            return "no %s in %s (make)" % (tool, BIN)
    return None


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def layered_venv(path):
    """A new venv whose python also sees the ComfyUI venv's packages (a .pth file), so a test can
    pip install into it without touching the shared ComfyUI venv."""
    subprocess.run([PYTHON, "-m", "venv", "--without-pip", path], check=True)
    base = subprocess.run([PYTHON, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    site = subprocess.run([os.path.join(path, "bin", "python"), "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    with open(os.path.join(site, "comfyui-venv.pth"), "w") as handle:
        handle.write(base + "\n")
    return os.path.join(path, "bin", "python")


class ComfyUI:
    """One server. `packs`: folder names under Tests/Fixtures/comfyui/packs (copied) or absolute
    paths (copied too) to put in custom_nodes/."""

    def __init__(self, packs=(), python=PYTHON, env=None, args=(), base=None):
        self.work = tempfile.mkdtemp(prefix="pipes-comfyui-")
        self.base = base or os.path.join(self.work, "base")
        self.custom_nodes = os.path.join(self.base, "custom_nodes")
        os.makedirs(self.custom_nodes, exist_ok=True)
        for pack in packs:
            source = pack if os.path.isabs(pack) else os.path.join(PACKS, pack)
            shutil.copytree(source, os.path.join(self.custom_nodes, os.path.basename(source)),
                            ignore=shutil.ignore_patterns("__pycache__", "_env*"))
        self.python = python
        self.env = env
        self.args = list(args)
        self.port = None
        self.process = None
        self.log_path = os.path.join(self.work, "comfyui.log")
        self.client_id = uuid.uuid4().hex

    # -- life ------------------------------------------------------------------------------------------
    def start(self, timeout=120):
        self.port = free_port()
        env = dict(self.env if self.env is not None else os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        command = [self.python, os.path.join(SOURCE, "main.py"), "--cpu", "--listen", "127.0.0.1",
                   "--port", str(self.port), "--disable-auto-launch", "--base-directory", self.base,
                   "--database-url", "sqlite:///" + os.path.join(self.work, "comfyui.db")] + self.args
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(command, cwd=self.work, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("ComfyUI exited (%s) while starting:\n%s" % (self.process.returncode, self.tail()))
            try:
                self.get("/system_stats", timeout=2)
                return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.25)
        raise RuntimeError("ComfyUI did not answer in %d s:\n%s" % (timeout, self.tail()))

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Stops the server (and everything in its session); the exit status."""
        if self.process is None:
            return None
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            status = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            status = self.process.wait()
        self.log.close()
        self.process = None
        return status

    def close(self):
        self.stop()
        if not os.environ.get("PIPES_KEEP_TEST_DIRS"):
            shutil.rmtree(self.work, ignore_errors=True)

    def tail(self, lines=60):
        try:
            with open(self.log_path, "rb") as handle:
                return b"\n".join(handle.read().splitlines()[-lines:]).decode("utf-8", "replace")
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # -- HTTP ------------------------------------------------------------------------------------------
    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def get(self, path, timeout=10):
        with urllib.request.urlopen(self.url(path), timeout=timeout) as answer:
            body = answer.read()
        return json.loads(body) if body[:1] in (b"{", b"[") else body

    def post(self, path, payload, timeout=10):
        request = urllib.request.Request(self.url(path), data=json.dumps(payload).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                body = answer.read()
        except urllib.error.HTTPError as error:
            raise AssertionError("POST %s: %d %s" % (path, error.code, error.read().decode("utf-8", "replace")))
        return json.loads(body) if body else None

    def queue(self, prompt):
        return self.post("/prompt", {"prompt": prompt, "client_id": self.client_id})["prompt_id"]

    def wait(self, prompt_id, timeout=120):
        """The prompt's history entry once it has finished (success or error)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            entry = self.get("/history/" + prompt_id).get(prompt_id)
            if entry and entry.get("status", {}).get("completed") is not None and (
                    entry["status"].get("status_str") in ("success", "error")):
                return entry
            time.sleep(0.05)
        raise AssertionError("prompt %s did not finish in %d s:\n%s" % (prompt_id, timeout, self.tail()))

    def run(self, prompt, timeout=120):
        return self.wait(self.queue(prompt), timeout)

    def output_file(self, entry, node):
        image = entry["outputs"][node]["images"][0]
        return os.path.join(self.base, image.get("type", "output"), image.get("subfolder", ""), image["filename"])


def messages(entry, kind):
    """The history entry's status messages of one kind ("execution_error", …), as dicts."""
    return [data for name, data in entry.get("status", {}).get("messages", []) if name == kind]


def pixels(path, mode="RGB"):
    """The set of pixel values of an image file (Pillow, from the ComfyUI venv)."""
    from PIL import Image
    with Image.open(path) as image:
        image = image.convert(mode)
        data = image.get_flattened_data() if hasattr(image, "get_flattened_data") else image.getdata()
        return set(data)
