"""Settings come from the environment; production refuses to start without a secret key."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**environ) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(environ)
    code = (
        "from digitsite import settings as s; "
        "print(s.DEBUG, s.ALLOWED_HOSTS, s.DATABASES['default']['ENGINE'], s.DIGITS_MODEL_DIR)"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def test_debug_off_without_a_secret_key_refuses_to_start():
    result = load_settings(DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_from_the_environment():
    result = load_settings(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="a-real-secret",
        DJANGO_ALLOWED_HOSTS="digits.example.com, www.digits.example.com",
        DATABASE_URL="postgres://digits:pw@db.example.com:5432/digits",
        DIGITS_MODEL_DIR="/srv/models/v2",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("[")[0].strip() == "False"
    assert "['digits.example.com', 'www.digits.example.com']" in result.stdout
    assert "postgresql" in result.stdout
    assert "/srv/models/v2" in result.stdout


def test_development_defaults():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("True ['localhost', '127.0.0.1', '[::1]', 'testserver'] django.db.backends.sqlite3 None")
