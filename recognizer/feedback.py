"""Users' corrections as training data for a retrain (``lifecycle.retrain``), and as a
held-out measure of the model before and after it."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from django.db.models import F
from django.db.models.functions import Length

from recognizer.models import Submission, SubmissionDigit

logger = logging.getLogger(__name__)

HOLDOUT_SHARE = 0.2


@dataclass(frozen=True)
class FeedbackSamples:
    """Corrected drawings: (n, 28, 28) float32 inputs 0..1 and their true digits.
    ``holdout_ids``: the submission each held-out sample came from (a number gives one
    sample per digit)."""

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

    A labelled number gives one sample per digit, but only when the true number has as
    many digits as were read: then the n-th true digit belongs to the n-th box. (With a
    digit missed or one too many, which box is which digit is a guess, and a wrong
    label teaches the model more harm than the sample is worth.)

    The split is a function of the submission id, so a drawing (all of a number's
    digits) stays on its side as corrections accumulate and "before vs after" compares
    like with like; only while there are a handful is one moved so that each side has
    at least one.
    """
    rows = _labelled_digit_rows() + _labelled_number_rows()
    rows.sort(key=lambda row: row[0])  # by submission id; a number's digits stay in order
    ids = sorted({pk for pk, _, _ in rows})
    held = set()
    # One correction alone is worth more as training data than as a measurement.
    if len(ids) >= 2:
        held = {pk for pk in ids if _holdout_score(pk) < holdout_share}
        if not held:
            held = {max(ids, key=_holdout_score)}
        elif len(held) == len(ids):
            held.discard(min(held, key=_holdout_score))

    def stack(chosen: list) -> tuple[np.ndarray, np.ndarray]:
        if not chosen:
            return np.zeros((0, 28, 28), dtype=np.float32), np.zeros((0,), dtype=np.int64)
        x = np.stack([_model_input_array(bytes(png)) for _, png, _ in chosen])
        return x, np.asarray([label for _, _, label in chosen], dtype=np.int64)

    held_rows = [row for row in rows if row[0] in held]
    train_x, train_y = stack([row for row in rows if row[0] not in held])
    holdout_x, holdout_y = stack(held_rows)
    return FeedbackSamples(train_x, train_y, holdout_x, holdout_y, [pk for pk, _, _ in held_rows])


def _labelled_digit_rows() -> list[tuple[int, bytes, int]]:
    """(submission id, 28x28 PNG, true digit) of each labelled digit submission."""
    labelled = Submission.objects.filter(true_digit__isnull=False)
    return list(labelled.values_list("id", "model_input", "true_digit"))


def _labelled_number_rows() -> list[tuple[int, bytes, int]]:
    """(submission id, 28x28 PNG, true digit) of each digit of a labelled number whose
    true number has as many digits as were read, left to right."""
    digits = (
        SubmissionDigit.objects.filter(submission__mode=Submission.Mode.NUMBER)
        .exclude(submission__true_number="")
        .alias(true_length=Length("submission__true_number"), read_length=Length("submission__number"))
        .filter(true_length=F("read_length"))
        .order_by("submission_id", "position")
        .values_list("submission_id", "model_input", "position", "submission__true_number")
    )
    return [(pk, png, int(true_number[position])) for pk, png, position, true_number in digits]


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
