"""Placeholders: any attribute is a class that fails when used."""


def __getattr__(name):
    def unavailable(*args, **kwargs):
        raise RuntimeError("torchvision.transforms.%s: the tests' ComfyUI has a stand-in torchvision" % name)

    return type(name, (), {"__init__": unavailable})
