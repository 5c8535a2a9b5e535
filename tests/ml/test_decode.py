"""Decoding: plain PNGs (every canvas drawing) go through libspng, the rest through Pillow,
and both give the same pixels and the same errors."""

import io

import numpy as np
import pytest
from PIL import Image

from ml.decode import InvalidImageError, _plain_png, decode_image
from tests.drawings import draw_zero, png_bytes


def pillow_pixels(data: bytes) -> tuple[str, np.ndarray]:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.mode, np.asarray(image)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
def test_a_plain_png_takes_the_fast_path_and_decodes_to_pillows_pixels(mode):
    image = draw_zero().convert(mode)
    if mode == "RGBA":  # a canvas with half-transparent edges, as browsers draw
        image.putalpha(Image.linear_gradient("L").resize(image.size))
    data = png_bytes(image)
    fast = _plain_png(data)
    assert fast is not None, "a plain 8-bit PNG is decoded by libspng"
    decoded = decode_image(data)
    assert (decoded.mode, decoded.size) == (mode, image.size)
    expected_mode, expected = pillow_pixels(data)
    assert decoded.mode == expected_mode
    np.testing.assert_array_equal(np.asarray(decoded), expected)


def with_transparent_colour(image):
    return png_bytes(image.convert("RGB"), transparency=(255, 255, 255))


def with_exif(image):
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turn 90 degrees clockwise to show
    return png_bytes(image.convert("RGB"), exif=exif)


def animated(image):
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "PNG", save_all=True, append_images=[Image.new("RGB", image.size)])
    return buffer.getvalue()


@pytest.mark.parametrize(
    "encode",
    [
        lambda image: png_bytes(image.convert("P")),
        lambda image: png_bytes(image.convert("LA")),
        lambda image: png_bytes(image.convert("I;16")),
        with_transparent_colour,
        with_exif,
        animated,
        lambda image: png_bytes(image)[:-20],  # cut short inside its last chunks
        lambda image: png_bytes(image, "JPEG"),
    ],
    ids=["palette", "gray-alpha", "16-bit", "transparent-colour", "exif", "animated", "cut-short", "jpeg"],
)
def test_everything_else_is_left_to_pillow(encode):
    data = encode(draw_zero())
    assert _plain_png(data) is None


def test_a_damaged_plain_png_is_left_to_pillow_which_names_the_damage():
    data = bytearray(png_bytes(draw_zero().convert("L")))
    data[60] ^= 0xFF  # inside the pixels: their checksum no longer matches
    assert _plain_png(bytes(data)) is None
    with pytest.raises(InvalidImageError, match="damaged"):
        decode_image(bytes(data))


def test_a_png_turned_by_its_exif_is_still_turned():
    image = Image.new("L", (200, 100), 255)
    assert decode_image(with_exif(image)).size == (100, 200)


def test_a_transparent_colour_still_becomes_the_alpha_channel():
    decoded = decode_image(with_transparent_colour(draw_zero()))
    assert "transparency" in decoded.info


def test_bytearray_and_memoryview_take_the_same_path():
    data = png_bytes(draw_zero())
    expected = np.asarray(decode_image(data))
    for source in (bytearray(data), memoryview(data)):
        np.testing.assert_array_equal(np.asarray(decode_image(source)), expected)
