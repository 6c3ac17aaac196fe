"""Every example of README.md and of the man pages' EXAMPLES sections, run as printed.

The examples are read from the documents themselves: README's ```sh blocks and the man pages'
`.Bd -literal` blocks under `.Sh EXAMPLES`. A line that starts with `$ ` is a command (a
trailing backslash continues it), the lines after it up to the next command are its printed
output; a block without `$ ` is one command (comfy-pipes(7)) or Python code. Each command runs
with bash in one scratch folder, the release tools of bin/ on PATH, and local stand-ins for what
it would reach over the network:

- ComfyUI servers (10.0.0.5:8188-8191, gpu1, gpu:8188-8191, https://comfy.example.com/api, …):
  four stand-in servers (Tests/Fixtures/fake_comfyui) on consecutive loopback ports; the host
  names in the command are replaced by theirs (HOSTS below), nothing else is.
- The machine: `cuda-detect` describes a python with torch 2.8.0+cu128's metadata and an NVIDIA
  driver 570 (UV_CUDA_DRIVER_VERSION), through a wrapper named cuda-detect first on PATH.
- Wheel sources (the built-in registry's cuda-wheels index, PyPI): wheel-url is wrapped to read
  a local find-links folder first and never the network (`--find-links DIR --offline`); the
  folder holds small real wheels (nvdiffrast, transformers, torch-scatter: a module each).
- `git clone https://github.com/someone/some-pack`: a local git repository of a small pack.
- `python`: python3, with Sources/node-run on PYTHONPATH (the comfy_pipes package as pip would
  install it).

What each example printed is compared with the output the document shows (`…` and `...` stand
for anything, and a few machine-dependent words are filled in: the Python tag, the temp folder);
SPECS says what else each must have done. A command in the documents that SPECS does not know
fails the test, so a new example gets a check with it. Examples that cannot run here (a
`pip install comfy-pipes` from PyPI, `make test` itself) are in NOT_RUN with the reason and the
test that covers them; Python blocks are compiled.

Run by `make test-examples` (part of `make test`): python3 -m unittest discover -s Tests/Examples.
PIPES_BIN_DIR names the tools' folder (default bin/); PIPES_KEEP_TEST_DIRS=1 keeps the scratch
folder (its path is printed).
"""
import glob
import hashlib
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest
import zipfile
import zlib
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(os.environ.get("PIPES_BIN_DIR", os.path.join(ROOT, "bin")))
PY_TAG = "cp%d%d" % sys.version_info[:2]


# --- reading the examples out of the documents -------------------------------------------------

def _commands(lines):
    """(command, expected output lines) pairs of a block whose commands start with '$ '."""
    found = []
    current = None
    for line in lines:
        if line.startswith("$ ") and (current is None or not current[0].endswith("\\")):
            current = [line[2:], []]
            found.append(current)
        elif current is not None and current[0].endswith("\\") and not current[1]:
            current[0] += "\n" + line
        elif current is not None:
            if line.startswith("    ") and current[1]:
                current[1][-1] += " " + line.strip()  # a man page's wrapped output line
            elif line.strip():
                current[1].append(line)
    return [(command, expected) for command, expected in found]


def _block_examples(source, lines, kind):
    if kind == "python":
        return [(source, "python", "\n".join(lines), [])]
    if any(line.startswith("$ ") for line in lines):
        return [(source, "sh", c, e) for c, e in _commands(lines)]
    # Commands without prompts: one per line, backslash lines joined.
    examples, current = [], ""
    for line in lines:
        current = current + "\n" + line if current else line
        if not line.endswith("\\"):
            if current.strip():
                examples.append((source, "sh", current, []))
            current = ""
    return examples


def readme_examples():
    examples = []
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    k = 0
    while k < len(lines):
        m = re.match(r"^```(\w*)\s*$", lines[k])
        if m and m.group(1):
            end = lines.index("```", k + 1)
            if m.group(1) in ("sh", "python"):
                examples += _block_examples("README.md", lines[k + 1:end], m.group(1))
            k = end
        k += 1
    return examples


def _mdoc_text(line):
    return line.replace("\\e", "\\").replace("\\-", "-").replace("\\&", "")


def man_examples():
    examples = []
    pages = [os.path.join("man/man1", p) for p in sorted(os.listdir(os.path.join(ROOT, "man/man1")))]
    pages += [os.path.join("man/man7", p) for p in sorted(os.listdir(os.path.join(ROOT, "man/man7")))]
    for page in pages:
        inside, block = False, None
        with open(os.path.join(ROOT, page), encoding="utf-8") as f:
            text = f.read()
        for line in text.split("\n"):
            if line.startswith(".Sh "):
                inside = line == ".Sh EXAMPLES"
            elif inside and line.startswith(".Bd -literal"):
                block = []
            elif inside and line == ".Ed" and block is not None:
                first = next((b for b in block if b.strip()), "")
                kind = "python" if re.match(r"(from |import |@)", first) else "sh"
                examples += _block_examples(page, [_mdoc_text(b) for b in block], kind)
                block = None
            elif block is not None:
                block.append(line)
    return examples


def key(command):
    """A command as SPECS names it: whitespace and line continuations folded."""
    return " ".join(command.replace("\\\n", " ").split())


# --- the stand-ins -----------------------------------------------------------------------------

def write_wheel(folder, name, version, tag, module):
    """A small real wheel: one module, METADATA, WHEEL and RECORD with hashes."""
    dist = "%s-%s" % (name.replace("-", "_"), version)
    path = os.path.join(folder, "%s-%s.whl" % (dist, tag))
    files = {
        "%s/__init__.py" % module: "VERSION = %r\n" % version,
        "%s.dist-info/METADATA" % dist: "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version),
        "%s.dist-info/WHEEL" % dist: "Wheel-Version: 1.0\nGenerator: comfy-pipes-tests\nRoot-Is-Purelib: %s\nTag: %s\n"
        % ("true" if tag.endswith("any") else "false", tag),
    }
    record = []
    for member, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (member, digest, len(text.encode())))
    record.append("%s.dist-info/RECORD,," % dist)
    files["%s.dist-info/RECORD" % dist] = "\n".join(record) + "\n"
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    return path


def write_png(path, width=32, height=24):
    rows = b"".join(b"\0" + bytes((x * 8) % 256 for x in range(width) for _ in range(3)) for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def npy_bytes(shape, values):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % (tuple(shape),)
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + struct.pack("<%df" % len(values), *values)


def write_safetensors(path):
    tensors = {"weight": ("F32", [2, 3], struct.pack("<6f", *range(6))), "bias": ("F16", [3], b"\0" * 6)}
    header, data = {"__metadata__": {"format": "pt"}}, b""
    for name, (dtype, shape, body) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(body)]}
        data += body
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


WORKFLOW = {
    "1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": 0}},
    "2": {"class_type": "ImageAddNoise", "_meta": {"title": "KSampler"},
          "inputs": {"image": ["1", 0], "seed": 1, "strength": 0.5, "cfg": 7}},
    "3": {"class_type": "PrimitiveString", "_meta": {"title": "Positive Prompt"},
          "inputs": {"value": "a fox", "text": "a fox"}},
    "4": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "example"}},
}
LOAD_WORKFLOW = {
    "1": {"class_type": "LoadImage", "inputs": {"image": "photo.png"}},
    "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
    "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "inverted"}},
}

SAM_NODE = '''import numpy


class Segment:
    RETURN_TYPES = ("MASK",)
    FUNCTION = "segment"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",)}}

    def segment(self, image):
        return (numpy.ascontiguousarray(numpy.asarray(image)[..., 0] > 0.5, dtype=numpy.float32),)
'''
POOL_NODES = '''
def make_grid(width):
    return {"cells": width // 8}


class Blur:
    RETURN_TYPES = ("INT",)
    FUNCTION = "blur"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"radius": ("INT",)}}

    def blur(self, radius):
        return (radius * 2,)
'''


def free_ports(count):
    """The first of `count` consecutive free loopback ports."""
    for base in range(23000, 60000, 97):
        sockets = []
        try:
            for n in range(count):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", base + n))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no free ports")


class World:
    """The scratch folder every example runs in, with its stand-ins."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pipes-examples-")
        self.servers = []
        self.made = set()
        self.shims = os.path.join(self.dir, ".shims")
        os.makedirs(self.shims)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "COMFY_", "PYTHON"))}
        self.env.update({
            "PATH": "%s:%s:%s" % (self.shims, BIN, os.environ["PATH"]),
            "HOME": os.path.join(self.dir, "home"), "XDG_DATA_HOME": os.path.join(self.dir, "home/.local/share"),
            "VENV_MAKE_ROOT": os.path.join(self.dir, "venvs"), "TOKEN": "secret-token",
            "PYTHONPATH": os.path.join(ROOT, "Sources/node-run"), "UV_PYTHON_DOWNLOADS": "never",
            "UV_CUDA_DRIVER_VERSION": "570.124.06",
        })
        os.makedirs(self.env["HOME"])
        os.makedirs(self.path("nodes"))  # a node pack's folder, where its env goes
        os.symlink(BIN, self.path("bin"))  # README's examples that name bin/ run from the repository
        self.wheels = os.path.join(self.dir, ".wheels")
        os.makedirs(self.wheels)
        plat = "%s-%s-linux_x86_64" % (PY_TAG, PY_TAG)
        write_wheel(self.wheels, "nvdiffrast", "0.4.0+cu128torch2.8", plat, "nvdiffrast")
        write_wheel(self.wheels, "transformers", "4.46.0", "py3-none-any", "transformers")
        write_wheel(self.wheels, "gsplat", "1.4.0+pt24cu121", plat, "gsplat")
        # The machine: a python whose torch is 2.8.0+cu128 (its metadata is all cuda-detect reads).
        self.machine = os.path.join(self.dir, ".machine")
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", self.machine], check=True)
        site = subprocess.run([os.path.join(self.machine, "bin/python"), "-c",
                               "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
        info = os.path.join(site, "torch-2.8.0+cu128.dist-info")
        os.makedirs(info)
        with open(os.path.join(info, "METADATA"), "w") as f:
            f.write("Metadata-Version: 2.1\nName: torch\nVersion: 2.8.0+cu128\n")
        self.shim("cuda-detect", """case " $* " in *" --python "*|*" --no-python "*) ;;
  *) set -- --python "%s" "$@" ;; esac
exec "%s/cuda-detect" "$@"
""" % (os.path.join(self.machine, "bin/python"), BIN))
        self.shim("wheel-url", 'exec "%s/wheel-url" --find-links "%s" --offline "$@"\n' % (BIN, self.wheels))
        self.shim("python", 'exec "%s" "$@"\n' % sys.executable)

    def shim(self, name, body):
        path = os.path.join(self.shims, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body)
        os.chmod(path, 0o755)

    def read(self, relative):
        with open(self.path(relative)) as f:
            return f.read()

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def write(self, relative, text):
        os.makedirs(os.path.dirname(self.path(relative)), exist_ok=True)
        with open(self.path(relative), "w") as f:
            f.write(text)

    def run(self, command, timeout=300):
        return subprocess.run(["bash", "-c", command], cwd=self.dir, env=self.env, capture_output=True,
                              stdin=subprocess.DEVNULL, text=True, timeout=timeout)

    def need(self, *names):
        for name in names:
            again = name in ("jobs", "nodes_env")  # jobs.ndjson and nodes/_env change
            if name not in self.made or again:
                getattr(self, "make_" + name.replace("-", "_").replace(".", "_").replace("/", "_"))()
                self.made.add(name)

    # Files and folders the examples name.
    def make_photo(self):
        write_png(self.path("photo.png"))

    def make_model(self):
        write_safetensors(self.path("model.safetensors"))

    def make_weights(self):
        with zipfile.ZipFile(self.path("weights.npz"), "w") as archive:
            archive.writestr("a.npy", npy_bytes([2, 2], [1, 2, 3, 4]))
            archive.writestr("b.npy", npy_bytes([3], [5, 6, 7]))

    def make_configs(self):
        # comfy-env.toml files whose wheels come from the folder beside them (no network).
        for folder in ("", "nodes/"):
            os.makedirs(self.path(folder + "wheels"), exist_ok=True)
            write_wheel(self.path(folder + "wheels"), "demo-pack-helpers", "0.1.0", "py3-none-any", "demo_pack_helpers")
            self.write(folder + "comfy-env.toml", '[packages]\nno_deps = ["demo-pack-helpers==0.1.0"]\n\n'
                       '[sources]\nwheel_sources = ["wheels/"]\n')
        self.write("requirements.txt", "transformers @ file://%s\n"
                   % os.path.join(self.wheels, "transformers-4.46.0-py3-none-any.whl"))

    def make_nodes_env(self):
        """nodes/_env with numpy (from the uv cache or PyPI) and the nodes the examples run."""
        self.need("configs")
        if glob.glob(self.path("nodes/_env/lib/python*/site-packages/numpy")):
            return
        self.write("nodes/sam.py", SAM_NODE)
        result = self.run('echo \'{"type":"requirement","spec":"numpy==1.26.4"}\' | venv-make -q --dir nodes/_env')
        assert result.returncode == 0, result.stderr
        self.write("custom_nodes/my_pack/__init__.py", "")
        self.write("custom_nodes/my_pack/tools.py", POOL_NODES)
        self.write("custom_nodes/my_pack/nodes.py", POOL_NODES)
        self.write("calls.ndjson", '{"type":"call","id":"b1","args":{"radius":2}}\n'
                   '{"type":"call","id":"b2","args":{"radius":5}}\n')
        self.write("requirements.txt", "numpy==1.26.4\n")
        result = self.run("venv-make -q --dir _env -r requirements.txt < /dev/null")
        assert result.returncode == 0, result.stderr

    def make_demo_pack(self):
        for target in ("demo_pack", "Tests/Fixtures/demo_pack", "pack"):
            shutil.copytree(os.path.join(ROOT, "Tests/Fixtures/demo_pack"), self.path(target),
                            ignore=shutil.ignore_patterns("_env*", "._env*", "__pycache__"))
        os.makedirs(self.path("ComfyUI/custom_nodes"), exist_ok=True)
        shutil.copytree(os.path.join(ROOT, "Tests/Fixtures/demo_pack"), self.path("ComfyUI/custom_nodes/demo_pack"),
                        ignore=shutil.ignore_patterns("_env*", "._env*", "__pycache__"))

    def make_comfyui_venv(self):
        result = self.run('uv venv -q "%s"' % self.path("ComfyUI/venv"))
        assert result.returncode == 0, result.stderr

    def make_some_pack(self):
        repo = self.path(".remote/some-pack")
        shutil.copytree(os.path.join(ROOT, "Tests/Fixtures/demo_pack"), repo,
                        ignore=shutil.ignore_patterns("_env*", "._env*", "__pycache__"))
        with open(os.path.join(repo, "__init__.py"), "w") as f:
            f.write("from .demo_nodes import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS\n")
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", repo]
        for step in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "some pack"]):
            subprocess.run(git + step, check=True, capture_output=True)
        os.makedirs(self.path("ComfyUI/custom_nodes"), exist_ok=True)

    def make_servers(self):
        base = free_ports(4)
        self.ports = list(range(base, base + 4))
        for n, port in enumerate(self.ports):
            folder = self.path(".servers/%d" % n)
            os.makedirs(folder + "/input")
            os.makedirs(folder + "/output")
            with open(folder + "/log", "w") as log:
                server = subprocess.Popen(
                    [sys.executable, os.path.join(ROOT, "Tests/Fixtures/fake_comfyui/fake_comfyui.py"), "--port",
                     str(port), "--output-dir", folder + "/output", "--input-dir", folder + "/input",
                     "--exit-with-stdin"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)
            self.servers.append(server)
            line = server.stdout.readline()
            assert line.startswith("LISTENING"), line
        self.env["COMFY_REMOTE"] = "127.0.0.1:%d-%d" % (self.ports[0], self.ports[3])

    def make_workflows(self):
        for name in ("wf1.json", "wf2.json", "wf3.json", "fox.json", "wf.json", "jobs/a.json", "jobs/b.json"):
            self.write(name, json.dumps(WORKFLOW))
        for folder in ("inputs", "photos"):
            os.makedirs(self.path(folder), exist_ok=True)
            write_png(self.path(folder, "photo.png"))
        self.write("sweep.ndjson", '{"id":"cfg4","set":{"KSampler.cfg":4}}\n{"id":"cfg7","set":{"KSampler.cfg":7}}\n')

    def make_jobs(self):
        """jobs.ndjson: job records of two queued workflows, as remote-queue writes them."""
        self.need("servers", "workflows")
        result = self.run("remote-queue wf1.json wf2.json > jobs.ndjson")
        assert result.returncode == 0, result.stderr

    def close(self):
        for server in self.servers:
            server.stdin.close()
            server.wait(timeout=30)
            server.stdout.close()
        if os.environ.get("PIPES_KEEP_TEST_DIRS"):
            print("examples: kept %s" % self.dir, file=sys.stderr)
        else:
            shutil.rmtree(self.dir)


# --- what each example needs, and what it must have done ----------------------------------------

def records(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def of_type(text, kind):
    return [r for r in records(text) if r.get("type") == kind]


def files_under(world, folder):
    found = []
    for parent, _, names in os.walk(world.path(folder)):
        found += [os.path.relpath(os.path.join(parent, n), world.dir) for n in names if not n.startswith(".")]
    return sorted(found)


def no_errors(t, result):
    t.assertEqual(of_type(result.stdout, "error"), [], result.stdout + result.stderr)


def check_env_built(t, world, result, folder="nodes/_env", names=("nvdiffrast", "transformers")):
    venv = of_type(result.stdout, "venv")
    t.assertEqual(len(venv), 1, result.stdout + result.stderr)
    t.assertEqual(venv[0]["path"], world.path(folder))
    t.assertEqual(sorted(p["name"] for p in venv[0]["packages"]), sorted(names))
    t.assertTrue(os.access(world.path(folder, "bin/python"), os.X_OK))


def shared_segments():
    """The kit's segments in /dev/shm now (`cpipes-PID-HEX16`)."""
    return {name for name in os.listdir("/dev/shm") if name.startswith("cpipes-")}


def check_unpacked(t, world, result, expect_files):
    no_errors(t, result)
    t.assertEqual(files_under(world, "out"), sorted(expect_files), result.stdout + result.stderr)
    for record in of_type(result.stdout, "file"):
        t.assertNotIn("//", record["path"])


def check_remote(t, world, result, folder, jobs):
    no_errors(t, result)
    done = of_type(result.stdout, "done")
    t.assertEqual(len(done), jobs, result.stdout + result.stderr)
    t.assertEqual({d["status"] for d in done}, {"success"})
    pngs = [f for f in files_under(world, folder) if f.endswith(".png")]
    t.assertEqual(len(pngs), jobs)
    for record in of_type(result.stdout, "file"):
        t.assertTrue(world.path(record["path"]).startswith(world.path(folder) + "/"), record["path"])
        t.assertNotIn("//", record["path"])


def spec(needs=(), check=None, hosts=(), clean=("out", "renders"), status=0, cwd=None, hands_on_segments=False):
    """hands_on_segments: the example ends with shm tensor records for a next stage that it does not
    show, so the segments they name stay (the next stage releases them) until `tensor-pack --gc`
    (here with --older-than 0: at once)."""
    return {"needs": needs, "check": check, "hosts": hosts, "clean": clean, "status": status, "cwd": cwd,
            "hands_on_segments": hands_on_segments}


FARM = "127.0.0.1:{0}-{3}"
SPECS = {
    # README
    "cuda-detect | wheel-url nvdiffrast==0.4.0 transformers | venv-make --dir nodes/_env":
        spec(check=lambda t, w, r: check_env_built(t, w, r)),
    "UV_CUDA_DRIVER_VERSION=570.86.10 bin/cuda-detect --no-python | jq -c '[.backend, .cuda.version, .driver.cuda_max]'":
        spec(),
    "cuda-detect | wheel-url --config nodes/comfy-env.toml > nodes/wheels.lock":
        spec(needs=["configs"], check=lambda t, w, r: t.assertEqual(
            [x["name"] for x in of_type(w.read("nodes/wheels.lock"), "wheel")], ["demo-pack-helpers"])),
    "cuda-detect | wheel-url --find-links /srv/wheels --offline torch-scatter | jq -r 'select(.type==\"wheel\").url'":
        spec(needs=["srv_wheels"]),
    "cuda-detect | wheel-url nvdiffrast==0.4.0 transformers | venv-make --dir nodes/_env | jq -c "
    "'select(.type==\"venv\") | [.changed, .python]'": spec(clean=("nodes/_env",)),
    "venv-make --dir env -r requirements.txt --dry-run | jq -r '.commands[] | join(\" \")'":
        spec(needs=["configs"], check=lambda t, w, r: t.assertRegex(r.stdout, r"uv venv .*\n.*uv pip install ")),
    "tensor-pack photo.png --mask | tensor-pack -u -o out/ # out/photo.png, out/photo_mask.png":
        spec(needs=["photo"], check=lambda t, w, r: check_unpacked(t, w, r, ["out/photo.png"])),
    "tensor-pack --to file model.safetensors | jq -c '[.name, .dtype, .shape]'":
        spec(needs=["model"], check=lambda t, w, r: t.assertEqual(
            r.stdout.split(), ['["weight","float32",[2,3]]', '["bias","float16",[3]]'])),
    "tensor-pack photo.png | node-run --venv nodes/_env --path nodes --node sam:Segment --input image | "
    "tensor-pack --unpack --keep -o out/ # the result record, its tensors now file records":
        spec(needs=["photo", "nodes_env"], check=lambda t, w, r: (
            check_unpacked(t, w, r, ["out/mask.png"]),
            t.assertEqual(of_type(r.stdout, "result")[0]["outputs"][0]["type"], "file"))),
    "node-run --print-host-module > custom_nodes/my_pack/comfy_pipes_host.py":
        spec(needs=["nodes_env"], check=lambda t, w, r: compile(
            w.read("custom_nodes/my_pack/comfy_pipes_host.py"), "host", "exec")),
    "remote-queue --to 10.0.0.5:8188-8191 --count 8 jobs/*.json | remote-fetch -o renders/":
        spec(needs=["servers", "workflows"], hosts=[("10.0.0.5:8188-8191", FARM)],
             check=lambda t, w, r: check_remote(t, w, r, "renders", 16)),
    "remote-queue --template wf.json < sweep.ndjson > jobs.ndjson; remote-queue --cancel < jobs.ndjson":
        spec(needs=["servers", "workflows"], check=lambda t, w, r: t.assertEqual(
            sorted(j["id"] for j in of_type(w.read("jobs.ndjson"), "job")), ["cfg4", "cfg7"])),
    "remote-queue --to 10.0.0.5:8188-8189 jobs/*.json | remote-fetch -o renders/":
        spec(needs=["servers", "workflows"], hosts=[("10.0.0.5:8188-8189", "127.0.0.1:{0}-{1}")],
             check=lambda t, w, r: check_remote(t, w, r, "renders", 2)),
    "remote-fetch -o out/ -t 600 -H \"Authorization: Bearer $TOKEN\" < jobs.ndjson | jq -c 'select(.type==\"done\")'":
        spec(needs=["jobs"], check=lambda t, w, r: t.assertEqual(
            [d["status"] for d in records(r.stdout)], ["success", "success"])),
    "remote-queue --to gpu:8188-8191 --input-dir photos/ < workflows.ndjson | remote-fetch -o out/ --requeue --to gpu:8188-8191":
        spec(needs=["servers", "workflows", "load_jobs"], hosts=[("gpu:8188-8191", FARM)],
             check=lambda t, w, r: check_remote(t, w, r, "out", 2)),
    "bin/comfy-pipes-install --dir Tests/Fixtures/demo_pack": spec(needs=["demo_pack"]),
    "python -m comfy_pipes.install --loader ComfyUI/custom_nodes # writes custom_nodes/comfy_pipes_isolated/":
        spec(needs=["demo_pack"], check=lambda t, w, r: t.assertTrue(os.path.exists(
            w.path("ComfyUI/custom_nodes/comfy_pipes_isolated/__init__.py")), r.stderr)),
    "git clone https://github.com/someone/some-pack ComfyUI/isolated_nodes/some-pack":
        spec(needs=["some_pack"], hosts=[("https://github.com/someone/some-pack", "{remote}/some-pack")],
             clean=("out", "renders", "ComfyUI/isolated_nodes"),
             check=lambda t, w, r: t.assertTrue(os.path.exists(w.path("ComfyUI/isolated_nodes/some-pack/demo_nodes.py")))),
    # comfy-pipes-install(1)
    "cd ComfyUI/custom_nodes/demo_pack && comfy-pipes-install": spec(needs=["demo_pack"]),
    "comfy-pipes-install -q && echo ok": spec(needs=["demo_pack"], cwd="ComfyUI/custom_nodes/demo_pack"),
    "comfy-pipes-install --dir demo_pack": spec(needs=["demo_pack"]),
    "tensor-pack photo.png | node-run --venv demo_pack/_env --path demo_pack --node demo_nodes:Invert --input image | "
    "tensor-pack --unpack -o out/":
        spec(needs=["photo", "demo_pack", "demo_pack_env"], check=lambda t, w, r: check_unpacked(t, w, r, ["out/image.png"])),
    # cuda-detect(1)
    "cuda-detect": spec(check=lambda t, w, r: t.assertEqual(of_type(r.stdout, "env")[0]["torch"]["cuda"], "12.8")),
    "UV_CUDA_DRIVER_VERSION=570.86.10 cuda-detect --no-python | jq -c .cuda": spec(),
    "cuda-detect | wheel-url nvdiffrast==0.4.0 | venv-make --dir nodes/_env":
        spec(check=lambda t, w, r: check_env_built(t, w, r, names=("nvdiffrast",))),
    "cuda-detect --require-gpu --no-python > /dev/null || exit 1": spec(status=None),
    # node-run(1)
    "tensor-pack photo.png | node-run --venv nodes/_env --path nodes --node sam:Segment --input image | "
    "tensor-pack --unpack -o out/":
        spec(needs=["photo", "nodes_env"], check=lambda t, w, r: check_unpacked(t, w, r, ["out/mask.png"])),
    "echo '{\"type\":\"call\",\"id\":1,\"args\":{\"width\":64}}' | node-run --venv _env --path custom_nodes "
    "--call my_pack.tools:make_grid":
        spec(needs=["nodes_env"], check=lambda t, w, r: t.assertEqual(
            of_type(r.stdout, "result")[0]["outputs"], [{"cells": 8}])),
    "{ venv-make --dir _env -r requirements.txt; cat calls.ndjson; } | node-run --path custom_nodes "
    "--node my_pack.nodes:Blur":
        spec(needs=["nodes_env"], check=lambda t, w, r: t.assertEqual(
            [(x["id"], x["outputs"]) for x in of_type(r.stdout, "result")], [("b1", [4]), ("b2", [10])])),
    "python -m comfy_pipes.install --loader ComfyUI/custom_nodes":
        spec(needs=["demo_pack"], check=lambda t, w, r: t.assertTrue(os.path.exists(
            w.path("ComfyUI/custom_nodes/comfy_pipes_isolated/__init__.py")), r.stderr)),
    # remote-fetch(1)
    "remote-queue --to 10.0.0.5:8188,10.0.0.6:8188 wf1.json wf2.json wf3.json | remote-fetch -o renders/":
        spec(needs=["servers", "workflows"], hosts=[("10.0.0.5:8188,10.0.0.6:8188", "127.0.0.1:{0},127.0.0.1:{1}")],
             check=lambda t, w, r: check_remote(t, w, r, "renders", 3)),
    "remote-fetch -o out/ < jobs.ndjson | tensor-pack":
        spec(needs=["jobs"], hands_on_segments=True, check=lambda t, w, r: (no_errors(t, r), t.assertEqual(
            [x["dtype"] for x in of_type(r.stdout, "tensor")], ["float32", "float32"]))),
    "remote-fetch -o out/ -t 600 -H \"Authorization: Bearer $TOKEN\" < jobs.ndjson | jq -c "
    "'select(.type == \"error\") | [.id, .code, .message]'":
        spec(needs=["jobs"], check=lambda t, w, r: (t.assertEqual(r.stdout, ""), t.assertEqual(
            len([f for f in files_under(w, "out") if f.endswith(".png")]), 2))),
    "remote-queue --to gpu1:8188-8191 --input-dir photos/ < workflows.ndjson | remote-fetch -o out/ --requeue --to gpu1:8188-8191":
        spec(needs=["servers", "workflows", "load_jobs"], hosts=[("gpu1:8188-8191", FARM)],
             check=lambda t, w, r: check_remote(t, w, r, "out", 2)),
    # remote-queue(1)
    "remote-queue --to 10.0.0.5:8188-8191 jobs/*.json | remote-fetch -o renders/":
        spec(needs=["servers", "workflows"], hosts=[("10.0.0.5:8188-8191", FARM)],
             check=lambda t, w, r: check_remote(t, w, r, "renders", 2)),
    "remote-queue --to gpu1,gpu2 --count 8 --set 'Positive Prompt.text=\"a red fox\"' fox.json":
        spec(needs=["servers", "workflows"], hosts=[("gpu1,gpu2", "127.0.0.1:{0},127.0.0.1:{1}")],
             check=lambda t, w, r: (no_errors(t, r), t.assertEqual(
                 {j["prompt"]["3"]["inputs"]["text"] for j in of_type(r.stdout, "job")}, {"a red fox"}),
                 t.assertEqual(len(of_type(r.stdout, "job")), 8))),
    "remote-queue --template wf.json < sweep.ndjson > jobs.ndjson":
        spec(needs=["servers", "workflows"], check=lambda t, w, r: t.assertEqual(
            [j["prompt"]["2"]["inputs"]["cfg"] for j in of_type(w.read("jobs.ndjson"), "job")], [4, 7])),
    "remote-queue --to https://comfy.example.com/api --input-dir inputs wf.json > jobs.ndjson":
        spec(needs=["servers", "workflows"], hosts=[("https://comfy.example.com/api", "http://127.0.0.1:{0}/api")],
             check=lambda t, w, r: t.assertEqual(len(of_type(w.read("jobs.ndjson"), "job")), 1)),
    "remote-queue --cancel < jobs.ndjson": spec(needs=["jobs"]),
    # tensor-pack(1)
    "tensor-pack weights.npz | tensor-pack -u -o out/ -f safetensors":
        spec(needs=["weights"], check=lambda t, w, r: check_unpacked(t, w, r, ["out/a.safetensors", "out/b.safetensors"])),
    "tensor-pack photo.png | node-run --venv demo_pack/_env --path demo_pack --node demo_nodes:Invert --input image | "
    "tensor-pack -u -k -o out/ | jq -c .outputs":
        spec(needs=["photo", "demo_pack", "demo_pack_env"],
             check=lambda t, w, r: check_unpacked(t, w, r, ["out/image.png"])),
    "tensor-pack --gc": spec(),
    # venv-make(1)
    "cuda-detect | venv-make --config nodes/comfy-env.toml --name mypack":
        spec(needs=["configs"], check=lambda t, w, r: check_env_built(
            t, w, r, folder="venvs/mypack", names=("demo-pack-helpers",))),
    "cuda-detect | venv-make --config nodes/comfy-env.toml --name mypack | jq 'select(.type == \"venv\").changed'":
        spec(needs=["configs"]),
    "cuda-detect | wheel-url --config comfy-env.toml | venv-make --into ComfyUI/venv/bin/python":
        spec(needs=["configs", "comfyui_venv"], check=lambda t, w, r: t.assertEqual(
            [p["name"] for p in of_type(r.stdout, "venv")[0]["packages"]], ["demo-pack-helpers"])),
    # wheel-url(1)
    "cuda-detect --no-python | wheel-url --python-version 3.12 --cuda 12.6 --torch 2.7.1 --find-links /srv/wheels "
    "--offline torch-scatter":
        spec(needs=["srv_wheels"], check=lambda t, w, r: t.assertEqual(
            [x["filename"] for x in of_type(r.stdout, "wheel")],
            ["torch_scatter-2.1.2+pt27cu126-cp312-cp312-linux_x86_64.whl"])),
    "cuda-detect | wheel-url --template 'mypkg=https://example.com/v{version}/mypkg-{version}+cu{cuda_short}-{py_tag}-"
    "{py_tag}-linux_x86_64.whl' mypkg==1.2":
        spec(check=lambda t, w, r: t.assertEqual(
            [x["url"] for x in of_type(r.stdout, "wheel")],
            ["https://example.com/v1.2/mypkg-1.2+cu128-%s-%s-linux_x86_64.whl" % (PY_TAG, PY_TAG)])),
    "cuda-detect | wheel-url gsplat | jq -c 'select(.code == \"no-wheel\") | .detail.available[:3]'":
        spec(check=lambda t, w, r: t.assertIn("1.4.0", r.stdout)),
    # comfy-pipes(7)
    "( comfy-pipes-install --records --dir pack; tensor-pack photo.png ) | node-run --path pack --node demo_nodes:Invert "
    "--input image | tensor-pack --unpack -o out/":
        spec(needs=["photo", "demo_pack"], check=lambda t, w, r: check_unpacked(t, w, r, ["out/image.png"])),
    "remote-queue --to gpu:8188-8191 --input-dir photos/ --template wf.json < sweep.ndjson | remote-fetch -o out/ "
    "--requeue --to gpu:8188-8191":
        spec(needs=["servers", "workflows"], hosts=[("gpu:8188-8191", FARM)],
             check=lambda t, w, r: check_remote(t, w, r, "out", 2)),
    "cuda-detect | jq -c 'select(.type == \"error\")'": spec(check=lambda t, w, r: t.assertEqual(r.stdout, "")),
}

NOT_RUN = {
    "make demo # build the kit into bin/ and run it on this machine":
        "make demo is run by CI and by hand; it builds the kit (this test runs what it built)",
    "make test # unit and end-to-end tests (what CI runs)": "this test is part of make test",
    "python -m pip install comfy-pipes # or, until it is on PyPI: the wheel that make wheel writes":
        "comfy-pipes is not on PyPI yet; Tests/Packaging installs the wheel into fresh venvs",
    "python -m pip install dist/comfy_pipes-0.1.0-py3-none-manylinux_2_35_x86_64.whl":
        "Tests/Packaging builds this wheel and pip-installs it (python -m venv and uv venv)",
}


class Examples(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.world = World()

    @classmethod
    def tearDownClass(cls):
        cls.world.close()

    def test_every_example_is_known(self):
        examples = readme_examples() + man_examples()
        self.assertGreater(len(examples), 40)
        unknown = [(s, key(c)) for s, kind, c, _ in examples if kind == "sh"
                   and key(c) not in SPECS and key(c) not in NOT_RUN]
        self.assertEqual(unknown, [], "examples without a check in Tests/Examples/test_examples.py SPECS")

    def test_python_examples_compile(self):
        for source, kind, code, _ in readme_examples() + man_examples():
            if kind == "python":
                with self.subTest(source=source, code=code[:40]):
                    compile(code, source, "exec")

    def test_examples_run_as_printed(self):
        have_jq = shutil.which("jq") is not None
        for source, kind, command, expected in readme_examples() + man_examples():
            if kind != "sh" or key(command) in NOT_RUN:
                continue
            s = SPECS.get(key(command))
            if s is None:
                continue  # test_every_example_is_known says which
            with self.subTest(source=source, command=key(command)):
                if "jq " in command and not have_jq:
                    self.skipTest("jq is not installed (apt-get install jq)")
                self.run_example(command, expected, s)

    def test_help_fits_in_80_columns(self):
        for tool in ("cuda-detect", "wheel-url", "venv-make", "tensor-pack", "node-run", "remote-queue",
                     "remote-fetch", "comfy-pipes-install"):
            text = self.world.run("%s --help" % tool).stdout
            self.assertIn("USAGE", text.upper())
            wide = [line for line in text.splitlines() if len(line) > 80]
            self.assertEqual(wide, [], "%s --help" % tool)

    def test_same_options_same_meaning(self):
        world = self.world
        world.need("servers", "workflows")
        # -H is remote-queue's spelling too, as remote-fetch's.
        result = world.run("remote-queue -H 'X-Token: 1' wf1.json | remote-fetch -H 'X-Token: 1' -o out//")
        self.assertEqual(result.returncode, 0, result.stderr)
        paths = [r["path"] for r in of_type(result.stdout, "file")]
        self.assertEqual(len(paths), 1)
        self.assertNotIn("//", paths[0])
        # --python-version (and the older --python) is a version for wheel-url and venv-make.
        world.need("srv_wheels")
        for option in ("--python-version", "--python"):
            result = world.run("cuda-detect --no-python | wheel-url %s 3.12 --cuda 12.6 --torch 2.7.1 "
                               "--find-links srv/wheels torch-scatter" % option)
            self.assertEqual([x["filename"] for x in of_type(result.stdout, "wheel")],
                             ["torch_scatter-2.1.2+pt27cu126-cp312-cp312-linux_x86_64.whl"], result.stderr)
        self.assertEqual(world.run("venv-make --dir x --python-version three").returncode, 64)

    def test_summaries_not_installer_chatter(self):
        world = self.world
        world.need("configs", "demo_pack")
        result = world.run("cuda-detect | wheel-url --config comfy-env.toml | venv-make --dir nodes/quiet_env")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stderr, r"^venv-make: built %s in [0-9.]+s: Python 3\.\d+\.\d+; "
                         r"demo-pack-helpers 0\.1\.0\n$" % re.escape(world.path("nodes/quiet_env")))
        again = world.run("cuda-detect | wheel-url --config comfy-env.toml | venv-make --dir nodes/quiet_env")
        self.assertRegex(again.stderr, r"^venv-make: \S+ is up to date \(.*\); nothing to do\n$")
        verbose = world.run("cuda-detect | wheel-url --config comfy-env.toml | venv-make -v --dir nodes/quiet_env2")
        self.assertIn("uv pip install", verbose.stderr)
        failed = world.run('echo \'{"type":"requirement","spec":"nowhere @ file:///nowhere/nowhere-1.0-py3-none-any.whl"}\''
                           " | UV_OFFLINE=1 venv-make --dir nodes/quiet_env3")
        self.assertEqual(failed.returncode, 1)
        self.assertIn("the installer said:", failed.stderr)
        self.assertIn("/nowhere/nowhere-1.0", failed.stderr)
        hook = world.run("comfy-pipes-install --dir pack")
        self.assertEqual(hook.returncode, 0, hook.stderr)
        self.assertEqual(len(hook.stderr.splitlines()), 3, hook.stderr)
        self.assertFalse(glob.glob(world.path("pack/.*.venv-make*")))

    def run_example(self, command, expected, s):
        world = self.world
        world.need(*s["needs"])
        for folder in s["clean"]:
            shutil.rmtree(world.path(folder), ignore_errors=True)
        text = command
        for host, local in s["hosts"]:
            text = text.replace(host, local.format(*getattr(world, "ports", []), remote=world.path(".remote")))
        text = text.replace("/srv/wheels", world.path("srv/wheels"))
        if s.get("cwd"):
            text = "cd %s && %s" % (s["cwd"], text)
        before = shared_segments()
        result = world.run(text)
        said = "\n$ %s\nstdout:\n%s\nstderr:\n%s" % (text, result.stdout[-3000:], result.stderr[-3000:])
        left = shared_segments() - before
        if s["hands_on_segments"]:
            named = {r["storage"]["name"].lstrip("/") for r in of_type(result.stdout, "tensor")
                     if r["storage"]["kind"] == "shm"}
            self.assertEqual(left, named, "the segments the records hand on, and no other" + said)
            self.assertEqual(world.run("tensor-pack --gc --older-than 0").returncode, 0)
            left = shared_segments() - before
        self.assertEqual(left, set(), "segments left in /dev/shm" + said)
        if s["status"] is not None:
            self.assertEqual(result.returncode, s["status"], said)
        self.assertNotIn("Activate with", result.stderr, said)
        if expected:
            self.assert_output(expected, result.stdout + result.stderr, said)
        if s["check"]:
            s["check"](self, world, result)

    def assert_output(self, expected, actual, said):
        """Each printed line shows up in order; `…`/`...` match anything, paths and tags this machine's."""
        lines = actual.splitlines()
        at = 0
        for line in expected:
            pattern = re.escape(line.strip())
            for ellipsis in (re.escape("…"), re.escape("...")):
                pattern = pattern.replace(ellipsis, ".*")
            pattern = pattern.replace(re.escape("/home/me/"), re.escape(self.world.dir + "/"))
            pattern = pattern.replace("cp311", PY_TAG).replace(re.escape("/srv/wheels"), re.escape(self.world.path("srv/wheels")))
            pattern = re.sub(r"Python\\ 3\\.\d+\\.\d+", r"Python\\ 3\\.\\d+\\.\\d+", pattern)
            pattern = re.sub(r"in\\ \d+s:", r"in\\ [0-9.]+s:", pattern)
            while at < len(lines) and not re.fullmatch(pattern, lines[at].strip()):
                at += 1
            self.assertLess(at, len(lines), "printed line %r not in the output%s" % (line, said))
            at += 1


# Setups that SPECS names and World defines lazily.
def _srv_wheels(self):
    folder = self.path("srv/wheels")
    os.makedirs(folder)
    for version, tag in (("2.1.2+pt28cu128", PY_TAG), ("2.1.2+pt27cu126", "cp312"), ("2.1.2+pt28cu126", PY_TAG)):
        write_wheel(folder, "torch-scatter", version, "%s-%s-linux_x86_64" % (tag, tag), "torch_scatter")


def _demo_pack_env(self):
    self.need("demo_pack")
    result = self.run("comfy-pipes-install -q --dir demo_pack")
    assert result.returncode == 0, result.stderr


def _load_jobs(self):
    self.write("workflows.ndjson", "".join(json.dumps({"type": "workflow", "id": "load%d" % n, "prompt": LOAD_WORKFLOW}) + "\n"
                                      for n in (1, 2)))


World.make_srv_wheels = _srv_wheels
World.make_demo_pack_env = _demo_pack_env
World.make_load_jobs = _load_jobs


if __name__ == "__main__":
    unittest.main()
