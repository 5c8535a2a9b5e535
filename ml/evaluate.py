"""Accuracy, per-class accuracy and the confusion matrix, for any labelled set."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Evaluation:
    accuracy: float
    per_class: list[float]  # accuracy on each true digit 0..9 (NaN-free: 0.0 if absent)
    confusion: list[list[int]]  # confusion[true][predicted]
    n: int

    def as_dict(self) -> dict:
        return asdict(self)


def evaluate_predictions(y_true, y_pred, classes: int = 10) -> Evaluation:
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    confusion = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(confusion, (y_true, y_pred), 1)
    totals = confusion.sum(axis=1)
    per_class = np.divide(np.diag(confusion), totals, out=np.zeros(classes), where=totals > 0)
    accuracy = float(np.trace(confusion) / max(1, len(y_true)))
    return Evaluation(
        accuracy=round(accuracy, 6),
        per_class=[round(float(value), 6) for value in per_class],
        confusion=confusion.tolist(),
        n=len(y_true),
    )


def evaluate_predictor(predictor, model_inputs: np.ndarray, labels) -> Evaluation:
    """Evaluate a ``Predictor`` (or anything with ``probabilities_for``) on 28x28 inputs."""
    probabilities = predictor.probabilities_for(np.asarray(model_inputs, dtype=np.float32))
    return evaluate_predictions(labels, probabilities.argmax(axis=1))


def evaluate_on_mnist(predictor, data_path=None) -> Evaluation:
    """The MNIST test set, framed as serving frames a drawing (MNIST is already boxed and
    centred; ``deskew`` shears it upright)."""
    from ml.data import load_mnist
    from ml.framing import deskew

    _, (x_test, y_test) = load_mnist(data_path)
    return evaluate_predictor(predictor, deskew(x_test.astype(np.float32) / 255.0), y_test)
