"""Interop fixtures for the tensor-pack format tests, run with a Python that has numpy,
safetensors and Pillow (the tests find it through PIPES_TEST_PYTHON).

  interop.py make KIND DIR   write KIND (npy, npz, safetensors, png) files with the real libraries,
                             each expected tensor as raw little-endian C-order bytes, and
                             DIR/manifest.json listing them
  interop.py check DIR       read the files listed in DIR/manifest.json (written by the Swift tests)
                             with the real libraries and compare them with the expected bytes
  interop.py make diff-npy DIR, make diff-safetensors DIR, make diff-png DIR
                             seeded random files for the differential suites (PIPES_DIFF_SEED, default
                             15): every dtype, C and Fortran order, both byte orders, npy versions 1-3;
                             safetensors files of 1-4 tensors with random metadata; PNG files of every
                             colour type and bit depth, Adam7 or not, with Pillow's reading expected
  interop.py mixed DIR       write DIR/mixed.npz (complex64 "bad" between uint16 "a" and float32 "b")
                             and DIR/mixed.safetensors (float8_e4m3fn "bad" beside the same two)
  interop.py metadata PATH   print the safetensors metadata of PATH as JSON (null when none)
"""

import io
import json
import os
import struct
import sys
import zipfile
import zlib

import numpy as np
import safetensors
import safetensors.numpy
from PIL import Image, PngImagePlugin

DTYPES = ["float16", "float32", "float64", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
          "bool"]
SHAPES = [(), (0,), (2, 0, 3), (5,), (2, 3, 4)]
rng = np.random.default_rng(1234)


def sample(dtype, shape):
    if dtype == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype.startswith("float"):
        return np.asarray((rng.standard_normal(shape) * 100).astype(dtype))
    info = np.iinfo(dtype)
    return np.asarray(rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype))


class Maker:
    def __init__(self, out):
        self.out = out
        self.entries = []

    def expect(self, name, array, dtype=None):
        """Records the bytes a reader must produce for `array`: little-endian, C order."""
        a = np.asarray(array)
        a = a.astype(a.dtype.newbyteorder("<"), order="C")
        key = f"{len(self.entries)}-{len(self.current)}.bin"
        with open(os.path.join(self.out, key), "wb") as f:
            f.write(a.tobytes(order="C"))
        self.current.append({"name": name, "dtype": dtype or a.dtype.name, "shape": list(a.shape), "bin": key})

    def entry(self, file, kind, **extra):
        self.current = []
        self.entries.append(dict(file=file, kind=kind, tensors=self.current, **extra))
        return os.path.join(self.out, file)

    def finish(self):
        with open(os.path.join(self.out, "manifest.json"), "w") as f:
            json.dump({"entries": self.entries}, f)


def make_npy(m):
    for dtype in DTYPES:
        for shape in SHAPES:
            a = sample(dtype, shape)
            np.save(m.entry(f"{dtype}-{len(shape)}-{a.size}.npy", "npy"), a)
            m.expect("", a)
    a = np.asfortranarray(sample("float32", (3, 4, 5)))
    np.save(m.entry("fortran.npy", "npy"), a)
    m.expect("", a)
    for descr in [">f4", ">i8", ">f2", ">i2"]:
        a = sample(np.dtype(descr).newbyteorder("<").name, (4, 3)).astype(descr)
        np.save(m.entry(f"big{descr[1:]}.npy", "npy"), a)
        m.expect("", a)
    a = np.asfortranarray(sample("int16", (2, 3))).astype(">i2", order="F")
    np.save(m.entry("fortran-big.npy", "npy"), a)
    m.expect("", a)
    for version in [(2, 0), (3, 0)]:
        a = sample("float64", (3, 2))
        with open(m.entry(f"v{version[0]}.npy", "npy"), "wb") as f:
            np.lib.format.write_array(f, a, version=version)
        m.expect("", a)
    a = np.array([np.nan, np.inf, -np.inf, -0.0, 1e-45], dtype="float32")
    np.save(m.entry("specials.npy", "npy"), a)
    m.expect("", a)
    a = sample("float32", (1024, 1024))
    np.save(m.entry("large.npy", "npy"), a)
    m.expect("", a)


def make_npz(m):
    arrays = {f"{d}_{k}": sample(d, s) for d in DTYPES for k, s in enumerate([(), (0, 2), (3, 4)])}
    for compressed in [False, True]:
        save = np.savez_compressed if compressed else np.savez
        save(m.entry(f"all-{compressed}.npz", "npz"), **arrays)
        for name, a in arrays.items():
            m.expect(name, a)
    a, b = sample("float32", (2, 3)), np.asfortranarray(sample("int32", (4, 5)))
    np.savez(m.entry("positional.npz", "npz"), a, b)
    m.expect("arr_0", a)
    m.expect("arr_1", b)
    big = sample("float32", (512, 1024))
    np.savez_compressed(m.entry("large.npz", "npz"), big=big, zeros=np.zeros((1000, 1000), "float32"))
    m.expect("big", big)
    m.expect("zeros", np.zeros((1000, 1000), "float32"))

    class Unseekable(io.RawIOBase):
        """A write-only stream zipfile cannot seek: it writes data descriptors."""

        def __init__(self, f):
            self.f = f

        def writable(self):
            return True

        def write(self, b):
            return self.f.write(b)

        def tell(self):
            raise OSError("unseekable")

    for method in [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]:
        with open(m.entry(f"descriptor-{method}.npz", "npz"), "wb") as f:
            with zipfile.ZipFile(Unseekable(f), "w", compression=method) as z:
                z.comment = b"written through a stream"
                for name in ["x", "y"]:
                    a = sample("int16", (7, 3))
                    buf = io.BytesIO()
                    np.lib.format.write_array(buf, a)
                    z.writestr(name + ".npy", buf.getvalue())
                    m.expect(name, a)
                z.writestr("README.txt", b"not an array")


def make_safetensors(m):
    tensors = {f"{d}_{k}": sample(d, s) for d in DTYPES for k, s in enumerate(SHAPES)}
    path = m.entry("all.safetensors", "safetensors", metadata={"format": "np", "note": "ünïcode ✓"})
    safetensors.numpy.save_file(tensors, path, metadata={"format": "np", "note": "ünïcode ✓"})
    for name, a in tensors.items():
        m.expect(name, a)
    bits = rng.integers(0, 65536, size=(3, 5), dtype="<u2")
    spec = safetensors.TensorSpec(dtype="bfloat16", shape=(3, 5), data_ptr=bits.ctypes.data, data_len=bits.nbytes)
    safetensors.serialize_file({"bf": spec}, m.entry("bf16.safetensors", "safetensors", metadata={}))
    m.expect("bf", bits, dtype="bfloat16")
    latent = sample("float32", (1, 4, 16, 16))
    meta = {"prompt": json.dumps({"3": {"class_type": "KSampler"}})}
    path = m.entry("comfy.latent", "latent", metadata=meta)
    safetensors.numpy.save_file({"latent_tensor": latent, "latent_format_version_0": np.zeros((0,), "float32")}, path, meta)
    m.expect("latent_tensor", latent)
    m.expect("latent_format_version_0", np.zeros((0,), "float32"))
    big = sample("float32", (1, 16, 128, 128))
    safetensors.numpy.save_file({"big": big}, m.entry("large.safetensors", "safetensors", metadata={}))
    m.expect("big", big)


def as_image(rgba_or_grey, maxv):
    """Expected IMAGE tensor [1,H,W,C] as float32 value / maxv."""
    a = rgba_or_grey.astype(np.float32) / np.float32(maxv)
    return a[None]


def make_png(m):
    h, w = 37, 53
    grey = rng.integers(0, 256, (h, w), dtype="uint8")
    rgb = rng.integers(0, 256, (h, w, 3), dtype="uint8")
    alpha = rng.integers(0, 256, (h, w), dtype="uint8")
    g16 = rng.integers(0, 65536, (h, w), dtype="uint16")
    Image.fromarray(grey, "L").save(m.entry("L.png", "png"))
    m.expect("image", as_image(grey[..., None], 255))
    Image.fromarray(g16).save(m.entry("I16.png", "png"))
    m.expect("image", as_image(g16[..., None], 65535))
    bits = grey > 127
    Image.fromarray(bits).convert("1").save(m.entry("1bit.png", "png"))
    m.expect("image", as_image(bits[..., None].astype("uint8"), 1))
    Image.fromarray(np.dstack([grey, alpha]), "LA").save(m.entry("LA.png", "png"))
    m.expect("image", as_image(np.dstack([grey, grey, grey, alpha]), 255))
    Image.fromarray(rgb, "RGB").save(m.entry("RGB.png", "png"))
    m.expect("image", as_image(rgb, 255))
    Image.fromarray(np.dstack([rgb, alpha]), "RGBA").save(m.entry("RGBA.png", "png"))
    m.expect("image", as_image(np.dstack([rgb, alpha]), 255))
    Image.fromarray(grey, "L").save(m.entry("L-trns.png", "png"), transparency=int(grey[0, 0]))
    m.expect("image", as_image(np.dstack([grey, grey, grey, np.where(grey == grey[0, 0], 0, 255)]), 255))
    small = (rgb // 64 * 64).astype("uint8")
    key = tuple(int(v) for v in small[0, 0])
    Image.fromarray(small, "RGB").save(m.entry("RGB-trns.png", "png"), transparency=key)
    keyed = np.all(small == np.array(key, "uint8"), axis=2)
    m.expect("image", as_image(np.dstack([small, np.where(keyed, 0, 255)]), 255))
    for colors in [256, 16, 4, 2]:
        palette = rng.integers(0, 256, (colors, 3), dtype="uint8")
        index = rng.integers(0, colors, (h, w), dtype="uint8")
        im = Image.fromarray(index, "P")
        im.putpalette(palette.flatten().tolist())
        im.save(m.entry(f"P{colors}.png", "png"))
        m.expect("image", as_image(palette[index], 255))
        alphas = rng.integers(0, 256, colors, dtype="uint8")
        im.save(m.entry(f"P{colors}-trns.png", "png"), transparency=bytes(alphas[: colors // 2 + 1]))
        full = np.full(colors, 255, "uint8")
        full[: colors // 2 + 1] = alphas[: colors // 2 + 1]
        m.expect("image", as_image(np.dstack([palette[index], full[index]]), 255))


def check(out):
    manifest = json.load(open(os.path.join(out, "manifest.json")))
    failures = []
    for entry in manifest["entries"]:
        try:
            check_entry(out, entry)
        except Exception as e:  # report every failing file, not just the first
            failures.append(f"{entry['file']}: {type(e).__name__}: {e}")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        sys.exit(1)
    print(f"ok {len(manifest['entries'])}")


def expected(out, t):
    data = open(os.path.join(out, t["bin"]), "rb").read()
    return np.frombuffer(data, dtype="<u2" if t["dtype"] == "bfloat16" else t["dtype"]).reshape(t["shape"])


def same(name, got, want):
    assert got.dtype == want.dtype, f"{name}: dtype {got.dtype} != {want.dtype}"
    assert got.shape == want.shape, f"{name}: shape {got.shape} != {want.shape}"
    assert got.tobytes() == want.tobytes(), f"{name}: values differ"


def check_entry(out, entry):
    path = os.path.join(out, entry["file"])
    kind = entry["kind"]
    if kind == "npy":
        got = np.load(path)
        want = expected(out, entry["tensors"][0])
        same(entry["file"], got, want)
        buf = io.BytesIO()
        np.save(buf, want)
        assert open(path, "rb").read() == buf.getvalue(), "not byte-identical to np.save"
    elif kind == "npz":
        names = [t["name"] for t in entry["tensors"]]
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None, "CRC check failed"
            assert sorted(z.namelist()) == sorted(n + ".npy" for n in names), f"members {z.namelist()}"
            for t in entry["tensors"]:
                with z.open(t["name"] + ".npy") as member:
                    same(t["name"], np.lib.format.read_array(member), expected(out, t))
        if open(path, "rb").read(2) == b"PK":  # np.load only recognises archives that start at byte 0
            with np.load(path) as z:
                assert sorted(z.files) == sorted(names), f"members {z.files} != {names}"
                for t in entry["tensors"]:
                    same(t["name"], z[t["name"]], expected(out, t))
    elif kind in ("safetensors", "latent"):
        raw = open(path, "rb").read()
        got = dict(safetensors.deserialize(raw))
        assert sorted(got) == sorted(t["name"] for t in entry["tensors"]), f"tensors {sorted(got)}"
        for t in entry["tensors"]:
            g = got[t["name"]]
            assert list(g["shape"]) == t["shape"], f"{t['name']}: shape {g['shape']}"
            assert bytes(g["data"]) == expected(out, t).tobytes(), f"{t['name']}: values differ"
        with safetensors.safe_open(path, framework="numpy") as f:
            assert (f.metadata() or {}) == entry.get("metadata", {}), f"metadata {f.metadata()}"
        if not any(t["dtype"] == "bfloat16" for t in entry["tensors"]):
            loaded = safetensors.numpy.load_file(path)
            for t in entry["tensors"]:
                same(t["name"], loaded[t["name"]], expected(out, t))
        if kind == "latent":
            assert "latent_tensor" in got and "latent_format_version_0" in got, "not a ComfyUI latent"
    elif kind == "png":
        source = expected(out, entry["tensors"][0])
        if entry["tensors"][0]["dtype"] == "bfloat16":
            source = (source.astype("<u4") << 16).view("<f4")
        files = entry["pngs"]
        assert len(files) == source.shape[0], "one PNG per batch item"
        for item, name in enumerate(files):
            im = Image.open(os.path.join(out, name))
            im.load()
            x = source[item]
            if x.dtype == np.uint8:
                q = x
            elif x.dtype == np.bool_:
                q = np.where(x, 255, 0).astype("uint8")
            else:
                x = np.nan_to_num(x.astype(np.float32), nan=0.0)
                q = np.floor(np.clip(x, 0, 1) * np.float32(255) + np.float32(0.5)).astype("uint8")
            if q.ndim == 2 or q.shape[2] == 1:
                mode, q = "L", q.reshape(q.shape[0], q.shape[1])
            else:
                mode = {3: "RGB", 4: "RGBA"}[q.shape[2]]
            assert im.mode == mode, f"{name}: mode {im.mode} != {mode}"
            assert im.size == (q.shape[1], q.shape[0]), f"{name}: size {im.size}"
            assert np.array_equal(np.array(im), q), f"{name}: pixels differ"
            for key, value in entry.get("text", {}).items():
                assert im.text.get(key) == value, f"{name}: text {key!r} = {im.text.get(key)!r}"
    else:
        raise ValueError(f"unknown kind {kind}")


DIFF_CASES = 1500


def diff_rng():
    return np.random.default_rng(int(os.environ.get("PIPES_DIFF_SEED", "15")))


def random_shape(r):
    return tuple(int(x) for x in r.integers(0, 5, size=int(r.integers(0, 5))))


def make_diff_npy(m):
    r = diff_rng()
    for i in range(DIFF_CASES):
        a = sample(DTYPES[int(r.integers(len(DTYPES)))], random_shape(r))
        if a.dtype.itemsize > 1 and r.random() < 0.3:
            a = a.astype(a.dtype.newbyteorder(">"))
        a = np.asfortranarray(a) if r.random() < 0.5 else np.ascontiguousarray(a)
        version = [None, (1, 0), (2, 0), (3, 0)][int(r.integers(4))]
        with open(m.entry(f"d{i}.npy", "npy", seed=i), "wb") as f:
            if version is None:
                np.save(f, a)
            else:
                np.lib.format.write_array(f, a, version=version)
        m.expect("", a)


def make_diff_safetensors(m):
    r = diff_rng()
    for i in range(DIFF_CASES // 3):
        tensors = {}
        for k in range(int(r.integers(1, 5))):
            tensors[f"t{k}.{int(r.integers(1000))}"] = sample(DTYPES[int(r.integers(len(DTYPES)))], random_shape(r))
        metadata = {f"k{j}": "".join(chr(int(c)) for c in r.integers(32, 0x3000, size=int(r.integers(0, 8))))
                    for j in range(int(r.integers(0, 4)))}
        path = m.entry(f"d{i}.safetensors", "safetensors", metadata=metadata)
        safetensors.numpy.save_file(tensors, path, metadata=metadata or None)
        for name, a in tensors.items():
            m.expect(name, a)


# -- PNG: files written here (every colour type and legal bit depth, Adam7 or not, a random filter
# per row, IDAT split at random, ancillary chunks beside) and read by Pillow; the expected tensor
# is Pillow's reading under tensor-pack's rules (comfy-pipes(7)): grey → C = 1, RGB and palette
# → C = 3, any alpha (grey+alpha, RGBA, tRNS) → C = 4 with grey in R, G and B; samples divided by
# 2^depth − 1, palette entries by 255. Pillow reduces 16-bit grey+alpha, RGB and RGBA to their high
# bytes, so there the file's own samples are the reference, checked against Pillow's high bytes.

PNG_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
PNG_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_row_bytes(row, depth):
    """One scanline's samples (W×S unsigned integers) as PNG packs them: big-endian 16-bit, bytes,
    or 1/2/4-bit samples packed from the most significant bit, the last byte padded with zeros."""
    flat = row.reshape(-1)
    if depth == 16:
        return flat.astype(">u2").tobytes()
    if depth == 8:
        return flat.astype("u1").tobytes()
    bits = (flat[:, None].astype("u1") >> np.arange(depth - 1, -1, -1, dtype="u1")) & 1
    return np.packbits(bits.reshape(-1)).tobytes()


def png_filter(row, prior, kind, bpp):
    """`row` filtered with filter type `kind` (0-4) given the unfiltered `prior` row."""
    x = np.frombuffer(row, "u1").astype(np.int32)
    b = np.frombuffer(prior, "u1").astype(np.int32)
    a = np.concatenate([np.zeros(bpp, np.int32), x[:-bpp]]) if len(x) > bpp else np.zeros(len(x), np.int32)
    c = np.concatenate([np.zeros(bpp, np.int32), b[:-bpp]]) if len(b) > bpp else np.zeros(len(b), np.int32)
    if kind == 0:
        predicted = np.zeros_like(x)
    elif kind == 1:
        predicted = a
    elif kind == 2:
        predicted = b
    elif kind == 3:
        predicted = (a + b) // 2
    else:
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        predicted = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
    return bytes([kind]) + ((x - predicted) & 0xFF).astype("u1").tobytes()


def png_encode(r, samples, depth, color_type, interlaced, palette=None, trns=None):
    """A PNG file of `samples` (H×W×S unsigned sample values; palette indices for type 3)."""
    h, w, s = samples.shape
    bpp = max(1, s * depth // 8)
    raw = bytearray()
    for x0, y0, dx, dy in ADAM7 if interlaced else [(0, 0, 1, 1)]:
        sub = samples[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue  # an empty pass has no scanlines, not even filter bytes
        prior = bytes(len(png_row_bytes(sub[0], depth)))
        for row in sub:
            packed = png_row_bytes(row, depth)
            raw += png_filter(packed, prior, int(r.integers(5)), bpp)
            prior = packed
    data = zlib.compress(bytes(raw), int(r.integers(0, 10)))
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0,
                                                                     1 if interlaced else 0))
    if r.random() < 0.3:
        out += png_chunk(b"gAMA", struct.pack(">I", 45455))
    if r.random() < 0.3:
        out += png_chunk(b"tEXt", b"Comment\0generated " + str(int(r.integers(1 << 30))).encode())
    if palette is not None:
        out += png_chunk(b"PLTE", palette.astype("u1").tobytes())
    if trns is not None:
        out += png_chunk(b"tRNS", trns)
    cuts = sorted(int(c) for c in r.integers(0, len(data) + 1, size=int(r.integers(0, 4))))
    for start, end in zip([0] + cuts, cuts + [len(data)]):
        out += png_chunk(b"IDAT", data[start:end])
    return out + png_chunk(b"IEND", b"")


def png_size(r):
    if r.random() < 0.03:
        return int(r.integers(1, 90)), int(r.integers(1, 90))
    return int(r.integers(1, 24)), int(r.integers(1, 24))


def pillow_reading(path, depth, color_type, samples, palette, key):
    """The IMAGE tensor [1,H,W,C] that Pillow's reading of `path` gives under tensor-pack's rules,
    after checking Pillow read the samples the file was written with."""
    im = Image.open(path)
    im.load()
    got = np.array(im)
    maxv = (1 << depth) - 1
    if got.ndim == 2:
        got = got[..., None]
    if color_type == 3:
        assert im.mode == "P", f"mode {im.mode}"
        index = got[..., 0].astype(np.intp)
        assert np.array_equal(index, samples[..., 0]), "Pillow read other palette indices"
        pal = np.array(im.getpalette("RGB"), "u1").reshape(-1, 3)
        assert np.array_equal(pal[: len(palette)], palette), "Pillow read another palette"
        rgb = pal[index].astype(np.float32) / np.float32(255)
        trns = im.info.get("transparency")
        if trns is None:
            return rgb[None]
        alphas = np.full(len(pal), 255, "u1")
        if isinstance(trns, int):
            alphas[trns] = 0
        else:
            alphas[: len(trns)] = np.frombuffer(trns, "u1")
        return np.dstack([rgb, alphas[index].astype(np.float32) / np.float32(255)])[None]
    if depth == 16 and color_type != 0:
        # Pillow keeps only the high byte of 16-bit colour and grey+alpha samples (and opens
        # 16-bit grey+alpha as RGBA).
        if color_type == 4 and im.mode == "RGBA":
            assert np.array_equal(got[..., 0], got[..., 1]) and np.array_equal(got[..., 0], got[..., 2]), "not grey"
            got = got[..., [0, 3]]
        assert np.array_equal(got, (samples >> 8).astype(got.dtype)), "Pillow's high bytes differ"
        values = samples
    elif depth < 8:
        # Pillow scales 1-bit grey to bool and 2- and 4-bit grey to 0-255 (v·255/maxv).
        values = got.astype(np.int64) if im.mode == "1" else got.astype(np.int64) * maxv // 255
        assert np.array_equal(values, samples), "Pillow read other samples"
    else:
        values = got.astype(np.int64)
        assert np.array_equal(values, samples), "Pillow read other samples"
    image = values.astype(np.float32) / np.float32(maxv)
    if color_type == 4:
        image = np.dstack([image[..., :1]] * 3 + [image[..., 1:]])
    if key is not None:
        alpha = np.all(values == np.array(key), axis=2)
        colour = np.dstack([image] * 3) if color_type == 0 else image
        image = np.dstack([colour, np.where(alpha, np.float32(0), np.float32(1))])
    return image[None]


def make_diff_png(m):
    r = diff_rng()
    for i in range(2000):
        color_type = [0, 2, 3, 4, 6][int(r.integers(5))]
        depth = PNG_DEPTHS[color_type][int(r.integers(len(PNG_DEPTHS[color_type])))]
        interlaced = bool(r.random() < 0.5)
        w, h = png_size(r)
        maxv = (1 << depth) - 1
        palette = key = trns = None
        if color_type == 3:
            entries = int(r.integers(1, maxv + 2))
            palette = r.integers(0, 256, (entries, 3), dtype="u1")
            samples = r.integers(0, entries, (h, w, 1))
            if r.random() < 0.5:
                trns = r.integers(0, 256, int(r.integers(1, entries + 1)), dtype="u1").tobytes()
        else:
            samples = r.integers(0, maxv + 1, (h, w, PNG_SAMPLES[color_type]))
            if r.random() < 0.3:  # few levels, so the tRNS key matches pixels
                samples = samples & ~((1 << max(0, depth - 2)) - 1)
            if color_type in (0, 2) and r.random() < 0.4:
                pick = samples[int(r.integers(h)), int(r.integers(w))]
                key = [int(v) for v in (pick if r.random() < 0.8 else r.integers(0, maxv + 1, len(pick)))]
                trns = b"".join(struct.pack(">H", v) for v in key)
        name = f"p{i}-c{color_type}-d{depth}-{'i' if interlaced else 'n'}-{w}x{h}.png"
        path = m.entry(name, "png", seed=i)
        with open(path, "wb") as f:
            f.write(png_encode(r, samples, depth, color_type, interlaced, palette, trns))
        try:
            m.expect("image", pillow_reading(path, depth, color_type, samples, palette, key))
        except AssertionError as e:
            raise AssertionError(f"{name}: {e}") from None


def make_mixed(out):
    a = np.arange(6, dtype="<u2").reshape(2, 3) * 10000
    b = np.linspace(0, 1, 4, dtype="<f4")
    np.savez(os.path.join(out, "mixed.npz"), a=a, bad=np.ones(3, "complex64"), b=b)
    f8 = np.arange(4, dtype="u1")
    specs = {name: safetensors.TensorSpec(dtype=str(x.dtype), shape=x.shape, data_ptr=x.ctypes.data, data_len=x.nbytes)
             for name, x in [("a", a), ("b", b)]}
    specs["bad"] = safetensors.TensorSpec(dtype="float8_e4m3fn", shape=(4,), data_ptr=f8.ctypes.data, data_len=4)
    metadata = {"format": "pt", "note": "ünïcode ✓"}
    safetensors.serialize_file(specs, os.path.join(out, "mixed.safetensors"), metadata=metadata)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "make":
        m = Maker(sys.argv[3])
        {"npy": make_npy, "npz": make_npz, "safetensors": make_safetensors, "png": make_png,
         "diff-npy": make_diff_npy, "diff-safetensors": make_diff_safetensors,
         "diff-png": make_diff_png}[sys.argv[2]](m)
        m.finish()
        print(f"made {len(m.entries)}")
    elif len(sys.argv) == 3 and sys.argv[1] == "mixed":
        make_mixed(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "metadata":
        with safetensors.safe_open(sys.argv[2], framework="numpy") as f:
            print(json.dumps(f.metadata(), sort_keys=True))
    elif len(sys.argv) == 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
