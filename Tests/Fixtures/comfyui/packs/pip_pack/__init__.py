"""A node pack that depends on comfy-pipes the way the README tells a node author to: `comfy-pipes`
in requirements.txt, `from comfy_pipes import isolated`, and `python -m comfy_pipes.install` in
install.py. Its node runs in the pack's own env (numpy<2), built by that install hook."""
from .nodes import NODE_CLASS_MAPPINGS, NODE_DISPLAY_NAME_MAPPINGS

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS"]
