"""What goes wrong for a node author, and what ComfyUI then shows: a module-level import that only
ComfyUI's python has (aiohttp), and an env that was never built."""
import os

import aiohttp  # noqa: F401  (ComfyUI's python has it; the isolated env does not)
from comfy_pipes import isolated


@isolated(venv=os.environ.get("PIPES_NODE_VENV", ""))
class HostOnlyImport:
    CATEGORY = "comfy-pipes/tests"
    RETURN_TYPES = ("STRING",)
    FUNCTION = "run"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {}}

    def run(self):
        return ("never reached",)


@isolated(venv="_env_never_built")
class NoEnv(HostOnlyImport):
    pass


NODE_CLASS_MAPPINGS = {"HostOnlyImport": HostOnlyImport, "NoEnv": NoEnv}
