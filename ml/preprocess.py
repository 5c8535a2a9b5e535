"""Any image a user can give -> the 28x28 model input, made the way MNIST itself was made.

MNIST digits were cropped to their ink, scaled (anti-aliased, aspect kept) so the longer
side is 20 px, and placed in a 28x28 field with their centre of mass at the centre. The
tutorials that resize a whole 280x280 canvas to 28x28 feed the model tiny, off-centre
digits it never saw in training; doing what MNIST did is most of the accuracy on drawings.

The steps: ``decode_image`` (validate, first frame, EXIF rotation) -> ``ink_map`` (any
mode and polarity to "1.0 is ink", uneven light removed) -> ``digit_ink`` (drop isolated
specks, crop to the digit) -> ``to_model_input`` (scale to 20 px, centre by mass, shear
upright).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage

# The errors and ``decode_image`` live in ml.decode; they are imported from here too, the
# one module the app and the command line need for "image in, model input out".
from ml.decode import (
    EmptyImageError as EmptyImageError,
    ImageSource as ImageSource,
    ImageTooLargeError as ImageTooLargeError,
    InvalidImageError as InvalidImageError,
    PreprocessError as PreprocessError,
    UnsupportedFormatError as UnsupportedFormatError,
    decode_image as decode_image,
)
from ml.framing import (
    INK_THRESHOLD,
    MNIST_BOX,
    MNIST_CENTRE,
    MNIST_SIDE,
    THIN_STROKE,
    deskew,
    thin_strokes,
)

# Everything after decoding runs at this size at most: plenty for a digit, and it bounds
# the work a huge photo can cause.
WORKING_SIDE = 512
MIN_CONTRAST = 0.08  # ink must differ from the paper by 8 % of the full range
NOISE_FLOOR = 0.15  # ink weaker than this (relative) is paper texture or JPEG noise
MIN_DIGIT_PIXELS = 12  # at working resolution: smaller "digits" are specks
MIN_DIGIT_SIDE = 6
MAJOR_PART = 0.10  # a part of a digit has at least this share of the largest part's ink...
NEAR_PART = 0.15  # ...or lies within this fraction of the digit's size from it


def ink_map(image: Image.Image, *, crop: bool = False) -> np.ndarray:
    """A float32 map at working resolution where 0 is paper and 1 is the strongest ink.

    A transparent canvas's alpha channel is its ink. Otherwise the paper is whatever most
    pixels are (dark ink on light paper or light on dark: detected, never assumed), and
    uneven light (a phone photo) is removed by subtracting a smooth estimate of the paper.
    With ``crop`` only the box around the ink comes back (outside it the map is 0): one
    digit does not need to know where on the image it was, and less is left to do.
    """
    image = _to_working_size(image)
    alpha = _alpha(image)
    if alpha is not None:
        return _through_table(alpha, _LEVELS, crop)
    gray = _gray(image)
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


def _alpha(image: Image.Image) -> np.ndarray | None:
    """The alpha channel (uint8) as ink, if the image really uses transparency."""
    if not _has_transparency(image):
        return None
    if image.mode not in ("RGBA", "LA"):
        image = image.convert("RGBA")
    alpha = np.asarray(image.getchannel("A"))  # numpy's min is 40x faster than getextrema
    if alpha.min() > 0.98 * 255:  # opaque everywhere: a white canvas, a photo
        return None
    return alpha


def _gray(image: Image.Image) -> np.ndarray:
    """Gray levels: uint8 for 8-bit images, float32 0..1 for 16-bit and float ones."""
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


@dataclass(frozen=True)
class InkParts:
    """The connected pieces of ink in an ink map: what speck removal and number
    segmentation decide about. Label ``n`` is ``sizes[n]`` pixels inside ``boxes[n - 1]``
    (y0, y1, x0, x1 at the ink map's resolution); ``labels`` is at 1/``step`` of it."""

    ink: np.ndarray
    mask: np.ndarray  # ink >= INK_THRESHOLD: the strokes
    labels: np.ndarray
    step: int
    sizes: np.ndarray  # sizes[0] (the paper) is 0
    boxes: list[tuple[int, int, int, int]]

    @property
    def count(self) -> int:
        return len(self.boxes)

    def crop(
        self, keep: np.ndarray, columns: tuple[int, int] | None = None, *, seams: tuple[np.ndarray, np.ndarray] | None = None
    ) -> tuple[np.ndarray, tuple[int, int, int, int]]:
        """The ink of the kept labels (a bool per label, 0 included) cropped to its strokes,
        optionally only within ``columns`` (x0, x1), or between two ``seams`` (each a column
        per row of the kept ink's box, the left one's column included, the right one's not);
        returns (crop, (y0, y1, x0, x1)).

        Strokes of other labels inside the box are blanked; the faint edges of the kept
        strokes stay. Raises ``EmptyImageError`` when no stroke is left to crop.
        """
        kept = [self.boxes[label - 1] for label in np.flatnonzero(keep[1:]) + 1]
        if not kept:
            raise EmptyImageError("The image is blank: draw a digit first.")
        sy0, sy1 = min(box[0] for box in kept), max(box[1] for box in kept)
        sx0, sx1 = min(box[2] for box in kept), max(box[3] for box in kept)
        if seams is not None:
            columns = (int(seams[0].min()), int(seams[1].max()))
        if columns is not None:
            sx0, sx1 = max(sx0, columns[0]), min(sx1, columns[1])
        mask = self.mask[sy0:sy1, sx0:sx1]
        if keep[1:].all() and seams is None:  # nothing to remove: crop exactly to the strokes
            crop = self.ink[sy0:sy1, sx0:sx1]
        else:
            step = self.step
            kept_mask = keep[self.labels[sy0 // step : -(-sy1 // step), sx0 // step : -(-sx1 // step)]]
            if step > 1:
                kept_mask = kept_mask.repeat(step, axis=0).repeat(step, axis=1)
                kept_mask = kept_mask[sy0 % step :, sx0 % step :]
            kept_mask = kept_mask[: mask.shape[0], : mask.shape[1]]
            kept = kept_mask | ~mask
            if seams is not None:
                if len(seams[0]) != sy1 - sy0 or len(seams[1]) != sy1 - sy0:
                    raise ValueError("seams need a column for each row of the kept ink's box")
                columns_here = np.arange(sx0, sx1)[None, :]
                kept &= (columns_here >= seams[0][:, None]) & (columns_here < seams[1][:, None])
            crop = np.where(kept, self.ink[sy0:sy1, sx0:sx1], 0.0)
            mask = crop >= INK_THRESHOLD
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        if not len(rows):
            raise EmptyImageError("The image is blank: draw a digit first.")
        box = (sy0 + int(rows[0]), sy0 + int(rows[-1]) + 1, sx0 + int(cols[0]), sx0 + int(cols[-1]) + 1)
        trimmed = crop[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
        return trimmed.astype(np.float32, copy=False), box


def ink_parts(ink: np.ndarray, *, step: int | None = None) -> InkParts:
    """The ink's connected parts (8-connected strokes). Raises ``EmptyImageError`` when
    there is no ink, or only specks.

    By default components are found on a half-size mask for big images (4x less work); a
    speck is still a speck at half size, and boxes are mapped back to full size.
    ``step=1`` labels at full size, where a narrow gap between two strokes must survive.
    """
    mask = ink >= INK_THRESHOLD
    if step is None:
        step = 2 if min(mask.shape) >= 128 else 1  # _block_any halves; larger steps are not needed
    labels, count = ndimage.label(_block_any(mask, step), structure=np.ones((3, 3), dtype=bool))
    if count == 0:
        raise EmptyImageError("The image is blank: draw a digit first.")
    sizes = np.bincount(labels.ravel(), minlength=count + 1) * (step * step)
    sizes[0] = 0
    boxes = [tuple(value * step for value in _box(slices)) for slices in ndimage.find_objects(labels)]
    largest = int(sizes.argmax())
    y0, y1, x0, x1 = boxes[largest - 1]
    if sizes[largest] < MIN_DIGIT_PIXELS or max(y1 - y0, x1 - x0) < MIN_DIGIT_SIDE:
        raise EmptyImageError("Only specks found: draw a digit first.")
    return InkParts(ink=ink, mask=mask, labels=labels, step=step, sizes=sizes, boxes=boxes)


def near(box: tuple[int, int, int, int], other: tuple[int, int, int, int], margin: float) -> bool:
    """Whether two (y0, y1, x0, x1) boxes come within ``margin`` pixels of each other."""
    return (
        other[1] >= box[0] - margin and other[0] <= box[1] + margin
        and other[3] >= box[2] - margin and other[2] <= box[3] + margin
    )


def digit_ink(ink: np.ndarray) -> np.ndarray:
    """The ink cropped to the digit's bounding box, with isolated specks removed.

    Parts of a digit (the bar of a 5, a broken stroke in a faint scan) are kept when they
    are large or near the largest part; small ink far from it is a speck and must not
    decide the bounding box.
    """
    parts = ink_parts(ink)
    sizes = parts.sizes
    largest = int(sizes.argmax())
    y0, y1, x0, x1 = parts.boxes[largest - 1]
    keep = sizes >= MAJOR_PART * sizes[largest]  # the paper's 0 is never major
    margin = NEAR_PART * max(y1 - y0, x1 - x0)
    for label in np.argsort(sizes)[::-1]:  # grow the digit by its nearby parts
        if label == 0 or keep[label] or sizes[label] < 2:
            continue
        if near(parts.boxes[label - 1], (y0, y1, x0, x1), margin):
            keep[label] = True
    return parts.crop(keep)[0]


def _block_any(mask: np.ndarray, step: int) -> np.ndarray:
    """A 2x2-block "any" of a mask (strided ORs: ~20x faster than reshape + any).

    An odd last row or column is a block of its own: ink there must still be labelled.
    """
    if step == 1:
        return mask
    if mask.shape[0] % 2 or mask.shape[1] % 2:
        mask = np.pad(mask, ((0, mask.shape[0] % 2), (0, mask.shape[1] % 2)))
    top, bottom = mask[0::2], mask[1::2]
    return top[:, 0::2] | top[:, 1::2] | bottom[:, 0::2] | bottom[:, 1::2]


def _box(slices) -> tuple[int, int, int, int]:
    return slices[0].start, slices[0].stop, slices[1].start, slices[1].stop


def to_model_input(crop: np.ndarray) -> np.ndarray:
    """Scale a cropped digit so its longer side is 20 px, centre it by mass in 28x28, and
    shear it upright (``ml.framing.deskew``)."""
    crop, stroke = thin_strokes(crop)
    height, width = crop.shape
    scale = MNIST_BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    scaled = Image.fromarray(np.ascontiguousarray(crop, dtype=np.float32)).resize(
        size, Image.Resampling.LANCZOS
    )
    digit = np.clip(np.asarray(scaled, dtype=np.float32), 0.0, 1.0)
    scaled_width = stroke * scale
    if scaled_width < THIN_STROKE and digit.max() > 0:
        # Strengthen the faint line scaling left, then widen it by one or two pixels.
        digit = np.clip(digit * (1.0 / max(float(digit.max()), 1e-6)) * 1.5, 0.0, 1.0)
        grow = 3 if scaled_width < THIN_STROKE / 2 else 2
        padded = np.pad(digit, grow - 1)
        digit = ndimage.grey_dilation(padded, size=(grow, grow))
        size = (digit.shape[1], digit.shape[0])
        if max(size) > MNIST_BOX + 2:  # keep the 20 px box within a pixel or two
            shrunk = Image.fromarray(digit).resize(
                (max(1, round(size[0] * MNIST_BOX / max(size))), max(1, round(size[1] * MNIST_BOX / max(size)))),
                Image.Resampling.BILINEAR,
            )
            digit = np.clip(np.asarray(shrunk, dtype=np.float32), 0.0, 1.0)
    height, width = digit.shape
    mass = float(digit.sum())
    if mass <= 0.0:
        raise EmptyImageError("The image is blank: draw a digit first.")
    # Centred in the field, then moved so that its centre of mass is at MNIST's centre,
    # but never so far that ink would leave the field (a lopsided digit stays whole).
    top, left = (MNIST_SIDE - height) // 2, (MNIST_SIDE - width) // 2
    centre_y = top + float(digit.sum(axis=1) @ np.arange(height, dtype=np.float32)) / mass
    centre_x = left + float(digit.sum(axis=0) @ np.arange(width, dtype=np.float32)) / mass
    # (Python's min/max: np.clip on a scalar costs 4 us, a few per cent of a request.)
    top = min(max(top + round(MNIST_CENTRE - centre_y), 0), MNIST_SIDE - height)
    left = min(max(left + round(MNIST_CENTRE - centre_x), 0), MNIST_SIDE - width)
    field = np.zeros((MNIST_SIDE, MNIST_SIDE), dtype=np.float32)
    field[top : top + height, left : left + width] = digit
    return deskew(field)


def preprocess(source: ImageSource) -> np.ndarray:
    """Any accepted image -> the (28, 28) float32 model input, 0..1, white ink on black."""
    return to_model_input(digit_ink(ink_map(decode_image(source), crop=True)))
