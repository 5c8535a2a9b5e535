"""Limits against abuse: how many predictions one user may ask for, and who a client is.

Password guessing is django-axes's job (see settings.AXES_*); it asks ``client_ip`` for
the address it locks out together with the username.
"""

from __future__ import annotations

import logging
import math
import time

from django.conf import settings
from django.core.cache import cache

from recognizer.logs import OncePer

logger = logging.getLogger(__name__)
cache_outage_log = OncePer(60.0)


def prediction_allowed(*, user) -> float | None:
    """Count one prediction for ``user``; None if it is within ``DIGITS_PREDICT_RATE``,
    otherwise the seconds until the user may ask again."""
    if settings.DIGITS_PREDICT_RATE is None:
        return None
    limit, period = settings.DIGITS_PREDICT_RATE
    try:
        return _count(f"predict:user:{user.pk}", limit=limit, period=period)
    except Exception as exc:  # any backend's error (redis, memcached): none share a base class
        # A limit against abuse must not become the outage: with the cache down,
        # predictions go on unlimited, and the operator hears of it once a minute.
        if cache_outage_log.due():
            logger.error("The rate-limit cache is unreachable; predictions are not limited: %s", exc)
        return None


def retry_after_header(seconds: float) -> str:
    """Whole seconds for a Retry-After header: rounded up, so a client that waits that
    long is never refused again for the same window."""
    return str(max(1, math.ceil(seconds)))


def _count(key: str, *, limit: int, period: int) -> float | None:
    """A fixed-window counter: requests in the current ``period``-second window.

    ``cache.add`` creates the window's counter only if it is missing and ``cache.incr``
    adds one; both are atomic on Redis and Memcached, so concurrent workers never lose a
    count. LocMemCache is atomic too, but it is per process: with N workers the limit is
    N times higher (set DJANGO_CACHE_URL to share one counter). A fixed window lets a
    client spend two windows' worth across a boundary; for a limit against abuse that
    is fine, and it costs one cache round trip or two, never a scan.
    """
    now = time.time()
    window_start = math.floor(now / period) * period
    window_key = f"throttle:{key}:{period}:{window_start}"
    # The counter outlives its window slightly, so a slow request never recreates it.
    cache.add(window_key, 0, timeout=period + 5)
    try:
        count = cache.incr(window_key)
    except ValueError:  # evicted between add and incr: this request starts it again
        cache.add(window_key, 1, timeout=period + 5)
        count = 1
    if count <= limit:
        return None
    return window_start + period - now


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or, behind ``DIGITS_PROXY_COUNT`` reverse
    proxies, the address the outermost of them saw.

    Each proxy appends the address it received the request from to X-Forwarded-For, so
    only the last ``DIGITS_PROXY_COUNT`` entries are trustworthy; anything before them is
    whatever the client chose to send.
    """
    proxies = settings.DIGITS_PROXY_COUNT
    if proxies:
        forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [entry for entry in forwarded if entry]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")
