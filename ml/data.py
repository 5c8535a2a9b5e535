"""Loading MNIST: a local Keras-layout ``mnist.npz`` read with numpy, else the Keras download."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

MNIST_PATH_ENV = "DIGITS_MNIST_PATH"
EXPECTED_SHAPES = {
    "x_train": (60000, 28, 28),
    "y_train": (60000,),
    "x_test": (10000, 28, 28),
    "y_test": (10000,),
}


class MnistDataError(ValueError):
    """The MNIST file is missing or is not a Keras-layout ``mnist.npz``."""


def _expected() -> str:
    return ", ".join(f"{key} {shape} uint8" for key, shape in EXPECTED_SHAPES.items())


def resolve_mnist_path(path: str | os.PathLike | None = None) -> Path | None:
    """The file to read: ``path``, else ``$DIGITS_MNIST_PATH``, else None (download)."""
    chosen = path or os.environ.get(MNIST_PATH_ENV) or None
    return Path(chosen).expanduser() if chosen else None


def load_mnist(path: str | os.PathLike | None = None):
    """Return ``(x_train, y_train), (x_test, y_test)`` as uint8 arrays.

    A path (or ``$DIGITS_MNIST_PATH``) is read with numpy and needs no network; with
    neither, Keras downloads the data set.
    """
    file = resolve_mnist_path(path)
    if file is None:
        import keras  # only here: reading a local file never needs TensorFlow

        return keras.datasets.mnist.load_data()
    if not file.is_file():
        raise MnistDataError(
            f"MNIST file not found: {file}. Pass a Keras-layout mnist.npz "
            f"(keys {_expected()}) with --data or ${MNIST_PATH_ENV}."
        )
    try:
        with np.load(file, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in EXPECTED_SHAPES if key in npz.files}
    except Exception as exc:  # zip, pickle or header errors all mean "not an npz"
        raise MnistDataError(f"{file} is not a readable .npz file ({exc}); expected keys {_expected()}") from exc
    missing = [key for key in EXPECTED_SHAPES if key not in arrays]
    if missing:
        raise MnistDataError(f"{file} lacks {', '.join(missing)}; expected keys {_expected()}")
    for key, shape in EXPECTED_SHAPES.items():
        if arrays[key].shape != shape:
            raise MnistDataError(
                f"{file}: {key} has shape {arrays[key].shape}, expected {shape} (keys {_expected()})"
            )
    arrays = {key: value.astype(np.uint8, copy=False) for key, value in arrays.items()}
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
