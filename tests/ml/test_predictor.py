"""Serving: the bundled model through LiteRT, equal to Keras, safe across threads."""

import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from ml.artifacts import ArtifactError
from ml.predictor import Predictor
from ml.preprocess import EmptyImageError, InvalidImageError
from tests.drawings import draw_one, draw_zero, png_bytes


@pytest.fixture(scope="module")
def predictor():
    return Predictor.load()


def test_recognizes_drawn_digits(predictor):
    one = predictor.predict(png_bytes(draw_one()))
    zero = predictor.predict(png_bytes(draw_zero()))
    assert (one.digit, zero.digit) == (1, 0)
    for prediction in (one, zero):
        assert len(prediction.probabilities) == 10
        assert abs(sum(prediction.probabilities) - 1) < 1e-4
        assert prediction.confidence == max(prediction.probabilities) > 0.5
        assert prediction.model_input.shape == (28, 28)


def test_accepts_bytes_paths_and_pil_images(predictor, tmp_path):
    image = draw_zero()
    path = tmp_path / "zero.png"
    image.save(path)
    answers = {predictor.predict(source).digit for source in (png_bytes(image), path, str(path), image)}
    assert answers == {0}


def test_batch_equals_one_by_one(predictor):
    images = [png_bytes(draw_one()), png_bytes(draw_zero())] * 5
    batch = predictor.predict_batch(images)
    single = [predictor.predict(image) for image in images]
    assert [p.digit for p in batch] == [p.digit for p in single]
    assert np.allclose([p.probabilities for p in batch], [p.probabilities for p in single], atol=1e-5)


def test_bad_images_raise_clear_errors(predictor):
    with pytest.raises(EmptyImageError):
        predictor.predict(png_bytes(draw_one(ink="white")))  # white on white: blank
    with pytest.raises(InvalidImageError):
        predictor.predict(b"GIF89a but not really")


def test_scores_mnist_test_images(predictor, mnist_test):
    x_test, y_test = mnist_test
    probabilities = predictor.probabilities_for(x_test[:2000] / 255.0)
    assert (probabilities.argmax(axis=1) == y_test[:2000]).mean() > 0.99


def test_litert_equals_keras_on_real_mnist_images(predictor, mnist_test):
    import keras

    x_test, _ = mnist_test
    images = (x_test[:512] / 255.0).astype(np.float32)
    model = keras.models.load_model(predictor.artifact.keras_path)
    expected = model.predict(images[..., None], verbose=0)
    assert np.abs(predictor.probabilities_for(images, look_again=False) - expected).max() <= 1e-4


def test_safe_from_many_threads(predictor):
    images = [png_bytes(draw_one()), png_bytes(draw_zero())] * 40
    sequential = [predictor.predict(image).probabilities for image in images]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(lambda image: predictor.predict(image).probabilities, images))
    assert np.array_equal(np.array(concurrent), np.array(sequential))


def test_missing_model_is_an_artifact_error(tmp_path):
    with pytest.raises(ArtifactError):
        Predictor.load(tmp_path)


def test_serving_never_imports_tensorflow():
    import subprocess

    code = (
        "import sys; from ml.predictor import Predictor; from tests.drawings import draw_one, png_bytes;"
        "from tests.ml.test_numbers import number_image;"
        "predictor = Predictor.load(); predictor.predict(png_bytes(draw_one()));"
        "assert predictor.predict_number(png_bytes(number_image('2026', gap=-10))).number == '2026';"
        "print(any(m == 'tensorflow' or m.startswith('tensorflow.') or m == 'keras' for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
