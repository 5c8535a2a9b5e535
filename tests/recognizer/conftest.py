"""Fixtures for the web app's tests."""

import io
import json
import shutil

import numpy as np
import pytest
from ml.artifacts import METADATA_FILE, bundled_dir, load_artifact
from PIL import Image

from recognizer import imaging, lifecycle, serving
from recognizer.models import ModelVersion, Submission


@pytest.fixture
def make_submission():
    """Store a submission row directly (no model): for history, filters and isolation.

    The image is a real PNG so the image views can serve and thumbnail it. A
    ``model_version`` given as a string is registered as a (folderless) version.
    """

    def make(*, user, digit=7, source=Submission.Source.CANVAS, confidence=0.9, **fields):
        probabilities = [(1.0 - confidence) / 9] * 10
        if digit is not None:  # (a number's rows pass digit=None and probabilities=None)
            probabilities[digit] = confidence
        buffer = io.BytesIO()
        Image.new("RGB", (64, 64), "white").save(buffer, format="PNG")
        values = {
            "user": user,
            "source": source,
            "image": buffer.getvalue(),
            "image_content_type": "image/png",
            "model_input": imaging.model_input_png(np.zeros((28, 28), dtype=np.float32)),
            "digit": digit,
            "confidence": confidence,
            "probabilities": probabilities,
            "model_version": "test-version",
            "latency_ms": 1.5,
        }
        values.update(fields)
        if isinstance(values["model_version"], str):
            values["model_version"], _ = ModelVersion.objects.get_or_create(
                version=values["model_version"], defaults={"arch": "cnn"}
            )
        return Submission.objects.create(**values)

    return make


@pytest.fixture
def broken_model(settings, tmp_path):
    """Serving pointed at an empty folder: no model can load (undone after the test)."""
    settings.DIGITS_MODEL_DIR = str(tmp_path)  # the setting_changed signal resets serving
    yield tmp_path
    serving.reset()


@pytest.fixture
def models_dir(settings, tmp_path):
    """DIGITS_MODELS_DIR, where retrains write, in a fresh temporary folder."""
    settings.DIGITS_MODELS_DIR = tmp_path / "models"
    return settings.DIGITS_MODELS_DIR


@pytest.fixture
def bundled_copy(tmp_path):
    """Register a copy of the bundled model as another version: ``bundled_copy("v2",
    accuracy_delta=-0.001)`` -> ModelVersion (inactive). Its metadata names the new
    version, and its MNIST score is the bundled one's plus ``accuracy_delta``."""

    def make(version: str, *, accuracy_delta: float = 0.0) -> ModelVersion:
        folder = tmp_path / "copies" / version
        shutil.copytree(bundled_dir(), folder)
        metadata = json.loads((folder / METADATA_FILE).read_text())
        metadata["version"] = version
        metadata["mnist_test_accuracy"] += accuracy_delta
        (folder / METADATA_FILE).write_text(json.dumps(metadata))
        return lifecycle.model_version_register(artifact=load_artifact(folder))

    return make


@pytest.fixture
def fresh_serving():
    """Serving forgets its predictor before and after: a test that switches versions
    must not leave the next one served from its temporary folder."""
    serving.reset()
    yield serving
    serving.reset()
