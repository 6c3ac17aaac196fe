import sys

import numpy
from comfy_pipes import isolated


@isolated(venv="_env")
class PipInvert:
    """IMAGE in, inverted IMAGE out, and the numpy version and interpreter that did it."""

    CATEGORY = "comfy-pipes/tests"
    RETURN_TYPES = ("IMAGE", "STRING")
    RETURN_NAMES = ("image", "where")
    FUNCTION = "invert"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",)}}

    def invert(self, image):
        array = numpy.asarray(image, dtype=numpy.float32)
        return (numpy.ascontiguousarray(1.0 - array), "numpy %s in %s" % (numpy.__version__, sys.prefix))


from .sub.deep import PipWhere  # noqa: E402

NODE_CLASS_MAPPINGS = {"PipInvert": PipInvert, "PipWhere": PipWhere}
NODE_DISPLAY_NAME_MAPPINGS = {"PipInvert": "Invert (comfy-pipes pip pack)"}
