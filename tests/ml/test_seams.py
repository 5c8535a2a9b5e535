"""Seams: touching digits that share columns, cut along the path that crosses least ink
(``ml.cutting``), tried beside the vertical cuts when the one-digit judge is there."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ml.cutting import JUDGED_PAIR_ASPECT, SEAM_REACH, Cutting, _seams
from ml.judge_training import compose
from ml.preprocess import ink_map, ink_parts
from ml.segment import group_parts, read_number
from tests.drawings import png_bytes


def staggered_pair() -> np.ndarray:
    """Two blocks of strokes whose boundary slants from column 33 at the top to column 24 at
    the bottom, one free column between them: every vertical line through the middle
    crosses ink, and a path that follows the slant crosses none."""
    strokes = np.zeros((40, 60), dtype=bool)
    for row in range(40):
        edge = 32 - row // 4
        strokes[row, 10 : edge + 1] = True
        strokes[row, edge + 2 : 50] = True
    return strokes


def test_a_seam_slips_between_digits_that_share_columns():
    strokes = staggered_pair()
    cut = 28
    assert strokes[:, cut].sum() > 0, "a vertical cut crosses ink"

    [seam] = _seams(strokes, [cut], height=40)

    assert strokes[np.arange(40), seam].sum() == 0, "the seam crosses none"
    assert np.abs(np.diff(seam)).max() <= 1, "one column sideways a row at most"
    assert np.abs(seam - cut).max() <= SEAM_REACH * 40


def test_seams_stay_put_in_empty_columns_and_never_cross():
    strokes = staggered_pair()
    strokes[:, 52:] = False
    near, far = _seams(strokes, [27, 31], height=40)
    assert (near <= far).all(), "left to right on every row"
    lone = _seams(np.zeros((30, 40), dtype=bool), [20], height=30)[0]
    assert (lone == 20).all(), "nothing to avoid: straight down"


def test_seam_pieces_hold_each_side_of_the_seam():
    canvas = np.full((120, 200), 255, dtype=np.uint8)
    canvas[20:60, 30:100] = 0
    canvas[60:100, 30:75] = 0
    canvas[20:60, 104:170] = 0
    canvas[60:100, 78:170] = 0
    canvas[58:62, 70:110] = 0  # a stroke joining them: one piece of ink
    parts = ink_parts(ink_map(Image.fromarray(canvas)), step=1)
    [group] = group_parts(parts)

    cutting = Cutting(parts, group, JUDGED_PAIR_ASPECT, seams=True)

    assert cutting.is_cut and cutting.seam_pieces
    assert (0, len(cutting.nodes) - 1) not in cutting.seam_pieces, "the whole group is a vertical piece only"
    widths = sorted(piece.crop.shape[1] for piece in cutting.seam_pieces.values())
    assert widths[0] < 0.8 * group_width(group), "a seam piece is a part of the group"
    assert len(cutting.candidates) == len(cutting.pieces) + len(cutting.seam_pieces)


def group_width(group) -> int:
    return group.box[3] - group.box[2]


def test_without_the_judge_there_are_no_seams():
    canvas = np.full((120, 200), 255, dtype=np.uint8)
    canvas[30:90, 40:160] = 0
    parts = ink_parts(ink_map(Image.fromarray(canvas)), step=1)
    [group] = group_parts(parts)
    assert Cutting(parts, group, JUDGED_PAIR_ASPECT).seam_pieces == {}


def touching_numbers(x_test, y_test, count: int, seed: int):
    """Numbers of three MNIST test digits, most neighbours touching, laid out as the
    one-digit judge's training numbers are (``ml.judge_training.compose``)."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        picked = rng.choice(len(x_test), size=3)
        canvas, _ = compose([x_test[i] / 255.0 for i in picked], rng)
        yield png_bytes(Image.fromarray(canvas)), "".join(str(y_test[i]) for i in picked)


def test_seams_read_more_touching_numbers_right(predictor, mnist_test):
    """Numbers the judge was made for, read with the seams and without: on six seeds of
    100 numbers seams read 477 right against 457 (one seed one fewer, seed 7 six more)."""
    x_test, y_test = mnist_test
    right = {True: 0, False: 0}
    for png, truth in touching_numbers(x_test, y_test, 150, seed=7):
        for seams in (True, False):
            digits = read_number(png, predictor.probabilities_for, predictor.judge.one_digit_for, seams=seams)
            right[seams] += "".join(str(int(p.argmax())) for _, p in digits) == truth
    assert right[True] >= right[False] + 4, right


def test_a_seam_through_a_digit_is_not_used():
    """A wide 0 cut by any seam loses its top and its bottom: two strokes crossed, more
    than SEAM_STROKES, so it offers no seam pieces to misread as "10"."""
    canvas = Image.new("L", (300, 140), 255)
    ImageDraw.Draw(canvas).ellipse((20, 20, 280, 120), outline=0, width=14)
    parts = ink_parts(ink_map(canvas), step=1)
    [group] = group_parts(parts)
    cutting = Cutting(parts, group, JUDGED_PAIR_ASPECT, seams=True)
    assert cutting.is_cut, "wide enough to be tried as touching digits"
    assert cutting.seam_pieces == {}


@pytest.fixture(scope="module")
def predictor():
    from ml.predictor import Predictor

    return Predictor.load()
