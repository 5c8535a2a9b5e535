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

Vertical cuts cannot part digits that share columns (a 6 leaning over a 5). With the
judge, each cut is also tried as a *seam* (``_seams``): the path from top to bottom near
its column that crosses the least ink, as seam carving finds it. The seams' best reading
replaces the vertical cuts' only when it scores clearly better (``SEAM_MARGIN``), and a
seam that crosses more than one stroke is not used at all: it runs through a digit (the
top and bottom of a 0), not between two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ml.framing import stroke_width
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
# every separated number on two benchmark seeds (docs/experiments.md, "Where the
# one-digit judge's cuts start").
JUDGED_PAIR_ASPECT = 0.8
JUDGE_WEIGHT = 0.5  # how much the judge's word counts against the model's confidence
# More digits must read better than fewer: the product of their confidences higher, by
# a factor that eases as the fewer digits would have to be wider (WIDTH_PRIOR: the model
# is as sure of two 4s touching read as one 4 as of the two), and each digit at least
# PAIR_CONFIDENCE (a wide 0 cut in two reads as a doubtful "(" and ")").
WIDTH_PRIOR = 0.1
PAIR_CONFIDENCE = 0.7
MAX_CUTS = 8  # weakest columns tried as cuts per group (besides the equal-width cuts)
# Seams (with the judge): each cut also as the top-to-bottom path near its column that
# crosses the least ink, one column sideways a row at most. Looser limits (1.5 strokes, or
# no margin) read more touching numbers and cut separated 0s, 7s and 4s in two; these cost
# the separated set nothing on two benchmark seeds (README, "Seams").
SEAM_REACH = 0.25  # of the height: how far a seam may stray from its column
SEAM_STROKES = 1.0  # strokes' widths of ink a seam may cross
SEAM_MARGIN = 1.0  # in log(confidence) + JUDGE_WEIGHT log(judge): how much better a seam's reading must be
SEAM_STRAY_COST = 0.01  # ink pixels' worth per column of straying: the straighter of two equal paths
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
    candidate cuts ``i`` and ``j`` (``nodes``), for every run that could be one digit, and
    with ``seams`` ``seam_pieces[(i, j)]`` the ink between those cuts' seams.
    ``pair_aspect``: only a group wider than this share of its height is cut at all."""

    def __init__(
        self, parts: InkParts, group: Group, pair_aspect: float = PAIR_ASPECT, *, seams: bool = False,
        seam_strokes: float = SEAM_STROKES,
    ):
        y0, y1, x0, x1 = group.box
        height = y1 - y0
        self.keep = keep_labels(parts, group.labels)
        self.nodes = [x0, x1]
        strokes = None
        if x1 - x0 > pair_aspect * height:
            strokes = self.keep[parts.labels[y0:y1, x0:x1]] & parts.mask[y0:y1, x0:x1]
            profile = strokes.sum(axis=0).astype(np.float64)
            self.nodes = [x0, *(x0 + cut for cut in _candidate_cuts(profile, height)), x1]
        self.pieces: dict[tuple[int, int], DigitPiece] = self._pieces(
            parts, height, lambda i, j, whole: piece_of(parts, self.keep, None if whole else (self.nodes[i], self.nodes[j]))
        )
        self.seam_pieces: dict[tuple[int, int], DigitPiece] = {}
        # Spans whose seams both run straight down their columns (the group's edges among
        # them): the same ink as between the vertical cuts, read once and used by both ways.
        self.shared_spans: list[tuple[int, int]] = []
        # Per node, its seam: a column for each row of the group, counted from its left edge.
        self.seam_bounds: list[np.ndarray] = []
        if seams and strokes is not None:
            self._cut_along_seams(parts, group.box, strokes, seam_strokes)
        self.aspect = (x1 - x0) / height

    def _cut_along_seams(self, parts: InkParts, box, strokes: np.ndarray, seam_strokes: float) -> None:
        """The pieces between the cuts' seams (``seam_pieces``, ``shared_spans``), of the
        seams that cross at most ``seam_strokes`` strokes (the judge's training takes all)."""
        y0, y1, x0, x1 = box
        height = y1 - y0
        cuts = [node - x0 for node in self.nodes[1:-1]]
        paths = _seams(strokes, cuts, height)
        bounds = self.seam_bounds = [np.zeros(height, dtype=np.int64), *paths, np.full(height, x1 - x0)]
        # A seam that crosses more than SEAM_STROKES strokes cuts through a digit (the top
        # and bottom of a 0), not between two that touch.
        limit = seam_strokes * stroke_width(strokes.astype(np.float32))
        usable = [True, *(strokes[np.arange(height), path].sum() <= limit for path in paths), True]
        straight = [True, *((path == cut).all() for path, cut in zip(paths, cuts, strict=True)), True]
        self.shared_spans = [span for span in self.pieces if straight[span[0]] and straight[span[1]]]

        def seam_piece(i: int, j: int, whole: bool) -> DigitPiece | None:
            if not (usable[i] and usable[j]) or (straight[i] and straight[j]):
                return None
            return piece_of(parts, self.keep, None, seams=(x0 + bounds[i], x0 + bounds[j]))

        self.seam_pieces = self._pieces(parts, height, seam_piece)

    def _pieces(self, parts: InkParts, height: int, cut_piece) -> dict[tuple[int, int], DigitPiece]:
        """Every run between two nodes that could be one digit, ``cut_piece(i, j, whole)``
        cutting it out (None: no stroke there)."""
        pieces = {}
        for i, left in enumerate(self.nodes):
            for j in range(i + 1, len(self.nodes)):
                whole = (i, j) == (0, len(self.nodes) - 1)
                if not whole and not NARROWEST_DIGIT * height <= self.nodes[j] - left <= WIDEST_DIGIT * height:
                    continue
                piece = cut_piece(i, j, whole)
                # A digit is tall; a short run is the end of a bar or a flag.
                if piece is not None and (whole or piece.box[3] * parts.ink.shape[0] >= DIGIT_PART * height):
                    pieces[(i, j)] = piece
        return pieces

    @property
    def is_cut(self) -> bool:
        """Whether there is more than one way to read the group."""
        return len(self.nodes) > 2

    @property
    def candidates(self) -> list[DigitPiece]:
        """Every piece to read, the vertical cuts' first, then the seams'."""
        return [*self.pieces.values(), *self.seam_pieces.values()]

    def best(self, probabilities: np.ndarray, one_digit: np.ndarray | None = None) -> Reading:
        """The winning reading (see the module's docstring), each number of digits cut its
        best-scoring way. ``probabilities`` and ``one_digit`` (the judge's word) are
        for ``candidates``, in order. With the judge, the seams' best reading competes
        with the vertical cuts' on the same score."""
        count = len(self.pieces)
        vertical = list(zip(self.pieces.items(), probabilities[:count], strict=True))
        if one_digit is None:
            chosen = None
            for _, path in self._paths(vertical, None):
                reading = Reading(path)
                if chosen is None or more_digits_win(chosen, reading, self.aspect):
                    chosen = reading
            return chosen
        ways = [(vertical, one_digit[:count])]
        if self.seam_pieces:
            seams = list(zip(self.seam_pieces.items(), probabilities[count:], strict=True))
            judged = list(one_digit[count:])
            position = {span: index for index, span in enumerate(self.pieces)}
            for span in self.shared_spans:
                seams.append(vertical[position[span]])
                judged.append(one_digit[position[span]])
            ways.append((seams, judged))
        # The best of each way; a seam's reading must beat the vertical cuts' by
        # SEAM_MARGIN: seams also carve one digit (a 0, a 7) into two plausible ones.
        bests = [max(self._paths(pieces, judged), key=lambda done: done[0]) for pieces, judged in ways]
        chosen = bests[0]
        if len(bests) > 1 and bests[1][0] > bests[0][0] + SEAM_MARGIN:
            chosen = bests[1]
        return Reading(chosen[1])

    def _paths(self, pieces, one_digit) -> list[tuple[float, list[tuple[DigitPiece, np.ndarray]]]]:
        """For each number of digits, the best-scoring path of ``pieces`` ((span, piece),
        probabilities) across the group: dynamic programming, ``best[k][j]`` the best k
        pieces from node 0 to node j. Scored by confidence, plus the judge's word if given."""
        score, found = {}, {}
        for index, ((span, piece), p) in enumerate(pieces):
            score[span] = float(np.log(max(p.max(), 1e-9)))
            if one_digit is not None:
                score[span] += JUDGE_WEIGHT * float(np.log(max(one_digit[index], 1e-9)))
            found[span] = (piece, p)
        last = len(self.nodes) - 1
        best = [{0: (0.0, [])}]
        for _ in range(last):
            layer = {}
            for i, (total, path) in best[-1].items():
                for j in range(i + 1, last + 1):
                    if (i, j) in score and (j not in layer or layer[j][0] < total + score[(i, j)]):
                        layer[j] = (total + score[(i, j)], [*path, (i, j)])
            best.append(layer)
        return [(total, [found[span] for span in path]) for total, path in (layer[last] for layer in best[1:] if last in layer)]


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


def piece_of(
    parts: InkParts, keep: np.ndarray, columns: tuple[int, int] | None, *, seams: tuple[np.ndarray, np.ndarray] | None = None
) -> DigitPiece | None:
    """The kept labels' ink, within ``columns`` or between ``seams`` if given (see
    ``InkParts.crop``), as a digit (None: no stroke)."""
    try:
        crop, (y0, y1, x0, x1) = parts.crop(keep, columns, seams=seams)
    except PreprocessError:  # a cut left no stroke in this run
        return None
    rows, cols = parts.ink.shape
    box = (x0 / cols, y0 / rows, (x1 - x0) / cols, (y1 - y0) / rows)
    return DigitPiece(crop=crop, model_input=to_model_input(crop), box=box)


def _seams(strokes: np.ndarray, cuts: list[int], height: int) -> list[np.ndarray]:
    """For each cut column, the top-to-bottom path within ``SEAM_REACH`` of it that crosses
    the fewest stroke pixels (one column sideways a row at most, ``SEAM_STRAY_COST`` a
    column of straying): seam carving's dynamic programming, all cuts at once. The paths
    are kept left to right, never crossing, so the runs between them are well defined."""
    if not cuts:
        return []
    rows, width = strokes.shape
    reach = max(1, int(SEAM_REACH * height))
    offsets = np.arange(-reach, reach + 1)
    columns = np.asarray(cuts)[:, None] + offsets[None, :]  # (cuts, window)
    valid = (columns >= 1) & (columns < width - 1)
    stray = SEAM_STRAY_COST * np.abs(offsets)[None, :] + np.where(valid, 0.0, np.inf)
    ink = strokes[:, np.clip(columns, 0, width - 1)].astype(np.float64)  # (rows, cuts, window)
    cost = ink[0] + stray
    moves = np.empty((rows, len(cuts), len(offsets)), dtype=np.int8)
    moves[0] = 0
    for row in range(1, rows):
        left = np.concatenate([np.full((len(cuts), 1), np.inf), cost[:, :-1]], axis=1)
        right = np.concatenate([cost[:, 1:], np.full((len(cuts), 1), np.inf)], axis=1)
        options = np.stack([left, cost, right])  # came from one column left, the same, one right
        step = options.argmin(axis=0)
        cost = options.min(axis=0) + ink[row] + stray
        moves[row] = step - 1
    position = cost.argmin(axis=1)
    paths = np.empty((len(cuts), rows), dtype=np.int64)
    for row in range(rows - 1, -1, -1):
        paths[:, row] = columns[np.arange(len(cuts)), position]
        position = position + moves[row, np.arange(len(cuts)), position]
    return list(np.maximum.accumulate(paths, axis=0))


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
