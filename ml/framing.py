"""How a digit sits in the 28x28 model input: MNIST's box and centre, and an upright slant.

Shared by serving (``ml.preprocess`` frames a user's drawing) and training
(``ml.augment`` frames every distorted MNIST digit), so that both hand the model inputs
made the same way. Nothing here imports a model.

Slant. People slant their writing by different amounts (MNIST's writers lean to the
right about twice as much as the pendigits writers), and a flagged 1 leaning right looks
like a 7. ``deskew`` shears every drawing upright by its own second moments, as LeCun's
MNIST page does for its best classic classifiers, so the model reads each one at the
centre of the slants it learned. Measured on the pendigits drawings with the bundled
model: *filled* 97.30 % -> 97.84 % (1s 87 % -> 93 %), *as written* 96.49 % -> 96.64 %,
MNIST test 99.54 % -> 99.56 %. Training images keep their own slant: a model trained on
upright MNIST read the same upright inputs worse (as written 96.34 %, filled 97.50 %,
MNIST 99.52 %; docs/experiments.md, "Upright, and a second look"), so seeing every slant in training
and an upright one in serving is the best of both.
"""

from __future__ import annotations

import cv2
import numpy as np

MNIST_BOX = 20
MNIST_SIDE = 28
MNIST_CENTRE = 14.0  # the mean centre of mass of MNIST's training digits, in pixel indices
INK_THRESHOLD = 0.35  # of the strongest ink: what counts as a stroke
# MNIST's strokes are about 2.5 px wide in the 28x28 field. A stroke that scaling would
# make thinner than THIN_STROKE is thickened, so a fine pen on a big image still reads;
# one it would make thicker than THICK_STROKE is thinned first, so a small digit drawn
# with the canvas's fixed 20 px brush does not become a blob (on the pendigits drawings
# as written: 96.22 % -> 96.49 %, and flagged 1s read as 7 less often). With the bundled
# model, THICK_STROKE 3.0, 3.5, 4.0 and 4.5 read 96.62, 97.25, 97.38 and 97.22 % as written
# (filled drawings are never thinned): thinner reads 8s as 1 or 3, thicker flagged 1s as 4.
THIN_STROKE = 1.5
THICK_STROKE = 4.0
# The largest shear (columns per row) deskew applies. MNIST's slants reach 0.49 at the
# 90th percentile and 0.79 at the 99th; at 1.0 the top and bottom of a 20 px tall digit
# move 10 px, which still keeps a narrow digit inside the 28x28 field.
MAX_SHEAR = 1.0

_GRID = np.arange(MNIST_SIDE, dtype=np.float32)

# One request is one core's work: OpenCV's own thread pool would only contend with the
# web server's other threads (and the steps of preprocessing are far too small to split).
cv2.setNumThreads(1)


def dilate(image: np.ndarray, size: int) -> np.ndarray:
    """scipy's ``grey_dilation(image, size=(size, size))`` pixel for pixel, by OpenCV (and
    no scipy in a web worker): an even window reaches forward, an odd one is centred."""
    anchor = (0, 0) if size % 2 == 0 else (-1, -1)
    return cv2.dilate(image, np.ones((size, size), np.uint8), anchor=anchor, borderType=cv2.BORDER_REPLICATE)


def erode(image: np.ndarray, size: int) -> np.ndarray:
    """scipy's ``grey_erosion(image, size=(size, size))`` pixel for pixel, by OpenCV."""
    return cv2.erode(image, np.ones((size, size), np.uint8), borderType=cv2.BORDER_REPLICATE)


def _moments(image: np.ndarray) -> tuple[float, float, float]:
    """(mass, centre row, slant) of one (28, 28) input. The slant is in columns per row,
    negative leaning right (/): the ratio of the ink's second moments mu11 / mu02 around
    its centre of mass, 0 for an empty input. Plain dot products: on one small image they
    are several times faster than broadcasting over a stack."""
    row_mass, col_mass = image.sum(axis=1), image.sum(axis=0)
    mass = float(row_mass.sum())
    if mass <= 0.0:
        return 0.0, 0.0, 0.0
    centre_row, centre_col = float(row_mass @ _GRID) / mass, float(col_mass @ _GRID) / mass
    rows, cols = _GRID - centre_row, _GRID - centre_col
    mu02 = float(row_mass @ (rows * rows)) / mass
    mu11 = float(rows @ image @ cols) / mass
    return mass, centre_row, (mu11 / mu02 if mu02 > 1e-3 else 0.0)


def slant(inputs: np.ndarray) -> np.ndarray:
    """Each (28, 28) input's slant, in columns per row: negative leans right (/)."""
    stack = np.asarray(inputs, dtype=np.float32).reshape(-1, MNIST_SIDE, MNIST_SIDE)
    return np.array([_moments(image)[2] for image in stack], dtype=np.float32)


def deskew(inputs: np.ndarray) -> np.ndarray:
    """Shear each (28, 28) input upright around its centre of mass (shape kept).

    A shear along rows moves no ink up or down and keeps the centre of mass where it
    was, so the framing is unchanged. Idempotent up to resampling: an upright digit
    comes back as it was. OpenCV's affine warp does the resampling (bilinear): the same
    pixels as Pillow's affine transform, in a third of the time.
    """
    inputs = np.asarray(inputs, dtype=np.float32)
    stack = inputs.reshape(-1, MNIST_SIDE, MNIST_SIDE)
    out = np.empty_like(stack)
    for index, image in enumerate(stack):
        mass, centre_row, shear = _moments(image)
        shear = min(max(shear, -MAX_SHEAR), MAX_SHEAR)
        if mass <= 0.0 or shear == 0.0:
            out[index] = image
            continue
        # Output pixel (x, y) takes the ink at (x + shear * (y - centre row), y), its
        # neighbours clamped at the edge; one whose source lies off the field (by more
        # than half a pixel) is paper: Pillow's affine rule, kept so that served inputs
        # are pixel for pixel what the bundled model was measured on.
        cv2.warpAffine(
            image,
            np.array([[1.0, shear, -shear * centre_row], [0.0, 1.0, 0.0]], dtype=np.float32),
            (MNIST_SIDE, MNIST_SIDE),
            dst=out[index],
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        source = _GRID[None, :] + shear * (_GRID[:, None] - centre_row)
        out[index][(source < -0.5) | (source >= MNIST_SIDE - 0.5)] = 0.0
    return np.clip(out, 0.0, 1.0, out=out).reshape(inputs.shape)


def stroke_width(crop: np.ndarray) -> float:
    """The typical stroke width in pixels: twice the ink's area over its boundary length."""
    mask = crop >= INK_THRESHOLD
    area = int(mask.sum())
    if area == 0:
        return 0.0
    inner = mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    boundary = max(1, area - int(inner.sum()))
    return 2.0 * area / boundary


def thin_strokes(crop: np.ndarray) -> tuple[np.ndarray, float]:
    """(the crop, its stroke width): strokes eroded to THICK_STROKE at the 20 px scale
    when they are thicker than that, and the crop cropped again to what is left."""
    width = stroke_width(crop)
    scale = MNIST_BOX / max(crop.shape)
    excess = width * scale - THICK_STROKE
    radius = round(excess / scale / 2) if excess > 0 else 0
    if radius < 1:
        return crop, width
    eroded = erode(crop, 2 * radius + 1)  # 5x faster than scipy's on a canvas
    mask = eroded >= INK_THRESHOLD
    if not mask.any():  # a dot or a blob: nothing would be left of it
        return crop, width
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    thinned = eroded[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return thinned, stroke_width(thinned)


# A model input whose ink is this much wider than tall is rarely one digit: 0.76 % of the
# pendigits drawings as written and 1.00 % filled are, against 97 % of the whole-number
# benchmark's separated numbers of 2 to 6 digits (83 % of those of two digits), framed as
# one digit. At 1.5: 0.09 % and 0.29 % of digits, but only 52 % of two-digit numbers.
SEVERAL_DIGITS_ASPECT = 1.3


def looks_like_several_digits(model_input: np.ndarray) -> bool:
    """Whether a framed input's ink is so much wider than tall that it is more likely
    several digits side by side than one: a hint that a number was meant."""
    inked = np.asarray(model_input).reshape(MNIST_SIDE, MNIST_SIDE) >= INK_THRESHOLD
    rows, cols = np.flatnonzero(inked.any(axis=1)), np.flatnonzero(inked.any(axis=0))
    if not len(rows):
        return False
    return (cols[-1] - cols[0] + 1) >= SEVERAL_DIGITS_ASPECT * (rows[-1] - rows[0] + 1)
