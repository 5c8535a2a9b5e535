"""Training augmentation: every distorted digit is framed as a drawing is, near MNIST's centre."""

import numpy as np
from ml.augment import NO_AUGMENTATION, Augmentation, augment
from ml.framing import MNIST_BOX, MNIST_CENTRE
from ml.styles import add_styles
from tests.drawings import center_of_mass, draw_zero

# Only the framing: no warp, no stroke changes, nothing kept as it was.
FRAMING_ONLY = Augmentation(elastic=0.0, thicken=0.0, thin=0.0, keep=0.0, flagged_ones=0.0, crossed_sevens=0.0)


def rings(count: int) -> np.ndarray:
    """``count`` off-centre rings of different sizes, as (n, 28, 28) float 0..1."""
    out = []
    for index in range(count):
        x0, y0, side = 2 + index % 5, 3 + index % 4, 10 + index % 6
        ring = draw_zero((28, 28), (x0, y0, x0 + side, y0 + side + 2), ink="white", background="black", width=2)
        out.append(np.asarray(ring.convert("L"), dtype=np.float32) / 255.0)
    return np.stack(out)


def centres(images: np.ndarray) -> np.ndarray:
    return np.array([center_of_mass(image) for image in images])


def test_framing_puts_each_digit_at_mnists_centre_in_a_20_px_box():
    framed = augment(rings(40), np.random.default_rng(0), FRAMING_ONLY)
    assert np.abs(centres(framed) - MNIST_CENTRE).max() < 0.6
    heights = [np.ptp(np.flatnonzero(image.max(axis=1) > 0.1)) + 1 for image in framed]
    assert min(heights) >= MNIST_BOX - 1 and max(heights) <= MNIST_BOX + 2


def test_the_full_recipe_keeps_every_digit_whole_and_framed():
    images = rings(200)
    out = augment(images, np.random.default_rng(1), Augmentation(), labels=np.zeros(200, dtype=int))
    assert out.dtype == np.float32 and np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0
    assert (out.sum(axis=(1, 2)) > 0.4 * images.sum(axis=(1, 2)).min()).all(), "no digit wiped out"
    kept = np.array([np.array_equal(a, b) for a, b in zip(out, images, strict=True)])
    assert 0.15 < kept.mean() < 0.35, "about a quarter kept as MNIST drew them (Augmentation.keep)"
    assert np.abs(centres(out[~kept]) - MNIST_CENTRE).max() < 1.0, "warped, thickened or thinned, then framed"


def stem() -> np.ndarray:
    """A plain upright 1: a 3 px bar from row 4 to row 23."""
    field = np.zeros((28, 28), dtype=np.float32)
    field[4:24, 13:16] = 1.0
    return field


def test_styles_flag_ones_and_cross_sevens_and_leave_other_digits():
    images = np.stack([stem(), stem(), stem()])
    add_styles(images, np.array([1, 7, 4]), np.random.default_rng(0), ones=1.0, sevens=1.0)
    flag, bar, untouched = images
    assert flag[4:12, :12].max() > 0.5, "a flag down and to the left of the 1's top"
    assert flag[14:, :12].max() == 0.0 and flag[:, 17:].max() == 0.0, "and nothing else"
    middle = slice(4 + int(20 * 0.45) - 2, 4 + int(20 * 0.6) + 3)
    assert bar[middle, :12].max() > 0.5 and bar[middle, 17:].max() > 0.5, "a bar across the 7's stem"
    assert bar[:10, :12].max() == 0.0, "no flag on a 7"
    assert np.array_equal(untouched, stem()), "a 4 is not restyled"


def test_no_augmentation_gives_the_images_back():
    images = rings(10)
    assert np.array_equal(augment(images, np.random.default_rng(0), NO_AUGMENTATION), images)


def test_the_same_seed_gives_the_same_epoch():
    images, labels = rings(50), np.arange(50) % 10
    first = augment(images, np.random.default_rng(7), Augmentation(), labels=labels)
    again = augment(images, np.random.default_rng(7), Augmentation(), labels=labels)
    other = augment(images, np.random.default_rng(8), Augmentation(), labels=labels)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_sampling_a_block_at_a_time_gives_what_the_whole_chunk_at_once_gives(monkeypatch):
    """Blocks keep the arithmetic in the caches; they must not change a value, or the
    bundled model's training would no longer replay (docs/experiments.md)."""
    images, labels = rings(150), np.arange(150) % 10  # two whole blocks and a part
    recipe = Augmentation(rotation=10.0, shear=0.2, aspect=0.1)
    blocked = augment(images, np.random.default_rng(3), recipe, labels=labels)
    monkeypatch.setattr("ml.augment.BLOCK", 10_000)  # one block: the chunk at once
    whole = augment(images, np.random.default_rng(3), recipe, labels=labels)
    assert np.array_equal(blocked, whole)
