"""A stand-in for torchvision in the tests' ComfyUI venv (PyPI's torchvision needs another torch).

ComfyUI imports torchvision.transforms at start; nothing the tests run uses it."""
from . import transforms  # noqa: F401
