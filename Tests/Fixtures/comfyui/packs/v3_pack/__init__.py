"""A V3 pack as it ships (comfy_api.latest, exported through comfy_entrypoint), knowing nothing of
comfy-pipes: numpy<2 in its requirements.txt (ComfyUI's python has numpy 2), a module-level
`import numpy`."""
import sys

import numpy
from comfy_api.latest import ComfyExtension, io, ui


class V3Invert(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="V3Invert", display_name="V3 Invert", category="v3 pack",
            description="Inverts an image with the pack's own numpy.",
            inputs=[io.Image.Input("image"), io.Int.Input("times", default=1, min=0, max=100),
                    io.Combo.Input("mode", options=["invert", "keep"])],
            outputs=[io.Image.Output(display_name="image"), io.String.Output(display_name="where"),
                     io.Int.Output(display_name="twice")])

    @classmethod
    def execute(cls, image, times, mode):
        array = numpy.asarray(image)
        out = 1.0 - array if mode == "invert" else array
        return io.NodeOutput(out, "numpy %s in %s" % (numpy.__version__, sys.prefix), times * 2)

    @classmethod
    def validate_inputs(cls, times):
        return True if times != 13 else "13 refused by numpy %s" % numpy.__version__


class V3Note(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(node_id="V3Note", display_name="V3 Note", category="v3 pack",
                         inputs=[io.String.Input("text", default="hello")], hidden=[io.Hidden.unique_id],
                         is_output_node=True)

    @classmethod
    async def execute(cls, text):
        shown = "%s from node %s of a %d-node prompt" % (text, cls.hidden.unique_id, len(cls.hidden.prompt))
        return io.NodeOutput(ui=ui.PreviewText(shown))

    @classmethod
    def fingerprint_inputs(cls, text):
        return text


class V3PackExtension(ComfyExtension):
    async def get_node_list(self):
        return [V3Invert, V3Note]


async def comfy_entrypoint():
    return V3PackExtension()
