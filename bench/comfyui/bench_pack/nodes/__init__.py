"""make bench: the node every row runs. comfy-env 0.4.46 isolates this package (its
comfy-env.toml beside it; register_nodes in the pack's __init__.py); the pack's __init__.py runs
the same class in ComfyUI's process and through comfy_pipes."""
import numpy


class BenchInvert:
    CATEGORY = "comfy-pipes/bench"
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "invert"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",)}}

    def invert(self, image):
        return (1.0 - numpy.asarray(image),)


NODE_CLASS_MAPPINGS = {"BenchInvertComfyEnv": BenchInvert}
