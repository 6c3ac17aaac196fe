"""The kit as a ComfyUI user gets it: `pip install comfy-pipes` (the wheel from make wheel) into a
fresh venv, made by `python -m venv` and by `uv venv`.

PIPES_WHEEL names the wheel to test; without it the wheel is built here from PIPES_BIN_DIR
(default bin/) into a temporary folder. Run by make test (test-packaging).
"""
import base64
import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "packaging"))
import release  # noqa: E402

TOOLS = release.TOOLS + release.HOOKS
BARE_PATH = "/usr/bin:/bin"


def run(command, env=None, check=True, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError("%s exited %d\nstdout: %s\nstderr: %s"
                             % (command, result.returncode, result.stdout[-2000:], result.stderr[-2000:]))
    return result


def bare_env(**extra):
    """An environment with only the system's bin folders on PATH: ComfyUI is often started by
    the venv's python directly, with the venv's bin/ nowhere on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "COMFY_PIPES", "PYTHON"))}
    env["PATH"] = BARE_PATH
    env.update(extra)
    return env


class Wheel(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="pipes-wheel-")
        cls.wheel = os.environ.get("PIPES_WHEEL")
        if not cls.wheel:
            bin_dir = os.environ.get("PIPES_BIN_DIR", os.path.join(ROOT, "bin"))
            cls.wheel = release.build(bin_dir, os.path.join(cls.work, "dist"), release.project_version())
        with zipfile.ZipFile(cls.wheel) as archive:
            cls.names = archive.namelist()
            info = next(n for n in cls.names if n.endswith(".dist-info/RECORD"))
            cls.record = list(csv.reader(io.StringIO(archive.read(info).decode())))
            cls.bodies = {n: archive.read(n) for n in cls.names}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_name_says_the_glibc_the_binaries_need(self):
        name = os.path.basename(self.wheel)
        self.assertRegex(name, r"^comfy_pipes-[0-9][^-]*-py3-none-manylinux_2_\d+_(x86_64|aarch64)\.whl$")
        scripts = [n for n in self.names if "/scripts/" in n and not n.endswith(tuple(release.HOOKS))]
        self.assertEqual(sorted(s.rsplit("/", 1)[1] for s in scripts), sorted(release.TOOLS))
        newest = max(release.elf_glibc_needs(self.bodies[s])[1] for s in scripts)
        self.assertIn("manylinux_%d_%d_" % newest, name)
        # objdump's answer, where binutils are installed, agrees with the ELF reader's.
        if shutil.which("objdump"):
            with tempfile.NamedTemporaryFile() as binary:
                binary.write(self.bodies[scripts[0]])
                binary.flush()
                dump = run(["objdump", "-T", binary.name]).stdout
            versions = {tuple(map(int, v.split(".")[:2])) for v in re.findall(r"GLIBC_([0-9.]+)", dump)}
            self.assertEqual(max(versions), release.elf_glibc_needs(self.bodies[scripts[0]])[1])

    def test_record_lists_every_file_with_its_hash(self):
        listed = {row[0]: row for row in self.record}
        self.assertEqual(sorted(listed), sorted(self.names))
        for name, body in self.bodies.items():
            if name.endswith("RECORD"):
                continue
            digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()
            self.assertEqual(listed[name][1:], ["sha256=" + digest, str(len(body))], name)

    def test_carries_the_package_the_hook_and_the_man_pages(self):
        self.assertIn("comfy_pipes/__init__.py", self.names)
        self.assertTrue(any(n.endswith(".data/scripts/comfy-pipes-install") for n in self.names))
        for page in ("man1/node-run.1", "man7/comfy-pipes.7"):
            self.assertTrue(any(n.endswith(".data/data/share/man/" + page) for n in self.names), page)
        metadata = next(self.bodies[n] for n in self.names if n.endswith("METADATA")).decode()
        self.assertIn("Name: comfy-pipes", metadata)
        self.assertIn("pip install comfy-pipes", metadata)  # the README is the description

    def test_same_tree_gives_the_same_bytes(self):
        if os.environ.get("PIPES_WHEEL"):
            self.skipTest("a given wheel")
        again = release.build(os.environ.get("PIPES_BIN_DIR", os.path.join(ROOT, "bin")),
                              os.path.join(self.work, "again"), release.project_version())
        with open(self.wheel, "rb") as a, open(again, "rb") as b:
            self.assertEqual(hashlib.sha256(a.read()).hexdigest(), hashlib.sha256(b.read()).hexdigest())


class Archive(unittest.TestCase):
    """make dist's archive, for people without Python: a prefix that works as it is."""

    def test_unpacks_to_a_prefix_that_works_as_it_is(self):
        work = tempfile.mkdtemp(prefix="pipes-dist-")
        self.addCleanup(shutil.rmtree, work, True)
        bin_dir = os.environ.get("PIPES_BIN_DIR", os.path.join(ROOT, "bin"))
        archive = release.build_archive(bin_dir, os.path.join(work, "dist"), release.project_version())
        self.assertRegex(os.path.basename(archive), r"^comfy-pipes-[0-9][^-]*-linux-(x86_64|aarch64)\.tar\.gz$")
        run(["tar", "xzf", archive, "-C", work])
        prefix = os.path.join(work, "comfy-pipes-" + release.project_version())
        for tool in TOOLS:
            result = run([os.path.join(prefix, "bin", tool), "--version"], env=bare_env())
            self.assertTrue(result.stdout.startswith(tool + " "), result.stdout)
        for page in ("man1/node-run.1", "man1/comfy-pipes-install.1", "man7/comfy-pipes.7"):
            self.assertTrue(os.path.isfile(os.path.join(prefix, "share", "man", page)), page)
        again = release.build_archive(bin_dir, os.path.join(work, "again"), release.project_version())
        with open(archive, "rb") as a, open(again, "rb") as b:
            self.assertEqual(a.read(), b.read(), "the same tree gives the same bytes")

    def test_version_comes_from_one_place_with_the_commit(self):
        version = release.project_version()
        bin_dir = os.environ.get("PIPES_BIN_DIR", os.path.join(ROOT, "bin"))
        for tool in release.TOOLS:
            line = run([os.path.join(bin_dir, tool), "--version"]).stdout.strip()
            if os.path.isdir(os.path.join(ROOT, ".git")) and bin_dir == os.path.join(ROOT, "bin"):
                # make builds from a checkout: the version, then the commit it was built from.
                self.assertRegex(line, r"^%s %s \(git [0-9a-f]{12}(-dirty)?\)$" % (tool, re.escape(version)))
            else:
                self.assertTrue(line.startswith("%s %s" % (tool, version)), line)


class Installed(unittest.TestCase):
    """pip install, use, pip uninstall, in a venv made by `maker`."""

    maker = "venv"

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="pipes-install-")
        cls.wheel = os.environ.get("PIPES_WHEEL") or release.build(
            os.environ.get("PIPES_BIN_DIR", os.path.join(ROOT, "bin")), os.path.join(cls.work, "dist"),
            release.project_version())
        cls.venv = os.path.join(cls.work, "venv")
        cls.bin = os.path.join(cls.venv, "bin")
        cls.python = os.path.join(cls.bin, "python")
        if cls.maker == "uv":
            uv = shutil.which("uv")
            if not uv:
                raise unittest.SkipTest("uv is not on PATH")
            run([uv, "venv", "-q", "--python", sys.executable, cls.venv], env=dict(os.environ, UV_PYTHON_DOWNLOADS="never"))
            cls.install = [uv, "pip", "install", "-q", "--python", cls.python]
            cls.uninstall = [uv, "pip", "uninstall", "-q", "--python", cls.python, "comfy-pipes"]
        else:
            run([sys.executable, "-m", "venv", cls.venv])
            cls.install = [cls.python, "-m", "pip", "install", "-q", "--no-index", "--disable-pip-version-check"]
            cls.uninstall = [cls.python, "-m", "pip", "uninstall", "-y", "-q", "comfy-pipes"]
        cls.before = cls.snapshot()
        run(cls.install + [cls.wheel])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    @classmethod
    def snapshot(cls):
        found = set()
        for folder, dirs, files in os.walk(cls.venv):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            found.update(os.path.relpath(os.path.join(folder, f), cls.venv) for f in files)
        return found

    def test_1_every_tool_runs_by_name_from_the_venv(self):
        for tool in TOOLS:
            path = os.path.join(self.bin, tool)
            self.assertTrue(os.access(path, os.X_OK), path)
            result = run([tool, "--version"], env=bare_env(PATH=self.bin + ":" + BARE_PATH))
            self.assertRegex(result.stdout, r"^%s \d+\.\d+" % tool)
        self.assertTrue(os.path.isfile(os.path.join(self.venv, "share", "man", "man1", "node-run.1")))

    def test_2_the_package_imports_and_finds_node_run_beside_the_interpreter(self):
        code = "import comfy_pipes; print(comfy_pipes.node_run_path()); print(comfy_pipes.isolated.__name__)"
        result = run([self.python, "-c", code], env=bare_env())
        lines = result.stdout.split()
        self.assertEqual(lines[0], os.path.join(self.bin, "node-run"))
        self.assertEqual(lines[1], "isolated")

    def test_3_the_install_hook_runs_as_a_module(self):
        result = run([self.python, "-m", "comfy_pipes.install", "--help"], env=bare_env())
        self.assertIn("comfy-pipes-install", result.stdout)

    def test_9_uninstall_removes_everything_it_installed(self):
        run(self.uninstall)
        # uv keeps a lock file of its own in a venv it installed into; it is not the kit's.
        left = {p for p in self.snapshot() - self.before if p != ".lock"}
        self.assertEqual(sorted(left), [])


class InstalledWithUv(Installed):
    maker = "uv"


if __name__ == "__main__":
    unittest.main()
