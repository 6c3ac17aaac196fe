"""A V3 pack exported through comfy_entrypoint, isolated by the author in get_node_list with
wrap_nodes over the list of its classes."""
import os
import sys

from comfy_api.latest import ComfyExtension, io
from comfy_pipes import wrap_nodes


class EntryWhere(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(node_id="EntryWhere", display_name="Entry Where", category="comfy-pipes/tests",
                         inputs=[io.Int.Input("n", default=1)], outputs=[io.String.Output(display_name="where")])

    @classmethod
    async def execute(cls, n):
        import numpy
        return io.NodeOutput("%d: numpy %s in %s" % (n, numpy.__version__, sys.prefix))


class EntryExtension(ComfyExtension):
    async def get_node_list(self):
        return wrap_nodes([EntryWhere], venv=os.environ.get("PIPES_NODE_VENV", ""))


async def comfy_entrypoint():
    return EntryExtension()
