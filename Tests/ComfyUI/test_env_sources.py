"""Where a zero-edit pack's env comes from (comfy_pipes.packs.env_source): the first of
comfy-env.toml, comfyui_env.toml, pyisolate.yaml, requirements.txt and pyproject.toml the pack has,
and what is wrong with a pyisolate.yaml or pyproject.toml that cannot be read. Runs with ComfyUI's
python (which has PyYAML, as every ComfyUI's does); no server."""
import contextlib
import io
import os
import shutil
import sys
import tempfile
import unittest
import unittest.mock

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "Sources", "node-run"))
from comfy_pipes import packs  # noqa: E402


class EnvSources(unittest.TestCase):
    def setUp(self):
        self.pack = tempfile.mkdtemp(prefix="pipes-env-source-")
        self.addCleanup(shutil.rmtree, self.pack, True)

    def write(self, name, text):
        with open(os.path.join(self.pack, name), "w") as handle:
            handle.write(text)
        return os.path.join(self.pack, name)

    def source(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            found = packs.env_source(self.pack)
        return found, err.getvalue()

    def test_the_first_source_the_pack_has_wins(self):
        self.write("pyproject.toml", '[project]\nname = "p"\ndependencies = ["numpy<2", "pillow"]\n')
        self.assertEqual(self.source()[0], (os.path.join(self.pack, "pyproject.toml"), ["numpy<2", "pillow"]))
        requirements = self.write("requirements.txt", "numpy>=2\n")
        self.assertEqual(self.source()[0], (requirements, None), "requirements.txt, read by venv-make -r")
        self.write("pyisolate.yaml", "isolated: true\ndependencies:\n  - numpy==1.26.4\n")
        self.assertEqual(self.source()[0], (os.path.join(self.pack, "pyisolate.yaml"), ["numpy==1.26.4"]))
        legacy = self.write("comfyui_env.toml", "")
        self.assertEqual(self.source()[0], (legacy, None))
        config = self.write("comfy-env.toml", "")
        self.assertEqual(self.source()[0], (config, None), "a comfy-env config, read by the install hook")

    def test_a_pack_with_none_gets_a_bare_env(self):
        self.assertEqual(self.source()[0], (None, []))
        self.write("pyproject.toml", '[tool.comfy]\nPublisherId = "x"\n')
        self.assertEqual(self.source()[0][1], [], "a pyproject.toml without [project] dependencies")
        self.write("pyisolate.yaml", "")
        self.assertEqual(self.source()[0][1], [], "an empty manifest")

    def test_share_torch_and_unknown_keys_are_noted(self):
        self.write("pyisolate.yaml", "isolated: true\nshare_torch: true\nsandbox: {network: false}\n"
                                     "dependencies: [numpy, 'scipy>=1.11']\n")
        (path, requirements), notes = self.source()
        self.assertEqual(requirements, ["numpy", "scipy>=1.11"])
        self.assertIn("share_torch is not used", notes)
        self.assertIn("sandbox not used by comfy-pipes", notes)

    def test_what_cannot_be_read_says_what_is_wrong(self):
        for name, text, says in (
                ("pyisolate.yaml", "dependencies: numpy\n", "dependencies must be a list of requirement strings"),
                ("pyisolate.yaml", "dependencies: [numpy, 3]\n", "dependencies must be a list"),
                ("pyisolate.yaml", "- numpy\n", "a pyisolate manifest is a mapping"),
                ("pyisolate.yaml", "dependencies: [numpy\n", "not a YAML file"),
                ("pyproject.toml", "[project\n", "not a TOML file"),
                ("pyproject.toml", '[project]\ndependencies = "numpy"\n', "[project] dependencies must be a list")):
            with self.subTest(name=name, text=text):
                for entry in os.listdir(self.pack):
                    os.unlink(os.path.join(self.pack, entry))
                self.write(name, text)
                with self.assertRaises(packs.EnvSourceError) as caught:
                    packs.env_source(self.pack)
                self.assertIn(os.path.join(self.pack, name), str(caught.exception))
                self.assertIn(says, str(caught.exception))

    def test_a_pack_whose_source_cannot_be_read_gets_no_env(self):
        self.write("pyisolate.yaml", "dependencies: numpy\n")
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertIsNone(packs.build_env(self.pack))
        self.assertIn("the env of %s could not be built" % self.pack, err.getvalue())
        self.assertFalse(os.path.exists(os.path.join(self.pack, "_env")), "nothing was built")


class IsolatedNodesFolder(unittest.TestCase):
    def test_COMFY_PIPES_ISOLATED_NODES_names_the_folder(self):
        folder = tempfile.mkdtemp(prefix="pipes-isolated-nodes-")
        self.addCleanup(shutil.rmtree, folder, True)
        for name in ("some_pack", "_skipped", "not_a_pack"):
            os.mkdir(os.path.join(folder, name))
        for name in ("some_pack", "_skipped"):
            open(os.path.join(folder, name, "__init__.py"), "w").close()
            # A manifest that cannot be read: the loader says so before anything is built.
            with open(os.path.join(folder, name, "pyisolate.yaml"), "w") as handle:
                handle.write("dependencies: numpy\n")
        err = io.StringIO()
        with unittest.mock.patch.dict(os.environ, {"COMFY_PIPES_ISOLATED_NODES": folder}), \
                contextlib.redirect_stderr(err):
            mappings, display = packs.load_isolated_packs()
        self.assertEqual((mappings, display), ({}, {}))
        self.assertIn("the env of %s could not be built" % os.path.join(folder, "some_pack"), err.getvalue())
        self.assertNotIn("_skipped", err.getvalue(), "names starting with _ are not packs")
        self.assertNotIn("not_a_pack", err.getvalue(), "a folder without __init__.py is not a pack")


if __name__ == "__main__":
    unittest.main()
