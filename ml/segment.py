"""A whole number ("2026", a postcode) -> its digits, left to right, each framed like MNIST.

The ink is found exactly as for one digit (``preprocess.ink_map``, ``preprocess.ink_parts``);
then its connected parts are turned into digits:

1. The typical digit height is the median height of the tall parts. Parts at least half
   that tall stand for a digit, or most of one; shorter parts are *marks*.
2. Tall parts whose columns nest (the narrower one's centre inside the wider one's
   span) are one digit: the two strokes of a 4, the halves of an 8 drawn apart. Digits
   side by side never nest, however close, so neighbouring 1s stay apart.
3. A mark joins the nearby digit whose columns it overlaps most (the bar of a 5 or a 7,
   the foot of a 1), else the nearest digit it nearly touches; a mark near nothing is a
   digit of its own only if it is as tall as a small digit, else a speck or a dash.
4. A group wider than one digit usually is (``PAIR_ASPECT``) may be touching digits. It
   is cut at its weakest columns (minima of the column profile) and at the places where
   equal-width digits would meet; every run of pieces between two cuts that could be a
   digit is read by the model, and the reading with the most confident digits wins,
   with fewer digits preferred unless more read clearly better (``more_digits_win``).
5. Neighbouring groups whose columns overlap are also read as one group (a 0 drawn as
   "(" and ")"), and read so only when that reads clearly better.

Each digit's ink is cropped as ``preprocess.digit_ink`` crops one digit and framed by
the same ``to_model_input``, so a one-digit number gives the model what ``preprocess``
gives it (exactly, unless specks were dropped: here they are found at full resolution). The model itself is not imported: ``read_number`` is handed the predictor's
``probabilities_for`` and calls it once, for every candidate at the same time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ml.preprocess import (
    NEAR_PART,
    ImageSource,
    InkParts,
    PreprocessError,
    decode_image,
    ink_map,
    ink_parts,
    to_model_input,
)

MAX_DIGITS = 32
TALL_PART = 0.5  # of the tallest part: the parts that set the typical digit height
DIGIT_PART = 0.5  # of the typical height: a part this tall is a digit or most of one
SMALL_DIGIT = 0.35  # of the typical height: a lone mark shorter than this is no digit
# Widths as a share of the group's height. Pendigits digits drawn with the canvas brush
# are 0.65 as wide as tall (median), nine in ten narrower than 0.9, one in a hundred
# wider than 1.4 (wide 0s and 2s); a plain 1 is 0.15. Two touching digits are 0.9 and up.
DIGIT_ASPECT = 0.65
PAIR_ASPECT = 0.9
WIDEST_DIGIT = 1.45
NARROWEST_DIGIT = 0.1
# More digits must read better than fewer: the product of their confidences higher, by
# a factor that eases as the fewer digits would have to be wider (WIDTH_PRIOR: the model
# is as sure of two 4s touching read as one 4 as of the two), and each digit at least
# PAIR_CONFIDENCE (a wide 0 cut in two reads as a doubtful "(" and ")"). Strokes apart
# are one digit only if so they read PAIR_MARGIN more confidently (geometric mean).
WIDTH_PRIOR = 0.1
PAIR_CONFIDENCE = 0.7
PAIR_MARGIN = 0.1
MAX_CUTS = 8  # weakest columns tried as cuts per group (besides the equal-width cuts)
CUT_SPACING = 0.08  # of the height: weakest columns closer than this are one cut
CUT_WINDOW = 0.35  # an equal-width cut is looked for this share of a digit either side
CLUSTER_GAP = 0.15  # of the typical height: groups closer than this may be one digit

ProbabilitiesFor = Callable[[np.ndarray], np.ndarray]  # (n, 28, 28) -> (n, 10)


class TooManyDigitsError(PreprocessError):
    """More separate pieces of ink than a number can have (a page of text, noise)."""


@dataclass(frozen=True)
class DigitPiece:
    """One digit of a number: its ink, the model input made from it, and where it was."""

    crop: np.ndarray  # the digit's ink, 1.0 is the strongest, cropped to its strokes
    model_input: np.ndarray  # (28, 28) float32, framed like MNIST
    box: tuple[float, float, float, float]  # left, top, width, height: fractions of the image


@dataclass
class _Group:
    """Parts grouped into one digit, or into touching digits still to be cut."""

    labels: list[int]
    box: list[int]  # y0, y1, x0, x1 at ink-map resolution

    def take(self, label: int, box) -> None:
        self.labels.append(label)
        self.box = [min(self.box[0], box[0]), max(self.box[1], box[1]), min(self.box[2], box[2]), max(self.box[3], box[3])]


def read_number(source: ImageSource, probabilities_for: ProbabilitiesFor) -> list[tuple[DigitPiece, np.ndarray]]:
    """Any accepted image of a number -> its digits left to right, each with the ten
    probabilities ``probabilities_for`` gave it.

    Raises what ``preprocess`` raises (``EmptyImageError`` for no ink, ``InvalidImageError``
    for a bad file) and ``TooManyDigitsError`` past ``MAX_DIGITS``.
    """
    # Full-resolution labels: two digits a few pixels apart must stay two parts.
    parts = ink_parts(ink_map(decode_image(source)), step=1)
    groups = group_parts(parts)
    if len(groups) > MAX_DIGITS:
        raise TooManyDigitsError(_too_many(len(groups)))
    clusters = [_Cluster(parts, cluster) for cluster in _clusters(groups, typical_height(parts))]
    candidates = [piece for cluster in clusters for piece in cluster.pieces]
    probabilities = probabilities_for(np.stack([piece.model_input for piece in candidates]))
    digits, start = [], 0
    for cluster in clusters:
        digits += cluster.read(probabilities[start : start + len(cluster.pieces)]).digits
        start += len(cluster.pieces)
    if len(digits) > MAX_DIGITS:
        raise TooManyDigitsError(_too_many(len(digits)))
    return sorted(digits, key=lambda digit: digit[0].box[0] + digit[0].box[2] / 2)


def typical_height(parts: InkParts) -> float:
    """The median height of the parts at least half as tall as the tallest."""
    heights = np.array([box[1] - box[0] for box in parts.boxes], dtype=np.float64)
    return float(np.median(heights[heights >= TALL_PART * heights.max()]))


def group_parts(parts: InkParts) -> list[_Group]:
    """The parts grouped into digits (steps 1 to 3 above), specks dropped."""
    height = typical_height(parts)
    boxes = np.array(parts.boxes, dtype=np.int64).reshape(-1, 4)
    tall = np.flatnonzero(boxes[:, 1] - boxes[:, 0] >= DIGIT_PART * height) + 1
    if len(tall) > 4 * MAX_DIGITS:  # refuse before the pairwise work below
        raise TooManyDigitsError(_too_many(len(tall)))
    digits = _nest(parts, tall)
    marks = np.setdiff1d(np.arange(1, parts.count + 1), tall)
    if len(marks):
        _attach_marks(parts, digits, marks, height)
    return digits


def _nest(parts: InkParts, tall: np.ndarray) -> list[_Group]:
    """Tall parts whose column spans nest belong to one digit (union-find)."""
    owner = {int(label): int(label) for label in tall}

    def root(label: int) -> int:
        while owner[label] != label:
            owner[label] = owner[owner[label]]
            label = owner[label]
        return label

    for i, first in enumerate(tall):
        for second in tall[i + 1 :]:
            a, b = parts.boxes[first - 1], parts.boxes[second - 1]
            wide, narrow = (a, b) if a[3] - a[2] >= b[3] - b[2] else (b, a)
            if wide[2] <= (narrow[2] + narrow[3]) / 2 <= wide[3]:
                owner[root(int(first))] = root(int(second))
    digits: dict[int, _Group] = {}
    for label in tall:
        label = int(label)
        box = parts.boxes[label - 1]
        if (key := root(label)) in digits:
            digits[key].take(label, box)
        else:
            digits[key] = _Group([label], list(box))
    return list(digits.values())


def _attach_marks(parts: InkParts, digits: list[_Group], marks: np.ndarray, height: float) -> None:
    """Give each mark to the digit it belongs to; lone marks as tall as a small digit
    become digits, the rest (specks, dashes) are dropped."""
    boxes = np.array([parts.boxes[label - 1] for label in marks], dtype=np.float64)[:, None, :]
    spans = np.array([digit.box for digit in digits], dtype=np.float64)[None, :, :]
    # The gap between a mark's box and a digit's, across or down, whichever is larger: a
    # speck above a digit overlaps its columns but is no part of it.
    gap = np.maximum.reduce([
        spans[..., 2] - boxes[..., 3], boxes[..., 2] - spans[..., 3], spans[..., 0] - boxes[..., 1], boxes[..., 0] - spans[..., 1]
    ])
    overlap = np.minimum(spans[..., 3], boxes[..., 3]) - np.maximum(spans[..., 2], boxes[..., 2])
    near = gap <= NEAR_PART * height
    # Among the digits near it, the one whose columns it overlaps most, else the nearest.
    best = np.where(
        np.where(near, overlap, -np.inf).max(axis=1) > 0, np.where(near, overlap, -np.inf).argmax(axis=1), gap.argmin(axis=1)
    )
    lone = []
    for label, owner, is_near, box in zip(marks.tolist(), best.tolist(), near.any(axis=1), boxes[:, 0], strict=True):
        if is_near:
            digits[owner].take(label, parts.boxes[label - 1])
        elif box[1] - box[0] >= SMALL_DIGIT * height and parts.sizes[label] >= 2:
            lone.append(_Group([label], list(parts.boxes[label - 1])))
    digits += lone


class _Cutting:
    """One group and the pieces it may be cut into: ``pieces[(i, j)]`` is the ink between
    candidate cuts ``i`` and ``j`` (``nodes``), for every run that could be one digit."""

    def __init__(self, parts: InkParts, group: _Group):
        y0, y1, x0, x1 = group.box
        height = y1 - y0
        keep = _keep(parts, group.labels)
        self.nodes = [x0, x1]
        if x1 - x0 > PAIR_ASPECT * height:
            profile = (keep[parts.labels[y0:y1, x0:x1]] & parts.mask[y0:y1, x0:x1]).sum(axis=0).astype(np.float64)
            self.nodes = [x0, *(x0 + cut for cut in _candidate_cuts(profile, height)), x1]
        self.pieces: dict[tuple[int, int], DigitPiece] = {}
        for i, left in enumerate(self.nodes):
            for j in range(i + 1, len(self.nodes)):
                right = self.nodes[j]
                whole = (i, j) == (0, len(self.nodes) - 1)
                if not whole and not NARROWEST_DIGIT * height <= right - left <= WIDEST_DIGIT * height:
                    continue
                piece = _piece(parts, keep, None if whole else (left, right))
                # A digit is tall; a short run is the end of a bar or a flag.
                if piece is not None and (whole or piece.box[3] * parts.ink.shape[0] >= DIGIT_PART * height):
                    self.pieces[(i, j)] = piece
        self.aspect = (x1 - x0) / height

    def best(self, probabilities: np.ndarray) -> _Reading:
        """The fewest digits that no reading with more digits beats (``more_digits_win``),
        each number of digits cut its most confident way: dynamic programming over the
        pieces' log-confidence, ``best[k][j]`` the best k pieces from node 0 to node j."""
        found = dict(zip(self.pieces, probabilities, strict=True))
        log_confidence = {span: float(np.log(max(p.max(), 1e-9))) for span, p in found.items()}
        last = len(self.nodes) - 1
        best = [{0: (0.0, [])}]
        for _ in range(last):
            layer = {}
            for i, (score, path) in best[-1].items():
                for j in range(i + 1, last + 1):
                    if (i, j) in log_confidence and (j not in layer or layer[j][0] < score + log_confidence[(i, j)]):
                        layer[j] = (score + log_confidence[(i, j)], [*path, (i, j)])
            best.append(layer)
        chosen = None
        for layer in best[1:]:
            if last in layer:
                reading = _Reading([(self.pieces[span], found[span]) for span in layer[last][1]])
                if chosen is None or more_digits_win(chosen, reading, self.aspect):
                    chosen = reading
        return chosen


@dataclass(frozen=True)
class _Reading:
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


def more_digits_win(fewer: _Reading, more: _Reading, aspect: float) -> bool:
    """Whether reading ink ``aspect`` times as wide as tall as ``more`` digits beats
    ``fewer``: the product of its confidences must be higher by a factor that eases as
    the fewer digits would have to be wider (``WIDTH_PRIOR``)."""
    wide = (aspect / len(fewer.digits) - PAIR_ASPECT) / (WIDEST_DIGIT - PAIR_ASPECT)
    plausible = aspect / len(fewer.digits) <= WIDEST_DIGIT
    gain = more.log_confidence - fewer.log_confidence
    return (more.weakest >= PAIR_CONFIDENCE or not plausible) and gain > -WIDTH_PRIOR * wide


def _clusters(groups: list[_Group], height: float) -> list[list[_Group]]:
    """Neighbouring groups whose columns overlap or nearly meet, together: perhaps one
    digit drawn in strokes side by side (a 0 as "(" and ")", a 4 as "L" and "|"), perhaps
    two digits written close."""
    clusters: list[list[_Group]] = []
    for group in sorted(groups, key=lambda group: group.box[2]):
        if clusters and group.box[2] < max(other.box[3] for other in clusters[-1]) + CLUSTER_GAP * height:
            clusters[-1].append(group)
        else:
            clusters.append([group])
    return clusters


class _Cluster:
    """Neighbouring groups, each read its own best way; any run of them no wider than one
    digit usually is may also be one digit drawn in several strokes (a 4 as "L" and "|")."""

    def __init__(self, parts: InkParts, groups: list[_Group]):
        self.cuttings = [_Cutting(parts, group) for group in groups]
        self.pieces = [piece for cutting in self.cuttings for piece in cutting.pieces.values()]
        self.runs: dict[tuple[int, int], int] = {}  # (first, last) group -> index in pieces
        boxes = np.array([group.box for group in groups])
        for first in range(len(groups)):
            for last in range(first + 1, len(groups)):
                y0, y1 = boxes[first : last + 1, 0].min(), boxes[first : last + 1, 1].max()
                x0, x1 = boxes[first : last + 1, 2].min(), boxes[first : last + 1, 3].max()
                # Wider, it would be two digits written close, the narrow one (a 1) misread.
                if x1 - x0 > PAIR_ASPECT * (y1 - y0):
                    break
                labels = [label for group in groups[first : last + 1] for label in group.labels]
                piece = _piece(parts, _keep(parts, labels), None)
                if piece is not None:
                    self.runs[(first, last)] = len(self.pieces)
                    self.pieces.append(piece)

    def read(self, probabilities: np.ndarray) -> _Reading:
        own, start = [], 0
        for cutting in self.cuttings:
            own.append(cutting.best(probabilities[start : start + len(cutting.pieces)]))
            start += len(cutting.pieces)
        # Strokes apart are digits apart unless as one they read clearly better. Each run
        # that does gains what it reads better by; the runs that gain most in all, never
        # overlapping, are merged (weighted interval scheduling, left to right).
        gained = [(0.0, [])]  # for the first n groups: (gain, digits)
        for last, reading in enumerate(own):
            options = [(gained[last][0], gained[last][1] + reading.digits)]
            for (first, end), index in self.runs.items():
                if end != last:
                    continue
                together = _Reading([(self.pieces[index], probabilities[index])])
                apart = _Reading([digit for group in own[first : last + 1] for digit in group.digits])
                if together.weakest >= PAIR_CONFIDENCE and together.mean > apart.mean + PAIR_MARGIN:
                    options.append((gained[first][0] + together.mean - apart.mean, gained[first][1] + together.digits))
            gained.append(max(options, key=lambda option: option[0]))
        return _Reading(gained[-1][1])


def _keep(parts: InkParts, labels: list[int]) -> np.ndarray:
    keep = np.zeros(parts.count + 1, dtype=bool)
    keep[labels] = True
    return keep


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


def _piece(parts: InkParts, keep: np.ndarray, columns: tuple[int, int] | None) -> DigitPiece | None:
    try:
        crop, (y0, y1, x0, x1) = parts.crop(keep, columns)
    except PreprocessError:  # a cut left no stroke in this run
        return None
    rows, cols = parts.ink.shape
    box = (x0 / cols, y0 / rows, (x1 - x0) / cols, (y1 - y0) / rows)
    return DigitPiece(crop=crop, model_input=to_model_input(crop), box=box)


def _too_many(count: int) -> str:
    return f"Found {count} separate digits or marks; a number can have at most {MAX_DIGITS} digits."
