"""Training: MNIST (plus users' corrected drawings) with augmentation, reproducible by seed.

This module and the commands that train are the only places that import TensorFlow.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ml.augment import Augmentation, augment
from ml.data import file_sha256, load_mnist, resolve_mnist_path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DEFAULT_EPOCHS = 15  # as good as 30 on MNIST and drawings, in half the time (docs/experiments.md, "Fifteen epochs")
DEFAULT_BATCH_SIZE = 128
PEAK_LEARNING_RATE = 3e-3
WEIGHT_DECAY = 1e-4
LABEL_SMOOTHING = 0.05
DEFAULT_RECIPE = Augmentation()
# Users' corrections are few against 60,000 MNIST digits; repeat them until they are
# about this share of an epoch so that a few hundred of them change the model.
EXTRA_SHARE = 0.05
MAX_EXTRA_REPEATS = 50


@dataclass
class TrainResult:
    model: object  # a keras.Model
    arch: str
    epochs: int
    batch_size: int
    seed: int
    n_train: int
    n_extra: int
    history: list[dict] = field(default_factory=list)  # one dict per epoch
    seconds: float = 0.0
    data: dict = field(default_factory=dict)  # where the training data came from
    augmentation: dict = field(default_factory=dict)
    test_set: tuple | None = None  # (x_test, y_test) for evaluation after training


def train(
    arch: str = "cnn",
    epochs: int = DEFAULT_EPOCHS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    seed: int = 0,
    limit: int | None = None,
    extra_samples: tuple[np.ndarray, np.ndarray] | None = None,
    progress: bool = True,
    data_path: str | os.PathLike | None = None,
    recipe: Augmentation | None = DEFAULT_RECIPE,
    on_epoch=None,
) -> TrainResult:
    """Train an architecture from ``ml.models`` on MNIST and return the model and its record.

    ``limit`` keeps the first N training images (quick runs); ``extra_samples`` are
    (28x28 inputs, labels) added to every epoch, oversampled. ``recipe=None`` turns
    augmentation off. ``on_epoch(record)`` is called after each epoch (a retrain uses it
    to keep its lock alive).
    """
    import keras

    from ml.models import build

    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":  # Keras 3 also trains on JAX or PyTorch
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    rng = np.random.default_rng(seed)

    (x_train, y_train), (x_test, y_test) = load_mnist(data_path)
    if limit:
        x_train, y_train = x_train[:limit], y_train[:limit]
    x_train = x_train.astype(np.float32) / 255.0
    n_extra = 0
    if extra_samples is not None and len(extra_samples[0]):
        x_train, y_train, n_extra = _with_extra(x_train, y_train, extra_samples)
    x_test = x_test.astype(np.float32) / 255.0

    model = build(arch)
    steps = epochs * int(np.ceil(len(x_train) / batch_size))
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=_warmup_cosine(steps), weight_decay=WEIGHT_DECAY),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=LABEL_SMOOTHING),
        metrics=["accuracy"],
    )
    y_train_onehot = keras.utils.to_categorical(y_train, 10)
    y_test_onehot = keras.utils.to_categorical(y_test, 10)

    result = TrainResult(
        model=model, arch=arch, epochs=epochs, batch_size=batch_size, seed=seed,
        n_train=len(x_train), n_extra=n_extra, data=data_record(data_path, limit),
        augmentation=recipe.as_dict() if recipe else {}, test_set=(x_test, y_test),
    )
    started = time.perf_counter()
    for epoch in range(epochs):
        epoch_started = time.perf_counter()
        # Fresh distortions every epoch. Done inline: a background thread would fight the
        # training step for the interpreter lock and cost more than it saves (measured).
        x_epoch = augment(x_train, rng, recipe, labels=y_train) if recipe else x_train
        bar = _progress_bar(epoch, epochs, len(x_epoch), batch_size, progress)
        fit = model.fit(
            x_epoch[..., None], y_train_onehot, batch_size=batch_size, epochs=1, shuffle=True,
            verbose=0, callbacks=[bar] if bar else [],
        )
        test_loss, test_accuracy = model.evaluate(x_test[..., None], y_test_onehot, batch_size=1024, verbose=0)
        record = {
            "epoch": epoch + 1,
            "loss": float(fit.history["loss"][-1]),
            "accuracy": float(fit.history["accuracy"][-1]),
            "test_loss": float(test_loss),
            "test_accuracy": float(test_accuracy),
            "seconds": round(time.perf_counter() - epoch_started, 2),
        }
        result.history.append(record)
        if on_epoch is not None:
            on_epoch(record)
        if bar:
            bar.close(record)
        elif progress:
            print(_epoch_line(record, epochs), file=sys.stderr, flush=True)
    result.seconds = round(time.perf_counter() - started, 1)
    return result


def _warmup_cosine(steps: int):
    """The learning rate: up from 0 to PEAK_LEARNING_RATE over the first tenth of the
    steps, then down to 0 along a cosine. Computed in the graph, in float32, in this exact
    order: the bundled model's run is reproduced bit for bit from its seed."""
    import keras
    from keras import ops

    warmup = max(1, steps // 10)

    class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, step):
            # (The modulo changes nothing within one run; it is the experiment's own op.)
            position = ops.mod(ops.cast(step, "float32"), float(steps))
            rising = PEAK_LEARNING_RATE * position / warmup
            done = ops.clip((position - warmup) / float(max(1, steps - warmup)), 0.0, 1.0)
            falling = 0.5 * PEAK_LEARNING_RATE * (1 + ops.cos(np.pi * done))
            return ops.where(position < warmup, rising, falling)

        def get_config(self):
            return {"steps": steps}

    return WarmupCosine()


def save_trained(result: TrainResult, out_dir: str | os.PathLike, version: str, **metadata):
    """Save a training result as a model folder, scored on MNIST test by its LiteRT export.

    The scores are of the exported model served as a drawing is (``Predictor``), and are
    written before the folder is put in place (``save_artifact`` is atomic).
    """
    from ml.artifacts import save_artifact
    from ml.evaluate import evaluate_predictor
    from ml.framing import deskew
    from ml.predictor import Predictor

    def score(artifact) -> dict:
        x_test, y_test = result.test_set
        # As served: upright (``deskew``, as every drawing is) and with the second look.
        scores = evaluate_predictor(Predictor(artifact), deskew(x_test), y_test)
        return {
            "mnist_test_accuracy": scores.accuracy,
            "per_class_accuracy": scores.per_class,
            "confusion_matrix": scores.confusion,
        }

    record = {
        "version": version,
        "arch": result.arch,
        "epochs": result.epochs,
        "batch_size": result.batch_size,
        "seed": result.seed,
        "training_data": {**result.data, "n_train": result.n_train, "n_extra": result.n_extra},
        "training_seconds": result.seconds,
        "augmentation": result.augmentation,
        "history": result.history,
        **metadata,
    }
    return save_artifact(without_optimizer(result.model), out_dir, record, scorer=score)


def without_optimizer(model):
    """A copy of the trained model with its weights and no optimizer: what serving, export
    and evaluation load, a third of the size, and loadable without this module's
    learning-rate schedule (a model file would otherwise carry it)."""
    import keras

    copy = keras.Model.from_config(model.get_config())  # clone_model would compile it too
    copy.set_weights(model.get_weights())
    return copy


def _with_extra(x_train, y_train, extra_samples):
    x_extra = np.asarray(extra_samples[0], dtype=np.float32).reshape(-1, 28, 28)
    if x_extra.max() > 1.0:
        x_extra = x_extra / 255.0
    y_extra = np.asarray(extra_samples[1]).astype(y_train.dtype)
    repeats = int(np.clip(round(EXTRA_SHARE * len(x_train) / len(x_extra)), 1, MAX_EXTRA_REPEATS))
    x_all = np.concatenate([x_train, np.repeat(x_extra, repeats, axis=0)])
    y_all = np.concatenate([y_train, np.repeat(y_extra, repeats)])
    return x_all, y_all, len(x_extra)


def data_record(data_path, limit) -> dict:
    file = resolve_mnist_path(data_path)
    if file is None:
        return {"source": "keras.datasets.mnist", "sha256": None, "limit": limit}
    return {"source": Path(file).name, "sha256": file_sha256(file), "limit": limit}


def _epoch_line(record: dict, epochs: int) -> str:
    return (
        f"epoch {record['epoch']}/{epochs}: loss {record['loss']:.4f} accuracy {record['accuracy']:.4f} "
        f"test accuracy {record['test_accuracy']:.4f} ({record['seconds']:.0f} s)"
    )


def _progress_bar(epoch: int, epochs: int, samples: int, batch_size: int, progress: bool):
    """A tqdm bar over the epoch's batches when writing to a terminal, else None."""
    if not progress or not sys.stderr.isatty():
        return None
    import keras
    from tqdm import tqdm

    class Bar(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.bar = tqdm(total=int(np.ceil(samples / batch_size)), desc=f"epoch {epoch + 1}/{epochs}", unit="batch")

        def on_train_batch_end(self, batch, logs=None):
            self.bar.update(1)
            if logs and batch % 20 == 0:
                self.bar.set_postfix(loss=f"{logs['loss']:.4f}", accuracy=f"{logs['accuracy']:.4f}")

        def close(self, record):
            self.bar.set_postfix(loss=f"{record['loss']:.4f}", test_accuracy=f"{record['test_accuracy']:.4f}")
            self.bar.close()

    return Bar()
