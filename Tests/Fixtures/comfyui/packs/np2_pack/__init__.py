"""A second pack whose env needs numpy 2 ($PIPES_NUMPY2_VENV), beside iso_pack's numpy 1.26, in
one ComfyUI and one workflow."""
import os
import sys

from comfy_pipes import isolated


@isolated(venv=os.environ.get("PIPES_NUMPY2_VENV", ""))
class Np2Invert:
    CATEGORY = "comfy-pipes/tests"
    RETURN_TYPES = ("IMAGE", "STRING")
    FUNCTION = "run"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",)}}

    def run(self, image):
        import numpy
        return (numpy.ascontiguousarray(1.0 - numpy.asarray(image)), "numpy %s in %s" % (numpy.__version__, sys.prefix))


@isolated(venv=os.environ.get("PIPES_NUMPY2_VENV", ""))
class Np2Use:
    """Takes iso_pack's worker-resident model: it cannot cross envs."""

    CATEGORY = "comfy-pipes/tests"
    RETURN_TYPES = ("STRING",)
    FUNCTION = "use"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"model": ("ISO_MODEL",)}}

    def use(self, model):
        return ("never",)


NODE_CLASS_MAPPINGS = {"Np2Invert": Np2Invert, "Np2Use": Np2Use}
