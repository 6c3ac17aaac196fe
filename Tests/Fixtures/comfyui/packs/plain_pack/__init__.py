"""A third-party pack as it ships, knowing nothing of comfy-pipes: numpy<2 in its requirements.txt
(ComfyUI's python has numpy 2), a module-level `import numpy`."""
import sys

import numpy


class PlainInvert:
    CATEGORY = "plain"
    RETURN_TYPES = ("IMAGE", "STRING")
    RETURN_NAMES = ("image", "where")
    FUNCTION = "invert"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",), "mode": (["invert", "keep"],)}}

    def invert(self, image, mode):
        array = numpy.asarray(image)
        out = 1.0 - array if mode == "invert" else array
        return (out, "numpy %s in %s" % (numpy.__version__, sys.prefix))


NODE_CLASS_MAPPINGS = {"PlainInvert": PlainInvert}
NODE_DISPLAY_NAME_MAPPINGS = {"PlainInvert": "Plain Invert"}
