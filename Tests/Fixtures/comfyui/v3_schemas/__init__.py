"""V3 schemas of every kind node-run's comfy_api stand-in covers, read both by ComfyUI's own
comfy_api (in its venv) and by node-run:describe in a worker (the stand-in): the two must agree."""
from enum import Enum

from comfy_api.latest import io


class Mode(str, Enum):
    fast = "fast"
    slow = "slow"


class Widgets(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="Widgets", display_name="All the widgets", category="tests/v3", description="every widget",
            inputs=[
                io.Boolean.Input("flag", default=True, label_on="yes", label_off="no", tooltip="a flag"),
                io.Int.Input("count", default=3, min=-5, max=50, step=2, control_after_generate=True,
                             display_mode=io.NumberDisplay.slider, optional=True),
                io.Float.Input("ratio", default=0.25, min=0.0, max=1.0, step=0.05, round=0.01,
                               display_mode=io.NumberDisplay.number, lazy=True),
                io.String.Input("text", multiline=True, placeholder="say", default="hi", dynamic_prompts=False),
                io.Combo.Input("mode", options=Mode, default=Mode.slow),
                io.Combo.Input("pick", options=["a", "b"], upload=io.UploadType.image,
                               image_folder=io.FolderType.input, optional=True),
                io.MultiCombo.Input("many", options=["x", "y", "z"], default=["x"], chip=True),
                io.Webcam.Input("camera"),
                io.String.Input("forced", force_input=True, socketless=False, display_name="Forced"),
            ],
            outputs=[io.Int.Output(display_name="count", tooltip="how many"), io.String.Output(is_output_list=True),
                     io.Combo.Output(options=["p", "q"])],
            is_api_node=True, not_idempotent=True)

    @classmethod
    def execute(cls, **kwargs):
        return io.NodeOutput(1, ["s"], "p")


class Sockets(io.ComfyNode):
    @classmethod
    def define_schema(cls):
        return io.Schema(
            node_id="Sockets", category="tests/v3", is_output_node=True, is_input_list=True,
            is_experimental=True, is_deprecated=True, hidden=[io.Hidden.unique_id, io.Hidden.dynprompt],
            inputs=[io.Image.Input("image"), io.Mask.Input("mask", optional=True), io.Latent.Input("latent"),
                    io.Model.Input("model", tooltip="stays in ComfyUI"), io.Custom("MY_THING").Input("thing"),
                    io.MultiType.Input("either", types=[io.Image, io.Mask]),
                    io.MultiType.Input(io.Float.Input("scale", default=1.0), types=[io.Int]),
                    io.AnyType.Input("anything", extra_dict={"rawLink": True})],
            outputs=[io.Image.Output("out_image"), io.Custom("MY_THING").Output(display_name="thing"),
                     io.Mask.Output()])

    @classmethod
    def execute(cls, **kwargs):
        return io.NodeOutput()


class Expands(io.ComfyNode):
    """Returns what cannot cross a process (a subgraph to expand), or asks the stand-in for what
    it does not have (ui.PreviewImage)."""

    @classmethod
    def define_schema(cls):
        return io.Schema(node_id="Expands", category="tests/v3", inputs=[io.Boolean.Input("preview", default=False)],
                         outputs=[io.Int.Output()], enable_expand=True)

    @classmethod
    def execute(cls, preview):
        if preview:
            from comfy_api.latest import ui
            return io.NodeOutput(1, ui=ui.PreviewImage(None))
        return io.NodeOutput(1, expand={"1": {"class_type": "EmptyImage", "inputs": {}}})


NODE_CLASS_MAPPINGS = {"Widgets": Widgets, "Sockets": Sockets, "Expands": Expands}
