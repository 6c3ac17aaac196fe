"""The demo node pack's one node, run by node-run inside the pack's own env (_env): it inverts
an IMAGE with numpy and says which numpy did it."""
import sys

import demo_pack_helpers
import numpy


class Invert:
    """IMAGE in, inverted IMAGE out, plus the numpy version of the env that ran it."""

    CATEGORY = "comfy-pipes/demo"
    RETURN_TYPES = ("IMAGE", "STRING")
    RETURN_NAMES = ("image", "numpy_version")
    FUNCTION = "invert"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",)}}

    def invert(self, image):
        array = numpy.asarray(image, dtype=numpy.float32)
        out = numpy.ascontiguousarray(demo_pack_helpers.invert(array), dtype=numpy.float32)
        print(f"demo_nodes.Invert: {tuple(array.shape)} with numpy {numpy.__version__} "
              f"(python {sys.version.split()[0]})", file=sys.stderr)
        return (out, numpy.__version__)


NODE_CLASS_MAPPINGS = {"Invert": Invert}
NODE_DISPLAY_NAME_MAPPINGS = {"Invert": "Invert (comfy-pipes demo)"}
