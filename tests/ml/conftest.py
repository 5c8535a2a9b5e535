"""Fixtures for the ml package: synthetic drawings, and the real MNIST file when present."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_MNIST = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mnist.npz"


def _require(path: Path | None, what: str) -> Path:
    """The resource, or a skip on a developer's machine; in CI (CI=true) a failure."""
    if path is not None and path.is_file():
        return path
    message = f"{what} not found (set DIGITS_MNIST_PATH)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{message}: CI must have it")
    pytest.skip(message)


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    configured = os.environ.get("DIGITS_MNIST_PATH")
    return _require(Path(configured) if configured else SHARED_MNIST, "The MNIST file")


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
