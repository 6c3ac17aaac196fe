"""comfy_pipes: run ComfyUI node classes in their own venvs, through comfy-pipes' node-run.

Installed with `pip install comfy-pipes` into ComfyUI's venv, which also puts the seven tools
(node-run among them) and the install hook comfy-pipes-install beside its python. A node pack
then needs only `comfy-pipes` in its requirements.txt and

    from comfy_pipes import isolated

    @isolated(venv="_env")          # the pack's env, built by `python -m comfy_pipes.install`
    class Segment: ...

See comfy-pipes(7) and node-run(1).
"""
from .host import IsolatedNodeError, isolated, node_run_path, wrap_nodes

__all__ = ["isolated", "wrap_nodes", "IsolatedNodeError", "node_run_path"]
