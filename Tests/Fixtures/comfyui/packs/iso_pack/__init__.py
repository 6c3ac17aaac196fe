"""Isolated nodes for the real-ComfyUI tests: each runs through comfy_pipes' @isolated in the venv
named by $PIPES_NODE_VENV (numpy 1.26 while ComfyUI has numpy 2)."""
import os
import sys
import time
import weakref

import numpy
from comfy_pipes import isolated

VENV = os.environ.get("PIPES_NODE_VENV", "")


@isolated(venv=VENV)
class IsoKinds:
    """IMAGE and INT in; IMAGE, MASK, LATENT, STRING and INT out."""

    CATEGORY = "comfy-pipes/tests"
    RETURN_TYPES = ("IMAGE", "MASK", "LATENT", "STRING", "INT")
    FUNCTION = "run"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",), "times": ("INT", {"default": 2, "min": 0, "max": 100})}}

    def run(self, image, times):
        image = numpy.asarray(image, dtype=numpy.float32)
        mask = numpy.ascontiguousarray(image[..., 0])
        batch, height, width, _ = image.shape
        latent = {"samples": numpy.full((batch, 4, height // 8 or 1, width // 8 or 1), 0.5, numpy.float32)}
        return (numpy.ascontiguousarray(1.0 - image), mask, latent,
                "numpy %s in %s" % (numpy.__version__, sys.prefix), times * 2)


class ImageToImage:
    """The shape of the nodes below: one IMAGE in, one out."""

    CATEGORY = "comfy-pipes/tests"
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "run"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",)}}


@isolated(venv=VENV)
class IsoFail(ImageToImage):
    def run(self, image):
        raise ValueError("the node's own words")


@isolated(venv=VENV)
class IsoSlow(ImageToImage):
    """Works for `seconds`; `checks` says whether it looks at ComfyUI's interrupt (through its
    progress bar, as most nodes do) or never does."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",), "seconds": ("FLOAT", {"default": 20.0}),
                             "checks": ("BOOLEAN", {"default": True})}}

    def run(self, image, seconds, checks):
        import comfy.utils
        steps = int(seconds / 0.05)
        bar = comfy.utils.ProgressBar(steps) if checks else None
        for step in range(steps):
            time.sleep(0.05)
            if bar is not None:
                bar.update_absolute(step + 1, steps)
        return (image,)


@isolated(venv=VENV)
class IsoCrash(ImageToImage):
    def run(self, image):
        print("about to crash", file=sys.stderr, flush=True)
        os._exit(3)


@isolated(venv=VENV)
class IsoFolders:
    """What folder_paths answers in the worker, as JSON."""

    CATEGORY = "comfy-pipes/tests"
    RETURN_TYPES = ("STRING",)
    FUNCTION = "run"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"model": ("STRING", {"default": "tiny.safetensors"})}}

    def run(self, model):
        import json

        import folder_paths
        output = folder_paths.get_output_directory()
        return (json.dumps({
            "module": folder_paths.__file__, "output": output, "input": folder_paths.get_input_directory(),
            "temp": folder_paths.get_temp_directory(), "user": folder_paths.get_user_directory(),
            "model": folder_paths.get_full_path("checkpoints", model),
            "models": folder_paths.get_filename_list("checkpoints"),
            "save": list(folder_paths.get_save_image_path("iso/pic", output, 8, 8)[:3]),
            "annotated": folder_paths.get_annotated_filepath("a.png [output]"),
        }),)


@isolated(venv=VENV)
class IsoShow:
    """An output node whose worker returns {"ui": ..., "result": ...}."""

    CATEGORY = "comfy-pipes/tests"
    RETURN_TYPES = ()
    OUTPUT_NODE = True
    FUNCTION = "run"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"text": ("STRING", {"default": "hello"})}}

    def run(self, text):
        from server import PromptServer
        PromptServer.instance.send_sync("comfy_pipes.test", {"said": text, "numpy": numpy.__version__})
        return {"ui": {"text": ["shown by the worker: " + text], "numpy": [numpy.__version__]}, "result": ()}


@isolated(venv=VENV)
class IsoHooks:
    """IS_CHANGED and VALIDATE_INPUTS, which must run in the worker: IS_CHANGED leaves a note of
    the interpreter that ran it in `note`; VALIDATE_INPUTS refuses "bad", naming its numpy."""

    CATEGORY = "comfy-pipes/tests"
    RETURN_TYPES = ("STRING",)
    FUNCTION = "run"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"text": ("STRING", {"default": "ok"}), "note": ("STRING", {"default": ""})}}

    @classmethod
    def IS_CHANGED(cls, text, note):
        with open(note, "w") as handle:
            handle.write(sys.prefix)
        return float("nan")

    @classmethod
    def VALIDATE_INPUTS(cls, text):
        return True if text != "bad" else "refused by numpy %s in the worker" % numpy.__version__

    def run(self, text, note):
        return (text,)


class Model:
    """Stands for a loaded model: an object that only the worker can hold. `alive` sees which
    are still held by anything."""

    alive = weakref.WeakSet()

    def __init__(self, scale):
        self.scale, self.calls = scale, 0
        Model.alive.add(self)


@isolated(venv=VENV)
class IsoLoad:
    CATEGORY = "comfy-pipes/tests"
    RETURN_TYPES = ("ISO_MODEL",)
    FUNCTION = "load"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"scale": ("FLOAT", {"default": 0.5})}}

    def load(self, scale):
        return (Model(scale),)


@isolated(venv=VENV)
class IsoUse:
    CATEGORY = "comfy-pipes/tests"
    RETURN_TYPES = ("IMAGE", "STRING")
    FUNCTION = "use"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"model": ("ISO_MODEL",), "image": ("IMAGE",)}}

    def use(self, model, image):
        model.calls += 1
        return (numpy.asarray(image) * model.scale + model.scale,
                "%s call %d in %d" % (type(model).__name__, model.calls, os.getpid()))


@isolated(venv=VENV)
class IsoKept:
    """How many models the worker still holds."""

    CATEGORY = "comfy-pipes/tests"
    RETURN_TYPES = ("INT",)
    FUNCTION = "count"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"nonce": ("INT", {"default": 0})}}

    def count(self, nonce):
        import gc
        gc.collect()
        return (len(Model.alive),)


NODE_CLASS_MAPPINGS = {"IsoKinds": IsoKinds, "IsoFail": IsoFail, "IsoSlow": IsoSlow, "IsoCrash": IsoCrash,
                       "IsoFolders": IsoFolders, "IsoShow": IsoShow, "IsoHooks": IsoHooks,
                       "IsoLoad": IsoLoad, "IsoUse": IsoUse, "IsoKept": IsoKept}
