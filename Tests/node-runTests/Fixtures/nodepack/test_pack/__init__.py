"""A ComfyUI-style node pack for node-run's tests. ComfyUI imports this file and reads
NODE_CLASS_MAPPINGS; node-run imports test_pack.nodes and test_pack.functions by name."""

from .nodes import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS"]
