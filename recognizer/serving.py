"""The one place the web app holds a predictor.

Each process serves the ``ModelVersion`` marked active in the database and moves to a
newly activated one on its own: at most every ``DIGITS_MODEL_CHECK_SECONDS`` one request
asks which version is active (a small query, or a shared cache key when one is
configured), never every request. A changed version is loaded by that one request while
the others keep answering with the old predictor; then the reference is swapped, and a
request already holding the old predictor finishes with it. A new version that fails to
load is logged once and the old one keeps serving.

``settings.DIGITS_MODEL_DIR`` pins one folder instead (no database, no switching).

When nothing can be served, callers get ``ModelUnavailable``: the API answers 503 while
pages and history keep working, and the failure is logged once rather than per request.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db import DatabaseError

from recognizer.logs import OncePer

logger = logging.getLogger(__name__)
_cache_outage_log = OncePer(60.0)

# After a failed load, requests fail fast for this long before the next attempt, so a
# missing model costs one log line and one disk read per interval, not one per request.
RETRY_AFTER_SECONDS = 30.0
# With a shared cache, the active version is read from this key. A worker that fills it
# from the database gives it a short life: if it raced an activation and stored the old
# version, the staleness is bounded by this.
ACTIVE_VERSION_CACHE_KEY = "recognizer:active-model-version"
CACHE_FILL_SECONDS = 60


class ModelUnavailable(Exception):
    """No model can be served right now; the message says why (for logs and operators)."""


# What users are told instead: the reason is an operator's business.
UNAVAILABLE_MESSAGE = "The recognizer is not available right now; please try again in a minute."


# Taken by the one request that checks or loads; requests that already have a predictor
# never wait for it.
_lock = threading.Lock()
_predictor = None
_checked_at = float("-inf")
_failure: str | None = None  # why nothing can be served
_failed_at = 0.0
_rejected: tuple[str, float] | None = None  # (version, when) a new version failed to load
_stamp_unreadable = False  # the last check could not reach the database (logged once)


def get_predictor():
    """The process-wide ``ml.predictor.Predictor``; raises ``ModelUnavailable``."""
    predictor = _predictor
    if predictor is not None:
        if settings.DIGITS_MODEL_DIR or time.monotonic() - _checked_at < settings.DIGITS_MODEL_CHECK_SECONDS:
            return predictor
        if not _lock.acquire(blocking=False):
            return predictor  # another request is checking; this one need not wait
        try:
            return _refresh_locked(predictor)
        finally:
            _lock.release()
    with _lock:
        if _predictor is not None:  # another request loaded it while this one waited
            return _predictor
        if _failure is not None and time.monotonic() - _failed_at < RETRY_AFTER_SECONDS:
            raise ModelUnavailable(_failure)
        return _refresh_locked(None)


def _refresh_locked(current):
    global _checked_at, _stamp_unreadable
    now = time.monotonic()
    _checked_at = now
    if settings.DIGITS_MODEL_DIR:
        return _load_locked(None, settings.DIGITS_MODEL_DIR, current, now)
    try:
        stamp = _active_stamp()
    except DatabaseError as exc:
        if current is not None:
            level = logging.DEBUG if _stamp_unreadable else logging.WARNING
            logger.log(level, "Could not read the active version (%s); serving %s", exc, current.version)
            _stamp_unreadable = True
            return current
        return _fail(f"The active model version could not be read: {exc}", now, exc)
    _stamp_unreadable = False
    if stamp is None:
        # Only a database nobody migrated has no active version: serve the bundled one.
        version, folder = None, None
    else:
        from recognizer.models import resolve_artifact_path

        version, folder = stamp[0], resolve_artifact_path(stamp[1])
    if current is not None and (version is None or current.version == version):
        return current
    if current is not None and _rejected is not None and _rejected[0] == version:
        if now - _rejected[1] < RETRY_AFTER_SECONDS:
            return current  # it failed to load a moment ago: no disk read per request
    return _load_locked(version, folder, current, now)


def _load_locked(version, folder, current, now):
    global _predictor, _failure, _rejected
    try:
        from ml.artifacts import ArtifactError
        from ml.predictor import Predictor
    except ImportError as exc:  # a broken install: serve pages, refuse predictions
        return _fail(f"The recognition engine cannot be imported: {exc}", now, exc)
    where = folder or "the bundled model"
    try:
        predictor = Predictor.load(path=folder)
        if version is not None and predictor.version != version:
            raise ArtifactError(f"the folder holds version {predictor.version}, not {version}")
    except (ArtifactError, OSError, ValueError) as exc:
        message = f"The model could not be loaded from {where}: {exc}"
        if current is None:
            return _fail(message, now, exc)
        if _rejected is None or _rejected[0] != version:
            logger.error("%s; still serving %s", message, current.version)
        _rejected = (version, now)
        return current
    if current is not None:
        logger.info("Model switched: version %s replaces %s", predictor.version, current.version)
    elif _failure is not None:
        logger.info("Model loaded after earlier failures: version %s", predictor.version)
    else:
        logger.info("Model loaded: version %s", predictor.version)
    _predictor, _failure, _rejected = predictor, None, None
    return predictor


def _fail(message: str, now: float, exc: Exception):
    global _failure, _failed_at
    # Log the first failure (and any change of reason) loudly; repeats are the same news.
    level = logging.DEBUG if message == _failure else logging.ERROR
    logger.log(level, "%s", message)
    _failure, _failed_at = message, now
    raise ModelUnavailable(message) from exc


def _active_stamp() -> tuple[str, str] | None:
    from recognizer import selectors

    cache = _shared_cache()
    stamp = _unless_cache_down(lambda: cache.get(ACTIVE_VERSION_CACHE_KEY)) if cache is not None else None
    if stamp is None:
        # Not cached, or the cache is down: the database always knows.
        stamp = selectors.active_model_version_stamp()
        if stamp is not None and cache is not None:
            _unless_cache_down(lambda: cache.set(ACTIVE_VERSION_CACHE_KEY, tuple(stamp), CACHE_FILL_SECONDS))
    return tuple(stamp) if stamp else None


def _unless_cache_down(call):
    """``call()``, or None if the shared cache cannot be reached: predictions must not fail
    because a cache did."""
    try:
        return call()
    except Exception as exc:  # any backend's error (redis, memcached): none share a base class
        if _cache_outage_log.due():
            logger.warning("The shared cache is unreachable; reading the active version from the database: %s", exc)
        return None


def _shared_cache():
    """The default cache if every worker sees the same one (not per-process memory)."""
    from django.core.cache import caches
    from django.core.cache.backends.dummy import DummyCache
    from django.core.cache.backends.locmem import LocMemCache

    cache = caches["default"]
    return None if isinstance(cache, (DummyCache, LocMemCache)) else cache


def announce_active_version(*, version: str, artifact_path: str) -> None:
    """Called after an activation commits: this process checks on its next request, and
    a shared cache tells the others on theirs."""
    global _checked_at
    _checked_at = float("-inf")
    cache = _shared_cache()
    if cache is None:
        return
    try:
        cache.set(ACTIVE_VERSION_CACHE_KEY, (version, artifact_path), None)
    except Exception as exc:  # the activation is committed; only the news did not travel
        logger.error(
            "Activated %s, but the shared cache could not be told (%s): other workers may serve the "
            "previous version until the cache is cleared or the activation repeated.", version, exc,
        )


def reset(predictor=None) -> None:
    """Forget the loaded predictor (and any failure); optionally install one, served
    until the next check of the active version.

    For tests: the next ``get_predictor()`` loads afresh.
    """
    global _predictor, _failure, _failed_at, _checked_at, _rejected
    with _lock:
        _predictor, _failure, _failed_at, _rejected = predictor, None, 0.0, None
        _checked_at = time.monotonic() if predictor is not None else float("-inf")


def reset_on_setting_change(*, setting, **kwargs) -> None:
    if setting in {"DIGITS_MODEL_DIR", "DIGITS_MODEL_CHECK_SECONDS"}:
        reset()


# --- Recognizing files on disk (the `predict` command): nothing is stored. ---


def predict_files(paths: Iterable[str | os.PathLike], *, number: bool = False) -> Iterator:
    """``ml.files.FileResult`` for each image file under ``paths``, with the served model;
    with ``number``, a ``NumberFileResult`` reading each image as a whole number."""
    from ml import files

    predict_with = files.predict_number_files if number else files.predict_files
    return predict_with(get_predictor(), paths)
