"""Architectures by name. Each takes a (28, 28, 1) float input in 0..1 and returns softmax.

Beside them, ``judge``: the one-digit judge for cutting numbers (``ml.judge``), one sigmoid.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
from keras import layers

INPUT_SHAPE = (28, 28, 1)


def _conv(x, filters: int, strides: int = 1):
    x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def _separable(x, filters: int, strides: int = 1):
    x = layers.SeparableConv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def cnn() -> keras.Model:
    """The default: ~8 M multiply-adds, so LiteRT answers in well under 0.1 ms on one core.

    Full convolutions where the image is large and channels few (they see stroke shapes),
    strided convolutions instead of pooling, then depthwise-separable blocks at 14x14 and
    7x7 where channels are many and full 3x3 kernels would cost ten times more.
    """
    inputs = keras.Input(INPUT_SHAPE, name="model_input")
    x = _conv(inputs, 32)
    x = _conv(x, 32, strides=2)  # 14x14
    x = _separable(x, 64)
    x = _separable(x, 64)
    x = _conv(x, 96, strides=2)  # 7x7
    x = _separable(x, 160)
    x = _separable(x, 160)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(10, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="cnn")


def mlp() -> keras.Model:
    """The seeds' dense 784-128-128-10 baseline."""
    inputs = keras.Input(INPUT_SHAPE, name="model_input")
    x = layers.Flatten()(inputs)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dense(128, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="mlp")


def judge() -> keras.Model:
    """Is this input exactly one digit (not two touching, not part of one)? ~70 k weights,
    a tenth of the digit model's work: it sees only where a group of ink may be cut."""
    inputs = keras.Input(INPUT_SHAPE, name="model_input")
    x = _conv(inputs, 16)
    x = _conv(x, 32, strides=2)  # 14x14
    x = _conv(x, 32)
    x = _conv(x, 64, strides=2)  # 7x7
    x = _conv(x, 64)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(1, activation="sigmoid", name="one_digit")(x)
    return keras.Model(inputs, outputs, name="judge")


ARCHITECTURES: dict[str, Callable[[], keras.Model]] = {"cnn": cnn, "mlp": mlp}


def build(arch: str) -> keras.Model:
    try:
        return ARCHITECTURES[arch]()
    except KeyError:
        raise ValueError(f"Unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}") from None
