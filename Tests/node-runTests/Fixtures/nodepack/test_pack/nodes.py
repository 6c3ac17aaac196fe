"""Node classes as ComfyUI defines them: INPUT_TYPES, RETURN_TYPES, FUNCTION."""

import ctypes
import os
import sys

import numpy as np

try:
    from .comfy_pipes_host import isolated
except ImportError:  # the host module is written here by the host test only
    def isolated(**_):
        return lambda cls: cls


class Invert:
    """IMAGE -> 1 - IMAGE, and the mean as a float."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",)}}

    RETURN_TYPES = ("IMAGE", "FLOAT")
    RETURN_NAMES = ("inverted", "mean")
    FUNCTION = "invert"
    CATEGORY = "test"

    def invert(self, image):
        return (1.0 - image, float(image.mean()))


class Noisy:
    """Writes to stdout, to fd 1 and from C on every call, then answers."""

    RETURN_TYPES = ("STRING",)
    FUNCTION = "run"

    def run(self, text="hi"):
        print("print noise {" + text)
        sys.stdout.flush()
        os.write(1, b'{"type":"result","id":"fake"}\n')
        libc = ctypes.CDLL(None)
        libc.printf(b"printf noise from C %d\n", 42)
        libc.fflush(None)
        os.write(2, b"stderr noise\n")
        return (text.upper(),)


class MakeLatent:
    """A LATENT: {"samples": [B,4,H/8,W/8]}."""

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "make"

    def make(self, width=64, height=64, batch=1):
        samples = np.arange(batch * 4 * (height // 8) * (width // 8), dtype=np.float32)
        return ({"samples": samples.reshape(batch, 4, height // 8, width // 8)},)


class Counter:
    """Reports progress through comfy.utils.ProgressBar."""

    RETURN_TYPES = ("INT",)
    FUNCTION = "count"

    def count(self, steps=5):
        import comfy.utils
        bar = comfy.utils.ProgressBar(steps)
        for _ in range(steps):
            bar.update(1)
        return (steps,)


@isolated(venv=os.environ.get("NODE_RUN_TEST_VENV", ""))
class IsolatedInvert(Invert):
    """The same node, run through node-run when the host module is present."""


@isolated(venv=os.environ.get("NODE_RUN_TEST_VENV", ""))
class IsolatedFail:
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "fail"

    def fail(self, image):
        raise KeyError("no such thing")


@isolated(venv=os.environ.get("NODE_RUN_TEST_VENV", ""))
class IsolatedVersion:
    RETURN_TYPES = ("STRING", "LATENT")
    FUNCTION = "version"

    def version(self):
        return (np.__version__, {"samples": np.ones((1, 4, 2, 2), np.float16)})


KEPT = []


@isolated(venv=os.environ.get("NODE_RUN_TEST_VENV", ""))
class IsolatedKeep:
    """Keeps every image it is given (as some nodes cache inputs) and returns the first one's sum:
    the host must not reuse a segment the worker still holds."""
    RETURN_TYPES = ("FLOAT",)
    FUNCTION = "keep"

    def keep(self, image):
        KEPT.append(image)
        return (float(KEPT[0].astype(np.float64).sum()),)


@isolated(venv=os.environ.get("NODE_RUN_TEST_VENV", ""))
class IsolatedForge:
    """Returns a made-up tensor record that names a file of the host's as a file-backed segment:
    the host, the segment's consumer, must refuse it rather than unlink the file."""
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "forge"

    def forge(self, path, nbytes):
        return ({"type": "tensor", "dtype": "uint8", "shape": [nbytes],
                 "storage": {"kind": "shm", "path": path, "offset": 0, "nbytes": nbytes}},)


@isolated(venv=os.environ.get("NODE_RUN_TEST_VENV", ""))
class IsolatedEcho:
    """Returns its input as it came: every dtype must cross both ways."""
    RETURN_TYPES = ("*",)
    FUNCTION = "echo"

    def echo(self, value):
        return (value,)


NODE_CLASS_MAPPINGS = {
    "Invert": Invert, "Noisy": Noisy, "MakeLatent": MakeLatent, "Counter": Counter,
    "IsolatedInvert": IsolatedInvert, "IsolatedFail": IsolatedFail, "IsolatedVersion": IsolatedVersion,
    "IsolatedKeep": IsolatedKeep, "IsolatedForge": IsolatedForge, "IsolatedEcho": IsolatedEcho,
}
NODE_DISPLAY_NAME_MAPPINGS = {k: k for k in NODE_CLASS_MAPPINGS}
