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


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
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
