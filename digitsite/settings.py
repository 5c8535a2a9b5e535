"""Settings for the digit-recognition site.

This is the one module that reads ``os.environ``; everything else reads
``django.conf.settings``. Defaults suit development (DEBUG on, SQLite next to manage.py);
production sets DJANGO_DEBUG=0, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and DATABASE_URL.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_flag(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, not {raw!r}.")


def _env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def _env_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0:
        raise ImproperlyConfigured(f"{name} must be a number of seconds (0 or more), not {raw!r}.")
    return value


def _env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be a whole number ({minimum} or more), not {raw!r}.")
    return value


_RATE_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE)


def _env_rate(name: str, default: str) -> tuple[int, int] | None:
    """"120/minute" -> (120, 60): that many requests per that many seconds; "0" -> None (no limit)."""
    raw = os.environ.get(name)
    raw = default if raw is None or raw.strip() == "" else raw
    if raw.strip() in {"0", "off"}:
        return None
    match = _RATE.match(raw)
    if match is None or int(match[1]) == 0:
        raise ImproperlyConfigured(f"{name} must look like 120/minute (second, minute, hour or day), or 0; not {raw!r}.")
    return int(match[1]), _RATE_PERIODS[match[2].lower()]


def _env_cache(name: str) -> dict:
    """DJANGO_CACHE_URL: redis://host:6379/0 (or rediss://) for a cache every worker
    shares; empty or locmem:// for per-process memory."""
    raw = (os.environ.get(name) or "").strip()
    if raw in {"", "locmem://"}:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if raw.startswith(("redis://", "rediss://", "unix://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": raw}
    raise ImproperlyConfigured(f"{name} must be a redis://, rediss:// or unix:// URL, or locmem://; not {raw!r}.")


DEBUG = _env_flag("DJANGO_DEBUG", True)

# A known key is only acceptable while developing: sessions signed with it can be forged.
_DEV_SECRET_KEY = "django-insecure-dev-only-key-never-use-in-production-3f9a1c7e"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is 0.")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = _env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = _env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles so `runserver` serves static files the way production does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    # django-ninja: the API's docs page template and the Swagger UI it uses, served as our
    # own static files (no CDN).
    "ninja",
    "recognizer",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # An unreachable database answers 503 (a page, or JSON for the API), not a traceback.
    "recognizer.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before any view code runs (CSRF's check reads the body in process_view).
    "recognizer.middleware.RequestSizeLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "digitsite.urls"
WSGI_APPLICATION = "digitsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# PostgreSQL in production (DATABASE_URL); SQLite in the project root otherwise.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer; IMMEDIATE takes the write lock when a
    # transaction starts, so concurrent submissions wait (timeout) instead of failing
    # with "database is locked" halfway through.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The rate limit on predictions counts in this cache. Per-process memory by default, which
# counts per worker (so N workers allow N times the rate); DJANGO_CACHE_URL=redis://...
# makes the limit hold across workers and machines, and lets workers share the active
# model version (recognizer/serving.py).
CACHES = {"default": _env_cache("DJANGO_CACHE_URL")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes goes first: it refuses a locked-out username+address before the password
# is even checked. ModelBackend then does the real work.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Password guessing: after DIGITS_LOGIN_FAILURE_LIMIT wrong passwords for one username
# from one address, that pair is locked out for DIGITS_LOGIN_LOCKOUT_MINUTES. Keyed on
# the pair, not the username alone, so a stranger's wrong guesses cannot lock the real
# user out of their account from their own address.
AXES_FAILURE_LIMIT = _env_int("DIGITS_LOGIN_FAILURE_LIMIT", 5, minimum=1)
# At least a minute: django-axes reads no cool-off as "locked until an admin unlocks".
AXES_COOLOFF_TIME = timedelta(minutes=_env_int("DIGITS_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "recognizer.accounts.locked_out"
AXES_VERBOSE = False  # no banner on every start and management command; failures are still logged
# Behind reverse proxies the address comes from X-Forwarded-For (see DIGITS_PROXY_COUNT).
AXES_CLIENT_IP_CALLABLE = "recognizer.throttling.client_ip"
# How many reverse proxies stand in front of the app, each appending the address it saw
# to X-Forwarded-For. 0: clients connect directly and REMOTE_ADDR is theirs.
DIGITS_PROXY_COUNT = _env_int("DIGITS_PROXY_COUNT", 0)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "recognizer:home"
LOGOUT_REDIRECT_URL = "recognizer:home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files in production; plain files while developing and in
        # tests, so neither needs `collectstatic` first.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

# Upload limits. One image may be up to DIGITS_MAX_UPLOAD_BYTES; a JSON body carries it
# base64-encoded (4/3 larger), so the in-memory body limit leaves room for that.
DIGITS_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
DIGITS_MAX_FILES_PER_UPLOAD = 20
DIGITS_MAX_REQUEST_BYTES = 40 * 1024 * 1024  # the whole multipart upload form
DATA_UPLOAD_MAX_MEMORY_SIZE = DIGITS_MAX_UPLOAD_BYTES * 4 // 3 + 64 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # bigger files spool to a temporary file
DATA_UPLOAD_MAX_NUMBER_FILES = DIGITS_MAX_FILES_PER_UPLOAD

# The recognition engine. DIGITS_MNIST_PATH: the MNIST file for the training commands
# (None = the Keras download). DIGITS_MODELS_DIR: where `retrain` writes new versions'
# folders. Workers serve the version marked active in the database and look for a
# change at most every DIGITS_MODEL_CHECK_SECONDS (one small query per interval per
# process, not per request).
DIGITS_MNIST_PATH = os.environ.get("DIGITS_MNIST_PATH") or None
DIGITS_MODELS_DIR = Path(os.environ.get("DIGITS_MODELS_DIR") or BASE_DIR / "var" / "models")
DIGITS_MODEL_CHECK_SECONDS = _env_seconds("DIGITS_MODEL_CHECK_SECONDS", 3.0)
# DIGITS_MODEL_DIR pins this folder: every worker serves it whatever the database says
# is active, which disables live switching (an emergency override, and how tests serve a
# missing or broken model).
DIGITS_MODEL_DIR = os.environ.get("DIGITS_MODEL_DIR") or None

# Predictions one user may ask for: "N/second|minute|hour|day", or 0 for no limit. Counted
# in the default cache (see CACHES): set DJANGO_CACHE_URL for a limit across workers.
DIGITS_PREDICT_RATE = _env_rate("DIGITS_PREDICT_RATE", "120/minute")

# API clients get JSON for a CSRF failure; pages get Django's usual page.
CSRF_FAILURE_VIEW = "recognizer.errors.csrf_failure"

SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The page reads the CSRF token from its <meta> tag, never from the cookie.
CSRF_COOKIE_HTTPONLY = True
if not DEBUG:
    # HTTPS only. DJANGO_SECURE_SSL_REDIRECT=0 where the proxy already redirects;
    # DJANGO_SECURE_COOKIES=0 only to try production settings over plain HTTP locally.
    SECURE_SSL_REDIRECT = _env_flag("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = _env_flag("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Browsers remember to use HTTPS for this long. Start lower (e.g. 3600) on a new
    # domain; preload and subdomains are what the browsers' preload list asks for.
    SECURE_HSTS_SECONDS = _env_int("DJANGO_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_flag("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _env_flag("DJANGO_HSTS_PRELOAD", True)
# Behind a proxy that terminates TLS: the header it sets, e.g. "X-Forwarded-Proto" (its
# value "https" means the client used HTTPS). Only where the proxy always sets or strips
# that header; otherwise a client could claim HTTPS. Unset: requests are taken as they came.
_proxy_ssl_header = (os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER") or "").strip()
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    # Everything, the app's loggers included, goes to the console through the root.
    "root": {"handlers": ["console"], "level": "INFO"},
    "filters": {"answered_unavailable": {"()": "recognizer.logs.AnsweredUnavailableFilter"}},
    "loggers": {
        "django": {"level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
        # A 503 is answered on purpose, and whoever answered it logged the cause once;
        # Django's per-request "Service Unavailable" error line would repeat it.
        "django.request": {"filters": ["answered_unavailable"]},
    },
}
