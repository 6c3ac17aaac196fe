"""The kit as a node pack's users get it, inside the real ComfyUI: the wheel pip-installed into
ComfyUI's python, a pack that lists `comfy-pipes` in requirements.txt, imports
`from comfy_pipes import isolated` and runs `python -m comfy_pipes.install` from its install.py;
ComfyUI started by that python directly, with its bin/ nowhere on PATH."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "packaging"))
import comfyui  # noqa: E402
import release  # noqa: E402

BARE_PATH = "/usr/bin:/bin"


@unittest.skipIf(comfyui.available(), comfyui.available())
class PipInstalledPack(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="pipes-pip-pack-")
        wheel = os.environ.get("PIPES_WHEEL") or release.build(
            comfyui.BIN, os.path.join(cls.work, "dist"),
            release.project_version())
        cls.python = comfyui.layered_venv(os.path.join(cls.work, "venv"))
        cls.bin = os.path.dirname(cls.python)
        subprocess.run([comfyui.PYTHON, "-m", "pip", "--python", cls.python, "install", "-q", "--no-deps",
                        "--disable-pip-version-check", wheel], check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "COMFY_PIPES"))}
        env["PATH"] = BARE_PATH + (":" + os.path.dirname(shutil.which("uv")) if shutil.which("uv") else "")
        cls.env = env
        cls.server = comfyui.ComfyUI(packs=["pip_pack"], python=cls.python, env=env)
        pack = os.path.join(cls.server.custom_nodes, "pip_pack")
        # What ComfyUI-Manager does for a new pack: requirements (here: the kit itself), then install.py.
        cls.install = subprocess.run([cls.python, os.path.join(pack, "install.py")], cwd=pack, env=env,
                                     capture_output=True, text=True, timeout=600)
        if cls.install.returncode == 0:
            cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_install_py_builds_the_packs_env_with_the_hook(self):
        self.assertEqual(self.install.returncode, 0, self.install.stderr)
        env_python = os.path.join(self.server.custom_nodes, "pip_pack", "_env", "bin", "python")
        self.assertTrue(os.path.exists(env_python))
        self.assertEqual(self.install.stdout, "", "the hook keeps stdout quiet in an install.py")
        self.assertIn("comfy-pipes-install", self.install.stderr)

    def test_the_hook_describes_comfyuis_own_python_and_torch(self):
        pack = os.path.join(self.server.custom_nodes, "pip_pack")
        run = subprocess.run([self.python, "-m", "comfy_pipes.install", "--dir", pack, "--dry-run", "--records"],
                             env=self.env, capture_output=True, text=True, timeout=300)
        self.assertEqual(run.returncode, 0, run.stderr)
        import json
        machine = next(r for r in map(json.loads, run.stdout.splitlines()) if r["type"] == "env")
        self.assertEqual(machine["python"]["executable"], self.python, "the interpreter that runs ComfyUI")
        self.assertEqual(machine["torch"]["version"].split("+")[0], "2.13.0", "ComfyUI's torch, seen by cuda-detect")

    def test_the_isolated_node_runs_in_its_env_inside_comfyui(self):
        self.assertEqual(self.install.returncode, 0, self.install.stderr)
        entry = self.server.run({
            "1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 4, "batch_size": 1, "color": 0}},
            "2": {"class_type": "PipInvert", "inputs": {"image": ["1", 0]}},
            "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "pip"}},
            "4": {"class_type": "PreviewAny", "inputs": {"source": ["2", 1]}},
            "5": {"class_type": "PipWhere", "inputs": {}},
            "6": {"class_type": "PreviewAny", "inputs": {"source": ["5", 0]}},
        })
        self.assertEqual(entry["status"]["status_str"], "success", self.server.tail())
        from PIL import Image
        with Image.open(self.server.output_file(entry, "3")) as image:
            self.assertEqual(image.size, (8, 4))
        self.assertEqual(comfyui.pixels(self.server.output_file(entry, "3")), {(255, 255, 255)})
        where = entry["outputs"]["4"]["text"][0]
        self.assertRegex(where, r"^numpy 1\.")
        self.assertIn(os.path.join("pip_pack", "_env"), where)
        self.assertEqual(entry["outputs"]["6"]["text"][0], os.path.join(self.server.custom_nodes, "pip_pack", "_env"),
                         "a class in a subfolder finds the pack's _env, where the install hook built it")


if __name__ == "__main__":
    unittest.main()
