"""The preprocessing steps OpenCV runs give what the slower libraries they replaced gave.

The bundled model was measured on inputs framed with scipy and Pillow; each step moved
to OpenCV (for speed) is held here to the old library's pixels, computed in the test.
"""

import io

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from ml.decode import decode_image, plain_pixels
from ml.framing import (
    INK_THRESHOLD,
    MAX_SHEAR,
    MNIST_BOX,
    MNIST_SIDE,
    THICK_STROKE,
    _moments,
    deskew,
    stroke_width,
    thin_strokes,
)
from ml.preprocess import ink_parts
from ml.second_look import thicker, thinner
from tests.drawings import draw_zero, png_bytes


def pillow_deskew(image: np.ndarray) -> np.ndarray:
    """``deskew`` as it was written with Pillow's affine transform (bilinear)."""
    mass, centre_row, shear = _moments(image)
    shear = min(max(shear, -MAX_SHEAR), MAX_SHEAR)
    if mass <= 0.0 or shear == 0.0:
        return image
    sheared = Image.fromarray(image, mode="F").transform(
        (MNIST_SIDE, MNIST_SIDE),
        Image.Transform.AFFINE,
        (1.0, shear, -shear * (centre_row + 0.5), 0.0, 1.0, 0.0),
        resample=Image.Resampling.BILINEAR,
    )
    return np.clip(np.asarray(sheared, dtype=np.float32), 0.0, 1.0)


def strokes(seed: int, shape=(28, 28)) -> np.ndarray:
    """Random blotches of ink, some reaching the field's edge (where edge rules differ)."""
    rng = np.random.default_rng(seed)
    field = ndimage.gaussian_filter(rng.random(shape).astype(np.float32), 1.5)
    return np.clip((field - field.mean()) * 12, 0.0, 1.0).astype(np.float32)


@pytest.mark.parametrize("seed", range(12))
def test_deskew_shears_as_pillows_affine_transform_did(seed):
    image = strokes(seed)
    image[:, :3] = 0.0  # lean it: ink heavier at the top right, so the shear is large
    image[: MNIST_SIDE // 2, -4:] = 1.0
    assert abs(_moments(image)[2]) > 0.05
    np.testing.assert_allclose(deskew(image), pillow_deskew(image), atol=1e-5)


@pytest.mark.parametrize("seed", range(6))
def test_the_second_looks_thicker_and_thinner_are_scipys_2x2_filters(seed):
    stack = np.stack([strokes(seed * 10 + k) for k in range(3)])
    np.testing.assert_array_equal(thicker(stack), ndimage.grey_dilation(stack, size=(1, 2, 2)))
    np.testing.assert_array_equal(thinner(stack), ndimage.grey_erosion(stack, size=(1, 2, 2)))


def test_thinning_erodes_as_scipy_did():
    crop = np.zeros((60, 40), np.float32)
    crop[5:55, 10:30] = 1.0  # a 20 px thick bar with a fainter flag: far over THICK_STROKE
    crop[5:12, 10:38] = 0.6
    scale = MNIST_BOX / max(crop.shape)
    radius = round((stroke_width(crop) * scale - THICK_STROKE) / scale / 2)  # thin_strokes' own rule
    assert radius >= 1
    expected = ndimage.grey_erosion(crop, size=(2 * radius + 1, 2 * radius + 1))
    inked = expected >= INK_THRESHOLD
    rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    thinned, _ = thin_strokes(crop)
    np.testing.assert_array_equal(thinned, expected[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])


@pytest.mark.parametrize("seed", range(8))
def test_parts_are_scipys_connected_components(seed):
    ink = strokes(seed, shape=(90, 150))
    parts = ink_parts(ink, step=1)
    labels, count = ndimage.label(ink >= 0.35, structure=np.ones((3, 3), dtype=bool))
    assert parts.count == count
    expected = sorted(
        (int((labels == n).sum()), (s[0].start, s[0].stop, s[1].start, s[1].stop))
        for n, s in enumerate(ndimage.find_objects(labels), start=1)
    )
    found = sorted((int(parts.sizes[n]), parts.boxes[n - 1]) for n in range(1, parts.count + 1))
    assert found == expected
    for n in range(1, parts.count + 1):  # each label's pixels lie inside its own box
        y0, y1, x0, x1 = parts.boxes[n - 1]
        inside = parts.labels[y0:y1, x0:x1] == n
        assert inside.sum() == parts.sizes[n]


def test_a_plain_pngs_pixels_are_the_decoders_own_array():
    image = decode_image(png_bytes(draw_zero().convert("RGBA")))
    pixels = plain_pixels(image)
    assert pixels is not None and pixels.shape == (image.height, image.width, 4)
    np.testing.assert_array_equal(pixels, np.asarray(image))


def test_pixels_are_withheld_once_the_image_is_changed():
    image = decode_image(png_bytes(draw_zero().convert("L")))
    assert plain_pixels(image) is not None
    image.paste(255, (0, 0, 10, 10))  # Pillow copies a read-only image before writing to it
    assert plain_pixels(image) is None


def test_images_pillow_decoded_have_no_decoder_array():
    buffer = io.BytesIO()
    draw_zero().convert("RGB").save(buffer, "JPEG")
    assert plain_pixels(decode_image(buffer.getvalue())) is None
    assert plain_pixels(draw_zero()) is None  # the caller's own PIL image


def test_an_image_decoded_here_is_not_decoded_again():
    # The web app decodes an upload to check it, then predicts from the decoded image:
    # it must keep the decoder's array rather than become a copy without it.
    image = decode_image(png_bytes(draw_zero().convert("RGBA")))
    again = decode_image(image)
    assert again is image and plain_pixels(again) is not None
