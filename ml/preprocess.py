"""Any image a user can give -> the 28x28 model input, made the way MNIST itself was made.

MNIST digits were cropped to their ink, scaled (anti-aliased, aspect kept) so the longer
side is 20 px, and placed in a 28x28 field with their centre of mass at the centre. The
tutorials that resize a whole 280x280 canvas to 28x28 feed the model tiny, off-centre
digits it never saw in training; doing what MNIST did is most of the accuracy on drawings.

The steps: ``decode_image`` (validate, first frame, EXIF rotation) -> ``ink_map``
(``ml.ink``: any mode and polarity to "1.0 is ink", uneven light removed) -> ``digit_ink`` (drop isolated
specks, crop to the digit) -> ``to_model_input`` (scale to 20 px, centre by mass, shear
upright).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

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
    dilate,
    thin_strokes,
)
from ml.ink import ink_map as ink_map

MIN_DIGIT_PIXELS = 12  # at working resolution: smaller "digits" are specks
MIN_DIGIT_SIDE = 6
MAJOR_PART = 0.10  # a part of a digit has at least this share of the largest part's ink...
NEAR_PART = 0.15  # ...or lies within this fraction of the digit's size from it


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
    # OpenCV labels, counts and boxes the parts in one pass (a fifth of scipy's
    # label + bincount + find_objects on a canvas).
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        _block_any(mask, step).view(np.uint8), connectivity=8, ltype=cv2.CV_32S
    )
    count -= 1  # label 0 is the paper
    if count == 0:
        raise EmptyImageError("The image is blank: draw a digit first.")
    sizes = stats[:, cv2.CC_STAT_AREA].astype(np.int64) * (step * step)
    sizes[0] = 0
    x0, y0 = stats[1:, cv2.CC_STAT_LEFT] * step, stats[1:, cv2.CC_STAT_TOP] * step
    x1, y1 = x0 + stats[1:, cv2.CC_STAT_WIDTH] * step, y0 + stats[1:, cv2.CC_STAT_HEIGHT] * step
    boxes = list(zip(y0.tolist(), y1.tolist(), x0.tolist(), x1.tolist(), strict=True))
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


def to_model_input(crop: np.ndarray) -> np.ndarray:
    """Scale a cropped digit so its longer side is 20 px, centre it by mass in 28x28, and
    shear it upright (``ml.framing.deskew``)."""
    crop, stroke = thin_strokes(crop)
    height, width = crop.shape
    scale = MNIST_BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if scale < 1:
        # Shrinking (every canvas drawing): OpenCV's area average, anti-aliased as MNIST's
        # scaling was, in a fifth of the time of Pillow's Lanczos, and read as well
        # (pendigits as written 97.41 % against 97.38 %, filled 98.49 against 98.45 %).
        # (An average of 0..1 stays within 0..1: nothing to clip.)
        digit = cv2.resize(np.ascontiguousarray(crop, dtype=np.float32), size, interpolation=cv2.INTER_AREA)
    else:  # enlarging a small upload: Lanczos interpolates where the area average has nothing to average
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
        digit = dilate(padded, grow)
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
