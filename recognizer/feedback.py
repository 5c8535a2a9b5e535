"""Users' corrections as training data for a retrain (``lifecycle.retrain``), and as a
held-out measure of the model before and after it."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recognizer.models import Submission

logger = logging.getLogger(__name__)

HOLDOUT_SHARE = 0.2


@dataclass(frozen=True)
class FeedbackSamples:
    """Corrected drawings: (n, 28, 28) float32 inputs 0..1 and their true digits."""

    train_inputs: np.ndarray
    train_labels: np.ndarray
    holdout_inputs: np.ndarray
    holdout_labels: np.ndarray
    holdout_ids: list[int] = field(default_factory=list)

    @property
    def n_train(self) -> int:
        return len(self.train_labels)

    @property
    def n_holdout(self) -> int:
        return len(self.holdout_labels)


def feedback_samples(*, holdout_share: float = HOLDOUT_SHARE) -> FeedbackSamples:
    """Every submission a user labelled (corrections and confirmations), split into
    training data and a held-out slice to measure the retrained model on.

    The split is a function of the submission id, so a drawing stays on its side as
    corrections accumulate and "before vs after" compares like with like; only while
    there are a handful is one moved so that each side has at least one.
    """
    rows = list(
        Submission.objects.filter(true_digit__isnull=False)
        .order_by("id")
        .values_list("id", "model_input", "true_digit")
    )
    ids = [pk for pk, _, _ in rows]
    held = set()
    # One correction alone is worth more as training data than as a measurement.
    if len(ids) >= 2:
        held = {pk for pk in ids if _holdout_score(pk) < holdout_share}
        if not held:
            held = {max(ids, key=_holdout_score)}
        elif len(held) == len(ids):
            held.discard(min(held, key=_holdout_score))
    inputs = {pk: _model_input_array(bytes(png)) for pk, png, _ in rows}
    labels = {pk: true_digit for pk, _, true_digit in rows}

    def stack(chosen: list[int]) -> tuple[np.ndarray, np.ndarray]:
        x = np.stack([inputs[pk] for pk in chosen]) if chosen else np.zeros((0, 28, 28), dtype=np.float32)
        return x, np.asarray([labels[pk] for pk in chosen], dtype=np.int64)

    holdout_ids = [pk for pk in ids if pk in held]
    train_x, train_y = stack([pk for pk in ids if pk not in held])
    holdout_x, holdout_y = stack(holdout_ids)
    return FeedbackSamples(train_x, train_y, holdout_x, holdout_y, holdout_ids)


def _holdout_score(submission_id: int) -> float:
    # Knuth's multiplicative hash: consecutive ids spread evenly over 0..1.
    return ((submission_id * 2654435761) % 2**32) / 2**32


def _model_input_array(png: bytes) -> np.ndarray:
    """The inverse of ``imaging.model_input_png``: the stored PNG as floats 0..1."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("L"), dtype=np.float32).reshape(28, 28) / 255.0


def feedback_scores(samples: FeedbackSamples, *, active_dir: Path | None, model) -> dict:
    """How the active model (its folder) and a newly trained Keras ``model`` do on the
    held-out corrections: what a version's ``metrics["feedback"]`` records.

    The new model is scored in Keras, before its export exists: the score must be in
    the metadata written with the folder, and the LiteRT export answers the same.
    """
    from ml.evaluate import evaluate_predictions
    from ml.predictor import Predictor

    scores = {
        "n_train": samples.n_train,
        "n_holdout": samples.n_holdout,
        "accuracy_before": None,
        "accuracy_after": None,
    }
    if not samples.n_holdout:
        return scores
    x, y = samples.holdout_inputs, samples.holdout_labels
    if active_dir is not None:
        try:
            before = Predictor.load(active_dir).probabilities_for(x).argmax(axis=1)
            scores["accuracy_before"] = evaluate_predictions(y, before).accuracy
        except Exception as exc:  # the comparison is a nicety; its absence must not stop the run
            logger.warning("Could not score the active model on the held-out corrections: %s", exc)
    after = model.predict(x[..., None], batch_size=256, verbose=0).argmax(axis=1)
    scores["accuracy_after"] = evaluate_predictions(y, after).accuracy
    return scores
