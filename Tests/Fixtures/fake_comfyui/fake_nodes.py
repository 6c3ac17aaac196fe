"""Test-only node classes: never in a real ComfyUI, always in the fake (see the README)."""

import time

from nodes import Node


class FakeSleep(Node):
    """Test-only: sleeps `seconds`; with `progress` it ticks a progress bar every ~0.1 s, so an
    interrupt lands inside it, otherwise it runs to its end like a node without a progress bar.
    Passes `image` through. Never cached."""
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "sleep"
    OUTPUT_NODE = True
    CATEGORY = "_fake_testing"
    PY_MODULE = "custom_nodes.fake_comfyui_test_nodes"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"seconds": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 3600.0, "step": 0.01})},
                "optional": {"image": ("IMAGE",), "progress": ("BOOLEAN", {"default": True})}}

    def sleep(self, seconds, image=None, progress=True):
        if not progress:
            time.sleep(seconds)
            return (image,)
        steps = max(1, int(round(seconds / 0.1)))
        for i in range(steps):
            time.sleep(seconds / steps)
            self.ctx.progress(i + 1, steps)
        return (image,)

    @classmethod
    def IS_CHANGED(cls, **kwargs):
        return time.time()


class FakeRaise(Node):
    """Test-only: raises RuntimeError(message) at run time (validation passes)."""
    FUNCTION = "fail"
    OUTPUT_NODE = True
    CATEGORY = "_fake_testing"
    PY_MODULE = "custom_nodes.fake_comfyui_test_nodes"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"message": ("STRING", {"default": "fake failure"})},
                "optional": {"image": ("IMAGE",)}}

    def fail(self, message, image=None):
        raise RuntimeError(message)


class FakeVanish(Node):
    """Test-only: the whole server process exits at once (os._exit) when this node runs,
    after the WebSocket messages queued so far have been sent. No history is written."""
    FUNCTION = "vanish"
    OUTPUT_NODE = True
    CATEGORY = "_fake_testing"
    PY_MODULE = "custom_nodes.fake_comfyui_test_nodes"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"exit_code": ("INT", {"default": 1, "min": 0, "max": 255})},
                "optional": {"image": ("IMAGE",)}}

    def vanish(self, exit_code, image=None):
        self.ctx.vanish(exit_code)


TEST_NODES = [FakeSleep, FakeRaise, FakeVanish]
for _cls in TEST_NODES:
    _cls.DESCRIPTION = " ".join((_cls.__doc__ or "").split())
