"""Preprocessing: any image a person gives -> MNIST's framing, or a clear error."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ml.preprocess import (
    EmptyImageError,
    ImageTooLargeError,
    InvalidImageError,
    PreprocessError,
    UnsupportedFormatError,
    decode_image,
    preprocess,
)
from tests.drawings import center_of_mass, draw_one, draw_zero, png_bytes


def ink_box(model_input, threshold=0.2):
    rows = np.flatnonzero(model_input.max(axis=1) > threshold)
    cols = np.flatnonzero(model_input.max(axis=0) > threshold)
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def assert_mnist_framed(model_input):
    assert model_input.shape == (28, 28) and model_input.dtype == np.float32
    assert 0.0 <= model_input.min() and model_input.max() <= 1.0
    assert model_input.max() > 0.9, "strokes must be strong, as MNIST's are"
    height, width = ink_box(model_input)
    assert max(height, width) in (19, 20, 21), "the longer side is scaled to 20 px"
    cy, cx = center_of_mass(model_input)
    assert abs(cy - 14) <= 1.0 and abs(cx - 14) <= 1.0, "centre of mass at the centre"
    assert model_input[0].max() == 0 and model_input[:, 0].max() == 0, "a 4 px margin stays empty"


def test_a_stroke_becomes_a_tall_thin_centred_one():
    model_input = preprocess(png_bytes(draw_one()))
    assert_mnist_framed(model_input)
    height, width = ink_box(model_input)
    assert height >= 19 and width < 12, "aspect ratio is kept: a 1 stays thin"


def test_a_ring_keeps_its_hole():
    model_input = preprocess(png_bytes(draw_zero()))
    assert_mnist_framed(model_input)
    assert model_input[14, 14] < 0.1 and model_input[14].max() > 0.9


def test_light_ink_on_dark_paper_gives_the_same_input_as_dark_on_light():
    dark_on_light = preprocess(png_bytes(draw_zero()))
    light_on_dark = preprocess(png_bytes(draw_zero(ink="white", background="black")))
    assert np.abs(dark_on_light - light_on_dark).max() < 0.02


def test_transparent_canvas_uses_alpha_as_ink():
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((80, 40, 200, 240), outline=(0, 0, 0, 255), width=20)
    from_alpha = preprocess(png_bytes(image))
    assert_mnist_framed(from_alpha)
    assert np.abs(from_alpha - preprocess(png_bytes(draw_zero()))).max() < 0.05


def test_a_small_digit_in_a_corner_is_found_and_centred():
    corner = preprocess(png_bytes(draw_zero(box=(8, 8, 48, 70), width=6)))
    assert_mnist_framed(corner)


def test_a_photo_sized_image_with_uneven_light_and_specks():
    width, height = 4000, 3000
    shade = np.linspace(150, 250, width, dtype=np.float32)[None, :].repeat(height, axis=0)
    photo = Image.fromarray(shade.astype(np.uint8)).convert("RGB")
    pen = ImageDraw.Draw(photo)
    pen.ellipse((1500, 900, 2100, 2000), outline=(40, 40, 40), width=90)  # the digit: a 0
    for x, y in [(200, 200), (3800, 2800), (3700, 300)]:  # dust on the paper
        pen.ellipse((x, y, x + 14, y + 14), fill=(30, 30, 30))
    model_input = preprocess(png_bytes(photo, "JPEG", quality=85))
    assert_mnist_framed(model_input)
    assert model_input[14, 14] < 0.1, "the ring's hole is still there"


def test_thin_and_thick_strokes_both_frame_fully():
    for width in (3, 45):
        assert_mnist_framed(preprocess(png_bytes(draw_one(width=width))))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"])
def test_every_accepted_format(fmt):
    assert_mnist_framed(preprocess(png_bytes(draw_zero(), fmt)))


@pytest.mark.parametrize("mode", ["L", "P", "CMYK", "I;16", "1", "LA"])
def test_every_image_mode(mode):
    image = draw_zero()
    if mode == "I;16":
        image = Image.fromarray(np.asarray(image.convert("L"), dtype=np.uint16) * 257)
    elif mode == "LA":
        image = image.convert("L").convert("LA")  # opaque alpha: luminance decides
    else:
        image = image.convert(mode)
    fmt = "JPEG" if mode == "CMYK" else ("TIFF" if mode == "I;16" else "PNG")
    assert_mnist_framed(preprocess(png_bytes(image, fmt)))


def test_animated_gif_uses_the_first_frame():
    first, second = draw_one(), draw_zero()
    buffer = io.BytesIO()
    first.save(buffer, "GIF", save_all=True, append_images=[second])
    assert np.abs(preprocess(buffer.getvalue()) - preprocess(png_bytes(first, "GIF"))).max() < 1e-6


def test_accepts_a_path_and_a_pil_image(tmp_path):
    path = tmp_path / "zero.png"
    draw_zero().save(path)
    assert np.array_equal(preprocess(path), preprocess(Image.open(path)))


def test_blank_images_are_empty():
    for image in (Image.new("RGB", (280, 280), "white"), Image.new("RGBA", (280, 280), (0, 0, 0, 0))):
        with pytest.raises(EmptyImageError):
            preprocess(png_bytes(image))


def test_faint_noise_is_empty():
    noise = np.random.default_rng(0).normal(245, 3, (280, 280)).clip(0, 255).astype(np.uint8)
    with pytest.raises(EmptyImageError):
        preprocess(png_bytes(Image.fromarray(noise)))


def test_specks_only_is_empty():
    image, pen = Image.new("RGB", (280, 280), "white"), None
    pen = ImageDraw.Draw(image)
    for x, y in [(30, 40), (200, 100), (120, 250)]:
        pen.ellipse((x, y, x + 2, y + 2), fill="black")
    with pytest.raises(EmptyImageError):
        preprocess(png_bytes(image))


def test_specks_do_not_decide_the_bounding_box():
    clean = preprocess(png_bytes(draw_one()))
    specked = draw_one()
    ImageDraw.Draw(specked).ellipse((5, 260, 11, 266), fill="black")
    assert np.abs(preprocess(png_bytes(specked)) - clean).max() < 0.05


def test_a_two_part_digit_keeps_both_parts():
    image, pen = Image.new("RGB", (280, 280), "white"), None
    pen = ImageDraw.Draw(image)
    pen.line([(100, 60), (100, 150), (180, 150), (180, 230), (100, 230)], fill="black", width=16)  # body of a 5
    pen.line([(100, 55), (190, 55)], fill="black", width=16)  # its bar, drawn apart
    model_input = preprocess(png_bytes(image.crop((0, 0, 280, 280))))
    assert model_input[4:7].max() > 0.5, "the separate bar is part of the digit"


def test_truncated_png_is_invalid():
    with pytest.raises(InvalidImageError):
        preprocess(png_bytes(draw_zero())[:300])


def test_text_file_and_empty_bytes_are_invalid(tmp_path):
    for payload in (b"hello, I am not an image", b"", b"<svg xmlns='http://www.w3.org/2000/svg'/>"):
        with pytest.raises(InvalidImageError):
            preprocess(payload)
    with pytest.raises(InvalidImageError):
        preprocess(tmp_path / "missing.png")


def test_unsupported_format_is_refused():
    with pytest.raises(UnsupportedFormatError):
        preprocess(png_bytes(draw_zero(), "PPM"))


def test_decompression_bomb_is_refused_from_its_header():
    bomb = png_bytes(Image.new("1", (20000, 20000), 0))
    assert len(bomb) < 100_000
    with pytest.raises(ImageTooLargeError):
        decode_image(bomb)


def test_every_error_is_a_preprocess_error():
    for error in (EmptyImageError, InvalidImageError, UnsupportedFormatError, ImageTooLargeError):
        assert issubclass(error, PreprocessError)
