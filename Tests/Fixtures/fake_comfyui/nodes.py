"""The node classes the fake server knows, and ComfyUI's folder_paths rules.

Each class keeps ComfyUI's class-level contract (INPUT_TYPES, RETURN_TYPES, FUNCTION,
OUTPUT_NODE, VALIDATE_INPUTS, IS_CHANGED) so that validation and execution in engine.py can
follow execution.py. Images are 8-bit RGB instead of float tensors. The executor sets
`self.ctx` (an engine.NodeContext) on each instance before calling FUNCTION.

The test-only classes (FakeSleep, FakeRaise, FakeVanish) are in fake_nodes.py.
"""

import hashlib
import json
import mimetypes
import os
import random
import time

import media
from media import Image, Mask

MAX_RESOLUTION = 16384
ANY = "*"


# ---------------------------------------------------------------- folder_paths

class Folders:
    def __init__(self, output, input, temp):
        self.output, self.input, self.temp = (os.path.abspath(p) for p in (output, input, temp))

    def by_type(self, kind):
        return {"output": self.output, "input": self.input, "temp": self.temp}.get(kind)


FOLDERS = None  # set by configure()


def configure(folders):
    global FOLDERS
    FOLDERS = folders


def annotated_filepath(name):
    if name.endswith("[output]"):
        return name[:-9], FOLDERS.output
    if name.endswith("[input]"):
        return name[:-8], FOLDERS.input
    if name.endswith("[temp]"):
        return name[:-7], FOLDERS.temp
    return name, None


def get_annotated_filepath(name, default_dir=None):
    name, base_dir = annotated_filepath(name)
    return os.path.join(base_dir or default_dir or FOLDERS.input, name)


def exists_annotated_filepath(name):
    return os.path.exists(get_annotated_filepath(name))


def get_save_image_path(filename_prefix, output_dir, image_width=0, image_height=0):
    """folder_paths.get_save_image_path: subfolder from the prefix, counter = highest + 1."""

    def map_filename(filename):
        prefix_len = len(os.path.basename(filename_prefix))
        prefix = filename[:prefix_len + 1]
        try:
            digits = int(filename[prefix_len + 1:].split("_")[0])
        except ValueError:
            digits = 0
        return digits, prefix

    if "%" in filename_prefix:
        now = time.localtime()
        for key, value in (("%width%", str(image_width)), ("%height%", str(image_height)),
                           ("%year%", str(now.tm_year)), ("%month%", str(now.tm_mon).zfill(2)),
                           ("%day%", str(now.tm_mday).zfill(2)), ("%hour%", str(now.tm_hour).zfill(2)),
                           ("%minute%", str(now.tm_min).zfill(2)), ("%second%", str(now.tm_sec).zfill(2))):
            filename_prefix = filename_prefix.replace(key, value)

    subfolder = os.path.dirname(os.path.normpath(filename_prefix))
    filename = os.path.basename(os.path.normpath(filename_prefix))
    full_output_folder = os.path.join(output_dir, subfolder)
    common = os.path.commonpath((output_dir, os.path.abspath(full_output_folder)))
    if common != output_dir:
        raise Exception("**** ERROR: Saving image outside the output folder is not allowed."
                        + "\n full_output_folder: " + os.path.abspath(full_output_folder)
                        + "\n         output_dir: " + output_dir
                        + "\n         commonpath: " + common)
    try:
        counter = max(filter(lambda a: os.path.normcase(a[1][:-1]) == os.path.normcase(filename)
                             and a[1][-1] == "_", map(map_filename, os.listdir(full_output_folder))))[0] + 1
    except ValueError:
        counter = 1
    except FileNotFoundError:
        os.makedirs(full_output_folder, exist_ok=True)
        counter = 1
    return full_output_folder, filename, counter, subfolder, filename_prefix


def list_input_images():
    files = [f for f in os.listdir(FOLDERS.input) if os.path.isfile(os.path.join(FOLDERS.input, f))]
    return sorted(f for f in files if (mimetypes.guess_type(f)[0] or "").startswith("image/"))


class UnidentifiedImageError(OSError):
    """Named like Pillow's, so exception_type reads "PIL.UnidentifiedImageError"."""


UnidentifiedImageError.__module__ = "PIL"


def png_texts(prompt, extra_pnginfo):
    texts = []
    if prompt is not None:
        texts.append(("prompt", json.dumps(prompt)))
    for key in extra_pnginfo or {}:
        texts.append((key, json.dumps(extra_pnginfo[key])))
    return texts


# ---------------------------------------------------------------- base and images

class Node:
    RETURN_TYPES = ()
    OUTPUT_NODE = False
    CATEGORY = "image"
    PY_MODULE = "nodes"
    ctx = None


class EmptyImage(Node):
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "generate"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "width": ("INT", {"default": 512, "min": 1, "max": MAX_RESOLUTION, "step": 1}),
            "height": ("INT", {"default": 512, "min": 1, "max": MAX_RESOLUTION, "step": 1}),
            "batch_size": ("INT", {"default": 1, "min": 1, "max": 4096}),
            "color": ("INT", {"default": 0, "min": 0, "max": 0xFFFFFF, "step": 1, "display": "color"})}}

    def generate(self, width, height, batch_size=1, color=0):
        pixel = bytes(((color >> 16) & 0xFF, (color >> 8) & 0xFF, color & 0xFF))
        return (Image(width, height, [pixel * (width * height)] * batch_size),)


class ImageInvert(Node):
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "invert"
    TABLE = bytes(255 - i for i in range(256))

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",)}}

    def invert(self, image):
        return (Image(image.width, image.height, [f.translate(self.TABLE) for f in image.frames],
                      image.channels),)


class ImageAddNoise(Node):
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "add_noise"
    PY_MODULE = "comfy_extras.nodes_images"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "image": ("IMAGE",),
            "seed": ("INT", {"default": 0, "min": 0, "max": 0xFFFFFFFFFFFFFFFF, "control_after_generate": True}),
            "strength": ("FLOAT", {"default": 0.5, "min": 0.0, "max": 1.0, "step": 0.01})}}

    def add_noise(self, image, seed, strength):
        rng = random.Random(seed)
        frames = []
        for frame in image.frames:
            noise = rng.randbytes(len(frame))
            frames.append(bytes(min(255, max(0, int(v + strength * (n - 128) * 2)))
                                for v, n in zip(frame, noise)))
        return (Image(image.width, image.height, frames, image.channels),)


class ImageBlur(Node):
    """Returns its input unchanged: the fake has no real blur; use --exec-delay for time."""
    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "blur"
    CATEGORY = "image/postprocessing"
    PY_MODULE = "comfy_extras.nodes_post_processing"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "image": ("IMAGE",),
            "blur_radius": ("INT", {"default": 1, "min": 1, "max": 31, "step": 1}),
            "sigma": ("FLOAT", {"default": 1.0, "min": 0.1, "max": 10.0, "step": 0.1})}}

    def blur(self, image, blur_radius, sigma):
        return (Image(image.width, image.height, image.frames, image.channels),)


class GetImageSize(Node):
    RETURN_TYPES = ("INT", "INT", "INT")
    RETURN_NAMES = ("width", "height", "batch_size")
    FUNCTION = "execute"
    PY_MODULE = "comfy_extras.nodes_images"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",)}, "hidden": {"unique_id": "UNIQUE_ID"}}

    def execute(self, image, unique_id=None):
        width, height, batch = image.width, image.height, len(image.frames)
        if unique_id:
            self.ctx.send_progress_text("width: %d, height: %d\n batch size: %d" % (width, height, batch),
                                        unique_id)
        return (width, height, batch)


class ImageToMask(Node):
    RETURN_TYPES = ("MASK",)
    FUNCTION = "image_to_mask"
    CATEGORY = "mask"
    PY_MODULE = "comfy_extras.nodes_mask"
    CHANNELS = ["red", "green", "blue", "alpha"]

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",), "channel": (list(cls.CHANNELS),)}}

    def image_to_mask(self, image, channel):
        index = self.CHANNELS.index(channel)
        if index >= image.channels:
            raise IndexError("index %d is out of bounds for dimension 3 with size %d" % (index, image.channels))
        return (Mask(image.width, image.height, [f[index::image.channels] for f in image.frames]),)


class LoadImage(Node):
    RETURN_TYPES = ("IMAGE", "MASK")
    FUNCTION = "load_image"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": (list_input_images(), {"image_upload": True})}}

    def load_image(self, image):
        path = get_annotated_filepath(image)
        with open(path, "rb") as f:
            data = f.read()
        try:
            decoded = media.decode_png(data)
        except ValueError:
            raise UnidentifiedImageError("cannot identify image file %r" % path)
        w, h = decoded[0], decoded[1]
        rgb, alpha = media.to_rgb_and_alpha(*decoded)
        if alpha is None:
            mask = Mask(64, 64, [bytes(64 * 64)])
        else:
            mask = Mask(w, h, [alpha.translate(ImageInvert.TABLE)])
        return (Image(w, h, [rgb]), mask)

    @classmethod
    def IS_CHANGED(cls, image):
        with open(get_annotated_filepath(image), "rb") as f:
            return hashlib.sha256(f.read()).digest().hex()

    @classmethod
    def VALIDATE_INPUTS(cls, image):
        if not exists_annotated_filepath(image):
            return "Invalid image file: {}".format(image)
        return True


class LoadImageMask(LoadImage):
    RETURN_TYPES = ("MASK",)
    FUNCTION = "load_image_mask"
    CATEGORY = "mask"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": (list_input_images(), {"image_upload": True}),
                             "channel": (["alpha", "red", "green", "blue"],)}}

    def load_image_mask(self, image, channel):
        img, mask = self.load_image(image)
        if channel == "alpha":
            return (mask,)
        index = ["red", "green", "blue"].index(channel)
        return (Mask(img.width, img.height, [img.frames[0][index::3]]),)

    @classmethod
    def IS_CHANGED(cls, image, channel):
        return LoadImage.IS_CHANGED(image)

    @classmethod
    def VALIDATE_INPUTS(cls, image):
        return LoadImage.VALIDATE_INPUTS(image)


# ---------------------------------------------------------------- savers

class SaveImage(Node):
    FUNCTION = "save_images"
    OUTPUT_NODE = True
    kind, prefix_append, compress_level = "output", "", 4

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"images": ("IMAGE", {"tooltip": "The images to save."}),
                             "filename_prefix": ("STRING", {"default": "ComfyUI"})},
                "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}}

    def save_images(self, images, filename_prefix="ComfyUI", prompt=None, extra_pnginfo=None):
        filename_prefix += self.prefix_append
        folder, filename, counter, subfolder, _ = get_save_image_path(
            filename_prefix, FOLDERS.by_type(self.kind), images.width, images.height)
        texts = None if self.ctx.disable_metadata else png_texts(prompt, extra_pnginfo)
        results = []
        for batch_number, frame in enumerate(images.frames):
            file = "%s_%05d_.png" % (filename.replace("%batch_num%", str(batch_number)), counter)
            with open(os.path.join(folder, file), "wb") as f:
                f.write(media.encode_png(images.width, images.height, frame, images.channels,
                                         texts, self.compress_level))
            results.append({"filename": file, "subfolder": subfolder, "type": self.kind})
            counter += 1
        return {"ui": {"images": results}}


class PreviewImage(SaveImage):
    kind, compress_level = "temp", 1

    def __init__(self):
        self.prefix_append = "_temp_" + "".join(random.choice("abcdefghijklmnopqrstupvxyz") for _ in range(5))

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"images": ("IMAGE",)},
                "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}}


class EmptyLatentImage(Node):
    RETURN_TYPES = ("LATENT",)
    FUNCTION = "generate"
    CATEGORY = "latent"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "width": ("INT", {"default": 512, "min": 16, "max": MAX_RESOLUTION, "step": 8}),
            "height": ("INT", {"default": 512, "min": 16, "max": MAX_RESOLUTION, "step": 8}),
            "batch_size": ("INT", {"default": 1, "min": 1, "max": 4096})}}

    def generate(self, width, height, batch_size=1):
        return ({"samples": [batch_size, 4, height // 8, width // 8]},)


class SaveLatent(Node):
    FUNCTION = "save"
    OUTPUT_NODE = True
    CATEGORY = "_for_testing"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"samples": ("LATENT",),
                             "filename_prefix": ("STRING", {"default": "latents/ComfyUI"})},
                "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}}

    def save(self, samples, filename_prefix="ComfyUI", prompt=None, extra_pnginfo=None):
        folder, filename, counter, subfolder, _ = get_save_image_path(filename_prefix, FOLDERS.output)
        metadata = None
        if not self.ctx.disable_metadata:
            metadata = {"prompt": json.dumps(prompt) if prompt is not None else ""}
            for key in extra_pnginfo or {}:
                metadata[key] = json.dumps(extra_pnginfo[key])
        file = "%s_%05d_.latent" % (filename, counter)
        shape = samples["samples"]
        count = shape[0] * shape[1] * shape[2] * shape[3]
        with open(os.path.join(folder, file), "wb") as f:
            f.write(media.encode_safetensors([("latent_tensor", shape, bytes(4 * count)),
                                              ("latent_format_version_0", [0], b"")], metadata))
        return {"ui": {"latents": [{"filename": file, "subfolder": subfolder, "type": "output"}]}}


class SaveAnimatedWEBP(Node):
    """Writes a RIFF/WEBP placeholder (right name and magic; the fake has no WebP encoder)."""
    FUNCTION = "save_images"
    OUTPUT_NODE = True
    PY_MODULE = "comfy_extras.nodes_images"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "images": ("IMAGE",), "filename_prefix": ("STRING", {"default": "ComfyUI"}),
            "fps": ("FLOAT", {"default": 6.0, "min": 0.01, "max": 1000.0, "step": 0.01}),
            "lossless": ("BOOLEAN", {"default": True}),
            "quality": ("INT", {"default": 80, "min": 0, "max": 100}),
            "method": (["default", "fastest", "slowest"],)},
            "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}}

    def save_images(self, images, fps, filename_prefix, lossless, quality, method, prompt=None,
                    extra_pnginfo=None):
        folder, filename, counter, subfolder, _ = get_save_image_path(
            filename_prefix, FOLDERS.output, images.width, images.height)
        file = "%s_%05d_.webp" % (filename, counter)
        note = ("fake_comfyui placeholder: %d frames %dx%d" % (len(images.frames), images.width,
                                                               images.height)).encode()
        with open(os.path.join(folder, file), "wb") as f:
            f.write(media.placeholder_webp(note))
        return {"ui": {"images": [{"filename": file, "subfolder": subfolder, "type": "output"}],
                       "animated": (True,)}}


class SaveAnimatedPNG(Node):
    FUNCTION = "save_images"
    OUTPUT_NODE = True
    PY_MODULE = "comfy_extras.nodes_images"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {
            "images": ("IMAGE",), "filename_prefix": ("STRING", {"default": "ComfyUI"}),
            "fps": ("FLOAT", {"default": 6.0, "min": 0.01, "max": 1000.0, "step": 0.01}),
            "compress_level": ("INT", {"default": 4, "min": 0, "max": 9})},
            "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}}

    def save_images(self, images, fps, compress_level, filename_prefix="ComfyUI", prompt=None,
                    extra_pnginfo=None):
        folder, filename, counter, subfolder, _ = get_save_image_path(
            filename_prefix, FOLDERS.output, images.width, images.height)
        file = "%s_%05d_.png" % (filename, counter)
        texts = None if self.ctx.disable_metadata else png_texts(prompt, extra_pnginfo)
        with open(os.path.join(folder, file), "wb") as f:
            f.write(media.encode_apng(images.width, images.height, images.frames, images.channels,
                                      texts, fps, compress_level))
        return {"ui": {"images": [{"filename": file, "subfolder": subfolder, "type": "output"}],
                       "animated": (True,)}}


class CreateVideo(Node):
    RETURN_TYPES = ("VIDEO",)
    FUNCTION = "execute"
    CATEGORY = "image/video"
    PY_MODULE = "comfy_extras.nodes_video"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"images": ("IMAGE",),
                             "fps": ("FLOAT", {"default": 30.0, "min": 1.0, "max": 120.0, "step": 1.0})},
                "optional": {"audio": ("AUDIO",)}}

    def execute(self, images, fps, audio=None):
        return ({"images": images, "fps": fps},)


class SaveVideo(Node):
    """Writes an MP4 placeholder (ftyp box + note; the fake has no video encoder)."""
    FUNCTION = "execute"
    OUTPUT_NODE = True
    CATEGORY = "image/video"
    PY_MODULE = "comfy_extras.nodes_video"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"video": ("VIDEO",),
                             "filename_prefix": ("STRING", {"default": "video/ComfyUI"}),
                             "format": (["auto", "mp4"],), "codec": (["auto", "h264"],)},
                "hidden": {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}}

    def execute(self, video, filename_prefix, format, codec, prompt=None, extra_pnginfo=None):
        images = video["images"]
        folder, filename, counter, subfolder, _ = get_save_image_path(
            filename_prefix, FOLDERS.output, images.width, images.height)
        file = "%s_%05d_.mp4" % (filename, counter)
        with open(os.path.join(folder, file), "wb") as f:
            f.write(media.placeholder_mp4(b"fake_comfyui placeholder video"))
        return {"ui": {"images": [{"filename": file, "subfolder": subfolder, "type": "output"}],
                       "animated": (True,)}}


class PrimitiveString(Node):
    RETURN_TYPES = ("STRING",)
    FUNCTION = "execute"
    CATEGORY = "utils/primitive"
    PY_MODULE = "comfy_extras.nodes_primitive"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"value": ("STRING", {})}}

    def execute(self, value):
        return (value,)


class PreviewAny(Node):
    FUNCTION = "main"
    OUTPUT_NODE = True
    CATEGORY = "utils"
    PY_MODULE = "comfy_extras.nodes_preview_any"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"source": (ANY, {})}}

    def main(self, source=None):
        value = "None"
        if isinstance(source, str):
            value = source
        elif isinstance(source, (int, float, bool)):
            value = str(source)
        elif source is not None:
            try:
                value = json.dumps(source)
            except Exception:
                value = str(source)
        return {"ui": {"text": (value,)}}


class SaveImageWebsocket(Node):
    """custom_nodes/websocket_image_save.py: one progress step and one PNG frame per image."""
    FUNCTION = "save_images"
    OUTPUT_NODE = True
    CATEGORY = "api node/image"
    PY_MODULE = "custom_nodes.websocket_image_save"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"images": ("IMAGE",)}}

    def save_images(self, images):
        for step, frame in enumerate(images.frames):
            png = media.encode_png(images.width, images.height, frame, images.channels, level=1)
            self.ctx.progress(step, len(images.frames), ("PNG", png))
        return {}

    @classmethod
    def IS_CHANGED(cls, images=None):
        return time.time()


CORE_NODES = [EmptyImage, ImageInvert, ImageAddNoise, ImageBlur, GetImageSize, ImageToMask,
              LoadImage, LoadImageMask, SaveImage, PreviewImage, EmptyLatentImage, SaveLatent,
              SaveAnimatedWEBP, SaveAnimatedPNG, CreateVideo, SaveVideo, PrimitiveString, PreviewAny]
CUSTOM_NODES = [SaveImageWebsocket]

DISPLAY_NAMES = {"ImageInvert": "Invert Image", "ImageBlur": "Image Blur", "LoadImage": "Load Image",
                 "SaveImage": "Save Image", "PreviewImage": "Preview Image",
                 "EmptyLatentImage": "Empty Latent Image", "LoadImageMask": "Load Image (as Mask)",
                 "ImageToMask": "Convert Image to Mask", "PreviewAny": "Preview Any",
                 "PrimitiveString": "String", "CreateVideo": "Create Video", "SaveVideo": "Save Video",
                 "GetImageSize": "Get Image Size", "ImageAddNoise": "Image Add Noise"}


def class_mappings(custom_nodes=True):
    import fake_nodes  # imports this module, so it is loaded late
    classes = CORE_NODES + (CUSTOM_NODES if custom_nodes else []) + fake_nodes.TEST_NODES
    return {cls.__name__: cls for cls in classes}


def node_info(name, cls):
    """server.py node_info() for a V1 node."""
    types = cls.INPUT_TYPES()
    info = {
        "input": types,
        "input_order": {key: list(value.keys()) for key, value in types.items()},
        "output": list(cls.RETURN_TYPES),
        "output_is_list": [False] * len(cls.RETURN_TYPES),
        "output_name": list(getattr(cls, "RETURN_NAMES", cls.RETURN_TYPES)),
        "name": name,
        "display_name": DISPLAY_NAMES.get(name, name),
        "description": getattr(cls, "DESCRIPTION", ""),
        "python_module": cls.PY_MODULE,
        "category": cls.CATEGORY,
        "output_node": cls.OUTPUT_NODE is True,
    }
    return info
