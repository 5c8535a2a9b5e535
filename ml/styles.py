"""Writing styles MNIST lacks: the flagged 1 and the crossed 7.

MNIST's writers were American; many people elsewhere write a 1 with a long flag and
cross their 7. Measured on screen-drawn digits, a model trained on MNIST alone reads a
flagged 1 as a 7 and a crossed 7 as a 2, its two largest errors. Here some MNIST 1s
get a flag and some 7s a bar, drawn in place with an anti-aliased pen at 4x resolution.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

SUPERSAMPLE = 4
PEN = 2.2  # the thinnest added stroke, in pixels of the 28x28 field
FLAG_ANGLE = (35.0, 65.0)  # degrees between the stem and the flag
FLAG_LENGTH = (0.3, 0.6)  # the flag's length, as a share of the stem's


def add_styles(
    images: np.ndarray, labels: np.ndarray, rng: np.random.Generator, ones: float, sevens: float, feet: float = 0.0
) -> None:
    """Redraw, in place, a share of the 1s with a flag and of the 7s with a crossbar, and
    (``feet``) give a share of the 1s a foot, the bar some people draw under the stem."""
    labels = np.asarray(labels)
    for index in np.flatnonzero((labels == 1) & (rng.random(len(labels)) < ones)):
        _stroke(images, index, _flag(images[index], rng))
    for index in np.flatnonzero((labels == 7) & (rng.random(len(labels)) < sevens)):
        _stroke(images, index, _crossbar(images[index], rng))
    if feet:  # no draw from the generator when off, so older recipes replay exactly
        for index in np.flatnonzero((labels == 1) & (rng.random(len(labels)) < feet)):
            _stroke(images, index, _foot(images[index], rng))


def _ink_rows(image: np.ndarray) -> np.ndarray:
    return np.flatnonzero(image.max(axis=1) > 0.5)


def _centre_of_row(image: np.ndarray, row: int) -> float:
    cols = np.flatnonzero(image[row] > 0.5)
    return float(cols.mean()) if len(cols) else float(image.shape[1] / 2)


def _flag(image: np.ndarray, rng: np.random.Generator):
    """From the top of the stem, a stroke going down and to the left."""
    rows = _ink_rows(image)
    if len(rows) < 8:
        return None
    top, bottom = int(rows[0]), int(rows[-1])
    top_col, bottom_col = _centre_of_row(image, top), _centre_of_row(image, bottom)
    stem = np.array([bottom - top, bottom_col - top_col], dtype=np.float64)
    length = float(np.hypot(*stem))
    stem /= max(length, 1e-6)
    angle = np.deg2rad(rng.uniform(*FLAG_ANGLE))
    direction = np.array(
        [stem[0] * np.cos(angle) + stem[1] * np.sin(angle), -stem[0] * np.sin(angle) + stem[1] * np.cos(angle)]
    )
    end = np.array([top, top_col]) + direction * length * rng.uniform(*FLAG_LENGTH)
    return [(top_col, top + 0.5), (end[1], end[0])]


def _crossbar(image: np.ndarray, rng: np.random.Generator):
    """A short, nearly level bar across the stem, a little below the middle."""
    rows = _ink_rows(image)
    if len(rows) < 8:
        return None
    row = int(rows[0] + (rows[-1] - rows[0]) * rng.uniform(0.45, 0.6))
    centre = _centre_of_row(image, row)
    half = rng.uniform(3.0, 5.0)
    tilt = rng.uniform(-1.0, 1.0)
    return [(centre - half, row + tilt), (centre + half, row - tilt)]


def _foot(image: np.ndarray, rng: np.random.Generator):
    """A short level bar under the stem, centred on its bottom."""
    rows = _ink_rows(image)
    if len(rows) < 8:
        return None
    row = int(rows[-1])
    centre = _centre_of_row(image, row)
    half = rng.uniform(2.5, 4.5)
    return [(centre - half, row), (centre + half, row)]


def _pen_width(image: np.ndarray) -> float:
    """The digit's own stroke width, so an added stroke looks written by the same pen."""
    mask = image > 0.5
    inner = mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    boundary = max(1, int(mask.sum()) - int(inner.sum()))
    return float(np.clip(2.0 * mask.sum() / boundary, PEN, 4.0))


def _stroke(images: np.ndarray, index: int, line) -> None:
    if line is None:
        return
    side = images.shape[1] * SUPERSAMPLE
    pen = Image.new("L", (side, side), 0)
    scaled = [(x * SUPERSAMPLE + SUPERSAMPLE / 2, y * SUPERSAMPLE + SUPERSAMPLE / 2) for x, y in line]
    width = round(_pen_width(images[index]) * SUPERSAMPLE)
    ImageDraw.Draw(pen).line(scaled, fill=255, width=width, joint="curve")
    small = pen.resize((images.shape[2], images.shape[1]), Image.Resampling.BOX)
    images[index] = np.maximum(images[index], np.asarray(small, dtype=np.float32) / 255.0)
