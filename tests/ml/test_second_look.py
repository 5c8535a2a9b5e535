"""The second look: unsure inputs are read again in variants and averaged; sure ones are not."""

import numpy as np
import pytest

from ml.predictor import Predictor
from ml.second_look import MOVES, SECOND_LOOK_BELOW, VARIANTS, thicker, thinner, unsure
from tests.drawings import draw_one, png_bytes


@pytest.fixture(scope="module")
def predictor():
    return Predictor.load()


@pytest.fixture(scope="module")
def blends(mnist_test):
    """Inputs the model is unsure of: two MNIST digits of different classes laid over
    each other, and plain MNIST digits it is sure of."""
    x_test, y_test = mnist_test
    x = x_test[:400].astype(np.float32) / 255.0
    other = np.roll(np.arange(400), 1)
    mixed = np.clip(0.6 * x + 0.6 * x[other], 0, 1)[y_test[:400] != y_test[other]]
    return x, mixed


def test_sure_inputs_are_read_once_and_unchanged(predictor, blends):
    plain, _ = blends
    alone = predictor.probabilities_for(plain, look_again=False)
    sure = alone.max(axis=1) >= SECOND_LOOK_BELOW
    assert sure.mean() > 0.9
    assert np.array_equal(predictor.probabilities_for(plain)[sure], alone[sure])


def test_unsure_inputs_get_the_average_over_their_variants(predictor, blends):
    _, mixed = blends
    alone = predictor.probabilities_for(mixed, look_again=False)
    rows = unsure(alone)
    assert len(rows) >= 5, "blends of two digits leave the model unsure"
    looked = predictor.probabilities_for(mixed)
    expected = np.mean(
        [alone[rows]] + [predictor.probabilities_for(v(mixed[rows]), look_again=False) for v in VARIANTS], axis=0
    )
    assert np.allclose(looked[rows], expected, atol=1e-6)
    assert np.allclose(looked.sum(axis=1), 1.0, atol=1e-4)
    sure = np.setdiff1d(np.arange(len(mixed)), rows)
    assert np.array_equal(looked[sure], alone[sure])


def test_predict_takes_the_second_look_like_the_batch_does(predictor, blends):
    from PIL import Image

    _, mixed = blends
    alone = predictor.probabilities_for(mixed, look_again=False)
    row = int(unsure(alone)[0])
    # predict() works from an image: feed it the blend as a picture and compare with the
    # batch path on the very input predict() made of it.
    picture = Image.fromarray((255 - mixed[row] * 255).astype(np.uint8)).resize((280, 280))
    single = predictor.predict(png_bytes(picture))
    batch = predictor.probabilities_for(single.model_input[None])[0]
    assert np.allclose(single.probabilities, batch, atol=1e-6)


def test_variants_are_the_same_digit_a_little_different():
    one = np.zeros((1, 28, 28), np.float32)
    one[0, 4:24, 13:16] = 1.0
    assert thicker(one).sum() > one.sum() > thinner(one).sum() > 0
    for variant in VARIANTS:
        changed = variant(one)
        assert changed.shape == one.shape and changed[0, 5:23].max(axis=1).min() > 0.5, "still a whole bar"


def test_moves_shift_by_one_pixel_each_way_and_never_wrap_round():
    dot = np.zeros((1, 28, 28), np.float32)
    dot[0, 10, 20] = 1.0
    landed = {tuple(int(v) for v in np.argwhere(move(dot)[0])[0]) for move in MOVES}
    assert landed == {(11, 20), (9, 20), (10, 21), (10, 19)}
    edge = np.zeros((1, 28, 28), np.float32)
    edge[0, 0, :] = 1.0  # the top row: moved up, it leaves the field
    assert sorted(move(edge).sum() for move in MOVES) == [0.0, 27.0, 27.0, 28.0]


def test_a_clear_drawing_is_answered_with_one_inference(predictor):
    prediction = predictor.predict(png_bytes(draw_one()))
    assert prediction.digit == 1 and prediction.confidence >= SECOND_LOOK_BELOW
