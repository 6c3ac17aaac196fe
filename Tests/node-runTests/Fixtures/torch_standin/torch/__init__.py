"""A stand-in for torch with the few calls node-run's worker makes, for tests on machines without
torch (CI): `from_numpy` (sharing memory, as torch does), `Tensor` with `detach`, `cpu`,
`contiguous`, `numpy`, `view(dtype)`, `shape` and `dtype`, and the dtypes the worker names. It is
not torch; it lets the tests check that `--tensors torch` hands the node tensors over the mapped
memory and takes tensors back, where real torch is absent."""
import numpy

__version__ = "0.0.0+standin"


class dtype:
    def __init__(self, name, numpy_dtype):
        self.name, self.numpy_dtype = name, numpy.dtype(numpy_dtype)

    def __repr__(self):
        return "torch." + self.name


float32 = dtype("float32", "<f4")
int16 = dtype("int16", "<i2")
bfloat16 = dtype("bfloat16", "<u2")  # stored as its 16 bits; torch's view(int16) keeps them
_by_numpy = {d.numpy_dtype: d for d in (float32, int16)}


class Tensor:
    def __init__(self, array, dtype_=None):
        self._array = array
        self.dtype = dtype_ or _by_numpy.get(array.dtype, dtype(str(array.dtype), array.dtype))

    shape = property(lambda self: self._array.shape)

    def detach(self):
        return self

    def cpu(self):
        return self

    def contiguous(self):
        return self if self._array.flags.c_contiguous else Tensor(numpy.ascontiguousarray(self._array), self.dtype)

    def numpy(self):
        if self.dtype is bfloat16:
            raise TypeError("Got unsupported ScalarType BFloat16")
        return self._array

    def view(self, to):
        return Tensor(self._array.view(to.numpy_dtype), to)

    def __mul__(self, k):
        return Tensor(self._array * k, self.dtype)


def from_numpy(array):
    return Tensor(array)


class device:
    def __init__(self, kind):
        self.type = kind
