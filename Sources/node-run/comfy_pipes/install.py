"""python -m comfy_pipes.install [comfy-pipes-install options]: build a node pack's env.

For a pack's install.py (which ComfyUI-Manager runs with ComfyUI's own python):

    import subprocess, sys
    subprocess.check_call([sys.executable, "-m", "comfy_pipes.install", "--dir", os.path.dirname(__file__)])

Runs the comfy-pipes-install hook that pip put beside this interpreter (else the one on PATH),
with this interpreter as the one cuda-detect describes, so that the env's wheels match the torch
and CUDA of the ComfyUI that runs the pack. Its exit status is the hook's.
"""
import os
import shutil
import sys


def hook_path():
    """comfy-pipes-install beside sys.executable (a venv's bin/), else on PATH, else None."""
    beside = os.path.join(os.path.dirname(sys.executable), "comfy-pipes-install")
    if os.access(beside, os.X_OK):
        return beside
    return shutil.which("comfy-pipes-install")


LOADER = """# Written by `python -m comfy_pipes.install --loader`: registers the node packs of
# ComfyUI/isolated_nodes/ (a folder ComfyUI does not scan), each run in its own env by comfy-pipes.
from comfy_pipes.packs import load_isolated_packs

NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS = load_isolated_packs()
"""


def write_loader(custom_nodes):
    """custom_nodes/comfy_pipes_isolated/__init__.py, the one file zero-edit isolation needs."""
    folder = os.path.join(custom_nodes, "comfy_pipes_isolated")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "__init__.py"), "w") as handle:
        handle.write(LOADER)
    os.makedirs(os.path.join(os.path.dirname(os.path.abspath(custom_nodes)), "isolated_nodes"), exist_ok=True)
    sys.stderr.write("comfy_pipes.install: wrote %s; put packs to isolate in %s\n" % (
        folder, os.path.join(os.path.dirname(os.path.abspath(custom_nodes)), "isolated_nodes")))
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--loader"]:
        if len(argv) != 2 or not os.path.isdir(argv[1]):
            sys.stderr.write("usage: python -m comfy_pipes.install --loader COMFYUI/custom_nodes\n")
            return 64
        return write_loader(argv[1])
    hook = hook_path()
    if hook is None:
        sys.stderr.write("comfy_pipes.install: comfy-pipes-install was found neither beside %s nor on PATH; "
                         "reinstall the kit: %s -m pip install --force-reinstall comfy-pipes\n"
                         % (sys.executable, sys.executable))
        return 69
    env = dict(os.environ)
    env.setdefault("COMFY_PIPES_PYTHON", sys.executable)
    os.execve(hook, [hook] + list(argv), env)


if __name__ == "__main__":
    sys.exit(main())
