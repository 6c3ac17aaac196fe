"""uint16, uint32 and uint64 torch tensors (torch 2.3 and later has them; the real ComfyUI venv has
torch 2.13 CPU) cross comfy_pipes.host and node-run's worker both ways, bit for bit.

The host is ComfyUI's own python with its torch, running comfy_pipes.host from the source tree
(Sources/node-run) and the built node-run (PIPES_BIN_DIR, default bin/) in a process of its own;
the worker gets torch tensors (tensors="torch") in a venv layered on the ComfyUI venv, so torch
there too, and numpy arrays in PIPES_NODE_VENV (numpy 1.26, no torch). Each direction is checked
on its own: the worker reports the sha256 of the bytes it was given, and returns tensors it made
itself with known values, beside the echo of its input."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import comfyui  # noqa: E402

NODE_VENV, BIN = comfyui.NODE_VENV, comfyui.BIN


def why_not():
    return comfyui.missing(tools=("node-run",), venvs=(NODE_VENV,))


PACK = '''
from comfy_pipes import isolated


class Echo:
    FUNCTION = "echo"
    RETURN_TYPES = ("*", "*", "*")

    def echo(self, value, dtype):
        import hashlib
        import numpy as np
        torch = None
        if type(value).__module__.startswith("torch"):
            import torch
        array = value.contiguous().numpy() if torch is not None else np.ascontiguousarray(value)
        seen = {"type": type(value).__module__.split(".")[0], "dtype": str(value.dtype).replace("torch.", ""),
                "shape": list(value.shape), "sha256": hashlib.sha256(array.tobytes()).hexdigest()}
        top = int(np.iinfo(dtype).max)
        known = [0, 1, 1 << (np.iinfo(dtype).bits - 1), top]
        if torch is not None:
            made = {"known": torch.tensor(np.array(known, dtype)), "full": torch.full((3, 2), top, dtype=value.dtype),
                    "scalar": torch.tensor(np.array(top, dtype)), "transposed": value.t() if value.ndim == 2 else value}
        else:
            made = {"known": np.array(known, dtype), "full": np.full((3, 2), top, dtype),
                    "scalar": np.array(top, dtype), "transposed": value.T}
        return value, seen, made


@isolated(venv=%(torch_venv)r, tensors="torch")
class TorchEcho(Echo):
    pass


@isolated(venv=%(numpy_venv)r)
class NumpyEcho(Echo):
    pass
'''

HOST = '''
import hashlib, json, sys
import numpy as np
import torch
sys.path.insert(0, sys.argv[1])
import dtype_pack

rng = np.random.default_rng(15)
results = []
for cls in (dtype_pack.TorchEcho, dtype_pack.NumpyEcho):
    for name in ("uint16", "uint32", "uint64"):
        info = np.iinfo(name)
        edges = np.array([0, 1, 1 << (info.bits - 1), info.max], name)
        for shape, transpose in [((), False), ((0,), False), ((4,), False), ((5, 7), True), ((512, 1024), False)]:
            array = rng.integers(0, info.max, size=shape, dtype=name, endpoint=True)
            if array.size >= 4:
                array.reshape(-1)[:4] = edges
            given = torch.from_numpy(array)
            given = given.t() if transpose else given
            expected = given.contiguous().numpy()
            out, seen, made = cls().echo(value=given, dtype=name)
            result = {"node": cls.__name__, "dtype": name, "shape": list(given.shape), "seen": seen,
                      "sent_sha256": hashlib.sha256(expected.tobytes()).hexdigest(),
                      "echo": [type(out).__module__, str(out.dtype), list(out.shape),
                               out.numpy().tobytes() == expected.tobytes()],
                      "made": {k: [type(v).__module__, str(v.dtype), list(v.shape), v.numpy().tolist()]
                               for k, v in made.items() if k != "transposed"},
                      "transposed": made["transposed"].numpy().tobytes() == expected.T.tobytes()}
            results.append(result)
json.dump(results, sys.stdout)
'''


@unittest.skipIf(why_not(), why_not())
class UnsignedTorchTensors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="pipes-torch-dtypes-")
        torch_venv = os.path.join(cls.work, "torch-venv")
        comfyui.layered_venv(torch_venv)
        pack = os.path.join(cls.work, "dtype_pack")
        os.mkdir(pack)
        with open(os.path.join(pack, "__init__.py"), "w") as handle:
            handle.write(PACK % {"torch_venv": torch_venv, "numpy_venv": NODE_VENV})
        with open(os.path.join(cls.work, "host.py"), "w") as handle:
            handle.write(textwrap.dedent(HOST))
        env = dict(os.environ, PYTHONPATH=os.path.join(comfyui.ROOT, "Sources", "node-run"),
                   COMFY_PIPES_NODE_RUN=os.path.join(BIN, "node-run"))
        run = subprocess.run([comfyui.PYTHON, os.path.join(cls.work, "host.py"), cls.work], env=env,
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, "the host script failed:\n" + run.stderr[-4000:]
        cls.results = json.loads(run.stdout)

    @classmethod
    def tearDownClass(cls):
        if not os.environ.get("PIPES_KEEP_TEST_DIRS"):
            shutil.rmtree(cls.work, ignore_errors=True)

    def test_every_case_ran(self):
        self.assertEqual(len(self.results), 2 * 3 * 5)

    def test_the_worker_gets_the_hosts_bytes(self):
        for r in self.results:
            with self.subTest(node=r["node"], dtype=r["dtype"], shape=r["shape"]):
                torch_mode = r["node"] == "TorchEcho"
                self.assertEqual(r["seen"]["type"], "torch" if torch_mode else "numpy")
                self.assertEqual(r["seen"]["dtype"], r["dtype"])
                self.assertEqual(r["seen"]["shape"], r["shape"], "a 0-d tensor stays 0-d")
                self.assertEqual(r["seen"]["sha256"], r["sent_sha256"])

    def test_the_host_gets_the_workers_bytes(self):
        for r in self.results:
            name = r["dtype"]
            bits = int(name[4:])
            top = (1 << bits) - 1
            with self.subTest(node=r["node"], dtype=name, shape=r["shape"]):
                self.assertEqual(r["echo"], ["torch", "torch." + name, r["shape"], True], "the echo, bit for bit")
                self.assertTrue(r["transposed"], "a transposed view made in the worker")
                made = r["made"]
                self.assertEqual(made["known"], ["torch", "torch." + name, [4], [0, 1, 1 << (bits - 1), top]])
                self.assertEqual(made["full"], ["torch", "torch." + name, [3, 2], [[top] * 2] * 3])
                self.assertEqual(made["scalar"], ["torch", "torch." + name, [], top])


if __name__ == "__main__":
    unittest.main()
