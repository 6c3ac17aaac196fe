"""pyisolate's side of the bench: an extension with the same two calls."""
from pyisolate import ExtensionBase


class BenchExt(ExtensionBase):
    async def on_module_loaded(self, module):
        self.module = module

    async def empty(self):
        return None

    async def size(self, x):
        return len(x)
