"""Data augmentation that closes the gap between MNIST and digits drawn on a screen.

MNIST was written with pens on paper; people draw on a canvas with a fixed round brush,
at any size, in their own writing style. Each training image is distorted elastically,
its strokes made thicker or thinner, some 1s and 7s redrawn in European styles
(``ml.styles``), and then framed again exactly as ``ml.preprocess`` frames a user's
drawing (20 px box, centre of mass at the centre), so training inputs and served inputs
are framed alike. Shifts and overall scale changes are pointless here: the framing
undoes them. Slant is left as MNIST's writers wrote it, although serving stands every
drawing upright (``ml.framing.deskew``): a model that has seen every slant reads upright
digits best (measured there). Rotation, shear and aspect changes are implemented but off
by default, because measured on the pendigits drawings each of them made the model worse.

Everything is vectorised over a chunk of images (numpy), a few seconds an epoch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import ndimage

from ml.framing import MNIST_BOX, MNIST_CENTRE, MNIST_SIDE
from ml.styles import add_styles

WARP_SIDE = 36  # warp into a larger field so that nothing is cut off before re-framing
CHUNK = 8192  # images that share one draw of the random numbers (fixes the replay)
BLOCK = 64  # images sampled at a time: their temporaries stay in the CPU's caches
ELASTIC_KNOTS = 5  # random displacements on a 5x5 grid, smoothly spread over the field


def _smoothing_matrix() -> np.ndarray:
    """Gaussian weights that spread ELASTIC_KNOTS values over WARP_SIDE pixels.

    (scipy's spline zoom does the same job twenty times slower on a stack of fields.)
    """
    knots = np.arange(ELASTIC_KNOTS, dtype=np.float32)
    positions = np.linspace(0, ELASTIC_KNOTS - 1, WARP_SIDE, dtype=np.float32)
    weights = np.exp(-0.5 * ((positions[:, None] - knots[None, :]) / 0.7) ** 2)
    return weights / weights.sum(axis=1, keepdims=True)


_SMOOTH = _smoothing_matrix()


@dataclass(frozen=True)
class Augmentation:
    # Rotation, shear and aspect changes are available but off by default: on screen-drawn
    # digits each made the model worse (docs/experiments.md, "What the augmentation is worth").
    rotation: float = 0.0  # degrees, either way
    shear: float = 0.0  # horizontal shear factor, either way
    aspect: float = 0.0  # width stretched or squeezed by up to this share
    elastic: float = 1.6  # largest elastic displacement, in pixels
    thicken: float = 0.35  # share of images whose strokes are thickened (1 or 2 px)
    thin: float = 0.10  # share of images whose strokes are thinned
    keep: float = 0.25  # share of images left as they are
    flagged_ones: float = 0.35  # share of 1s given the long flag many Europeans write
    crossed_sevens: float = 0.35  # share of 7s given a bar across the stem
    footed_ones: float = 0.0  # share of 1s given a bar under the stem

    def as_dict(self) -> dict:
        return asdict(self)


NO_AUGMENTATION = Augmentation(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def augment(
    images: np.ndarray, rng: np.random.Generator, recipe: Augmentation = Augmentation(), labels=None
) -> np.ndarray:
    """Return augmented copies of ``images`` ((n, 28, 28), uint8 or 0..1) as float32 0..1.

    With ``labels``, some 1s and 7s are also redrawn in the European styles (see styles.py).
    """
    images = np.asarray(images)
    scaled = images.astype(np.float32) / (255.0 if images.dtype == np.uint8 else 1.0)
    out = np.empty(scaled.shape, dtype=np.float32)
    for start in range(0, len(scaled), CHUNK):
        chunk = scaled[start : start + CHUNK]
        chunk_labels = None if labels is None else np.asarray(labels)[start : start + CHUNK]
        out[start : start + CHUNK] = _augment_chunk(chunk, rng, recipe, chunk_labels)
    return out


def _augment_chunk(images: np.ndarray, rng: np.random.Generator, recipe: Augmentation, labels) -> np.ndarray:
    count = len(images)
    styled = images
    if labels is not None and (recipe.flagged_ones or recipe.crossed_sevens or recipe.footed_ones):
        styled = images.copy()
        add_styles(styled, labels, rng, ones=recipe.flagged_ones, sevens=recipe.crossed_sevens, feet=recipe.footed_ones)
    warped = _warp(styled, rng, recipe)
    thick_draw = rng.random(count)
    thicken = thick_draw < recipe.thicken
    much = thicken & (rng.random(count) < 0.4)
    thin = (thick_draw >= recipe.thicken) & (thick_draw < recipe.thicken + recipe.thin)
    if thicken.any():
        warped[thicken] = ndimage.grey_dilation(warped[thicken], size=(1, 2, 2))
    if much.any():
        warped[much] = ndimage.grey_dilation(warped[much], size=(1, 2, 2))
    if thin.any():
        warped[thin] = ndimage.grey_erosion(warped[thin], size=(1, 2, 2))
    framed = _reframe(warped)
    keep = (rng.random(count) < recipe.keep) | ~np.isfinite(framed).all(axis=(1, 2))
    framed[keep] = images[keep]
    return framed


def _warp(images: np.ndarray, rng: np.random.Generator, recipe: Augmentation) -> np.ndarray:
    """Sample each image through its own random affine map plus a smooth elastic field."""
    count = len(images)
    angle = np.deg2rad(rng.uniform(-recipe.rotation, recipe.rotation, count)).astype(np.float32)
    shear = rng.uniform(-recipe.shear, recipe.shear, count).astype(np.float32)
    stretch = (1.0 + rng.uniform(-recipe.aspect, recipe.aspect, count)).astype(np.float32)
    # Output pixel (r, c) around the warp field's centre -> source pixel around 13.5.
    grid = np.arange(WARP_SIDE, dtype=np.float32) - (WARP_SIDE - 1) / 2
    rows, cols = np.meshgrid(grid, grid, indexing="ij")
    field = None
    if recipe.elastic > 0:
        coarse = rng.uniform(-1.0, 1.0, (2, count, ELASTIC_KNOTS, ELASTIC_KNOTS)).astype(np.float32)
        # Two plain 2-D products (tensordot) rather than one batched matmul of tiny
        # matrices, which numpy runs one by one.
        spread = np.tensordot(coarse, _SMOOTH, axes=([3], [1]))  # (2, n, knots, side)
        field = np.tensordot(_SMOOTH, spread, axes=([1], [2])).transpose(1, 2, 0, 3) * np.float32(recipe.elastic)
    centre = (images.shape[1] - 1) / 2
    cosines, sines = np.cos(angle), np.sin(angle)
    out = np.empty((count, WARP_SIDE, WARP_SIDE), dtype=np.float64)
    for start in range(0, count, BLOCK):  # the arithmetic a block at a time, as in _bilinear
        block = slice(start, start + BLOCK)
        cos, sin = cosines[block, None, None], sines[block, None, None]
        src_c = (cos * cols + sin * rows) / stretch[block, None, None] + shear[block, None, None] * rows
        src_r = -sin * cols + cos * rows
        if field is not None:
            src_r = src_r + field[0, block]
            src_c = src_c + field[1, block]
        out[block] = _bilinear_block(images[block], src_r + centre, src_c + centre)
    return out


def _bilinear(images: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Sample image n at (rows[n], cols[n]) with bilinear weights, zero outside.

    Plain numpy gathers: several times faster than ndimage.map_coordinates on a stack.
    BLOCK images at a time, not the whole chunk: the same values, in a third of the time,
    because a block's dozen temporaries fit in the caches where a chunk's (40 MB each)
    went through memory. (The weights are float64, as numpy promotes float32 - int32;
    training inputs stay bit for bit what the bundled model was trained on.)
    """
    out = np.empty(rows.shape, dtype=np.float64)
    for start in range(0, len(images), BLOCK):
        block = slice(start, start + BLOCK)
        out[block] = _bilinear_block(images[block], rows[block], cols[block])
    return out


def _bilinear_block(images: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    count, height, width = images.shape
    padded = np.zeros((count, height + 2, width + 2), dtype=np.float32)
    padded[:, 1:-1, 1:-1] = images
    rows = np.clip(rows + np.float32(1), 0, height + 0.999, dtype=np.float32)
    cols = np.clip(cols + np.float32(1), 0, width + 0.999, dtype=np.float32)
    r0, c0 = rows.astype(np.int32), cols.astype(np.int32)
    fr, fc = rows - r0, cols - c0
    flat = padded.reshape(-1)
    stride = width + 2
    base = (np.arange(count, dtype=np.int32) * ((height + 2) * stride))[:, None, None] + r0 * stride + c0
    top_left, top_right = flat.take(base), flat.take(base + 1)
    bottom_left, bottom_right = flat.take(base + stride), flat.take(base + stride + 1)
    top = top_left + (top_right - top_left) * fc
    bottom = bottom_left + (bottom_right - bottom_left) * fc
    return top + (bottom - top) * fr


def _reframe(warped: np.ndarray) -> np.ndarray:
    """Frame each warped digit as ``ml.preprocess`` frames a drawing, all at once.

    Crop to the ink, scale so the longer side is 20 px, put the centre of mass at the
    centre: one bilinear resampling per image (scales stay near 1, so no anti-aliasing is
    needed). An image whose ink vanished comes back as NaN, for the caller to replace.
    """
    count, side, _ = warped.shape
    ink = warped > 0.1
    rows_any, cols_any = ink.any(axis=2), ink.any(axis=1)
    top, left = rows_any.argmax(axis=1), cols_any.argmax(axis=1)
    bottom = side - rows_any[:, ::-1].argmax(axis=1)
    right = side - cols_any[:, ::-1].argmax(axis=1)
    extent = np.maximum(bottom - top, right - left).astype(np.float32)
    empty = ~rows_any.any(axis=1) | (extent < 2)
    scale = MNIST_BOX / np.maximum(extent, 1.0)
    mass = warped.sum(axis=(1, 2)) + 1e-6
    grid = np.arange(side, dtype=np.float32)
    com_r = (warped.sum(axis=2) * grid).sum(axis=1) / mass
    com_c = (warped.sum(axis=1) * grid).sum(axis=1) / mass
    # Where the box's top-left lands in the 28x28 field: the centre of mass at 14, the
    # box kept inside the field.
    offset_r = np.clip(MNIST_CENTRE + 0.5 - (com_r - top + 0.5) * scale, 0, MNIST_SIDE - (bottom - top) * scale)
    offset_c = np.clip(MNIST_CENTRE + 0.5 - (com_c - left + 0.5) * scale, 0, MNIST_SIDE - (right - left) * scale)
    out = np.arange(MNIST_SIDE, dtype=np.float32) + 0.5
    src_r = top[:, None] + (out[None, :] - offset_r[:, None]) / scale[:, None] - 0.5
    src_c = left[:, None] + (out[None, :] - offset_c[:, None]) / scale[:, None] - 0.5
    rows = np.broadcast_to(src_r[:, :, None], (count, MNIST_SIDE, MNIST_SIDE))
    cols = np.broadcast_to(src_c[:, None, :], (count, MNIST_SIDE, MNIST_SIDE))
    framed = _bilinear(warped, rows, cols)
    framed[empty] = np.nan
    return np.clip(framed, 0.0, 1.0, where=~np.isnan(framed), out=framed)
