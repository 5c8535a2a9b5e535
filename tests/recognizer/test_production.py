"""Production settings, each in a fresh process with only the environment an operator sets:
`check --deploy` is clean, static files are served, security headers are sent, and a web
worker predicts without ever importing TensorFlow."""

import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, **overrides) -> dict:
    """What `make serve` needs: DEBUG off, a real key, the host name; nothing inherited
    from the test run's own settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL", "DIGITS_"))}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
    )
    env.update(overrides)
    return env


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    return run([sys.executable, "-c", textwrap.dedent(code)], env)


def test_check_deploy_is_clean(tmp_path):
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_names_what_an_operator_turned_off(tmp_path):
    env = production_env(tmp_path, DJANGO_HSTS_SECONDS="0", DJANGO_SECURE_SSL_REDIRECT="0")
    result = run([sys.executable, "manage.py", "check", "--deploy"], env)

    assert "security.W004" in result.stderr  # HSTS
    assert "security.W008" in result.stderr  # SSL redirect


# A production process as `make serve` starts it: settings, then `collectstatic` (the
# pages name the hashed files from its manifest).
SERVE = """
    import django, os
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "digitsite.settings")
    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("collectstatic", "--noinput", verbosity=0)
"""

PAGES_AND_STATIC = SERVE + """
    from django.contrib.staticfiles.storage import staticfiles_storage

    client = Client(HTTP_HOST="example.com")
    url = staticfiles_storage.url("recognizer/style.css")
    static = client.get(url, secure=True, HTTP_ACCEPT_ENCODING="gzip")
    body = b"".join(static.streaming_content)
    print("static", static.status_code, url, static.get("Content-Encoding"), len(body), static["Cache-Control"])
    plain = client.get("/accounts/login/")
    print("plain", plain.status_code, plain.get("Location"))
    page = client.get("/accounts/login/", secure=True)
    print("page", page.status_code)
    for header in ("Strict-Transport-Security", "X-Frame-Options", "X-Content-Type-Options",
                   "Referrer-Policy", "Cross-Origin-Opener-Policy"):
        print("header", header, "=", page.get(header))
    print("csrf-cookie", page.cookies["csrftoken"]["secure"], page.cookies["csrftoken"]["httponly"])
    print("html", url in page.content.decode() or staticfiles_storage.url("recognizer/favicon.svg") in page.content.decode())
"""


@pytest.fixture(scope="module")
def production_answers(tmp_path_factory) -> str:
    tmp_path = tmp_path_factory.mktemp("production")
    result = run_python(PAGES_AND_STATIC, production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_static_files_are_served_hashed_compressed_and_cached_for_ever(production_answers):
    line = next(line for line in production_answers.splitlines() if line.startswith("static "))
    _, status, url, encoding, length, cache_control = line.split(" ", 5)
    assert status == "200"
    assert url.startswith("/static/recognizer/style.") and url.endswith(".css") and url != "/static/recognizer/style.css"
    assert "immutable" in cache_control and "max-age=315360000" in cache_control
    assert encoding == "gzip"
    assert int(length) > 0
    assert "html True" in production_answers  # the pages link the hashed names


def test_plain_http_is_redirected_to_https(production_answers):
    assert "plain 301 https://example.com/accounts/login/" in production_answers


def test_pages_send_the_security_headers(production_answers):
    assert "page 200" in production_answers
    for expected in (
        "Strict-Transport-Security = max-age=31536000; includeSubDomains; preload",
        "X-Frame-Options = DENY",
        "X-Content-Type-Options = nosniff",
        "Referrer-Policy = same-origin",
        "Cross-Origin-Opener-Policy = same-origin",
    ):
        assert f"header {expected}" in production_answers
    assert "csrf-cookie True True" in production_answers


def test_a_proxy_that_terminates_tls_is_trusted_only_when_named(tmp_path):
    code = SERVE + """
    response = Client(HTTP_HOST="example.com").get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    print(response.status_code)
    """
    assert run_python(code, production_env(tmp_path)).stdout.strip() == "301"  # a client's claim is ignored
    behind_proxy = production_env(tmp_path, DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert run_python(code, behind_proxy).stdout.strip() == "200"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DIGITS_PREDICT_RATE", "lots"),
        ("DIGITS_PREDICT_RATE", "0/minute"),
        ("DJANGO_CACHE_URL", "memcached://127.0.0.1:11211"),
        ("DIGITS_LOGIN_LOCKOUT_MINUTES", "0"),
        ("DJANGO_HSTS_SECONDS", "a year"),
    ],
)
def test_a_bad_setting_stops_the_start_with_its_name(tmp_path, variable, value):
    result = run_python("import digitsite.settings", production_env(tmp_path, **{variable: value}))
    assert result.returncode != 0
    assert variable in result.stderr


def test_settings_read_the_rate_and_cache_from_the_environment(tmp_path):
    code = """
        from digitsite import settings as s
        print(s.DIGITS_PREDICT_RATE, s.CACHES["default"]["BACKEND"].rsplit(".", 1)[1], s.CACHES["default"].get("LOCATION"))
    """
    env = production_env(tmp_path, DIGITS_PREDICT_RATE="30/hour", DJANGO_CACHE_URL="redis://127.0.0.1:6379/2")
    assert run_python(code, env).stdout.strip() == "(30, 3600) RedisCache redis://127.0.0.1:6379/2"
    assert run_python(code, production_env(tmp_path)).stdout.strip() == "(120, 60) LocMemCache None"
    assert run_python(code, production_env(tmp_path, DIGITS_PREDICT_RATE="0")).stdout.strip() == "None LocMemCache None"


def test_a_web_worker_predicts_without_tensorflow_on_one_thread(tmp_path):
    """What a gunicorn worker does: import the WSGI app, load the predictor, answer."""
    code = """
        import sys
        import ai_edge_litert.interpreter as litert

        threads = []
        original = litert.Interpreter.__init__
        def recording_init(self, *args, **kwargs):
            threads.append(kwargs.get("num_threads"))
            original(self, *args, **kwargs)
        litert.Interpreter.__init__ = recording_init

        import digitsite.wsgi  # noqa: F401  (the app, as gunicorn loads it)
        from recognizer import serving
        from tests.drawings import draw_one, png_bytes

        prediction = serving.get_predictor().predict(png_bytes(draw_one()))
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"tensorflow", "keras", "tf_keras"})
        print("digit", prediction.digit, "threads", threads, "heavy", heavy)
    """
    from ml.artifacts import bundled_dir

    env = production_env(tmp_path, DIGITS_MODEL_DIR=str(bundled_dir()))
    result = run_python(code, env)

    assert result.returncode == 0, result.stderr
    # Two interpreters, one thread each: the digit model's and the one-digit judge's.
    assert result.stdout.strip() == "digit 1 threads [1, 1] heavy []"


def test_gunicorn_caps_the_numeric_libraries_at_one_thread(tmp_path):
    code = """
        import os, runpy
        runpy.run_path("gunicorn.conf.py")
        print([os.environ[name] for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")])
    """
    env = {key: value for key, value in os.environ.items() if not key.endswith("_NUM_THREADS")}
    assert run_python(code, env).stdout.strip() == "['1', '1', '1']"
