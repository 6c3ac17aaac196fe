"""The node and functions both sides of the node-run bench call."""


def empty():
    return None


def size_of(x):
    return int(len(x))


def echo(x):
    return x


class Bench:
    RETURN_TYPES = ("INT",)
    FUNCTION = "size"

    def size(self, x):
        return (int(len(x)),)

    def echo(self, x):
        return (x,)
