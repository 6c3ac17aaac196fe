"""A whole pack isolated by one line: wrap_nodes over its NODE_CLASS_MAPPINGS."""
import os

from comfy_pipes import wrap_nodes

from .nodes import NODE_CLASS_MAPPINGS

NODE_CLASS_MAPPINGS = wrap_nodes(NODE_CLASS_MAPPINGS, venv=os.environ.get("PIPES_NODE_VENV", ""))
