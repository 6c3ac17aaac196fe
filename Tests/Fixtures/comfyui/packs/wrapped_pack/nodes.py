"""Plain ComfyUI node classes, written with no thought of isolation."""
import sys

import numpy


class WrappedInvert:
    CATEGORY = "comfy-pipes/tests"
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "invert"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",)}}

    def invert(self, image):
        return (1.0 - numpy.asarray(image),)


class WrappedWhere:
    CATEGORY = "comfy-pipes/tests"
    RETURN_TYPES = ("STRING",)
    FUNCTION = "where"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {}}

    def where(self):
        return ("numpy %s in %s" % (numpy.__version__, sys.prefix),)


NODE_CLASS_MAPPINGS = {"WrappedInvert": WrappedInvert, "WrappedWhere": WrappedWhere}
