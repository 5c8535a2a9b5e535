"""Fixtures shared by the test suites: users, signed-in clients, drawn digits, MNIST."""

import os
from pathlib import Path

import pytest
from tests.drawings import canvas, draw_one, draw_zero, png_bytes
from tests.resources import missing

PASSWORD = "plum-Harbor-7-quietly"
SHARED_MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist.npz"
CANVAS_SIDE = 280
BRUSH = CANVAS_SIDE // 14  # the brush the web canvas uses


def draw_digit(shape: str = "one", *, image_format: str = "PNG", side: int = CANVAS_SIDE, mode: str = "RGB") -> bytes:
    """A digit drawn the way the canvas draws it (black, round brush, on white), encoded.

    ``shape``: "one" (a vertical stroke), "zero" (a ring) or "blank" (nothing drawn).
    """
    brush = max(1, round(side / 14))
    scale = side / CANVAS_SIDE
    size = (side, side)
    if shape == "one":
        image = draw_one(size=size, box=(140 * scale, 45 * scale, 140 * scale, 235 * scale), width=brush, slant=0)
    elif shape == "zero":
        image = draw_zero(size=size, box=(85 * scale, 45 * scale, 195 * scale, 235 * scale), width=brush)
    elif shape == "blank":
        image = canvas(size)[0]
    else:
        raise ValueError(f"unknown shape {shape!r}")
    if mode != "RGB" and image_format != "JPEG":  # JPEG stays RGB
        image = image.convert(mode)
    return png_bytes(image, image_format)


def pytest_configure(config):
    # WhiteNoise notes that STATIC_ROOT does not exist until `collectstatic`; tests serve
    # static files through the finders and do not need it.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The production hasher is slow on purpose; the tests sign up and log in many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    # The rate limits count in the cache, which outlives a test (process memory); user
    # ids repeat between tests, so each test starts with no counts.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def drawn_digit():
    """The ``draw_digit`` factory: ``drawn_digit("zero", image_format="WEBP")`` -> bytes."""
    return draw_digit


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="alice", password=PASSWORD)


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user(username="bob", password=PASSWORD)


@pytest.fixture
def user_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def other_client(other_user):
    from django.test import Client

    other = Client()
    other.force_login(other_user)
    return other


def _require(path: Path | None, what: str) -> Path:
    """The resource, or a skip on a developer's machine; in CI (CI=true) a failure."""
    if path is not None and path.is_file():
        return path
    missing(f"{what} not found (set DIGITS_MNIST_PATH)")


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    configured = os.environ.get("DIGITS_MNIST_PATH")
    return _require(Path(configured) if configured else SHARED_MNIST, "The MNIST file")
