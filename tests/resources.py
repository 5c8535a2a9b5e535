"""What a test does when something it needs is not on this machine."""

import os

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def missing(message: str):
    """Skip on a developer's machine; in CI (CI=true) fail: CI must have everything."""
    if in_ci():
        pytest.fail(f"{message}: CI must have it", pytrace=False)
    pytest.skip(message)
