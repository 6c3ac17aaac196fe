"""Hand-written file formats for the fake ComfyUI server (standard library only).

PNG (encode with tEXt chunks, decode 8/16-bit non-interlaced), APNG, the ComfyUI
`.latent` safetensors layout, and placeholder WEBP/MP4 containers.
"""

import json
import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Image:
    """A ComfyUI IMAGE batch: frames of 8-bit RGB (channels=3) or RGBA (channels=4) rows."""

    def __init__(self, width, height, frames, channels=3):
        self.width, self.height, self.channels = width, height, channels
        self.frames = list(frames)

    def __str__(self):
        # What current_inputs shows for a tensor (ComfyUI prints str(tensor)).
        return "tensor(shape=[%d, %d, %d, %d], dtype=torch.float32)" % (
            len(self.frames), self.height, self.width, self.channels)


class Mask:
    """A ComfyUI MASK batch: frames of 8-bit single-channel rows."""

    def __init__(self, width, height, frames):
        self.width, self.height, self.frames = width, height, list(frames)

    def __str__(self):
        return "tensor(shape=[%d, %d, %d], dtype=torch.float32)" % (
            len(self.frames), self.height, self.width)


def _chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def _scanlines(pixels, width, channels, height):
    stride = width * channels
    return b"".join(b"\x00" + pixels[y * stride:(y + 1) * stride] for y in range(height))


def _ihdr(width, height, channels):
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    return _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0))


def _text_chunks(texts):
    return b"".join(_chunk(b"tEXt", k.encode("latin-1") + b"\x00" + v.encode("latin-1", "replace"))
                    for k, v in (texts or []))


def encode_png(width, height, pixels, channels=3, texts=None, level=4):
    """Encode raw 8-bit pixels (rows top to bottom) as a PNG with optional tEXt chunks."""
    raw = _scanlines(pixels, width, channels, height)
    return (PNG_SIGNATURE + _ihdr(width, height, channels) + _text_chunks(texts)
            + _chunk(b"IDAT", zlib.compress(raw, level)) + _chunk(b"IEND", b""))


def encode_apng(width, height, frames, channels=3, texts=None, fps=6.0, level=4):
    """An animated PNG (acTL/fcTL/fdAT) as SaveAnimatedPNG writes it."""
    delay_ms = int(1000.0 / fps)
    out = [PNG_SIGNATURE, _ihdr(width, height, channels), _text_chunks(texts),
           _chunk(b"acTL", struct.pack(">II", len(frames), 0))]
    seq = 0
    for i, pixels in enumerate(frames):
        out.append(_chunk(b"fcTL", struct.pack(">IIIIIHHBB", seq, width, height, 0, 0,
                                               delay_ms, 1000, 0, 0)))
        seq += 1
        data = zlib.compress(_scanlines(pixels, width, channels, height), level)
        if i == 0:
            out.append(_chunk(b"IDAT", data))
        else:
            out.append(_chunk(b"fdAT", struct.pack(">I", seq) + data))
            seq += 1
    out.append(_chunk(b"IEND", b""))
    return b"".join(out)


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode_png(data):
    """Decode a PNG into (width, height, channels, pixels) with 8-bit samples.

    Supports grey, grey+alpha, RGB, RGBA and palette images, 8 or 16 bits, not interlaced.
    Palette images come back as RGB or RGBA (with tRNS). Raises ValueError otherwise.
    """
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("cannot identify image file (not a PNG)")
    pos, idat, palette, trns, hdr = 8, [], None, None, None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = body
        elif kind == b"tRNS":
            trns = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if hdr is None:
        raise ValueError("PNG without IHDR")
    width, height, depth, color_type, _, _, interlace = hdr
    if interlace or depth not in (8, 16) or (color_type == 3 and depth != 8):
        raise ValueError("unsupported PNG (interlaced or bit depth %d)" % depth)
    samples = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    bpp = samples * depth // 8
    stride = width * bpp
    raw = zlib.decompress(b"".join(idat))
    rows, prev = [], bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif ftype == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xFF
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                upleft = prev[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + _paeth(left, prev[i], upleft)) & 0xFF
        elif ftype != 0:
            raise ValueError("bad PNG filter type %d" % ftype)
        rows.append(bytes(line))
        prev = line
    pixels = b"".join(rows)
    if depth == 16:
        pixels = pixels[0::2]
    if color_type == 3:
        if palette is None:
            raise ValueError("palette PNG without PLTE")
        alpha = trns or b""
        channels = 4 if trns else 3
        out = bytearray()
        for idx in pixels:
            out += palette[idx * 3:idx * 3 + 3]
            if trns:
                out.append(alpha[idx] if idx < len(alpha) else 255)
        return width, height, channels, bytes(out)
    return width, height, samples, pixels


def to_rgb_and_alpha(width, height, channels, pixels):
    """Split decoded pixels into (RGB bytes, alpha bytes or None)."""
    n = width * height
    if channels == 3:
        return pixels, None
    if channels == 4:
        rgb = bytearray(n * 3)
        rgb[0::3], rgb[1::3], rgb[2::3] = pixels[0::4], pixels[1::4], pixels[2::4]
        return bytes(rgb), pixels[3::4]
    grey = pixels[0::channels]
    rgb = bytearray(n * 3)
    rgb[0::3] = rgb[1::3] = rgb[2::3] = grey
    return bytes(rgb), (pixels[1::2] if channels == 2 else None)


def merge_rgba(rgb, alpha):
    out = bytearray(len(alpha) * 4)
    out[0::4], out[1::4], out[2::4], out[3::4] = rgb[0::3], rgb[1::3], rgb[2::3], alpha
    return bytes(out)


def encode_safetensors(tensors, metadata=None):
    """tensors: list of (name, shape, raw little-endian float32 bytes)."""
    header, offset, blobs = {}, 0, []
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, shape, raw in sorted(tensors, key=lambda t: t[0]):
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def placeholder_webp(note):
    """A RIFF/WEBP container whose payload is a note: right name and magic, not decodable."""
    body = b"WEBP" + b"XTRA" + struct.pack("<I", len(note)) + note + b"\x00" * (len(note) % 2)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def placeholder_mp4(note):
    """An ISO-BMFF file with an ftyp box and a free box holding a note: not playable."""
    ftyp = b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41"
    return (struct.pack(">I", 8 + len(ftyp)) + b"ftyp" + ftyp
            + struct.pack(">I", 8 + len(note)) + b"free" + note)
