"""A pack published to the Comfy registry: its packages only in pyproject.toml's [project]
dependencies, its one node a V3 class in NODE_CLASS_MAPPINGS."""
import sys

import numpy
from comfy_api.latest import io


class PyprojectWhere(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(node_id="PyprojectWhere", category="pyproject pack",
                         outputs=[io.String.Output(display_name="where")])

    @classmethod
    def execute(cls):
        return ("numpy %s in %s" % (numpy.__version__, sys.prefix),)


NODE_CLASS_MAPPINGS = {"PyprojectWhere": PyprojectWhere}
NODE_DISPLAY_NAME_MAPPINGS = {"PyprojectWhere": "Pyproject Where"}
