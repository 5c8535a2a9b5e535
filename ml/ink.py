"""Any image -> its ink map: 0 is paper, 1 the strongest ink, at working resolution.

The first step of ``ml.preprocess``, and of a number's segmentation: a transparent
canvas's alpha channel is its ink; otherwise the paper is whatever most pixels are (dark
ink on light paper or light on dark: detected, never assumed), and uneven light (a phone
photo) is removed. A plain PNG's pixels are read from the decoder's own array
(``ml.decode.plain_pixels``), every other image through Pillow.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageFilter

from ml.decode import EmptyImageError, plain_pixels

# Everything after decoding runs at this size at most: plenty for a digit, and it bounds
# the work a huge photo can cause.
WORKING_SIDE = 512
MIN_CONTRAST = 0.08  # ink must differ from the paper by 8 % of the full range
NOISE_FLOOR = 0.15  # ink weaker than this (relative) is paper texture or JPEG noise


def ink_map(image: Image.Image, *, crop: bool = False) -> np.ndarray:
    """A float32 map at working resolution where 0 is paper and 1 is the strongest ink.

    A transparent canvas's alpha channel is its ink. Otherwise the paper is whatever most
    pixels are (dark ink on light paper or light on dark: detected, never assumed), and
    uneven light (a phone photo) is removed by subtracting a smooth estimate of the paper.
    With ``crop`` only the box around the ink comes back (outside it the map is 0): one
    digit does not need to know where on the image it was, and less is left to do.
    """
    image = _to_working_size(image)
    pixels = plain_pixels(image)
    alpha = _alpha(image, pixels)
    if alpha is not None:
        return _through_table(alpha, _LEVELS, crop)
    gray = _gray(image, pixels)
    sample = gray[:: max(1, gray.shape[0] // 64), :: max(1, gray.shape[1] // 64)]
    eight_bit = gray.dtype == np.uint8
    paper = _median_level(sample) if eight_bit else float(np.median(sample))
    if eight_bit:
        levels = (paper - _LEVELS) if paper > 0.5 else (_LEVELS - paper)
        if _evenly_lit(levels[_border(gray)], gray.shape):  # a canvas, a scan: the common case
            return _through_table(gray, levels, crop)
        gray = _LEVELS[gray]
    ink = (paper - gray) if paper > 0.5 else (gray - paper)
    background = _uneven_background(ink)
    if background is not None:
        ink = ink - background
    ink = _normalise(ink)
    return ink[_ink_box(ink > 0)] if crop else ink


# The level 0..1 of each byte value. An 8-bit image's ink is looked up in a table of its
# 256 values, computed with the very arithmetic a float pass over every pixel would do.
_LEVELS = np.arange(256, dtype=np.float32) / 255.0


def _through_table(values: np.ndarray, levels: np.ndarray, crop: bool) -> np.ndarray:
    """The ink map of 8-bit ``values`` whose ink levels are ``levels[value]``.

    Levels rise or fall with the value, so the strongest ink is the largest (or smallest)
    byte, and the inked bytes are one run from that end: each row's and column's extreme
    byte gives the peak and the ink's box, with no float pass over every pixel.
    """
    rising = bool(levels[-1] > levels[0])
    extreme = np.max if rising else np.min
    by_row = extreme(values, axis=1)
    table = _normalise(levels, peak=float(levels[extreme(by_row)]))
    if crop:
        inked = np.flatnonzero(table > 0)
        by_column = extreme(values, axis=0)
        if rising:
            rows, cols = np.flatnonzero(by_row >= inked[0]), np.flatnonzero(by_column >= inked[0])
        else:
            rows, cols = np.flatnonzero(by_row <= inked[-1]), np.flatnonzero(by_column <= inked[-1])
        values = values[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return np.take(table, values)


def _median_level(values: np.ndarray) -> float:
    """``np.median(_LEVELS[values])`` of 8-bit values, from their histogram: levels rise
    with the byte, so the middle bytes give the middle levels (4x faster)."""
    counts = np.cumsum(np.bincount(values.ravel(), minlength=256))
    low = int(np.searchsorted(counts, (counts[-1] - 1) // 2, side="right"))
    high = int(np.searchsorted(counts, counts[-1] // 2, side="right"))
    return float(np.mean(_LEVELS[[low, high]]))


def _ink_box(inked: np.ndarray) -> tuple[slice, slice]:
    rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def _to_working_size(image: Image.Image) -> Image.Image:
    longest = max(image.size)
    if longest <= WORKING_SIDE:
        return image
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if _has_transparency(image) else "RGB")
    factor = longest // WORKING_SIDE
    if factor >= 2:
        image = image.reduce(factor)  # a fast box reduction before the exact resize
    scale = WORKING_SIDE / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BOX)


def _has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _alpha(image: Image.Image, pixels: np.ndarray | None) -> np.ndarray | None:
    """The alpha channel (uint8) as ink, if the image really uses transparency.
    ``pixels``: the decoder's array of the image, if there is one."""
    if not _has_transparency(image):
        return None
    if pixels is not None and image.mode == "RGBA":
        alpha = pixels[..., 3]
    else:
        if image.mode not in ("RGBA", "LA"):
            image = image.convert("RGBA")
        alpha = np.asarray(image.getchannel("A"))  # numpy's min is 40x faster than getextrema
    if alpha.min() > 0.98 * 255:  # opaque everywhere: a white canvas, a photo
        return None
    return alpha


# OpenCV's gray of the decoder's array, by its mode: Pillow's convert("L") to within one
# level (0.1 % of random colours; black, white and grays exactly), in half the time.
_TO_GRAY = {"RGB": cv2.COLOR_RGB2GRAY, "RGBA": cv2.COLOR_RGBA2GRAY}


def _gray(image: Image.Image, pixels: np.ndarray | None) -> np.ndarray:
    """Gray levels: uint8 for 8-bit images, float32 0..1 for 16-bit and float ones.
    ``pixels``: the decoder's array of the image, if there is one."""
    if pixels is not None and image.mode == "L":
        return pixels
    if pixels is not None and image.mode in _TO_GRAY:
        return cv2.cvtColor(pixels, _TO_GRAY[image.mode])
    if image.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
        values = np.asarray(image, dtype=np.float32)
        top = 65535.0 if values.max() > 255 else 255.0
        return np.clip(values / top, 0.0, 1.0)
    if image.mode in ("RGB", "RGBA", "LA"):
        image = image.convert("L")  # one step: any alpha is opaque by now
    elif image.mode != "L":
        image = image.convert("RGB").convert("L")
    return np.asarray(image)


def _uneven_background(ink: np.ndarray) -> np.ndarray | None:
    """A smooth estimate of the paper where the light is uneven, else None.

    An opening (min then max filter) on a small copy removes the strokes and keeps the
    slow shading of the paper; it is only used when that shading is significant.
    """
    height, width = ink.shape
    if _evenly_lit(_border(ink), ink.shape):
        return None
    small_size = (max(8, width // 16), max(8, height // 16))
    small = Image.fromarray(np.ascontiguousarray(ink, dtype=np.float32)).resize(small_size, Image.Resampling.BOX)
    opened = small.filter(ImageFilter.MinFilter(5)).filter(ImageFilter.MaxFilter(5))
    background = np.asarray(opened.resize((width, height), Image.Resampling.BILINEAR))
    if float(background.max() - background.min()) < 0.1:
        return None
    return background


def _border(array: np.ndarray) -> np.ndarray:
    return np.concatenate([array[0], array[-1], array[:, 0], array[:, -1]])


def _evenly_lit(border: np.ndarray, shape: tuple[int, int]) -> bool:
    """Even paper all round (or an image too small to judge): no shading to remove."""
    return min(shape) < 64 or float(border.max() - border.min()) < 0.1


def _normalise(ink: np.ndarray, peak: float | None = None) -> np.ndarray:
    peak = float(ink.max()) if peak is None else peak
    if peak < MIN_CONTRAST:
        raise EmptyImageError("The image is blank: draw a digit first.")
    ink = ink * (1.0 / peak)
    # Below the noise floor is paper; strong strokes saturate, as MNIST's centres do.
    return np.clip((ink - NOISE_FLOOR) * (1.0 / (0.85 - NOISE_FLOOR)), 0.0, 1.0)
