"""Property-based: whatever bytes or image arrive, preprocessing either gives a valid 28x28
model input or raises ``PreprocessError`` with a message; nothing else escapes."""

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ml.preprocess import PreprocessError, preprocess
from PIL import Image

from tests.drawings import draw_one

# Every mode Pillow can build from raw bytes that an uploaded file can decode to.
MODES = ["1", "L", "LA", "P", "PA", "RGB", "RGBA", "CMYK", "YCbCr", "I", "I;16", "F"]
FORMATS = ["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"]
FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Damaged files make Pillow warn (corrupt EXIF and the like) before it refuses them.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL.*")


@st.composite
def small_images(draw) -> Image.Image:
    """A random image: random size (1..64 a side), mode and pixels."""
    mode = draw(st.sampled_from(MODES))
    size = (draw(st.integers(1, 64)), draw(st.integers(1, 64)))
    probe = Image.new(mode, (1, 1))
    bytes_per_pixel = len(probe.tobytes())
    if mode == "1":
        length = ((size[0] + 7) // 8) * size[1]
    else:
        length = size[0] * size[1] * bytes_per_pixel
    # Mostly a few repeated values (drawings are flat), sometimes pure noise.
    if draw(st.booleans()):
        pixels = draw(st.binary(min_size=length, max_size=length))
    else:
        palette = draw(st.binary(min_size=1, max_size=8))
        pixels = bytes(palette[i % len(palette)] for i in range(length))
    if mode == "F":
        # Raw float bytes may be NaN or infinite; a file decodes to finite values.
        values = np.nan_to_num(np.frombuffer(pixels, dtype=np.float32), nan=0.0, posinf=1.0, neginf=0.0)
        return Image.fromarray(values.reshape(size[1], size[0]), mode="F")
    return Image.frombytes(mode, size, pixels)


def encoded(image: Image.Image, image_format: str) -> bytes | None:
    """The image as a file of that format, or None where the format cannot hold its mode."""
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=image_format)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return buffer.getvalue()


def assert_model_input_or_preprocess_error(source) -> None:
    try:
        model_input = preprocess(source)
    except PreprocessError as exc:
        assert str(exc), "every refusal carries a message for the user"
        return
    assert model_input.shape == (28, 28)
    assert model_input.dtype == np.float32
    assert np.isfinite(model_input).all()
    assert 0.0 <= model_input.min() and model_input.max() <= 1.0


@FAST
@given(st.binary(max_size=2048))
def test_random_bytes_never_escape_as_anything_but_preprocess_error(data):
    assert_model_input_or_preprocess_error(data)


@FAST
@given(st.sampled_from(FORMATS).flatmap(lambda fmt: st.binary(max_size=512).map(lambda tail: (fmt, tail))))
def test_a_real_header_followed_by_garbage_is_refused_cleanly(format_and_tail):
    image_format, tail = format_and_tail
    header = encoded(Image.new("RGB", (32, 32), "white"), image_format)[:24]
    assert_model_input_or_preprocess_error(header + tail)


@FAST
@given(small_images())
def test_random_small_images_as_pil_images(image):
    assert_model_input_or_preprocess_error(image)


@FAST
@given(small_images(), st.sampled_from(FORMATS))
def test_random_small_images_as_files(image, image_format):
    data = encoded(image, image_format)
    if data is not None:
        assert_model_input_or_preprocess_error(data)


@FAST
@example("TIFF", 129, b"\x00\x01", False)  # a frame with no size: Pillow raised TypeError
@given(
    st.sampled_from(FORMATS),
    st.integers(min_value=0, max_value=10_000),
    st.binary(min_size=1, max_size=64),
    st.booleans(),
)
def test_damaged_copies_of_a_real_drawing(image_format, position, patch, truncate):
    """A real digit file, cut short or with a run of bytes overwritten anywhere."""
    data = encoded(draw_one(size=(96, 96), box=(36, 12, 60, 84), width=8), image_format)
    position %= len(data)
    damaged = data[:position] if truncate else data[:position] + patch + data[position + len(patch):]
    assert_model_input_or_preprocess_error(damaged)
