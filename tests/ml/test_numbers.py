"""Whole numbers: the ink cut into digits, left to right, each read the way one digit is."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from ml.predictor import Predictor
from ml.preprocess import EmptyImageError, InvalidImageError, PreprocessError, ink_map, ink_parts, preprocess
from ml.segment import MAX_DIGITS, TooManyDigitsError, group_parts
from tests.drawings import draw_one, draw_zero, png_bytes

WIDE = (840, 280)  # the Number mode canvas
BRUSH = 20
# Each digit's strokes in a unit box (x right, y down), drawn as a person would.
STROKES = {
    "1": [[(0.5, 0.0), (0.5, 1.0)]],
    "2": [[(0.1, 0.25), (0.35, 0.02), (0.75, 0.05), (0.9, 0.3), (0.1, 0.98), (0.95, 0.98)]],
    "6": [[(0.8, 0.0), (0.25, 0.35), (0.08, 0.75), (0.3, 1.0), (0.75, 0.98), (0.9, 0.75), (0.6, 0.5), (0.2, 0.62)]],
    # The bar of the 5 and the upright of the 4 are strokes of their own, not touching.
    "5": [[(0.15, 0.18), (0.12, 0.48), (0.6, 0.42), (0.9, 0.65), (0.75, 0.95), (0.1, 0.95)], [(0.3, 0.0), (0.95, 0.0)]],
    "4": [[(0.45, 0.0), (0.05, 0.62), (0.62, 0.62)], [(0.8, 0.15), (0.8, 1.0)]],
}


def number_image(text: str, *, gap: int = 40, left: int = 60, top: int = 50, height: int = 180) -> Image.Image:
    """``text`` drawn digit by digit on the wide canvas, ``gap`` px between digits' boxes
    (negative: they overlap)."""
    image = Image.new("RGB", WIDE, "white")
    pen = ImageDraw.Draw(image)
    for char in text:
        width = 44 if char == "1" else 110
        if char == "0":
            pen.ellipse((left, top, left + width, top + height), outline="black", width=BRUSH)
        for stroke in STROKES.get(char, []):
            pen.line([(left + x * width, top + y * height) for x, y in stroke], fill="black", width=BRUSH, joint="curve")
        left += width + gap
    return image


def pieces_of_ink(image: Image.Image) -> int:
    return ink_parts(ink_map(image), step=1).count


@pytest.fixture(scope="module")
def predictor():
    return Predictor.load()


def test_reads_a_number_left_to_right_with_boxes(predictor):
    result = predictor.predict_number(png_bytes(number_image("2026")))
    assert result.number == "2026"
    assert [digit.digit for digit in result.digits] == [2, 0, 2, 6]
    assert result.confidence == pytest.approx(np.prod([digit.confidence for digit in result.digits]))
    lefts = [digit.box[0] for digit in result.digits]
    assert lefts == sorted(lefts) and len(set(lefts)) == 4
    for digit in result.digits:
        left, top, width, height = digit.box
        assert 0 <= left and 0 <= top and 0 < width and 0 < height
        assert left + width <= 1 and top + height <= 1
        assert len(digit.probabilities) == 10 and digit.confidence == max(digit.probabilities)
        assert digit.model_input.shape == (28, 28) and digit.model_input.dtype == np.float32
    # The first 2 was drawn from x = 60 to 170 of 840, y = 50 to 230 of 280 (brush aside).
    left, top, width, height = result.digits[0].box
    assert left * 840 == pytest.approx(60, abs=12) and (left + width) * 840 == pytest.approx(170, abs=12)
    assert top * 280 == pytest.approx(50, abs=12) and (top + height) * 280 == pytest.approx(230, abs=12)


def test_a_five_with_a_separate_bar_and_a_four_in_two_strokes_are_one_digit_each(predictor):
    image = number_image("54")
    assert pieces_of_ink(image) == 4, "the drawing must really be four separate strokes"
    result = predictor.predict_number(png_bytes(image))
    assert result.number == "54"
    assert result.digits[0].box[1] * 280 == pytest.approx(40, abs=4), "the bar (y = 50) is part of the 5"


def test_stacked_pieces_are_one_digit_without_asking_the_model():
    image = Image.new("RGB", WIDE, "white")
    pen = ImageDraw.Draw(image)
    pen.line([(200, 50), (200, 230)], fill="black", width=BRUSH)
    pen.ellipse((310, 50, 390, 132), outline="black", width=BRUSH)  # an 8's loops, drawn apart
    pen.ellipse((300, 140, 400, 230), outline="black", width=BRUSH)
    parts = ink_parts(ink_map(image), step=1)
    assert parts.count == 3 and len(group_parts(parts)) == 2


def test_a_zero_drawn_as_two_halves_is_one_digit(predictor):
    image = Image.new("RGB", WIDE, "white")
    pen = ImageDraw.Draw(image)
    pen.arc((300, 50, 420, 230), 95, 258, fill="black", width=BRUSH)  # "(" from the top
    pen.arc((312, 22, 432, 202), 255, 95, fill="black", width=BRUSH)  # ")" begun a little higher
    pen.line([(500, 60), (500, 230)], fill="black", width=BRUSH)
    assert pieces_of_ink(image) == 3
    assert predictor.predict_number(png_bytes(image)).number == "01"


def test_neighbouring_ones_stay_apart(predictor):
    assert predictor.predict_number(png_bytes(number_image("1111", gap=15))).number == "1111"
    assert predictor.predict_number(png_bytes(number_image("141", gap=10))).number == "141"


@pytest.mark.parametrize(("text", "gap"), [("00", -10), ("20", -5), ("2026", -10)])
def test_touching_digits_are_split(predictor, text, gap):
    image = number_image(text, gap=gap)
    assert pieces_of_ink(image) < len(text), "some digits must really touch"
    assert predictor.predict_number(png_bytes(image)).number == text


def test_specks_are_not_digits(predictor):
    image = number_image("20")
    pen = ImageDraw.Draw(image)
    for x, y in [(20, 20), (700, 240), (800, 30), (450, 140), (200, 10)]:
        pen.ellipse((x, y, x + 4, y + 4), fill="black")
    result = predictor.predict_number(png_bytes(image))
    assert result.number == "20"
    assert result.digits[0].box[1] * 280 == pytest.approx(50, abs=12), "a speck above is no part of a digit"


def test_a_one_digit_number_is_read_exactly_like_a_digit(predictor):
    for image in (draw_zero(), draw_one(), number_image("2")):
        number = predictor.predict_number(png_bytes(image))
        single = predictor.predict(png_bytes(image))
        assert len(number.digits) == 1
        assert np.array_equal(number.digits[0].model_input, preprocess(png_bytes(image)))
        assert number.number == str(single.digit)
        assert np.allclose(number.digits[0].probabilities, single.probabilities, atol=1e-6)


def test_blank_and_bad_images_raise_what_predict_raises(predictor, drawn_digit):
    with pytest.raises(EmptyImageError):
        predictor.predict_number(drawn_digit("blank"))
    specks = Image.new("RGB", WIDE, "white")
    ImageDraw.Draw(specks).ellipse((100, 100, 103, 103), fill="black")
    with pytest.raises(EmptyImageError):
        predictor.predict_number(png_bytes(specks))
    with pytest.raises(InvalidImageError):
        predictor.predict_number(b"GIF89a but not really")


def test_too_many_pieces_is_a_clear_error(predictor):
    image = Image.new("L", (2400, 120), 255)
    pen = ImageDraw.Draw(image)
    for index in range(MAX_DIGITS + 8):
        pen.line([(30 + index * 55, 20), (30 + index * 55, 100)], fill=0, width=8)
    with pytest.raises(TooManyDigitsError, match=f"at most {MAX_DIGITS} digits") as raised:
        predictor.predict_number(png_bytes(image))
    assert isinstance(raised.value, PreprocessError)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    strokes=st.lists(
        st.tuples(st.integers(0, 839), st.integers(0, 279), st.integers(0, 839), st.integers(0, 279), st.integers(1, 40)),
        max_size=40,
    ),
    specks=st.integers(0, 60),
    seed=st.integers(0, 2**16),
)
def test_any_scribble_is_a_number_or_a_preprocess_error(predictor, strokes, specks, seed):
    """Random lines and specks on a wide canvas: a well-formed number, or a refusal with a
    message; never another exception (the web app would answer it with a 500)."""
    image = Image.new("L", (840, 280), 255)
    pen = ImageDraw.Draw(image)
    for x0, y0, x1, y1, width in strokes:
        pen.line([(x0, y0), (x1, y1)], fill=0, width=width)
    rng = np.random.default_rng(seed)
    for x, y in rng.integers((0, 0), (840, 280), size=(specks, 2)):
        pen.point((int(x), int(y)), fill=0)
    try:
        found = predictor.predict_number(png_bytes(image))
    except PreprocessError as exc:
        assert str(exc)
        return
    assert found.number == "".join(str(digit.digit) for digit in found.digits) and found.number
    assert 0.0 <= found.confidence <= 1.0
    centres = [digit.box[0] + digit.box[2] / 2 for digit in found.digits]  # left to right by centre
    assert centres == sorted(centres)
    for digit in found.digits:
        assert all(0.0 <= value <= 1.0 for value in digit.box)
        assert digit.model_input.shape == (28, 28)
