"""Drives the host module as ComfyUI would: load the node pack from its directory, instantiate
node classes from NODE_CLASS_MAPPINGS and call FUNCTION with numpy inputs (torch CPU tensors
when torch is importable here). Prints one line per check and "ok" at the end; exits 1 on a
failed check. Usage: host_check.py PACK_DIR (NODE_RUN_TEST_VENV and COMFY_PIPES_NODE_RUN set)."""

import importlib.util
import os
import sys

import numpy as np

pack = sys.argv[1]
spec = importlib.util.spec_from_file_location(
    "test_pack", os.path.join(pack, "__init__.py"), submodule_search_locations=[pack])
module = importlib.util.module_from_spec(spec)
sys.modules["test_pack"] = module
spec.loader.exec_module(module)
nodes = module.NODE_CLASS_MAPPINGS

try:
    import torch
except ImportError:
    torch = None


def check(condition, what):
    print(("pass: " if condition else "FAIL: ") + what, flush=True)
    if not condition:
        sys.exit(1)


check(hasattr(nodes["IsolatedInvert"], "_comfy_pipes_target"), "the decorator replaced FUNCTION in the host")
check(nodes["IsolatedInvert"].RETURN_TYPES == ("IMAGE", "FLOAT"), "RETURN_TYPES kept")
check(nodes["IsolatedInvert"].INPUT_TYPES()["required"]["image"] == ("IMAGE",), "INPUT_TYPES kept")

rng = np.random.default_rng(7)
image = rng.random((2, 16, 24, 3), dtype=np.float32)
given = torch.from_numpy(image.copy()) if torch is not None else image
node = nodes["IsolatedInvert"]()
for round_ in range(3):
    inverted, mean = getattr(node, nodes["IsolatedInvert"].FUNCTION)(image=given)
    got = inverted.numpy() if torch is not None else inverted
    check(type(inverted).__module__.split(".")[0] == ("torch" if torch is not None else "numpy"),
          "round %d: the output is a %s value" % (round_, "torch" if torch is not None else "numpy"))
    check(got.shape == image.shape and got.dtype == np.float32, "round %d: shape and dtype" % round_)
    check(np.array_equal(got, 1.0 - image), "round %d: values" % round_)
    check(abs(mean - float(image.mean())) < 1e-6, "round %d: the float output" % round_)

host = sys.modules["test_pack.comfy_pipes_host"]
check(len(host._POOL.free) >= 1 and not host._POOL.lent,
      "the worker released its inputs and the pool kept their segments for the next calls")

for dtype in ("uint8", "int8", "int16", "uint16", "uint32", "uint64", "float64", "bool"):
    value = (np.arange(24) % 3).astype(dtype).reshape(2, 3, 4)
    echoed, = nodes["IsolatedEcho"]().echo(value=torch.from_numpy(value) if torch is not None else value)
    echoed = echoed.numpy() if torch is not None else echoed
    check(echoed.dtype == value.dtype and np.array_equal(echoed, value), "a %s array crosses both ways" % dtype)

version, latent = nodes["IsolatedVersion"]().version()
check(version == "1.26.4", "the worker's numpy is the venv's (1.26.4), the host has %s" % np.__version__)
samples = latent["samples"]
samples = samples.numpy() if torch is not None else samples
check(samples.dtype == np.float16 and samples.shape == (1, 4, 2, 2) and (samples == 1).all(), "a LATENT dict")

try:
    nodes["IsolatedFail"]().fail(image=given)
    check(False, "an error in the worker raises in the host")
except Exception as error:
    check(type(error).__name__ == "KeyError" and isinstance(error, KeyError) and type(error).__module__ == "builtins",
          "the host raises the worker's exception type (a KeyError ComfyUI shows as KeyError)")
    check("no such thing" in str(error) and "Worker traceback" not in str(error), "with the node's own message")
    check("Traceback" in error.worker_traceback and "nodes.py" in error.worker_traceback,
          "and the worker's traceback kept beside it")
    check(getattr(error, "type", None) == "KeyError", "the error names the type")

kept = rng.random((1, 8, 8, 3), dtype=np.float32)
for round_ in range(3):
    other = kept if round_ == 0 else rng.random((1, 8, 8, 3), dtype=np.float32)
    total, = nodes["IsolatedKeep"]().keep(image=torch.from_numpy(other) if torch is not None else other)
    check(abs(total - float(kept.astype(np.float64).sum())) < 1e-3,
          "round %d: a segment the node still holds is not filled again" % round_)
victim = os.path.join(os.path.dirname(pack), "victim.txt")
with open(victim, "w") as f:
    f.write("keep me\n")
try:
    nodes["IsolatedForge"]().forge(path=victim, nbytes=8)
    check(False, "a made-up record naming one of the host's files is refused")
except Exception as error:
    check("bad tensor" in str(error) and "segment name" in str(error),
          "a made-up record naming one of the host's files is refused")
check(os.path.exists(victim), "and the file is still there")
host._POOL.close()
leftover = [n for n in os.listdir("/dev/shm") if n.startswith("cpipes-%d-" % os.getpid())]
check(not leftover, "no segment of the host left behind once its pool is closed")
print("ok")
