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


# A V3 node (comfy_api.latest), wrapped by the same wrap_nodes line: its execute and its
# validate_inputs run in the worker (where node-run stands in for comfy_api), its hidden
# unique_id goes with the call, and its NodeOutput's ui reaches ComfyUI.
from comfy_api.latest import io, ui  # noqa: E402


class WrappedV3Scale(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="WrappedV3Scale", display_name="Wrapped V3 Scale", category="comfy-pipes/tests",
            inputs=[io.Image.Input("image"), io.Float.Input("factor", default=0.5, min=0.0, max=1.0),
                    io.String.Input("label", default="v3")],
            outputs=[io.Image.Output(display_name="scaled"), io.String.Output(display_name="where"),
                     io.Int.Output(display_name="width")],
            hidden=[io.Hidden.unique_id], is_output_node=True)

    @classmethod
    def execute(cls, image, factor, label):
        array = numpy.asarray(image) * factor
        where = "numpy %s in %s for node %s" % (numpy.__version__, sys.prefix, cls.hidden.unique_id)
        return io.NodeOutput(array, where, int(array.shape[2]), ui=ui.PreviewText("%s: %s" % (label, where)))

    @classmethod
    def validate_inputs(cls, factor):
        return True if factor != 0.125 else "factor 0.125 refused by numpy %s" % numpy.__version__


NODE_CLASS_MAPPINGS["WrappedV3Scale"] = WrappedV3Scale
