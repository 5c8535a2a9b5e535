"""Digits laid side by side into a number on the 840x280 Number-mode canvas.

Shared by the whole-number benchmark (``bench.numbers``, pendigits drawings) and the
one-digit judge's training data (``ml.judge_data``, MNIST digits), so that the judge is
trained on numbers put together exactly the way it is measured on.

Each digit comes as its own tile: a white 280-px-tall drawing (uint8, black ink), the
digit at its height on the baseline. Neighbours are either a given gap apart or slid
together until their strokes touch, overlapping by up to half a brush, but never more
than half the narrower digit into the other's columns: a pair that would only touch
deeper (a long bar over its neighbour) stays cramped, columns overlapping, strokes apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ml.pendigits import BRUSH, CANVAS

WIDTH, HEIGHT = 840, 280  # the Number mode canvas
MARGIN = 20  # left free at the canvas's edges
FIT = CANVAS - BRUSH - 4  # the widest a digit is drawn: what its own 280x280 canvas holds
SEPARATED_GAP = (0.06, 0.35)  # of the number's height, between neighbours' ink when apart
INK = 128  # a canvas pixel darker than this is solid stroke, for touching


@dataclass(frozen=True)
class Layout:
    canvas: np.ndarray  # (HEIGHT, WIDTH) uint8, black on white
    touches: int  # neighbours whose strokes touch
    columns: tuple[tuple[int, int], ...]  # each tile's ink columns on the canvas: (x0, x1)


def lay_out(tiles: list[np.ndarray], gaps: list[float | None], rng: np.random.Generator) -> Layout:
    """The tiles side by side on the canvas, darkest pixel winning where they overlap (as
    strokes do on one canvas), placed at a random distance from the left edge.
    ``gaps[i]`` is the space in px between tile ``i`` and ``i + 1``; None: touching."""
    strip = np.full((HEIGHT, 3 * WIDTH), 255, dtype=np.uint8)
    right = previous = touches = 0
    spans = []
    for index, tile in enumerate(tiles):
        columns = np.flatnonzero(tile.min(axis=0) < 255)
        tile = tile[:, columns[0] : columns[-1] + 1]
        if index == 0:
            left = 0
        elif gaps[index - 1] is not None:
            left = right + round(gaps[index - 1])
        else:
            touch = touching_left(strip[:, :right], tile)
            limit = right - min(previous, tile.shape[1]) // 2
            if touch is None:  # no row in common: box to box
                left = right
            else:  # overlapping by up to half a brush
                left = max(touch - int(rng.integers(0, BRUSH // 2 + 1)), limit)
                touches += left <= touch
        strip[:, left : left + tile.shape[1]] = np.minimum(strip[:, left : left + tile.shape[1]], tile)
        spans.append((left, left + tile.shape[1]))
        right, previous = max(right, left + tile.shape[1]), tile.shape[1]
    used = strip[:, :right]
    canvas = np.full((HEIGHT, WIDTH), 255, dtype=np.uint8)
    start = MARGIN + int(rng.integers(0, max(1, WIDTH - 2 * MARGIN - right + 1)))
    width = min(right, WIDTH - start)
    canvas[:, start : start + width] = used[:, :width]
    return Layout(canvas, touches, tuple((start + x0, min(start + x1, WIDTH)) for x0, x1 in spans))


def touching_left(strip: np.ndarray, tile: np.ndarray) -> int | None:
    """Where the tile goes so that its strokes just touch what is drawn (None: they
    share no row)."""
    drawn, new = strip < INK, tile < INK
    rows = drawn.any(axis=1) & new.any(axis=1)
    if not rows.any():
        return None
    last = strip.shape[1] - 1 - np.argmax(drawn[rows, ::-1], axis=1)
    first = np.argmax(new[rows], axis=1)
    return int((last - first).max()) + 1
