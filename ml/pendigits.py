"""The pendigits development set: pen trajectories of digits drawn on a screen.

Our measure of how the recognizer does on drawn digits (never training data). Each digit
is rendered the way the web canvas draws it: a 280x280 white field, a round black brush
about 20 px wide, either *as written* (the writer's own size and place in the 500x500
tablet box) or *filled* (scaled to fill the canvas).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

TABLET_BOX = 500  # writers wrote inside 500x500 tablet-pixel boxes
CANVAS = 280
BRUSH = 20
FILL_MARGIN = 0.1  # "filled" leaves the margin a person leaves on a canvas


@dataclass(frozen=True)
class PenDigit:
    label: int
    writer: int
    strokes: tuple[np.ndarray, ...]  # each (n, 2): x, y in tablet units, y up


def load_pendigits(path: str | os.PathLike) -> list[PenDigit]:
    """Parse a UNIPEN-style ``pendigits-orig`` file (or the folder holding one)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("pendigits-orig.*"))
        if not files:
            raise FileNotFoundError(f"No pendigits-orig.* file in {path}")
        path = files[0]
    digits: list[PenDigit] = []
    label = writer = None
    strokes: list[np.ndarray] = []
    points: list[tuple[int, int]] | None = None
    for line in path.read_text().splitlines():
        if line.startswith(".SEGMENT"):
            if label is not None:
                digits.append(PenDigit(label, writer, tuple(strokes)))
            label, strokes = int(line.split('"')[1]), []
        elif line.startswith(".COMMENT"):
            writer = int(line.split()[2])
        elif line.startswith(".PEN_DOWN"):
            points = []
        elif line.startswith(".PEN_UP"):
            if points:
                strokes.append(np.array(points, dtype=np.float32))
            points = None
        elif points is not None and line.strip():
            x, y = line.split()
            points.append((int(x), int(y)))
    if label is not None:
        digits.append(PenDigit(label, writer, tuple(strokes)))
    return digits


def canvas_strokes(digit: PenDigit, mode: str = "as_written", size: int = CANVAS, brush: int = BRUSH) -> list[np.ndarray]:
    """The digit's strokes in canvas pixels (x right, y down), placed as ``mode`` says."""
    if mode == "as_written":
        scale = size / TABLET_BOX
        offset = np.zeros(2, dtype=np.float32)
        origin = np.zeros(2, dtype=np.float32)
    elif mode == "filled":
        allpoints = np.concatenate(digit.strokes)
        origin = allpoints.min(axis=0)
        extent = float(max((allpoints.max(axis=0) - origin).max(), 1.0))
        scale = (size * (1 - 2 * FILL_MARGIN) - brush) / extent
        offset = (size - (allpoints.max(axis=0) - origin) * scale) / 2
    else:
        raise ValueError(f"mode must be 'as_written' or 'filled', not {mode!r}")
    placed = []
    for stroke in digit.strokes:
        xy = (stroke - origin) * scale + offset
        xy[:, 1] = size - xy[:, 1]  # tablet y points up, the canvas's down
        placed.append(xy)
    return placed


def render(digit: PenDigit, mode: str = "as_written", size: int = CANVAS, brush: int = BRUSH) -> Image.Image:
    """Draw the digit as the web canvas would, with Pillow: black round strokes on white."""
    image = Image.new("RGB", (size, size), "white")
    pen = ImageDraw.Draw(image)
    radius = brush / 2
    for stroke in canvas_strokes(digit, mode, size, brush):
        flat = [tuple(point) for point in stroke.tolist()]
        if len(flat) > 1:
            pen.line(flat, fill="black", width=brush, joint="curve")
        for x, y in (flat[0], flat[-1]) if len(flat) > 1 else flat:
            pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill="black")
    return image
