"""End-to-end interop for `tensor-pack FILES | tensor-pack --unpack`, with the real libraries.

  pipeline_check.py make IN        write input files with numpy, safetensors and Pillow, and
                                   IN/expected.npz with the values each tensor must have
  pipeline_check.py check IN OUT   compare OUT/<name>.npy (unpacked with --format npy) and the
                                   PNG / latent / safetensors files in OUT/native with expected
"""
import json
import os
import sys

import numpy as np
import safetensors.numpy
from PIL import Image

DTYPES = ["float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64", "bool"]
rng = np.random.default_rng(7)


def sample(dtype, shape):
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype.startswith("float"):
        return (rng.standard_normal(shape) * 10).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)


def make(d):
    expected = {}
    for dt in DTYPES:
        a = sample(dt, (2, 3, 5))
        np.save(os.path.join(d, f"npy_{dt}.npy"), a)
        expected[f"npy_{dt}"] = a
    scalar = np.float64(3.25)
    np.save(os.path.join(d, "scalar.npy"), scalar)
    expected["scalar"] = np.asarray(scalar)
    np.save(os.path.join(d, "empty.npy"), np.zeros((0, 4), np.int32))
    expected["empty"] = np.zeros((0, 4), np.int32)
    fortran = np.asfortranarray(np.arange(12, dtype=np.int16).reshape(3, 4))
    np.save(os.path.join(d, "fortran.npy"), fortran)
    expected["fortran"] = np.ascontiguousarray(fortran)
    z = {"za": sample("float32", (4, 4)), "zb": sample("int64", (7,))}
    np.savez_compressed(os.path.join(d, "packed.npz"), **z)
    expected.update(z)
    s = {"st_w": sample("float16", (3, 3)), "st_b": sample("uint8", (9,))}
    safetensors.numpy.save_file(s, os.path.join(d, "model.safetensors"), metadata={"format": "np"})
    expected.update(s)
    latent = sample("float32", (1, 4, 8, 8))
    safetensors.numpy.save_file(
        {"latent_tensor": latent, "latent_format_version_0": np.zeros((0,), np.float32)},
        os.path.join(d, "render.latent"))
    expected["samples"] = latent
    rgba = rng.integers(0, 255, size=(5, 7, 4), dtype=np.uint8, endpoint=True)
    Image.fromarray(rgba, "RGBA").save(os.path.join(d, "rgba.png"))
    expected["rgba"] = rgba[None, :, :, :3].astype(np.float32) / 255
    expected["rgba_mask"] = 1 - rgba[None, :, :, 3].astype(np.float32) / 255
    grey16 = rng.integers(0, 65535, size=(4, 6), dtype=np.uint16, endpoint=True)
    Image.fromarray(grey16.astype(np.int32), "I").convert("I;16").save(os.path.join(d, "grey16.png"))
    expected["grey16"] = np.asarray(Image.open(os.path.join(d, "grey16.png")), dtype=np.float32)[None, :, :, None] / 65535
    pal = Image.fromarray(rng.integers(0, 255, size=(6, 6, 3), dtype=np.uint8, endpoint=True), "RGB").quantize(8)
    pal.save(os.path.join(d, "palette.png"))
    expected["palette"] = np.asarray(pal.convert("RGB"), dtype=np.float32)[None] / 255
    np.savez(os.path.join(d, "expected.npz"), **expected)
    with open(os.path.join(d, "originals.json"), "w") as f:
        json.dump({"rgba": "rgba.png", "palette": "palette.png"}, f)


def check(d, out):
    expected = np.load(os.path.join(d, "expected.npz"))
    problems = []
    for name in expected.files:
        want = expected[name]
        path = os.path.join(out, name + ".npy")
        if not os.path.exists(path):
            problems.append(f"{name}: no {path}")
            continue
        got = np.load(path)
        if got.dtype != want.dtype or got.shape != want.shape:
            problems.append(f"{name}: got {got.dtype}{got.shape}, want {want.dtype}{want.shape}")
        elif want.dtype.kind == "f" and name in ("rgba", "rgba_mask", "grey16", "palette"):
            if not np.allclose(got, want, atol=1e-6):
                problems.append(f"{name}: values differ by up to {np.abs(got - want).max()}")
        elif not np.array_equal(got, want, equal_nan=want.dtype.kind == "f"):
            problems.append(f"{name}: values differ")
    native = os.path.join(out, "native")
    rgb = np.asarray(Image.open(os.path.join(native, "rgba.png")))
    if not np.array_equal(rgb, np.asarray(Image.open(os.path.join(d, "rgba.png")))[:, :, :3]):
        problems.append("rgba.png written by unpack does not hold the original 8-bit RGB")
    mask = np.asarray(Image.open(os.path.join(native, "rgba_mask.png")))
    if not np.array_equal(mask, 255 - np.asarray(Image.open(os.path.join(d, "rgba.png")))[:, :, 3]):
        problems.append("rgba_mask.png is not 255 - alpha")
    lat = safetensors.numpy.load_file(os.path.join(native, "samples.latent"))
    if not np.array_equal(lat["latent_tensor"], expected["samples"]) or "latent_format_version_0" not in lat:
        problems.append("samples.latent is not a ComfyUI latent with the same samples")
    st = os.path.join(out, "st")
    if not np.array_equal(safetensors.numpy.load_file(os.path.join(st, "npy_float32.safetensors"))["npy_float32"],
                          expected["npy_float32"]):
        problems.append("npy_float32.safetensors does not hold the npy's values")
    if safetensors.numpy.load_file(os.path.join(st, "rgba.safetensors"))["rgba"].shape != (1, 5, 7, 4):
        problems.append("rgba.safetensors does not hold the [1,H,W,4] image")
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print("ok", len(expected.files))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3])
