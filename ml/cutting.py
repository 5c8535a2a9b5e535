"""Touching digits: where a group of ink may be cut, and which reading of it wins.

A group wider than one digit usually is may be several digits whose strokes touch. It is
cut at its weakest columns (minima of the column profile) and where equal-width digits
would meet; every run of ink between two cuts that could be a digit is a candidate piece,
and each way of reading the group (a path of pieces from its left edge to its right) is
scored by the model's confidence in each piece's digit.

Confidence alone cannot tell two touching digits read as one from one wide digit: the
model is as sure of two 4s read as one 4 as of the two. Two ways to decide:

- with the one-digit judge (``ml.judge``, a second small network that says whether a
  piece is exactly one digit), the reading whose pieces score best on
  log(confidence) + ``JUDGE_WEIGHT`` log(one digit) wins, and groups from
  ``JUDGED_PAIR_ASPECT`` wide are tried;
- without it, fewer digits win unless more read clearly better (``more_digits_win``),
  and only groups from ``PAIR_ASPECT`` wide are tried.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ml.preprocess import InkParts, PreprocessError, to_model_input

# Widths as a share of the group's height. Pendigits digits drawn with the canvas brush
# are 0.65 as wide as tall (median), nine in ten narrower than 0.9, one in a hundred
# wider than 1.4 (wide 0s and 2s); a plain 1 is 0.15. Two touching digits are 0.9 and up.
DIGIT_ASPECT = 0.65
PAIR_ASPECT = 0.9
WIDEST_DIGIT = 1.45
NARROWEST_DIGIT = 0.1
DIGIT_PART = 0.5  # of the typical height: a part this tall is a digit or most of one
# With the judge guarding against cutting one digit in two, narrower groups are tried:
# a 4 and a 1 touching are 0.7 to 0.9 as wide as tall. From 0.7 a wide-flagged 1 was
# sometimes cut into "11" and separated numbers lost what touching ones gained; 0.8 kept
# every separated number on two benchmark seeds (README, "Whole numbers").
JUDGED_PAIR_ASPECT = 0.8
JUDGE_WEIGHT = 0.5  # how much the judge's word counts against the model's confidence
# More digits must read better than fewer: the product of their confidences higher, by
# a factor that eases as the fewer digits would have to be wider (WIDTH_PRIOR: the model
# is as sure of two 4s touching read as one 4 as of the two), and each digit at least
# PAIR_CONFIDENCE (a wide 0 cut in two reads as a doubtful "(" and ")").
WIDTH_PRIOR = 0.1
PAIR_CONFIDENCE = 0.7
MAX_CUTS = 8  # weakest columns tried as cuts per group (besides the equal-width cuts)
CUT_SPACING = 0.08  # of the height: weakest columns closer than this are one cut
CUT_WINDOW = 0.35  # an equal-width cut is looked for this share of a digit either side

OneDigitFor = Callable[[np.ndarray], np.ndarray]  # (n, 28, 28) -> (n,): how surely one digit


@dataclass(frozen=True)
class DigitPiece:
    """One digit of a number: its ink, the model input made from it, and where it was."""

    crop: np.ndarray  # the digit's ink, 1.0 is the strongest, cropped to its strokes
    model_input: np.ndarray  # (28, 28) float32, framed like MNIST
    box: tuple[float, float, float, float]  # left, top, width, height: fractions of the image


@dataclass
class Group:
    """Parts grouped into one digit, or into touching digits still to be cut."""

    labels: list[int]
    box: list[int]  # y0, y1, x0, x1 at ink-map resolution

    def take(self, label: int, box) -> None:
        self.labels.append(label)
        self.box = [min(self.box[0], box[0]), max(self.box[1], box[1]), min(self.box[2], box[2]), max(self.box[3], box[3])]


@dataclass(frozen=True)
class Reading:
    """One way to read some ink: its digits, each with its probabilities."""

    digits: list[tuple[DigitPiece, np.ndarray]]

    @property
    def log_confidence(self) -> float:
        """The log of the product of the digits' confidences."""
        return float(sum(np.log(max(p.max(), 1e-9)) for _, p in self.digits))

    @property
    def mean(self) -> float:
        """The geometric mean of the digits' confidences."""
        return float(np.exp(self.log_confidence / len(self.digits)))

    @property
    def weakest(self) -> float:
        return float(min(p.max() for _, p in self.digits))


class Cutting:
    """One group and the pieces it may be cut into: ``pieces[(i, j)]`` is the ink between
    candidate cuts ``i`` and ``j`` (``nodes``), for every run that could be one digit.
    ``pair_aspect``: only a group wider than this share of its height is cut at all."""

    def __init__(self, parts: InkParts, group: Group, pair_aspect: float = PAIR_ASPECT):
        y0, y1, x0, x1 = group.box
        height = y1 - y0
        self.keep = keep_labels(parts, group.labels)
        self.nodes = [x0, x1]
        if x1 - x0 > pair_aspect * height:
            profile = (self.keep[parts.labels[y0:y1, x0:x1]] & parts.mask[y0:y1, x0:x1]).sum(axis=0).astype(np.float64)
            self.nodes = [x0, *(x0 + cut for cut in _candidate_cuts(profile, height)), x1]
        self.pieces: dict[tuple[int, int], DigitPiece] = {}
        for i, left in enumerate(self.nodes):
            for j in range(i + 1, len(self.nodes)):
                right = self.nodes[j]
                whole = (i, j) == (0, len(self.nodes) - 1)
                if not whole and not NARROWEST_DIGIT * height <= right - left <= WIDEST_DIGIT * height:
                    continue
                piece = piece_of(parts, self.keep, None if whole else (left, right))
                # A digit is tall; a short run is the end of a bar or a flag.
                if piece is not None and (whole or piece.box[3] * parts.ink.shape[0] >= DIGIT_PART * height):
                    self.pieces[(i, j)] = piece
        self.aspect = (x1 - x0) / height

    @property
    def is_cut(self) -> bool:
        """Whether there is more than one way to read the group."""
        return len(self.nodes) > 2

    def best(self, probabilities: np.ndarray, one_digit: np.ndarray | None = None) -> Reading:
        """The winning reading (see the module's docstring), each number of digits cut its
        best-scoring way: dynamic programming over the pieces' scores, ``best[k][j]`` the
        best k pieces from node 0 to node j. ``one_digit``: the judge's word on each piece."""
        found = dict(zip(self.pieces, probabilities, strict=True))
        score = {span: float(np.log(max(p.max(), 1e-9))) for span, p in found.items()}
        if one_digit is not None:
            for span, judged in zip(self.pieces, one_digit, strict=True):
                score[span] += JUDGE_WEIGHT * float(np.log(max(judged, 1e-9)))
        last = len(self.nodes) - 1
        best = [{0: (0.0, [])}]
        for _ in range(last):
            layer = {}
            for i, (total, path) in best[-1].items():
                for j in range(i + 1, last + 1):
                    if (i, j) in score and (j not in layer or layer[j][0] < total + score[(i, j)]):
                        layer[j] = (total + score[(i, j)], [*path, (i, j)])
            best.append(layer)
        finished = [layer[last] for layer in best[1:] if last in layer]
        if one_digit is not None:
            return Reading([(self.pieces[span], found[span]) for span in max(finished, key=lambda done: done[0])[1]])
        chosen = None
        for _, path in finished:
            reading = Reading([(self.pieces[span], found[span]) for span in path])
            if chosen is None or more_digits_win(chosen, reading, self.aspect):
                chosen = reading
        return chosen


def more_digits_win(fewer: Reading, more: Reading, aspect: float) -> bool:
    """Whether reading ink ``aspect`` times as wide as tall as ``more`` digits beats
    ``fewer``: the product of its confidences must be higher by a factor that eases as
    the fewer digits would have to be wider (``WIDTH_PRIOR``)."""
    wide = (aspect / len(fewer.digits) - PAIR_ASPECT) / (WIDEST_DIGIT - PAIR_ASPECT)
    plausible = aspect / len(fewer.digits) <= WIDEST_DIGIT
    gain = more.log_confidence - fewer.log_confidence
    return (more.weakest >= PAIR_CONFIDENCE or not plausible) and gain > -WIDTH_PRIOR * wide


def keep_labels(parts: InkParts, labels: list[int]) -> np.ndarray:
    """A bool per label (the paper's 0 included): True for ``labels``."""
    keep = np.zeros(parts.count + 1, dtype=bool)
    keep[labels] = True
    return keep


def piece_of(parts: InkParts, keep: np.ndarray, columns: tuple[int, int] | None) -> DigitPiece | None:
    """The kept labels' ink, within ``columns`` if given, as a digit (None: no stroke)."""
    try:
        crop, (y0, y1, x0, x1) = parts.crop(keep, columns)
    except PreprocessError:  # a cut left no stroke in this run
        return None
    rows, cols = parts.ink.shape
    box = (x0 / cols, y0 / rows, (x1 - x0) / cols, (y1 - y0) / rows)
    return DigitPiece(crop=crop, model_input=to_model_input(crop), box=box)


def _candidate_cuts(profile: np.ndarray, height: int) -> list[int]:
    """Columns where touching digits may meet: where equal-width digits would, and the
    ``MAX_CUTS`` weakest columns (local minima of the column profile) apart from those."""
    smooth = np.convolve(profile, np.ones(3) / 3, mode="same")
    margin = max(1, int(NARROWEST_DIGIT * height))
    radius = max(2, int(CUT_SPACING * height))
    inner = np.arange(margin, len(profile) - margin)
    if not len(inner):
        return []
    padded = np.pad(smooth, radius, constant_values=np.inf)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * radius + 1)[inner]
    minima = inner[smooth[inner] <= windows.min(axis=1)]
    count = max(2, round(len(profile) / (DIGIT_ASPECT * height)))
    cuts = list(_even_cuts(profile, smooth, count))
    weakest = []
    for cut in minima[np.argsort(smooth[minima], kind="stable")]:
        if len(weakest) >= MAX_CUTS:
            break
        if all(abs(int(cut) - other) >= radius for other in cuts + weakest):
            weakest.append(int(cut))
    return sorted(cuts + weakest)


def _even_cuts(profile: np.ndarray, smooth: np.ndarray, count: int):
    """Where ``count`` equal-width digits would meet: the weakest column near each."""
    width = len(profile) / count
    previous = 0
    for index in range(1, count):
        expected = index * width
        low = max(int(expected - CUT_WINDOW * width), previous + 1)
        high = min(int(expected + CUT_WINDOW * width) + 1, len(profile) - 1)
        if low >= high:
            continue
        # Among equally weak columns, the one nearest the expected cut.
        distance = np.abs(np.arange(low, high) - expected) / width
        previous = low + int(np.argmin(smooth[low:high] + 1e-3 * distance))
        yield previous
