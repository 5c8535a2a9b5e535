"""Fixtures for the ml package: the MNIST test set and a tiny trained model, when the MNIST
file is present (``mnist_path`` lives in tests/conftest.py: the web app's retrain tests need it too)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def mnist_test(mnist_path):
    from ml.data import load_mnist

    _, (x_test, y_test) = load_mnist(mnist_path)
    return x_test, y_test


@pytest.fixture(scope="session")
def tiny_artifact(mnist_path, tmp_path_factory):
    """A real model trained on 300 MNIST images for one epoch, saved as an artifact."""
    from ml.train import save_trained, train

    result = train(arch="cnn", epochs=1, batch_size=64, limit=300, progress=False, data_path=mnist_path)
    out = tmp_path_factory.mktemp("models") / "tiny-cnn"
    return save_trained(result, out, "tiny-cnn")
