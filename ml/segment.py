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
4. A group wider than one digit usually is may be touching digits: ``ml.cutting`` cuts
   it and picks the best reading, asking the one-digit judge (``ml.judge``) when there
   is one.
5. Neighbouring groups whose columns overlap are also read as one group (a 0 drawn as
   "(" and ")"), and read so only when that reads clearly better.

Each digit's ink is cropped as ``preprocess.digit_ink`` crops one digit and framed by
the same ``to_model_input``, so a one-digit number gives the model what ``preprocess``
gives it (exactly, unless specks were dropped: here they are found at full resolution).
The models themselves are not imported: ``read_number`` is handed the predictor's
``probabilities_for`` (and the judge's ``one_digit_for``) and calls each once, for every
candidate at the same time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ml.cutting import (
    DIGIT_PART,
    JUDGED_PAIR_ASPECT,
    PAIR_ASPECT,
    PAIR_CONFIDENCE,
    Cutting,
    DigitPiece,
    Group,
    OneDigitFor,
    Reading,
    keep_labels,
    piece_of,
)
from ml.preprocess import NEAR_PART, ImageSource, InkParts, PreprocessError, decode_image, ink_map, ink_parts

__all__ = ["MAX_DIGITS", "DigitPiece", "TooManyDigitsError", "group_parts", "read_number", "typical_height"]

MAX_DIGITS = 32
TALL_PART = 0.5  # of the tallest part: the parts that set the typical digit height
SMALL_DIGIT = 0.35  # of the typical height: a lone mark shorter than this is no digit
# Strokes apart are one digit only if so they read PAIR_MARGIN more confidently
# (geometric mean of the confidences).
PAIR_MARGIN = 0.1
CLUSTER_GAP = 0.15  # of the typical height: groups closer than this may be one digit

ProbabilitiesFor = Callable[[np.ndarray], np.ndarray]  # (n, 28, 28) -> (n, 10)


class TooManyDigitsError(PreprocessError):
    """More separate pieces of ink than a number can have (a page of text, noise)."""


def read_number(
    source: ImageSource,
    probabilities_for: ProbabilitiesFor,
    one_digit_for: OneDigitFor | None = None,
    *,
    seams: bool = True,
) -> list[tuple[DigitPiece, np.ndarray]]:
    """Any accepted image of a number -> its digits left to right, each with the ten
    probabilities ``probabilities_for`` gave it. ``one_digit_for``: the one-digit judge,
    asked about the pieces of groups that may be touching digits (``ml.cutting``); with it,
    and ``seams``, those groups are also cut along seams.

    Raises what ``preprocess`` raises (``EmptyImageError`` for no ink, ``InvalidImageError``
    for a bad file) and ``TooManyDigitsError`` past ``MAX_DIGITS``.
    """
    # Full-resolution labels: two digits a few pixels apart must stay two parts.
    parts = ink_parts(ink_map(decode_image(source)), step=1)
    groups = group_parts(parts)
    if len(groups) > MAX_DIGITS:
        raise TooManyDigitsError(_too_many(len(groups)))
    pair_aspect = PAIR_ASPECT if one_digit_for is None else JUDGED_PAIR_ASPECT
    seams = seams and one_digit_for is not None
    clusters = [_Cluster(parts, cluster, pair_aspect, seams=seams) for cluster in _clusters(groups, typical_height(parts))]
    candidates = [piece for cluster in clusters for piece in cluster.pieces]
    probabilities = probabilities_for(np.stack([piece.model_input for piece in candidates]))
    judged = None
    if one_digit_for is not None:
        judged = np.ones(len(candidates), dtype=np.float32)
        asked = np.flatnonzero(np.concatenate([cluster.judged for cluster in clusters]))
        if len(asked):
            judged[asked] = one_digit_for(np.stack([candidates[index].model_input for index in asked]))
    digits, start = [], 0
    for cluster in clusters:
        end = start + len(cluster.pieces)
        digits += cluster.read(probabilities[start:end], None if judged is None else judged[start:end]).digits
        start = end
    if len(digits) > MAX_DIGITS:
        raise TooManyDigitsError(_too_many(len(digits)))
    return sorted(digits, key=lambda digit: digit[0].box[0] + digit[0].box[2] / 2)


def typical_height(parts: InkParts) -> float:
    """The median height of the parts at least half as tall as the tallest."""
    heights = np.array([box[1] - box[0] for box in parts.boxes], dtype=np.float64)
    return float(np.median(heights[heights >= TALL_PART * heights.max()]))


def group_parts(parts: InkParts) -> list[Group]:
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


def _nest(parts: InkParts, tall: np.ndarray) -> list[Group]:
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
    digits: dict[int, Group] = {}
    for label in tall:
        label = int(label)
        box = parts.boxes[label - 1]
        if (key := root(label)) in digits:
            digits[key].take(label, box)
        else:
            digits[key] = Group([label], list(box))
    return list(digits.values())


def _attach_marks(parts: InkParts, digits: list[Group], marks: np.ndarray, height: float) -> None:
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
            lone.append(Group([label], list(parts.boxes[label - 1])))
    digits += lone


def _clusters(groups: list[Group], height: float) -> list[list[Group]]:
    """Neighbouring groups whose columns overlap or nearly meet, together: perhaps one
    digit drawn in strokes side by side (a 0 as "(" and ")", a 4 as "L" and "|"), perhaps
    two digits written close."""
    clusters: list[list[Group]] = []
    for group in sorted(groups, key=lambda group: group.box[2]):
        if clusters and group.box[2] < max(other.box[3] for other in clusters[-1]) + CLUSTER_GAP * height:
            clusters[-1].append(group)
        else:
            clusters.append([group])
    return clusters


class _Cluster:
    """Neighbouring groups, each read its own best way; any run of them no wider than one
    digit usually is may also be one digit drawn in several strokes (a 4 as "L" and "|").
    ``judged``: which of the pieces the one-digit judge is asked about (those of groups
    that have been cut: a group read only whole needs no judge)."""

    def __init__(self, parts: InkParts, groups: list[Group], pair_aspect: float, *, seams: bool = False):
        self.cuttings = [Cutting(parts, group, pair_aspect, seams=seams) for group in groups]
        self.pieces = [piece for cutting in self.cuttings for piece in cutting.candidates]
        judged = [cutting.is_cut for cutting in self.cuttings for _ in cutting.candidates]
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
                piece = piece_of(parts, keep_labels(parts, labels), None)
                if piece is not None:
                    self.runs[(first, last)] = len(self.pieces)
                    self.pieces.append(piece)
                    judged.append(False)
        self.judged = np.array(judged, dtype=bool)

    def read(self, probabilities: np.ndarray, one_digit: np.ndarray | None = None) -> Reading:
        own, start = [], 0
        for cutting in self.cuttings:
            end = start + len(cutting.candidates)
            own.append(cutting.best(probabilities[start:end], None if one_digit is None else one_digit[start:end]))
            start = end
        # Strokes apart are digits apart unless as one they read clearly better. Each run
        # that does gains what it reads better by; the runs that gain most in all, never
        # overlapping, are merged (weighted interval scheduling, left to right).
        gained = [(0.0, [])]  # for the first n groups: (gain, digits)
        for last, reading in enumerate(own):
            options = [(gained[last][0], gained[last][1] + reading.digits)]
            for (first, end), index in self.runs.items():
                if end != last:
                    continue
                together = Reading([(self.pieces[index], probabilities[index])])
                apart = Reading([digit for group in own[first : last + 1] for digit in group.digits])
                if together.weakest >= PAIR_CONFIDENCE and together.mean > apart.mean + PAIR_MARGIN:
                    options.append((gained[first][0] + together.mean - apart.mean, gained[first][1] + together.digits))
            gained.append(max(options, key=lambda option: option[0]))
        return Reading(gained[-1][1])


def _too_many(count: int) -> str:
    return f"Found {count} separate digits or marks; a number can have at most {MAX_DIGITS} digits."
