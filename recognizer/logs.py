"""What the app writes to its logs about predictions, and what it keeps out of them.

Every prediction request leaves exactly one line on the ``recognizer.predictions``
logger, whatever became of it::

    prediction outcome=stored user_id=3 submission_id=17 model_version=20261121-cnn-bundled source=canvas latency_ms=2.4

The same values are on the record as attributes (``record.outcome`` ...) for a JSON
formatter. Only ids, names this app chose and numbers are logged: never the image, a
token, a password or any text the client sent.
"""

from __future__ import annotations

import logging
import threading
import time

prediction_logger = logging.getLogger("recognizer.predictions")


class Outcome:
    STORED = "stored"
    BLANK = "blank"
    INVALID = "invalid"
    TOO_LARGE = "too_large"
    UNSUPPORTED = "unsupported"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"


def prediction(*, outcome: str, user_id, started: float, source: str | None = None, mode: str | None = None,
               submission_id: int | None = None, model_version: str | None = None) -> None:
    """Log one prediction request; ``started`` is its ``time.perf_counter()`` at the start."""
    fields = {
        "outcome": outcome,
        "user_id": user_id,
        "submission_id": submission_id,
        "model_version": model_version,
        "source": source,
        "mode": mode,
        "latency_ms": round((time.perf_counter() - started) * 1000.0, 1),
    }
    line = " ".join(f"{name}={'-' if value is None else value}" for name, value in fields.items())
    prediction_logger.info("prediction %s", line, extra=fields)


class AnsweredUnavailableFilter(logging.Filter):
    """Drops Django's per-request "Service Unavailable" line: the app answers 503 on
    purpose (no model, no database) and logs the cause itself, once, not per request."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) != 503


class OncePer:
    """Lets one log line through per ``seconds``, per process: an outage fails every
    request, but one line a minute tells an operator all there is to know."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._last = float("-inf")
        self._lock = threading.Lock()

    def due(self) -> bool:
        with self._lock:
            now = time.monotonic()
            if now - self._last < self.seconds:
                return False
            self._last = now
            return True

    def reset(self) -> None:
        with self._lock:
            self._last = float("-inf")
