"""make bench: the same node in ComfyUI's process and isolated through comfy_pipes, and a sink."""
import os

import numpy
from comfy_pipes import isolated


class BenchInvertLocal:
    CATEGORY = "comfy-pipes/bench"
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "invert"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",)}}

    def invert(self, image):
        return (1.0 - numpy.asarray(image),)


@isolated(venv=os.environ.get("PIPES_NODE_VENV", ""))
class BenchInvertIsolated(BenchInvertLocal):
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
