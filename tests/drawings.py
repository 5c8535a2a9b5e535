"""Synthetic drawings for tests: digits drawn with Pillow the way a person draws them."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw


def canvas(size=(280, 280), background="white") -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", size, background)
    return image, ImageDraw.Draw(image)


def draw_one(size=(280, 280), box=(110, 40, 170, 240), ink="black", background="white", width=20) -> Image.Image:
    """A '1': one slightly slanted vertical stroke inside ``box``."""
    image, pen = canvas(size, background)
    x0, y0, x1, y1 = box
    pen.line([((x0 + x1) / 2 + 8, y0), ((x0 + x1) / 2 - 8, y1)], fill=ink, width=width)
    return image


def draw_zero(size=(280, 280), box=(80, 40, 200, 240), ink="black", background="white", width=20) -> Image.Image:
    """A '0': an upright ring."""
    image, pen = canvas(size, background)
    pen.ellipse(box, outline=ink, width=width)
    return image


def png_bytes(image: Image.Image, format: str = "PNG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **params)
    return buffer.getvalue()


def center_of_mass(model_input: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(model_input.shape)
    mass = model_input.sum()
    return float((model_input * rows).sum() / mass), float((model_input * cols).sum() / mass)
