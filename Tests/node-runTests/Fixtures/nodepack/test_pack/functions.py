"""Plain functions for --call: versions, tensors, failures, crashes, hangs, resource counts."""

import ctypes
import os
import sys
import time

import numpy as np


def versions():
    return {"numpy": np.__version__, "executable": sys.executable, "path": sys.path,
            "pythonpath": os.environ.get("PYTHONPATH")}


def echo(**kwargs):
    """Returns its arguments: tensors come back as new tensors."""
    return kwargs


def describe(x):
    return {"dtype": str(x.dtype), "shape": list(x.shape), "sum": float(x.astype(np.float64).sum()),
            "writeable": bool(x.flags.writeable), "type": type(x).__module__}


def double(x):
    return x * 2


def checksum(x):
    """A 64 MiB tensor in: its sum and first/last values; and it back, doubled."""
    return (float(x.sum(dtype=np.float64)), float(x.flat[0]), float(x.flat[-1]), x + 1)


def empty():
    return None


def fail(message="boom"):
    def inner():
        raise ValueError(message)
    inner()


def exit_now(code=3):
    os._exit(code)


def segfault():
    ctypes.string_at(0)


def sleep(seconds=1.0):
    """Sleeps; returns when it started and ended (wall clock), to show overlap."""
    started = time.time()
    time.sleep(seconds)
    return [started, time.time()]


def unserializable():
    return (object(),)


def stats():
    """This worker's open fds and resident memory, node-run's open fds, and cpipes segments."""
    with open("/proc/self/statm") as f:
        rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return {"fds": len(os.listdir("/proc/self/fd")), "rss": rss,
            "parent_fds": len(os.listdir("/proc/%d/fd" % os.getppid())),
            "segments": len([n for n in os.listdir("/dev/shm") if n.startswith("cpipes-")]),
            "pid": os.getpid()}


def folders():
    """What the folder_paths stand-in tells a node."""
    import folder_paths
    return {"output": folder_paths.get_output_directory(), "input": folder_paths.get_input_directory(),
            "temp": folder_paths.get_temp_directory(), "models": folder_paths.models_dir,
            "checkpoints": folder_paths.get_folder_paths("checkpoints"),
            "module": folder_paths.__doc__ or ""}


def spawn_and_hang(pid_file):
    """Starts `sleep 1000` (writing its pid to pid_file), then hangs: a timeout must take both."""
    import subprocess
    child = subprocess.Popen(["sleep", "1000"])
    with open(pid_file, "w") as f:
        f.write(str(child.pid))
    time.sleep(60)


def torch_double(x):
    """With --tensors torch: x arrives as a torch tensor over the mapped segment; 2x goes back as one."""
    import torch

    assert isinstance(x, torch.Tensor), type(x)
    return {"doubled": x * 2, "kind": type(x).__module__ + "." + type(x).__name__,
            "over_the_mapping": not x.numpy().flags.owndata}


def torch_bfloat16(x):
    """With --tensors torch: a bfloat16 argument arrives as a bfloat16 tensor and goes back as one."""
    import torch

    assert x.dtype is torch.bfloat16, x.dtype
    return x


def huge_text(n):
    """A JSON string of n bytes: too large for one record when n is over 64 MiB."""
    return "x" * n


def not_finite(text="nan"):
    """A float JSON cannot hold (NaN, inf, -inf), inside a dict."""
    return {"value": float(text)}
