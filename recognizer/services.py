"""Writes: creating and deleting submissions. Every state change is one transaction.

A submission is a *digit* (one answer) or a *number* (the string read, and one
``SubmissionDigit`` per digit); both go through the same checks, rate limit and log line.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import transaction
from ml.framing import looks_like_several_digits
from ml.preprocess import (
    EmptyImageError,
    ImageTooLargeError,
    InvalidImageError,
    PreprocessError,
    UnsupportedFormatError,
    decode_image,
)

from recognizer import imaging, lifecycle, logs, serving, throttling
from recognizer.limits import too_large_message
from recognizer.logs import Outcome
from recognizer.models import MAX_NUMBER_DIGITS, Submission, SubmissionDigit

BLANK_DRAWING_MESSAGE = "Draw a digit first"
BLANK_UPLOAD_MESSAGE = "No digit found: the image looks blank."
BLANK_NUMBER_DRAWING_MESSAGE = "Draw a number first"
BLANK_NUMBER_UPLOAD_MESSAGE = "No number found: the image looks blank."
TOO_MANY_DIGITS_MESSAGE = (
    f"Found {{count}} digits; a number can have at most {MAX_NUMBER_DIGITS}. "
    "Recognize a shorter number, or parts of it separately."
)


class SubmissionError(Exception):
    """The input cannot become a submission. ``str()`` is for the user; ``reason`` lets the
    caller choose how to answer (the API maps it to an HTTP status)."""

    BLANK = Outcome.BLANK
    INVALID = Outcome.INVALID
    UNSUPPORTED = Outcome.UNSUPPORTED
    TOO_LARGE = Outcome.TOO_LARGE
    RATE_LIMITED = Outcome.RATE_LIMITED

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.reason = reason


class PredictionRateLimited(SubmissionError):
    """The user asked for more predictions than ``DIGITS_PREDICT_RATE`` allows."""

    def __init__(self, retry_after: float):
        self.retry_after = retry_after
        wait = throttling.retry_after_header(retry_after)
        super().__init__(
            f"Too many predictions at once; please try again in {wait} seconds.", reason=self.RATE_LIMITED
        )


def submission_create(
    *, user, image_bytes: bytes, source: str, content_type: str | None = None, mode: str = Submission.Mode.DIGIT
) -> Submission:
    """Recognize an image and store it with the answer, or raise and store nothing.

    ``mode`` is "digit" (one digit) or "number" (the digits left to right, each stored as
    a ``SubmissionDigit`` in the same transaction). ``content_type`` is what the client
    claimed; the stored type comes from the image's own header and the claim is only a
    fallback. Raises ``SubmissionError`` for bad input (and its ``PredictionRateLimited``
    past the user's rate) and ``serving.ModelUnavailable`` when no model can be loaded.
    Whatever happens is logged, once (``recognizer.logs``).
    """
    started = time.perf_counter()
    logged = {
        "user_id": user.pk,
        "started": started,
        "source": source if source in Submission.Source.values else None,
        "mode": mode if mode in Submission.Mode.values else None,
    }
    try:
        submission = _submission_create(
            user=user, image_bytes=image_bytes, source=source, content_type=content_type, mode=mode
        )
    except SubmissionError as exc:
        logs.prediction(outcome=exc.reason, **logged)
        raise
    except serving.ModelUnavailable:
        logs.prediction(outcome=Outcome.UNAVAILABLE, **logged)
        raise
    logs.prediction(
        outcome=Outcome.STORED, submission_id=submission.pk, model_version=submission.model_version.version, **logged
    )
    return submission


def _submission_create(
    *, user, image_bytes: bytes, source: str, content_type: str | None, mode: str
) -> Submission:
    # Counted first, whatever the image: decoding is the work a flood would cost.
    retry_after = throttling.prediction_allowed(user=user)
    if retry_after is not None:
        raise PredictionRateLimited(retry_after)
    if source not in Submission.Source.values:
        raise SubmissionError(f"Unknown source {source!r}: use canvas or upload.", reason=SubmissionError.INVALID)
    if mode not in Submission.Mode.values:
        raise SubmissionError(f"Unknown mode {mode!r}: use digit or number.", reason=SubmissionError.INVALID)
    if len(image_bytes) > settings.DIGITS_MAX_UPLOAD_BYTES:
        raise SubmissionError(too_large_message(image_bytes=len(image_bytes)), reason=SubmissionError.TOO_LARGE)
    image = _decode(image_bytes)
    predictor = serving.get_predictor()
    started = time.perf_counter()
    try:
        if mode == Submission.Mode.NUMBER:
            answer, digits = _number_answer(predictor.predict_number(image), judge=predictor.judge)
        else:
            answer, digits = _digit_answer(predictor.predict(image)), []
    except EmptyImageError as exc:
        raise SubmissionError(_blank_message(mode=mode, source=source), reason=SubmissionError.BLANK) from exc
    except PreprocessError as exc:
        raise SubmissionError(str(exc), reason=SubmissionError.INVALID) from exc
    latency_ms = (time.perf_counter() - started) * 1000.0

    detected_type = imaging.mime_type_of(image_bytes) or content_type or "application/octet-stream"
    stored_bytes, stored_type = imaging.stored_original(
        image_bytes=image_bytes, image=image, content_type=detected_type
    )
    submission = Submission(
        user=user,
        source=source,
        mode=mode,
        image=stored_bytes,
        image_content_type=stored_type,
        latency_ms=latency_ms,
        **answer,
    )
    # Field checks in Python, before the transaction. The check constraints and foreign
    # keys are the database's to enforce on INSERT: full_clean() would re-run each one as
    # its own query inside the write transaction, which under load was over a third of a
    # worker's time and held SQLite's write lock throughout (bench/load.py).
    submission.clean_fields(exclude=["user", "model_version"])
    for digit in digits:
        digit.clean_fields(exclude=["submission"])
    # Everything is computed before this point, so the row is written whole or not at all.
    # Durable: never nested in a caller's transaction, so it is committed before the
    # caller builds its answer, and a worker killed after this returns loses the
    # response, never the submission.
    with transaction.atomic(durable=True):
        # The version that answered, by the predictor's own word: during a live switch
        # that may already differ from the active one, and the record must say which.
        submission.model_version = lifecycle.model_version_for(predictor=predictor)
        submission.save()
        for digit in digits:
            digit.submission = submission
        SubmissionDigit.objects.bulk_create(digits)
    return submission


def _digit_answer(prediction) -> dict:
    """A digit ``ml.predictor.Prediction`` as the Submission's answer fields."""
    return {
        "model_input": imaging.model_input_png(prediction.model_input),
        "digit": int(prediction.digit),
        "confidence": _fraction(prediction.confidence),
        "probabilities": [_fraction(p) for p in prediction.probabilities],
    }


def _number_answer(prediction, *, judge) -> tuple[dict, list[SubmissionDigit]]:
    """A ``NumberPrediction`` as the Submission's answer fields and its unsaved digit rows;
    ``judge`` is the predictor's one-digit judge (None: it read without one)."""
    if not prediction.digits:  # the predictor raises for a blank image; this is a backstop
        raise EmptyImageError("no digits found")
    if len(prediction.digits) > MAX_NUMBER_DIGITS:
        raise SubmissionError(
            TOO_MANY_DIGITS_MESSAGE.format(count=len(prediction.digits)), reason=SubmissionError.INVALID
        )
    digits = [
        SubmissionDigit(
            position=position,
            digit=int(found.digit),
            confidence=_fraction(found.confidence),
            probabilities=[_fraction(p) for p in found.probabilities],
            box=[_fraction(value) for value in found.box],
            model_input=imaging.model_input_png(found.model_input),
        )
        for position, found in enumerate(prediction.digits)
    ]
    answer = {
        "model_input": imaging.model_inputs_png([found.model_input for found in prediction.digits]),
        # Built from the digits rather than taken from ``prediction.number``, so the
        # string and the rows cannot disagree.
        "number": "".join(str(digit.digit) for digit in digits),
        "confidence": _fraction(prediction.confidence),
        "judge_version": judge.version if judge is not None else "",
    }
    return answer, digits


def _fraction(value) -> float:
    # Softmax sums (and box edges) can land a hair outside 0..1 in float32.
    return min(1.0, max(0.0, float(value)))


def _blank_message(*, mode: str, source: str) -> str:
    drawn = source == Submission.Source.CANVAS
    if mode == Submission.Mode.NUMBER:
        return BLANK_NUMBER_DRAWING_MESSAGE if drawn else BLANK_NUMBER_UPLOAD_MESSAGE
    return BLANK_DRAWING_MESSAGE if drawn else BLANK_UPLOAD_MESSAGE


def _decode(image_bytes: bytes):
    try:
        return decode_image(image_bytes)
    except UnsupportedFormatError as exc:
        raise SubmissionError(str(exc), reason=SubmissionError.UNSUPPORTED) from exc
    except ImageTooLargeError as exc:
        raise SubmissionError(str(exc), reason=SubmissionError.TOO_LARGE) from exc
    except InvalidImageError as exc:
        raise SubmissionError(str(exc), reason=SubmissionError.INVALID) from exc


def may_be_several_digits(submission: Submission) -> bool:
    """Digit mode: whether the ink the model saw is much wider than one digit
    (``ml.framing.looks_like_several_digits``), so the person may have meant a number
    and should hear about Number mode. Read from the stored 28x28 input."""
    if submission.mode != Submission.Mode.DIGIT:
        return False
    return looks_like_several_digits(imaging.model_input_array(bytes(submission.model_input)))


def submission_delete(*, user, submission_id: int) -> None:
    """Delete one of the user's own submissions; another user's is ``DoesNotExist``."""
    with transaction.atomic():
        deleted, _ = Submission.objects.filter(user=user, pk=submission_id).delete()
    if not deleted:
        raise Submission.DoesNotExist(f"No submission {submission_id} for this user.")
