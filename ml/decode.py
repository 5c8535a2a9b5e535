"""Bytes, a path or a PIL image -> one decoded, upright image, or an error a user can read.

Everything a user uploads passes here first: the format is checked against what we
accept, the pixel count is refused from the header before anything is decoded, an
animation gives its first frame and a photo is turned as its EXIF tag says. Every
failure is a ``PreprocessError`` whose message is meant for the person who sent the file.
A plain 8-bit PNG (every canvas drawing) is decoded by libspng, about three times faster and
to the same pixels; everything else, and any file libspng refuses, by Pillow.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
from pathlib import Path

import numpy as np
import pyspng
from PIL import Image, ImageOps, UnidentifiedImageError

SUPPORTED_FORMATS = frozenset({"PNG", "JPEG", "MPO", "GIF", "BMP", "WEBP", "TIFF"})
# 50 megapixels covers phone cameras; anything bigger is refused from its header, before
# any pixel is decoded (a 20000x20000 PNG of a few KB would otherwise take 1.2 GB).
MAX_PIXELS = 50_000_000

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the IEND chunk: a file cut short lacks it
PLAIN_PNG_COLOURS = frozenset({0, 2, 6})  # gray, RGB, RGBA: what canvases and screenshots write
# Chunks that change what the pixels mean (a transparent colour, the EXIF orientation,
# an animation), which Pillow's reader honours. A chance match of these bytes inside the
# compressed pixels only sends the file to Pillow, which decodes everything.
PILLOW_ONLY_CHUNKS = (b"tRNS", b"eXIf", b"acTL")


class PreprocessError(ValueError):
    """The image cannot be turned into a model input; the message is for the user."""


class InvalidImageError(PreprocessError):
    """The bytes are not a decodable image."""


class UnsupportedFormatError(InvalidImageError):
    """A real image, but not in one of the accepted formats."""


class ImageTooLargeError(InvalidImageError):
    """More pixels than we are willing to decode (refused from the header)."""


class EmptyImageError(PreprocessError):
    """A blank or near-blank image: there is no digit to recognize."""


ImageSource = bytes | bytearray | memoryview | str | os.PathLike | Image.Image


def decode_image(source: ImageSource) -> Image.Image:
    """Open and fully decode an image from bytes, a path or a PIL image.

    Returns a loaded PIL image: the first frame of an animation, turned upright by its
    EXIF orientation. Raises ``InvalidImageError`` (or a subclass) with a clear message.
    """
    if isinstance(source, Image.Image):
        if plain_pixels(source) is not None:
            # Decoded here already (the web app decodes an upload to check it, then
            # predicts from it): loaded, upright, and its pixels still libspng's array,
            # which a copy would lose.
            return source
        image = source
    elif isinstance(source, (bytes, bytearray, memoryview)) and (plain := _plain_png(bytes(source))) is not None:
        return plain
    else:
        image = _open(source)
        if image.format not in SUPPORTED_FORMATS:
            raise UnsupportedFormatError(
                f"{image.format or 'This'} images are not supported; use PNG, JPEG, GIF, BMP, WebP or TIFF."
            )
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageTooLargeError(
            f"The image is {width}x{height} pixels; at most {MAX_PIXELS // 1_000_000} megapixels are accepted."
        )
    if width < 1 or height < 1:
        raise InvalidImageError("The image has no pixels.")
    try:
        if getattr(image, "n_frames", 1) > 1:
            image.seek(0)
        image.load()
        if image is source:  # the caller's image: turn a copy, never theirs
            return ImageOps.exif_transpose(image) or image
        ImageOps.exif_transpose(image, in_place=True)  # ours: no copy of every pixel
        return image
    # TypeError: Pillow's TIFF reader says so of a frame whose size tags are missing.
    except (OSError, SyntaxError, ValueError, TypeError, EOFError, Image.DecompressionBombError) as exc:
        raise InvalidImageError(f"The image is damaged or truncated ({exc}).") from exc


def _plain_png(data: bytes) -> Image.Image | None:
    """A plain 8-bit PNG (every canvas drawing) decoded by libspng, or None for Pillow.

    libspng decodes a 280x280 canvas in a third of Pillow's time (0.11 ms against 0.30, `bench.latency`),
    pixel for pixel the same. Anything else (16-bit, palette, interlaced, transparency
    key, EXIF, animation, too many pixels, damaged or cut short) goes to Pillow, which
    decodes it or says exactly what is wrong.
    """
    if len(data) < 45 or data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR" or data[-12:] != PNG_END:
        return None
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    if depth != 8 or colour not in PLAIN_PNG_COLOURS or interlace or not 0 < width * height <= MAX_PIXELS:
        return None
    if any(chunk in data for chunk in PILLOW_ONLY_CHUNKS):
        return None
    try:
        pixels = pyspng.load(data)
    except RuntimeError:  # a bad checksum, a broken stream: Pillow words the error
        return None
    image = Image.fromarray(pixels)  # L, RGB or RGBA by its shape; shares the pixels
    image.ml_pixels = pixels  # for plain_pixels: numpy needs no copy of them
    return image


def plain_pixels(image: Image.Image) -> np.ndarray | None:
    """libspng's own array behind a plain PNG decoded here (rows, columns[, channels]),
    or None for any other image.

    ``np.asarray`` of a PIL image copies every pixel, a tenth of a canvas's whole
    preprocessing; the decoder's array is the same pixels with no copy. Only while the
    image still shares them: Pillow copies a read-only image before it changes one.
    """
    pixels = getattr(image, "ml_pixels", None)
    return pixels if pixels is not None and image.readonly else None


def _open(source) -> Image.Image:
    if isinstance(source, (bytes, bytearray, memoryview)):
        if not len(source):
            raise InvalidImageError("The file is empty.")
        stream = io.BytesIO(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise InvalidImageError(f"No such file: {path}")
        stream = path
    try:
        with warnings.catch_warnings():
            # Pillow warns (then errors) on huge images; our own MAX_PIXELS check decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(stream)
    except Image.DecompressionBombError as exc:
        # Pillow's own, higher limit tripped first (it reads only the header too); its
        # message speaks of attacks, ours of what is accepted.
        raise ImageTooLargeError(
            f"The image has far too many pixels; at most {MAX_PIXELS // 1_000_000} megapixels are accepted."
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InvalidImageError("The file is not an image we can read (PNG, JPEG, GIF, BMP, WebP or TIFF).") from exc
