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

import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError
from scipy import ndimage

from ml.framing import (
    INK_THRESHOLD,
    MNIST_BOX,
    MNIST_CENTRE,
    MNIST_SIDE,
    THIN_STROKE,
    deskew,
    thin_strokes,
)

SUPPORTED_FORMATS = frozenset({"PNG", "JPEG", "MPO", "GIF", "BMP", "WEBP", "TIFF"})
# 50 megapixels covers phone cameras; anything bigger is refused from its header, before
# any pixel is decoded (a 20000x20000 PNG of a few KB would otherwise take 1.2 GB).
MAX_PIXELS = 50_000_000
# Everything after decoding runs at this size at most: plenty for a digit, and it bounds
# the work a huge photo can cause.
WORKING_SIDE = 512
MIN_CONTRAST = 0.08  # ink must differ from the paper by 8 % of the full range
NOISE_FLOOR = 0.15  # ink weaker than this (relative) is paper texture or JPEG noise
MIN_DIGIT_PIXELS = 12  # at working resolution: smaller "digits" are specks
MIN_DIGIT_SIDE = 6
MAJOR_PART = 0.10  # a part of a digit has at least this share of the largest part's ink...
NEAR_PART = 0.15  # ...or lies within this fraction of the digit's size from it


class PreprocessError(ValueError):
    """The image cannot be turned into a model input; the message is for the user."""


class InvalidImageError(PreprocessError):
    """The bytes are not a decodable image."""


class UnsupportedFormatError(InvalidImageError):
    """A real image, but not in one of the accepted formats."""


class ImageTooLargeError(InvalidImageError):
    """More pixels than we are willing to decode (refused from the header)."""


class EmptyImageError(PreprocessError):
    """A blank or near-blank image: there is no digit to recognize."""


ImageSource = bytes | bytearray | memoryview | str | os.PathLike | Image.Image


def decode_image(source: ImageSource) -> Image.Image:
    """Open and fully decode an image from bytes, a path or a PIL image.

    Returns a loaded PIL image: the first frame of an animation, turned upright by its
    EXIF orientation. Raises ``InvalidImageError`` (or a subclass) with a clear message.
    """
    if isinstance(source, Image.Image):
        image = source
    else:
        image = _open(source)
        if image.format not in SUPPORTED_FORMATS:
            raise UnsupportedFormatError(
                f"{image.format or 'This'} images are not supported; use PNG, JPEG, GIF, BMP, WebP or TIFF."
            )
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageTooLargeError(
            f"The image is {width}x{height} pixels; at most {MAX_PIXELS // 1_000_000} megapixels are accepted."
        )
    if width < 1 or height < 1:
        raise InvalidImageError("The image has no pixels.")
    try:
        if getattr(image, "n_frames", 1) > 1:
            image.seek(0)
        image.load()
        return ImageOps.exif_transpose(image) or image
    # TypeError: Pillow's TIFF reader says so of a frame whose size tags are missing.
    except (OSError, SyntaxError, ValueError, TypeError, EOFError, Image.DecompressionBombError) as exc:
        raise InvalidImageError(f"The image is damaged or truncated ({exc}).") from exc


def _open(source) -> Image.Image:
    if isinstance(source, (bytes, bytearray, memoryview)):
        if not len(source):
            raise InvalidImageError("The file is empty.")
        stream = io.BytesIO(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise InvalidImageError(f"No such file: {path}")
        stream = path
    try:
        with warnings.catch_warnings():
            # Pillow warns (then errors) on huge images; our own MAX_PIXELS check decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(stream)
    except Image.DecompressionBombError as exc:
        # Pillow's own, higher limit tripped first (it reads only the header too); its
        # message speaks of attacks, ours of what is accepted.
        raise ImageTooLargeError(
            f"The image has far too many pixels; at most {MAX_PIXELS // 1_000_000} megapixels are accepted."
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InvalidImageError("The file is not an image we can read (PNG, JPEG, GIF, BMP, WebP or TIFF).") from exc


def ink_map(image: Image.Image) -> np.ndarray:
    """A float32 map at working resolution where 0 is paper and 1 is the strongest ink.

    A transparent canvas's alpha channel is its ink. Otherwise the paper is whatever most
    pixels are (dark ink on light paper or light on dark: detected, never assumed), and
    uneven light (a phone photo) is removed by subtracting a smooth estimate of the paper.
    """
    image = _to_working_size(image)
    alpha = _alpha(image)
    if alpha is not None:
        return _normalise(alpha)
    gray = _gray(image)
    sample = gray[:: max(1, gray.shape[0] // 64), :: max(1, gray.shape[1] // 64)]
    paper = float(np.median(sample))
    ink = (paper - gray) if paper > 0.5 else (gray - paper)
    background = _uneven_background(ink)
    if background is not None:
        ink = ink - background
    return _normalise(ink)


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
    """The alpha channel as ink, if the image really uses transparency."""
    if not _has_transparency(image):
        return None
    if image.mode not in ("RGBA", "LA"):
        image = image.convert("RGBA")
    channel = image.getchannel("A")
    if channel.getextrema()[0] > 0.98 * 255:  # opaque everywhere: a white canvas, a photo
        return None
    return np.asarray(channel, dtype=np.float32) / 255.0


def _gray(image: Image.Image) -> np.ndarray:
    if image.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
        values = np.asarray(image, dtype=np.float32)
        top = 65535.0 if values.max() > 255 else 255.0
        return np.clip(values / top, 0.0, 1.0)
    if image.mode in ("RGB", "RGBA", "LA"):
        image = image.convert("L")  # one step: any alpha is opaque by now
    elif image.mode != "L":
        image = image.convert("RGB").convert("L")
    return np.asarray(image, dtype=np.float32) / 255.0


def _uneven_background(ink: np.ndarray) -> np.ndarray | None:
    """A smooth estimate of the paper where the light is uneven, else None.

    An opening (min then max filter) on a small copy removes the strokes and keeps the
    slow shading of the paper; it is only used when that shading is significant.
    """
    height, width = ink.shape
    if min(height, width) < 64:
        return None
    border = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
    if float(border.max() - border.min()) < 0.1:  # even paper all round: even light
        return None
    small_size = (max(8, width // 16), max(8, height // 16))
    small = Image.fromarray(np.ascontiguousarray(ink, dtype=np.float32)).resize(small_size, Image.Resampling.BOX)
    opened = small.filter(ImageFilter.MinFilter(5)).filter(ImageFilter.MaxFilter(5))
    background = np.asarray(opened.resize((width, height), Image.Resampling.BILINEAR))
    if float(background.max() - background.min()) < 0.1:
        return None
    return background


def _normalise(ink: np.ndarray) -> np.ndarray:
    peak = float(ink.max())
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

    def crop(self, keep: np.ndarray, columns: tuple[int, int] | None = None) -> tuple[np.ndarray, tuple[int, int, int, int]]:
        """The ink of the kept labels (a bool per label, 0 included) cropped to its strokes,
        optionally only within ``columns`` (x0, x1); returns (crop, (y0, y1, x0, x1)).

        Strokes of other labels inside the box are blanked; the faint edges of the kept
        strokes stay. Raises ``EmptyImageError`` when no stroke is left to crop.
        """
        kept = [self.boxes[label - 1] for label in np.flatnonzero(keep[1:]) + 1]
        if not kept:
            raise EmptyImageError("The image is blank: draw a digit first.")
        sy0, sy1 = min(box[0] for box in kept), max(box[1] for box in kept)
        sx0, sx1 = min(box[2] for box in kept), max(box[3] for box in kept)
        if columns is not None:
            sx0, sx1 = max(sx0, columns[0]), min(sx1, columns[1])
        mask = self.mask[sy0:sy1, sx0:sx1]
        if keep[1:].all():  # nothing to remove: crop exactly to the strokes
            crop = self.ink[sy0:sy1, sx0:sx1]
        else:
            step = self.step
            kept_mask = keep[self.labels[sy0 // step : -(-sy1 // step), sx0 // step : -(-sx1 // step)]]
            if step > 1:
                kept_mask = kept_mask.repeat(step, axis=0).repeat(step, axis=1)
                kept_mask = kept_mask[sy0 % step :, sx0 % step :]
            kept_mask = kept_mask[: mask.shape[0], : mask.shape[1]]
            crop = np.where(kept_mask | ~mask, self.ink[sy0:sy1, sx0:sx1], 0.0)
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
    """A 2x2-block "any" of a mask (strided ORs: ~20x faster than reshape + any)."""
    if step == 1:
        return mask
    height, width = (mask.shape[0] // 2) * 2, (mask.shape[1] // 2) * 2
    top, bottom = mask[0:height:2, :width], mask[1:height:2, :width]
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
            size = shrunk.size
    field = np.zeros((MNIST_SIDE, MNIST_SIDE), dtype=np.float32)
    top, left = (MNIST_SIDE - size[1]) // 2, (MNIST_SIDE - size[0]) // 2
    field[top : top + size[1], left : left + size[0]] = digit
    mass = float(field.sum())
    if mass <= 0.0:
        raise EmptyImageError("The image is blank: draw a digit first.")
    rows, cols = np.indices(field.shape)
    shift_y = round(MNIST_CENTRE - float((field * rows).sum()) / mass)
    shift_x = round(MNIST_CENTRE - float((field * cols).sum()) / mass)
    # Never push ink out of the field: a lopsided digit stays whole, slightly off-centre.
    shift_y = int(np.clip(shift_y, -top, MNIST_SIDE - top - size[1]))
    shift_x = int(np.clip(shift_x, -left, MNIST_SIDE - left - size[0]))
    return deskew(np.roll(field, (shift_y, shift_x), axis=(0, 1)))


def preprocess(source: ImageSource) -> np.ndarray:
    """Any accepted image -> the (28, 28) float32 model input, 0..1, white ink on black."""
    return to_model_input(digit_ink(ink_map(decode_image(source))))
