"""Slant: every drawing is sheared upright before the model reads it."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ml.framing import MAX_SHEAR, deskew, looks_like_several_digits, slant
from ml.preprocess import preprocess
from tests.drawings import center_of_mass, draw_number, draw_one, draw_zero, png_bytes


def leaning_bar(shear: float, half_height: int = 10) -> np.ndarray:
    """A 3 px wide bar, ``2 * half_height`` px tall, in the 28x28 field, whose top is
    ``shear`` columns per row to the right of its bottom (a right-leaning / for shear > 0)."""
    field = Image.new("F", (28 * 4, 28 * 4), 0.0)
    top, bottom = (14 + half_height * shear, 14 - half_height), (14 - half_height * shear, 14 + half_height)
    ImageDraw.Draw(field).line([tuple(v * 4 for v in top), tuple(v * 4 for v in bottom)], fill=1.0, width=12)
    return np.asarray(field.resize((28, 28), Image.Resampling.BOX), dtype=np.float32)


@pytest.mark.parametrize("shear", [0.5, 0.25, -0.3])
def test_a_leaning_bar_is_measured_and_stood_upright(shear):
    bar = leaning_bar(shear)
    assert slant(bar)[0] == pytest.approx(-shear, abs=0.05), "negative slant leans right"
    upright = deskew(bar)
    assert abs(slant(upright)[0]) < 0.02
    columns = np.flatnonzero(upright.max(axis=0) > 0.5)
    assert columns[-1] - columns[0] <= 4, "a stood-up bar is as narrow as its stroke"
    assert center_of_mass(upright)[1] == pytest.approx(center_of_mass(bar)[1], abs=0.3), "centre kept"
    assert upright.sum() == pytest.approx(bar.sum(), rel=0.02), "no ink lost"


def test_an_upright_input_comes_back_as_it_was():
    bar = leaning_bar(0.0)
    assert np.abs(deskew(bar) - bar).max() < 1e-3


def test_deskew_works_on_stacks_and_keeps_shapes_and_dtype():
    stack = np.stack([leaning_bar(0.4), leaning_bar(-0.2), np.zeros((28, 28), np.float32)])
    out = deskew(stack)
    assert out.shape == (3, 28, 28) and out.dtype == np.float32
    assert np.array_equal(out[2], np.zeros((28, 28))), "an empty input stays empty"
    assert np.allclose(out[0], deskew(stack[0]), atol=1e-6), "a stack is deskewed one by one"
    assert deskew(stack[1]).shape == (28, 28)


def test_shear_is_capped_so_a_steep_stroke_is_not_stood_up():
    steep = leaning_bar(1.6, half_height=5)  # more a shape (a 7's bar) than a slant
    before = slant(steep)[0]
    assert before < -1.3
    out = deskew(steep)
    assert slant(out)[0] == pytest.approx(before + MAX_SHEAR, abs=0.1), "sheared by MAX_SHEAR only"
    assert out.sum() == pytest.approx(steep.sum(), rel=0.02), "the ink stays in the field"


def test_served_inputs_are_upright():
    model_input = preprocess(png_bytes(draw_one(slant=40)))  # a 1 leaning hard to the right
    assert abs(slant(model_input)[0]) < 0.05


def test_a_number_framed_as_one_digit_looks_like_several_digits():
    for number in ("10", "100", "1010"):
        assert looks_like_several_digits(preprocess(png_bytes(draw_number(number)))), number
    for digit in (draw_one(), draw_zero()):
        assert not looks_like_several_digits(preprocess(png_bytes(digit)))
    assert not looks_like_several_digits(np.zeros((28, 28), np.float32))
