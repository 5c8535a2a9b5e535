"""A second look at inputs the model is unsure of: test-time augmentation where it pays.

Most drawings are read with one confident inference. When the likeliest digit has less
than SECOND_LOOK_BELOW of the probability, the input is read again in six variants
and the probabilities of the seven readings are averaged: the ways the same digit could
have been drawn with another pen (strokes a pixel thicker, a pixel thinner), and the
same input moved by one pixel up, down, left and right. An unsure reading is often a
stroke-width accident (a loop closed by a thick brush, a gap left by a thin one) or
hangs on where exactly a stroke fell on the 28x28 grid, and the variants outvote it.

Only the few unsure inputs pay for the extra inferences, so the median latency is that
of one inference (``python -m bench.latency`` prints how often the second look is
taken). docs/experiments.md, "Upright, and a second look", has the measurements behind
these settings.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ml.framing import MNIST_SIDE, dilate, erode

SECOND_LOOK_BELOW = 0.8

Infer = Callable[[np.ndarray], np.ndarray]  # (n, 28, 28) inputs -> (n, 10) probabilities


def thicker(inputs: np.ndarray) -> np.ndarray:
    return _each(inputs, lambda image: dilate(image, 2))


def thinner(inputs: np.ndarray) -> np.ndarray:
    return _each(inputs, lambda image: erode(image, 2))


def _each(inputs: np.ndarray, change: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    inputs = np.asarray(inputs, dtype=np.float32)
    return np.stack([change(image) for image in inputs]) if len(inputs) else inputs.copy()


def _moved(rows: int, cols: int) -> Callable[[np.ndarray], np.ndarray]:
    """The inputs moved by (rows, cols) pixels, at most one each way, the uncovered edge
    left blank (not wrapped round: a digit near one edge must not reappear at the other)."""

    def moved(inputs: np.ndarray) -> np.ndarray:
        height, width = inputs.shape[1:]
        padded = np.pad(inputs, ((0, 0), (1, 1), (1, 1)))
        return padded[:, 1 - rows : 1 - rows + height, 1 - cols : 1 - cols + width]

    return moved


MOVES = (_moved(1, 0), _moved(-1, 0), _moved(0, 1), _moved(0, -1))
# Measured (docs/experiments.md, "Upright, and a second look"): the moves add to thicker/thinner on MNIST and on
# both kinds of drawings. Turned, sheared and zoomed variants were measured too and
# read drawings worse: inputs are already upright and framed (ml.framing).
VARIANTS: tuple[Callable[[np.ndarray], np.ndarray], ...] = (thicker, thinner, *MOVES)


def unsure(probabilities: np.ndarray) -> np.ndarray:
    """The rows whose likeliest digit has less than SECOND_LOOK_BELOW."""
    return np.flatnonzero(probabilities.max(axis=1) < SECOND_LOOK_BELOW)


def second_look(inputs: np.ndarray, probabilities: np.ndarray, infer: Infer) -> np.ndarray:
    """``probabilities`` with each unsure row replaced by the average over the input and
    its VARIANTS, all the variants read in one ``infer`` call."""
    rows = unsure(probabilities)
    if not len(rows):
        return probabilities
    doubtful = np.asarray(inputs, dtype=np.float32).reshape(-1, MNIST_SIDE, MNIST_SIDE)[rows]
    readings = infer(np.concatenate([variant(doubtful) for variant in VARIANTS]))
    readings = readings.reshape(len(VARIANTS), len(rows), -1)
    refined = probabilities.copy()
    refined[rows] = (probabilities[rows] + readings.sum(axis=0)) / (len(VARIANTS) + 1)
    return refined
