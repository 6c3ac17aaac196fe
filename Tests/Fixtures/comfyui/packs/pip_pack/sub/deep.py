import sys

from comfy_pipes import isolated


@isolated(venv="_env")  # the pack's _env, though this file is in pack/sub/
class PipWhere:
    CATEGORY = "comfy-pipes/tests"
    RETURN_TYPES = ("STRING",)
    FUNCTION = "where"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {}}

    def where(self):
        return (sys.prefix,)
