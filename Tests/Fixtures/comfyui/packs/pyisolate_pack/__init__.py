"""A pack made for ComfyUI's --use-process-isolation: its packages are in pyisolate.yaml, not in a
requirements.txt (whose numpy>=2 here is a decoy: the manifest comes first)."""
import sys

import numpy


class PyisolateWhere:
    CATEGORY = "pyisolate pack"
    RETURN_TYPES = ("STRING",)
    FUNCTION = "where"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {}}

    def where(self):
        return ("numpy %s in %s" % (numpy.__version__, sys.prefix),)


NODE_CLASS_MAPPINGS = {"PyisolateWhere": PyisolateWhere}
