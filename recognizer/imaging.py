"""Image encodings the app stores and serves (Pillow); recognition itself is in ``ml``."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps

# An original bigger than this (longer side, or bytes) is stored as a normalized copy so
# one upload cannot bloat the database; the model has already seen the full image.
MAX_STORED_SIDE = 1024
MAX_STORED_BYTES = 1024 * 1024
JPEG_QUALITY = 85
THUMBNAIL_SIDE = 240

# MIME types by Pillow format name. MPO is the multi-picture JPEG that phones write.
FORMAT_MIME_TYPES = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "GIF": "image/gif",
    "BMP": "image/bmp",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
}
ACCEPTED_MIME_TYPES = frozenset(FORMAT_MIME_TYPES.values()) | {"image/jpg", "image/x-ms-bmp"}
# What every browser can show in an <img>; anything else (TIFF) is served as PNG.
BROWSER_MIME_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"})


def mime_type_of(image_bytes: bytes) -> str | None:
    """The MIME type named by the image's header (no pixels are decoded)."""
    try:
        with Image.open(io.BytesIO(image_bytes)) as header:
            return FORMAT_MIME_TYPES.get(header.format or "")
    except (OSError, ValueError, SyntaxError):
        return None


def stored_original(*, image_bytes: bytes, image: Image.Image, content_type: str) -> tuple[bytes, str]:
    """The bytes and content type to store for an upload.

    Small images are kept exactly as sent. A large one (over MAX_STORED_SIDE pixels on its
    longer side or MAX_STORED_BYTES) becomes a copy that fits both limits: PNG where it
    has transparency or few colours (drawings, scans), JPEG for photos. ``image`` is the
    decoded, upright image.
    """
    if max(image.size) <= MAX_STORED_SIDE and len(image_bytes) <= MAX_STORED_BYTES:
        return image_bytes, content_type
    copy = image.copy()
    copy.thumbnail((MAX_STORED_SIDE, MAX_STORED_SIDE), Image.Resampling.LANCZOS)
    if _has_transparency(copy) or _is_drawing(copy):
        png = _encode(copy.convert("RGBA" if _has_transparency(copy) else "RGB"), "PNG", optimize=True)
        if len(png) <= MAX_STORED_BYTES:
            return png, "image/png"
    # Photos, and drawings too detailed for a small PNG: JPEG on white.
    return _encode(_flatten(copy), "JPEG", quality=JPEG_QUALITY, optimize=True), "image/jpeg"


def model_input_png(model_input: np.ndarray) -> bytes:
    """The 28x28 model input (floats 0..1, white ink on black) as a grayscale PNG."""
    return model_inputs_png([model_input])


def model_inputs_png(model_inputs) -> bytes:
    """Several 28x28 model inputs side by side, left to right, as one grayscale PNG
    (28 high, 28 wide per input): what the model saw for each digit of a number. No gap
    between them, so the strip cuts back into its inputs at every 28th column."""
    strip = np.hstack([np.asarray(model_input, dtype=np.float32).reshape(28, 28) for model_input in model_inputs])
    pixels = np.clip(strip * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return _encode(Image.fromarray(pixels, mode="L"), "PNG", optimize=True)


def model_input_array(png: bytes) -> np.ndarray:
    """A stored ``model_input_png`` back as the (28, 28) floats 0..1 it was made from."""
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


def browser_image(*, image_bytes: bytes, content_type: str) -> tuple[bytes, str]:
    """The stored image in a format browsers show: as stored, or converted to PNG."""
    if content_type in BROWSER_MIME_TYPES:
        return image_bytes, content_type
    return _encode(_open_upright(image_bytes), "PNG"), "image/png"


def thumbnail(*, image_bytes: bytes) -> tuple[bytes, str]:
    """A small JPEG (PNG if transparent) of a stored image, for history lists."""
    image = _open_upright(image_bytes)
    image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    if _has_transparency(image):
        return _encode(image.convert("RGBA"), "PNG", optimize=True), "image/png"
    return _encode(_flatten(image), "JPEG", quality=JPEG_QUALITY), "image/jpeg"


def _open_upright(image_bytes: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(image_bytes))
    image.seek(0)
    image = ImageOps.exif_transpose(image) or image
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if _has_transparency(image) else "RGB")
    return image


def _has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _is_drawing(image: Image.Image) -> bool:
    """Few distinct colours: a canvas drawing or a scan, which PNG keeps small and sharp."""
    sample = image.convert("RGB")
    sample.thumbnail((256, 256))
    return sample.getcolors(maxcolors=256) is not None


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on a white background (JPEG has no transparency)."""
    if _has_transparency(image):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _encode(image: Image.Image, format_name: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format_name, **options)
    return buffer.getvalue()
