"""make bench: one node (nodes/BenchInvert) three ways in one ComfyUI: in ComfyUI's process,
isolated through comfy_pipes (@isolated, its own venv), and isolated by comfy-env 0.4.46
(register_nodes over nodes/, with nodes/comfy-env.toml) where comfy_env is importable, that is
in the bench's venv (.build/bench-comfyenv/venv); and a sink."""
import os

from comfy_pipes import isolated

from .nodes import BenchInvert


class BenchInvertLocal(BenchInvert):
    pass


@isolated(venv=os.environ.get("PIPES_NODE_VENV", ""))
class BenchInvertIsolated(BenchInvert):
    pass


class BenchSink:
    CATEGORY = "comfy-pipes/bench"
    RETURN_TYPES = ()
    OUTPUT_NODE = True
    FUNCTION = "sink"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",)}}

    def sink(self, image):
        return {"ui": {"shape": [list(image.shape)]}}


NODE_CLASS_MAPPINGS = {"BenchInvertLocal": BenchInvertLocal, "BenchInvertIsolated": BenchInvertIsolated,
                       "BenchSink": BenchSink}

try:  # only the bench's venv has comfy-env; node-run's worker imports this module without it
    from comfy_env import register_nodes
except ImportError:
    register_nodes = None
if register_nodes is not None:
    _mappings, _names = register_nodes()  # comfy-env's proxy classes for nodes/ (BenchInvertComfyEnv)
    NODE_CLASS_MAPPINGS.update(_mappings)
