"""Fixtures for the web app's tests."""

import io

import numpy as np
import pytest
from PIL import Image

from recognizer import imaging, serving
from recognizer.models import Submission


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The production hasher is slow on purpose; the tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_submission():
    """Store a submission row directly (no model): for history, filters and isolation.

    The image is a real PNG so the image views can serve and thumbnail it.
    """

    def make(*, user, digit=7, source=Submission.Source.CANVAS, confidence=0.9, **fields):
        probabilities = [(1.0 - confidence) / 9] * 10
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
        return Submission.objects.create(**values)

    return make


@pytest.fixture
def broken_model(settings, tmp_path):
    """Serving pointed at an empty folder: no model can load (undone after the test)."""
    settings.DIGITS_MODEL_DIR = str(tmp_path)  # the setting_changed signal resets serving
    yield tmp_path
    serving.reset()
