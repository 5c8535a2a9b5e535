"""Loading MNIST: the local file, and clear errors when it is wrong."""

import numpy as np
import pytest

from ml.data import MnistDataError, load_mnist


def test_reads_the_real_file(mnist_path):
    (x_train, y_train), (x_test, y_test) = load_mnist(mnist_path)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_test.dtype == np.uint8
    assert list(y_train[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]


def test_reads_the_environment_variable(mnist_path, monkeypatch):
    monkeypatch.setenv("DIGITS_MNIST_PATH", str(mnist_path))
    (_, y_train), _ = load_mnist()
    assert len(y_train) == 60000


def test_missing_file_names_path_and_layout(tmp_path):
    with pytest.raises(MnistDataError, match="missing.npz.*x_train"):
        load_mnist(tmp_path / "missing.npz")


def test_wrong_keys_and_shapes(tmp_path):
    wrong_keys = tmp_path / "keys.npz"
    np.savez(wrong_keys, images=np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(MnistDataError, match="lacks x_train"):
        load_mnist(wrong_keys)
    wrong_shape = tmp_path / "shape.npz"
    np.savez(
        wrong_shape, x_train=np.zeros((5, 28, 28), np.uint8), y_train=np.zeros(5, np.uint8),
        x_test=np.zeros((10000, 28, 28), np.uint8), y_test=np.zeros(10000, np.uint8),
    )
    with pytest.raises(MnistDataError, match=r"x_train has shape \(5, 28, 28\)"):
        load_mnist(wrong_shape)


def test_not_an_npz(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_text("not a zip")
    with pytest.raises(MnistDataError, match="not a readable .npz"):
        load_mnist(junk)
