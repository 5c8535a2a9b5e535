"""The ink map: cropped or whole, from every kind of image; EXIF turns; speck labelling."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ml.preprocess import decode_image, ink_map, ink_parts, preprocess
from tests.drawings import draw_one, draw_zero, png_bytes


def transparent_zero() -> Image.Image:
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((80, 40, 200, 240), outline=(0, 0, 0, 255), width=20)
    return image


def uneven_photo() -> Image.Image:
    shade = np.linspace(120, 250, 600, dtype=np.float32)[None, :].repeat(400, axis=0)
    photo = Image.fromarray(shade.astype(np.uint8)).convert("RGB")
    ImageDraw.Draw(photo).ellipse((250, 100, 350, 300), outline=(30, 30, 30), width=14)
    return photo


def sixteen_bit_zero() -> Image.Image:
    return Image.fromarray(np.asarray(draw_zero().convert("L"), dtype=np.uint16) * 257)


@pytest.mark.parametrize(
    "image",
    [
        draw_zero(),  # dark on light, opaque: the canvas's way
        draw_zero(ink="white", background="black"),
        draw_zero().convert("RGBA"),  # an opaque alpha channel: luminance decides
        transparent_zero(),
        uneven_photo(),  # the shaded-paper path
        sixteen_bit_zero(),  # the wide-levels path
        draw_one(size=(281, 197)),  # odd sides
    ],
    ids=["dark-on-light", "light-on-dark", "opaque-rgba", "transparent", "uneven-light", "16-bit", "odd-sides"],
)
def test_the_cropped_map_is_the_whole_map_cut_to_its_ink(image):
    whole = ink_map(image)
    cropped = ink_map(image, crop=True)
    rows, cols = np.flatnonzero(whole.max(axis=1) > 0), np.flatnonzero(whole.max(axis=0) > 0)
    assert cropped.shape == (rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
    assert np.array_equal(cropped, whole[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])
    assert cropped.dtype == np.float32 and cropped.max() == 1.0 and cropped.min() == 0.0


def test_eight_bit_levels_match_a_float_pass_over_every_pixel():
    """The 8-bit path looks ink up in a table; it must equal the plain arithmetic."""
    image = draw_zero().convert("L")
    gray = np.asarray(image, dtype=np.float32) / 255.0
    ink = 1.0 - gray  # white paper
    expected = np.clip((ink / ink.max() - 0.15) / 0.7, 0.0, 1.0)
    assert np.abs(ink_map(image) - expected).max() < 1e-6


def test_ink_in_the_last_column_of_an_odd_sized_map_is_labelled():
    ink = np.zeros((151, 151), dtype=np.float32)
    ink[20:130, 60:70] = 1.0  # a stroke
    ink[20:130, 150] = 1.0  # ink in the odd last column, a block of its own at half size
    parts = ink_parts(ink)
    assert parts.step == 2
    assert max(box[3] for box in parts.boxes) >= 151


def rotated_jpeg(orientation: int) -> bytes:
    """A 1 drawn lying on its side, stored with an EXIF tag that stands it up."""
    lying = draw_one().rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    lying.save(buffer, "JPEG", quality=95, exif=exif)
    return buffer.getvalue()


def test_exif_orientation_stands_a_photo_up():
    upright = preprocess(png_bytes(draw_one(), "JPEG", quality=95))
    turned = preprocess(rotated_jpeg(6))  # 6: turn 90 degrees clockwise to view
    lying = preprocess(rotated_jpeg(1))  # 1: as stored
    assert np.abs(turned - upright).max() < np.abs(lying - upright).max()
    rows = np.flatnonzero(turned.max(axis=1) > 0.2)
    cols = np.flatnonzero(turned.max(axis=0) > 0.2)
    assert rows[-1] - rows[0] > 2 * (cols[-1] - cols[0]), "a 1 stands tall again"


def test_a_callers_image_is_never_turned_in_place():
    image = Image.open(io.BytesIO(rotated_jpeg(6)))
    size = image.size
    decoded = decode_image(image)
    assert decoded.size == (size[1], size[0]) and image.size == size


def test_the_paper_level_from_the_histogram_is_numpys_median():
    from ml.ink import _LEVELS, _median_level

    rng = np.random.default_rng(0)
    for size in (1, 2, 3, 64, 4096, 4097):
        for values in (rng.integers(0, 256, size), rng.choice([0, 7, 250, 255], size)):
            values = values.astype(np.uint8).reshape(1, -1)
            assert _median_level(values) == float(np.median(_LEVELS[values]))
