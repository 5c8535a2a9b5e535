"""Abuse: password guessing locks a username out from one address (django-axes), and each
user gets DIGITS_PREDICT_RATE predictions, then 429 with Retry-After."""

import shutil
import subprocess
import threading
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from recognizer import throttling
from recognizer.models import Submission
from tests.drawings import draw_one, png_bytes
from tests.resources import missing

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
URL = "/api/v1/predict"


def log_in(client, password, username="alice", address="127.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return client.get("/").context["user"].is_authenticated


# --- Password guessing -------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_username_out_from_that_address(client, user, password, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert log_in(client, "wrong-guess-1").status_code == 200  # the form again, with its error
    locked = log_in(client, "wrong-guess-5")
    assert locked.status_code == 429

    response = log_in(client, password)

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    page = response.content.decode()
    assert "Too many failed logins" in page and "15 minutes" in page
    assert not signed_in(client)


def test_the_lockout_is_for_that_username_from_that_address_only(client, user, other_user, password):
    for _ in range(5):
        log_in(client, "wrong-guess")

    # The real user, from their own address, is not locked out by a stranger's guesses...
    elsewhere = Client()
    assert log_in(elsewhere, password, address="203.0.113.9").status_code == 302
    assert signed_in(elsewhere)
    # ...and other users can still log in from the guessing address.
    assert log_in(Client(), password, username="bob").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, user, password):
    for _ in range(5):
        log_in(client, "wrong-guess")
    assert log_in(client, password).status_code == 429
    # Fifteen minutes pass (the attempts are dated back instead of waiting).
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    assert log_in(client, password).status_code == 302
    assert signed_in(client)


def test_fewer_failures_than_the_limit_do_not_lock_and_a_success_clears_them(client, user, password):
    for _ in range(4):
        log_in(client, "wrong-guess")
    assert log_in(client, password).status_code == 302
    assert not AccessAttempt.objects.exists()


def test_sign_up_still_logs_the_new_user_in(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "dora", "password1": "violet-Anchor-42-sky", "password2": "violet-Anchor-42-sky"},
    )
    assert response.status_code == 302
    assert client.get("/").context["user"].username == "dora"


def test_a_weak_password_is_refused_at_sign_up(client, django_user_model):
    response = client.post("/accounts/signup/", {"username": "dora", "password1": "password1", "password2": "password1"})
    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    assert not django_user_model.objects.filter(username="dora").exists()


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, "198.51.100.7", "10.0.0.2"),  # no proxy: a client's own header is ignored
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the proxy appended what it saw
        (2, "6.6.6.6, 198.51.100.7, 10.0.0.3", "198.51.100.7"),
        (2, "198.51.100.7", "10.0.0.2"),  # fewer entries than proxies: not trusted
    ],
)
def test_client_ip_trusts_only_the_proxies_it_is_told_of(rf, settings, proxies, forwarded_for, expected):
    settings.DIGITS_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for)
    assert throttling.client_ip(request) == expected


# --- Prediction rate ---------------------------------------------------------------------


@pytest.fixture
def three_a_minute(settings, monkeypatch):
    """A limit of 3 per minute, at a fixed moment 20 s into a minute."""
    settings.DIGITS_PREDICT_RATE = (3, 60)
    clock = {"now": 1_800_000_020.0}
    monkeypatch.setattr(throttling.time, "time", lambda: clock["now"])
    return clock


def predict(client):
    return client.post(URL, {"image": SimpleUploadedFile("one.png", png_bytes(draw_one()), content_type="image/png")})


def test_past_the_rate_the_api_answers_429_with_retry_after_and_stores_nothing(user_client, three_a_minute):
    assert [predict(user_client).status_code for _ in range(3)] == [201, 201, 201]

    response = predict(user_client)

    assert response.status_code == 429
    assert response["Retry-After"] == "40"  # the minute ends 40 s from now
    assert "Too many predictions" in response.json()["error"]
    assert Submission.objects.count() == 3


def test_the_rate_is_per_user(user_client, other_client, three_a_minute):
    for _ in range(4):
        predict(user_client)
    assert predict(other_client).status_code == 201


def test_the_next_window_allows_again(user_client, three_a_minute):
    for _ in range(4):
        predict(user_client)
    three_a_minute["now"] += 40
    assert predict(user_client).status_code == 201


def test_refused_input_counts_too(user_client, three_a_minute):
    """Decoding is the work a flood costs, so every attempt counts, not only stored ones."""
    for _ in range(3):
        user_client.post(URL, {"image": SimpleUploadedFile("x.png", b"not an image")})
    assert predict(user_client).status_code == 429


def test_the_upload_form_says_so_per_file(user_client, three_a_minute):
    files = [SimpleUploadedFile(f"{n}.png", png_bytes(draw_one()), content_type="image/png") for n in range(4)]
    response = user_client.post("/upload/", {"images": files})

    results = response.context["results"]
    assert [result.submission is not None for result in results] == [True, True, True, False]
    assert "Too many predictions" in results[3].error
    assert Submission.objects.count() == 3


def test_no_limit_when_the_rate_is_off(user, settings):
    settings.DIGITS_PREDICT_RATE = None
    assert all(throttling.prediction_allowed(user=user) is None for _ in range(1000))


def count_concurrently(limit: int, callers: int) -> int:
    """How many of ``callers`` simultaneous requests a limit of ``limit`` lets through."""
    allowed, start = [], threading.Barrier(callers)

    def call():
        start.wait()
        allowed.append(throttling._count("concurrent", limit=limit, period=60) is None)

    threads = [threading.Thread(target=call) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(allowed)


def test_concurrent_requests_never_exceed_the_limit():
    assert count_concurrently(limit=10, callers=40) == 10


@pytest.fixture
def redis_cache(settings, tmp_path):
    """A real Redis (a private redis-server on a Unix socket) as the default cache."""
    if shutil.which("redis-server") is None:
        missing("redis-server is not installed")
    socket = tmp_path / "redis.sock"
    server = subprocess.Popen(
        ["redis-server", "--port", "0", "--unixsocket", str(socket), "--save", "", "--appendonly", "no"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        for line in server.stdout:  # blocks until the server says it is ready (or exits)
            if "ready to accept connections" in line.lower():
                break
        else:
            pytest.fail("redis-server did not start")
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": f"unix://{socket}"}
        }
        yield
    finally:
        server.terminate()
        server.wait()


def test_with_redis_the_limit_holds_across_workers(redis_cache, settings, monkeypatch):
    from django.core.cache.backends.redis import RedisCache

    # Two workers: two separate connections to the one Redis.
    location = settings.CACHES["default"]["LOCATION"]
    workers = [RedisCache(location, {}), RedisCache(location, {})]
    answers = []
    for n in range(6):
        monkeypatch.setattr(throttling, "cache", workers[n % 2])
        answers.append(throttling._count("shared", limit=4, period=60) is None)
    assert answers == [True, True, True, True, False, False]
    assert count_concurrently(limit=10, callers=40) == 10
