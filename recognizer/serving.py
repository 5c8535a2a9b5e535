"""The one place the web app holds a predictor.

A process-wide predictor, loaded lazily on first use from ``settings.DIGITS_MODEL_DIR``
(None = the model bundled under ``ml/artifacts/``). Loading takes tens of milliseconds, so
it happens once per process; the lock keeps concurrent first requests from loading twice.
If the model cannot be loaded, callers get ``ModelUnavailable``: the API answers 503 while
pages and history keep working, and the failure is logged once rather than per request.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator

from django.conf import settings

logger = logging.getLogger(__name__)

# After a failed load, requests fail fast for this long before the next attempt, so a
# missing model costs one log line and one disk read per interval, not one per request.
RETRY_AFTER_SECONDS = 30.0


class ModelUnavailable(Exception):
    """No model can be served right now; the message says why (for logs and operators)."""


# What users are told instead: the reason is an operator's business.
UNAVAILABLE_MESSAGE = "The recognizer is not available right now; please try again in a minute."


_lock = threading.Lock()
_predictor = None
_failure: str | None = None
_failed_at = 0.0


def get_predictor():
    """The process-wide ``ml.predictor.Predictor``; raises ``ModelUnavailable``."""
    predictor = _predictor
    if predictor is not None:
        return predictor
    with _lock:
        return _predictor or _load_locked()


def _load_locked():
    global _predictor, _failure, _failed_at
    now = time.monotonic()
    if _failure is not None and now - _failed_at < RETRY_AFTER_SECONDS:
        raise ModelUnavailable(_failure)
    model_dir = settings.DIGITS_MODEL_DIR
    try:
        from ml.artifacts import ArtifactError
        from ml.predictor import Predictor
    except ImportError as exc:  # a broken install: serve pages, refuse predictions
        return _fail(f"The recognition engine cannot be imported: {exc}", now, exc)
    try:
        predictor = Predictor.load(path=model_dir)
    except (ArtifactError, OSError, ValueError) as exc:
        where = model_dir or "the bundled model"
        return _fail(f"The model could not be loaded from {where}: {exc}", now, exc)
    if _failure is not None:
        logger.info("Model loaded after earlier failures: version %s", predictor.version)
    else:
        logger.info("Model loaded: version %s", predictor.version)
    _predictor, _failure = predictor, None
    return predictor


def _fail(message: str, now: float, exc: Exception):
    global _failure, _failed_at
    # Log the first failure (and any change of reason) loudly; repeats are the same news.
    level = logging.DEBUG if message == _failure else logging.ERROR
    logger.log(level, "%s", message)
    _failure, _failed_at = message, now
    raise ModelUnavailable(message) from exc


def reset(predictor=None) -> None:
    """Forget the loaded predictor (and any failure); optionally install one.

    For tests and for switching models: the next ``get_predictor()`` loads afresh.
    """
    global _predictor, _failure, _failed_at
    with _lock:
        _predictor, _failure, _failed_at = predictor, None, 0.0


def reset_on_setting_change(*, setting, **kwargs) -> None:
    if setting == "DIGITS_MODEL_DIR":
        reset()


# --- Recognizing files on disk (the `predict` command): nothing is stored. ---


def predict_files(paths: Iterable[str | os.PathLike]) -> Iterator:
    """``ml.files.FileResult`` for each image file under ``paths``, with the served model."""
    from ml.files import predict_files as predict_with

    return predict_with(get_predictor(), paths)
