"""Synthetic drawings for tests: digits drawn with Pillow the way a person draws them."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image, ImageDraw


def canvas(size=(280, 280), background="white") -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", size, background)
    return image, ImageDraw.Draw(image)


def draw_one(
    size=(280, 280), box=(110, 40, 170, 240), ink="black", background="white", width=20, slant=8
) -> Image.Image:
    """A '1': one stroke inside ``box``, leaning right by ``slant`` pixels each way."""
    image, pen = canvas(size, background)
    x0, y0, x1, y1 = box
    pen.line([((x0 + x1) / 2 + slant, y0), ((x0 + x1) / 2 - slant, y1)], fill=ink, width=width)
    return image


def draw_zero(size=(280, 280), box=(80, 40, 200, 240), ink="black", background="white", width=20) -> Image.Image:
    """A '0': an upright ring."""
    image, pen = canvas(size, background)
    pen.ellipse(box, outline=ink, width=width)
    return image


def draw_number(number: str, *, side: int = 280) -> Image.Image:
    """``number`` (1s and 0s) as the wide canvas draws it: each digit upright in its own
    ``side`` square, side by side, with the canvas's brush (side / 14); at least three
    squares wide, as the Number canvas is."""
    scale = side / 280
    shapes = {
        "1": lambda: draw_one(size=(side, side), box=(140 * scale, 45 * scale, 140 * scale, 235 * scale),
                              width=round(side / 14), slant=0),
        "0": lambda: draw_zero(size=(side, side), box=(85 * scale, 45 * scale, 195 * scale, 235 * scale),
                               width=round(side / 14)),
    }
    image, _ = canvas((side * max(3, len(number)), side))
    for index, character in enumerate(number):
        image.paste(shapes[character](), (index * side, 0))
    return image


def png_bytes(image: Image.Image, format: str = "PNG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **params)
    return buffer.getvalue()


def center_of_mass(model_input: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(model_input.shape)
    mass = model_input.sum()
    return float((model_input * rows).sum() / mass), float((model_input * cols).sum() / mass)


def _png(header: bytes, pixel_data: bytes) -> bytes:
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixel_data) + chunk(b"IEND", b"")


def huge_png_header(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels but carries almost no data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return _png(header, zlib.compress(b"\0" * 64))


def decompression_bomb_png(side: int = 20_000) -> bytes:
    """A complete, valid side x side black-and-white PNG (every row present) that deflates
    to a few dozen KB: 400 million pixels, about 1.2 GB once decoded to RGB."""
    row = b"\0" + b"\0" * ((side + 7) // 8)  # filter byte, then 1-bit pixels
    deflate = zlib.compressobj(9)
    pixel_data = b"".join(deflate.compress(row) for _ in range(side)) + deflate.flush()
    return _png(struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0), pixel_data)
