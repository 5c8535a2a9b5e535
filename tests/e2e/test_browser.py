"""The site in a real browser: sign up, draw with the mouse, recognize, history, upload,
keyboard shortcuts, and what an anonymous visitor sees.

Drawing goes through the same Pointer Events a person's mouse produces, and recognition
through the bundled model: these tests are the whole path from canvas to database.
No sleeps: every wait is Playwright's auto-waiting on what the page shows.
"""

import math
import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from recognizer.models import Submission

pytestmark = pytest.mark.e2e

# A "1": one stroke, slightly slanted, over ~70% of the canvas height.
ONE = [(0.54, 0.15), (0.46, 0.85)]


def zero(points: int = 40) -> list[tuple[float, float]]:
    """A "0": an upright ellipse through ``points`` points, closed."""
    ellipse = [
        (0.5 + 0.22 * math.sin(2 * math.pi * i / points), 0.5 - 0.33 * math.cos(2 * math.pi * i / points))
        for i in range(points)
    ]
    return [*ellipse, ellipse[0]]


def draw(page: Page, points: list[tuple[float, float]], *, steps: int = 40) -> None:
    """One mouse stroke through ``points`` (fractions of the canvas's width and height).

    ``steps`` intermediate moves between each pair of points, so the page receives a
    stream of pointermove events as from a real hand.
    """
    box = page.get_by_test_id("digit-canvas").bounding_box()
    assert box is not None, "the canvas is not visible"

    def at(point):
        return box["x"] + point[0] * box["width"], box["y"] + point[1] * box["height"]

    page.mouse.move(*at(points[0]))
    page.mouse.down()
    for point in points[1:]:
        page.mouse.move(*at(point), steps=steps)
    page.mouse.up()


def expect_recognized(page: Page) -> None:
    """Wait for the recognize call started just now to finish without an error."""
    expect(page.get_by_test_id("recognize")).to_have_text("Recognize")  # not "Recognizing…"
    expect(page.get_by_test_id("recognize")).to_be_enabled()
    error = page.locator("#result-error")
    if error.is_visible():
        pytest.fail(f"recognition failed on the page: {error.inner_text()}", pytrace=False)


def expect_prediction(page: Page, digit: str) -> None:
    """Wait for the recognize call started just now to finish, then check its answer."""
    expect_recognized(page)
    expect(page.get_by_test_id("prediction")).to_have_text(digit)
    expect(page.get_by_test_id("confidence")).to_have_text(re.compile(r"^\d{1,3}\.\d%$"))


def expect_blank_canvas(page: Page) -> None:
    """Wait until every pixel of the canvas is white again (it repaints on the next frame)."""
    page.wait_for_function(
        """() => {
            const canvas = document.querySelector('[data-testid="digit-canvas"]');
            const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            return pixels.every((value) => value === 255);
        }"""
    )


def ring_png(path, *, side: int = 280, width: int = 20) -> None:
    """A handwritten-style "0" as a scan would give it: a black ring on white."""
    image = Image.new("RGB", (side, side), "white")
    ImageDraw.Draw(image).ellipse(
        [side * 0.28, side * 0.15, side * 0.72, side * 0.85], outline="black", width=width
    )
    image.save(path, format="PNG")


def test_sign_up_through_the_form_lands_signed_in_on_the_draw_page(page, django_user_model, password):
    page.goto("/accounts/signup/")
    page.locator('input[name="username"]').fill("newcomer")
    page.locator('input[name="password1"]').fill(password)
    page.locator('input[name="password2"]').fill(password)
    page.locator('form button[type="submit"]', has_text="Sign up").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_test_id("digit-canvas")).to_be_visible()
    expect(page.locator(".account-username")).to_have_text("newcomer")
    assert django_user_model.objects.filter(username="newcomer").exists()


def test_draw_a_one_then_a_zero_and_recognize_both(signed_in_page, tmp_path):
    page = signed_in_page
    recent = page.locator("#recent")
    expect(recent).to_be_hidden()  # nothing drawn yet

    draw(page, ONE)
    page.get_by_test_id("recognize").click()
    expect_prediction(page, "1")

    page.get_by_test_id("clear").click()
    expect_blank_canvas(page)
    draw(page, zero(), steps=4)
    page.get_by_test_id("recognize").click()
    expect_prediction(page, "0")

    # The result page as an artifact for debugging a failure, not a pixel comparison.
    screenshot = tmp_path / "result.png"
    page.screenshot(path=screenshot, full_page=True)
    with Image.open(screenshot) as image:
        assert image.format == "PNG"
        assert image.width >= 800 and image.height >= 600
    assert screenshot.stat().st_size > 10_000

    drawn = list(Submission.objects.order_by("created_at", "pk").values_list("digit", "source"))
    assert drawn == [(1, "canvas"), (0, "canvas")]
    # The Recent strip follows without a reload, newest first, each linking to its page.
    expect(recent).to_be_visible()
    expect(recent.locator(".recent-digit")).to_have_text(["0", "1"])
    newest = Submission.objects.latest("created_at", "pk")
    expect(recent.locator(".recent-item").first).to_have_attribute("href", f"/history/{newest.pk}/")


def test_a_digit_is_corrected_on_the_result_in_words_a_person_would_use(signed_in_page):
    page = signed_in_page
    draw(page, ONE)
    page.get_by_test_id("recognize").click()
    expect_prediction(page, "1")
    status = page.locator("#result-correction .correction-status")

    page.locator("#result-correction").get_by_role("button", name="It was 8").click()
    expect(status).to_have_text("Corrected: it was an 8.")
    assert Submission.objects.get().true_digit == 8
    page.locator("#result-correction .correction-right").click()
    expect(status).to_have_text("✓ Confirmed: it is a 1.")
    assert Submission.objects.get().true_digit == 1


def test_history_lists_both_drawings_newest_first(signed_in_page):
    page = signed_in_page
    draw(page, ONE)
    page.get_by_test_id("recognize").click()
    expect_prediction(page, "1")
    page.get_by_test_id("clear").click()
    draw(page, zero(), steps=4)
    page.get_by_test_id("recognize").click()
    expect_prediction(page, "0")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="History").click()

    expect(page).to_have_url(re.compile(r"/history/$"))
    expect(page.locator(".history-item .digit-medium")).to_have_text(["0", "1"])
    expect(page.get_by_text("2 submissions")).to_be_visible()


def test_upload_a_png_from_the_draw_page(signed_in_page, tmp_path):
    page = signed_in_page
    ring = tmp_path / "ring.png"
    ring_png(ring)

    page.set_input_files('input[type="file"]', ring)

    card = page.locator("#upload-results .result-item")
    expect(card).to_have_count(1)
    expect(card.locator('[data-slot="name"]')).to_have_text("ring.png")
    expect(card.locator('[data-slot="digit"]')).to_have_text("0")
    expect(card.locator('[data-slot="error"]')).to_be_hidden()
    assert list(Submission.objects.values_list("digit", "source")) == [(0, "upload")]
    expect(page.locator("#recent .recent-digit")).to_have_text(["0"])


def test_upload_page_works_without_javascript(signed_in_page, tmp_path):
    page = signed_in_page
    ring = tmp_path / "ring.png"
    ring_png(ring)

    page.goto("/upload/")
    page.set_input_files('input[type="file"]', ring)
    page.get_by_role("button", name="Recognize files").click()

    card = page.locator(".result-list .result-item")
    expect(card).to_have_count(1)
    expect(card.locator(".digit-medium")).to_have_text("0")
    assert list(Submission.objects.values_list("digit", "source")) == [(0, "upload")]


def test_enter_recognizes_and_escape_clears(signed_in_page):
    page = signed_in_page
    canvas = page.get_by_test_id("digit-canvas")
    predict_calls = []
    page.on(
        "request",
        lambda request: predict_calls.append(request.url) if "/api/v1/predict" in request.url else None,
    )

    draw(page, ONE)
    canvas.focus()
    page.keyboard.press("Enter")
    expect_prediction(page, "1")
    assert Submission.objects.count() == 1

    page.keyboard.press("Escape")
    expect_blank_canvas(page)

    # A blank canvas is not sent: the page asks for a drawing instead.
    page.keyboard.press("Enter")
    expect(page.locator("#draw-status")).to_have_text("Draw a digit first")
    expect(page.locator("#draw-status")).to_be_visible()
    expect(page.locator("#result-error")).to_be_hidden()
    assert len(predict_calls) == 1
    assert Submission.objects.count() == 1


def test_anonymous_visitor_sees_the_landing_page_and_no_history(page):
    page.goto("/")
    expect(page.get_by_test_id("digit-canvas")).to_have_count(0)
    sign_up = page.locator('a[href="/accounts/signup/"]').first
    expect(sign_up).to_be_visible()

    page.goto("/history/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/history/$"))
    expect(page.locator('input[name="username"]')).to_be_visible()

    page.goto("/")
    sign_up.click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    expect(page.locator('input[name="password2"]')).to_be_visible()


def test_on_a_phone_the_upload_switch_and_the_revoke_buttons_fit(signed_in_page, e2e_user):
    from recognizer.tokens import token_create

    page = signed_in_page
    page.set_viewport_size({"width": 390, "height": 844})
    token_create(user=e2e_user, name="a laptop with a rather long name for a machine")

    page.goto("/upload/")
    one, number = (page.locator(".upload-mode .mode-option", has_text=text).bounding_box() for text in ("One digit", "A number"))
    assert one["y"] == number["y"] and one["height"] == number["height"], "the two answers are not side by side"

    page.goto("/account/tokens/")
    revoke = page.get_by_role("link", name=re.compile("^Revoke"))
    expect(revoke).to_be_in_viewport()
    box = revoke.bounding_box()
    assert box["x"] + box["width"] <= 390, box
    expect(page.locator(".token-table td[data-label='Last used']")).to_be_visible()
