"""Training's schedule, and what a trained model's file holds."""

import subprocess
import sys

import pytest


def test_the_learning_rate_warms_up_then_falls_along_a_cosine_to_zero():
    from ml.train import PEAK_LEARNING_RATE, _warmup_cosine

    schedule = _warmup_cosine(1000)  # a tenth, 100 steps, of warm-up
    rate = {step: float(schedule(step)) for step in (0, 50, 100, 325, 550, 775, 999)}
    assert rate[0] == 0.0
    assert rate[50] == pytest.approx(PEAK_LEARNING_RATE / 2, rel=1e-5)
    assert rate[100] == pytest.approx(PEAK_LEARNING_RATE, rel=1e-5)
    assert rate[325] == pytest.approx(PEAK_LEARNING_RATE * 0.853553, rel=1e-4)  # cos(pi/4)
    assert rate[550] == pytest.approx(PEAK_LEARNING_RATE / 2, rel=1e-4)
    assert rate[775] == pytest.approx(PEAK_LEARNING_RATE * 0.146447, rel=1e-3)
    assert 0.0 < rate[999] < PEAK_LEARNING_RATE * 1e-4


def test_a_saved_model_loads_without_the_training_code(tiny_artifact):
    """The model file holds the weights and no optimizer, so neither this package's
    learning-rate schedule nor anything else of training is needed to load it."""
    code = (
        "import os; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'; import keras;"
        f"model = keras.models.load_model({str(tiny_artifact.keras_path)!r});"
        "print(getattr(model, 'optimizer', None) is None, model.name, model.output_shape)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[-2] == "True cnn (None, 10)"
