"""Fixtures for the end-to-end tests: Debian's Chromium, driven by Playwright, against
pytest-django's live server.

Playwright cannot download its own browsers here, so it drives /usr/bin/chromium
(``make chromium`` installs it). Without it the tests skip, except in CI (CI=true or 1),
where a missing browser is a failure: a green run must mean the browser tests ran.
"""

import os
from pathlib import Path

import pytest

from tests.resources import missing

# Playwright's sync API keeps an asyncio event loop in the main thread, and Django refuses
# ORM calls from a thread with a running loop. The tests' own queries (creating a user,
# counting submissions) are ordinary synchronous code, so let them through.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
# Generous for a loaded CI machine; a passing step takes milliseconds to a second.
TIMEOUT_MS = 15_000
VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: install it with `make chromium`")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server, transactional_db):
    """A fresh browser context (no cookies) on the live server; fails on JavaScript errors."""
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def e2e_user(django_user_model, password):
    return django_user_model.objects.create_user(username="erin", password=password)


@pytest.fixture
def signed_in_page(page, e2e_user, live_server):
    """``page`` with a session for ``e2e_user``, on the draw page.

    Signing up and logging in through the forms is tested on its own; the other tests
    start signed in (a session made by Django's test client, its cookie handed over).
    """
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(e2e_user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto("/")
    return page
