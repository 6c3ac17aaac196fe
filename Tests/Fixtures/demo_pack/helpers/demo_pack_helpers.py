"""The demo pack's helper, shipped as a wheel in ../wheels/ (made by make_wheel.py)."""

__version__ = "0.1.0"


def invert(image):
    """1 - x for an IMAGE array with values in 0..1 (any array type with arithmetic)."""
    return 1.0 - image
