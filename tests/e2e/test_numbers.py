"""Number mode in a real browser: the switch, the wide canvas, a drawn number read digit
by digit with its boxes over the drawing, the correction, and uploads in Number mode.

Digits are drawn with the mouse into thirds of the wide canvas, with the same strokes
test_browser.py draws on the square one.
"""

import re

import pytest
from playwright.sync_api import Page, expect
from tests.drawings import draw_number, png_bytes
from tests.e2e.test_browser import ONE, draw, expect_recognized, zero

from recognizer.models import Submission

pytestmark = pytest.mark.e2e

STROKES = {"1": [ONE], "0": [zero()]}


def mouse_number(page: Page, number: str) -> None:
    """``number`` (1s and 0s), one digit per equal slice of the canvas's width."""
    for index, character in enumerate(number):
        for stroke in STROKES[character]:
            draw(page, [((index + x) / len(number), y) for x, y in stroke], steps=8)


def expect_number(page: Page, number: str) -> None:
    expect_recognized(page)
    expect(page.get_by_test_id("number-prediction")).to_have_text(number)
    expect(page.get_by_test_id("number-confidence")).to_have_text(re.compile(r"^\d{1,3}\.\d%$"))


def canvas_aspect(page: Page) -> float:
    box = page.get_by_test_id("digit-canvas").bounding_box()
    return box["width"] / box["height"]


def test_number_mode_reads_a_drawn_number_and_boxes_each_digit(signed_in_page):
    page = signed_in_page
    assert canvas_aspect(page) == pytest.approx(1, abs=0.02)

    page.get_by_role("radio", name="Number").check()

    expect(page.get_by_role("heading", name="Draw a number")).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?mode=number$"))
    assert canvas_aspect(page) == pytest.approx(3, abs=0.05)
    mouse_number(page, "101")
    page.get_by_test_id("recognize").click()
    expect_number(page, "101")

    boxes = page.locator("#number-boxes .digit-box")
    expect(boxes).to_have_count(3)
    expect(boxes.locator(".digit-box-label")).to_have_text(["1", "0", "1"])
    expect(page.locator("#number-digits .number-digit-value")).to_have_text(["1", "0", "1"])
    # Each box lies over its own third of the drawing.
    image = page.locator("#number-image").bounding_box()
    for index in range(3):
        box = boxes.nth(index).bounding_box()
        centre = (box["x"] + box["width"] / 2 - image["x"]) / image["width"]
        assert index / 3 < centre < (index + 1) / 3
    [submission] = Submission.objects.all()
    assert (submission.mode, submission.number, submission.source) == ("number", "101", "canvas")
    assert list(submission.digits.values_list("digit", flat=True)) == [1, 0, 1]


def test_the_mode_is_remembered_and_each_mode_keeps_its_drawing(signed_in_page):
    page = signed_in_page
    page.get_by_role("radio", name="Number").check()
    mouse_number(page, "10")

    page.goto("/")  # no ?mode: the last mode used, from its cookie, rendered by the server
    expect(page.locator("#draw-page")).to_have_attribute("data-mode", "number")
    expect(page.get_by_role("radio", name="Number")).to_be_checked()
    assert canvas_aspect(page) == pytest.approx(3, abs=0.05)

    page.goto("/?mode=digit")  # the address wins
    expect(page.get_by_role("radio", name="Digit")).to_be_checked()
    expect(page.get_by_role("heading", name="Draw a digit")).to_be_visible()
    draw(page, ONE)
    page.get_by_role("radio", name="Number").check()
    page.get_by_test_id("digit-canvas").focus()
    page.keyboard.press("Enter")  # a blank Number canvas is not sent
    expect(page.locator("#draw-status")).to_have_text("Draw a number first")
    page.get_by_role("radio", name="Digit").check()
    page.get_by_test_id("recognize").click()
    expect(page.get_by_test_id("prediction")).to_have_text("1")  # the digit drawing was kept
    assert list(Submission.objects.values_list("mode", "digit")) == [("digit", 1)]


def test_a_number_is_corrected_on_the_result(signed_in_page):
    page = signed_in_page
    page.goto("/?mode=number")
    mouse_number(page, "10")
    page.get_by_test_id("recognize").click()
    expect_number(page, "10")

    field = page.locator("#number-correction .correction-number-input")
    field.fill("107")
    field.press("Enter")

    expect(page.locator("#number-correction .correction-status")).to_have_text("Corrected: it was 107.")
    assert Submission.objects.get().true_number == "107"
    page.locator("#number-correction .correction-right").click()
    expect(page.locator("#number-correction .correction-status")).to_have_text("✓ Confirmed: it is 10.")
    assert Submission.objects.get().true_number == "10"


def test_uploads_on_the_draw_page_follow_the_mode(signed_in_page, tmp_path):
    page = signed_in_page
    page.get_by_role("radio", name="Number").check()
    path = tmp_path / "ten.png"
    path.write_bytes(png_bytes(draw_number("10")))

    page.set_input_files('input[type="file"]', path)

    card = page.locator("#upload-results .result-item")
    expect(card.locator('[data-slot="digit"]')).to_have_text("10")
    expect(card.locator(".digit-box")).to_have_count(2)
    expect(card.locator('[data-slot="bars"]')).to_be_hidden()
    assert list(Submission.objects.values_list("mode", "number", "source")) == [("number", "10", "upload")]


def test_overlapping_zeros_are_read_as_two_digits(signed_in_page):
    """Two 0s whose strokes run into each other: one piece of ink, two digits. The
    one-digit judge tells the pair from one wide 0; by confidence alone it is one digit."""
    from ml.predictor import Predictor
    from ml.segment import read_number

    page = signed_in_page
    page.get_by_role("radio", name="Number").check()
    for left in (0.8, 1.15):  # in thirds of the canvas's width
        draw(page, [((left + x) / 3, y) for x, y in zero()], steps=8)
    page.get_by_test_id("recognize").click()
    expect_number(page, "00")
    drawn = bytes(Submission.objects.get().image)
    digits = read_number(drawn, Predictor.load().probabilities_for)
    assert len(digits) == 1, "without the judge, the pair is one digit"


def test_a_number_drawn_in_digit_mode_suggests_number_mode(signed_in_page):
    page = signed_in_page
    hint = page.locator("#several-digits-hint")

    def small(points, centre):  # a digit at 45 % size, centred at ``centre`` of the width
        return [(centre + 0.45 * (x - 0.5), 0.5 + 0.45 * (y - 0.5)) for x, y in points]

    draw(page, small(ONE, 0.3), steps=8)
    draw(page, small(zero(), 0.7), steps=8)
    page.get_by_test_id("recognize").click()
    expect_recognized(page)
    expect(hint).to_be_visible()
    expect(hint.get_by_role("link", name="switch to Number")).to_have_attribute("href", "?mode=number")
    page.screenshot(path="/tmp/exp/hint_draw.png")

    page.get_by_test_id("clear").click()
    draw(page, ONE)
    page.get_by_test_id("recognize").click()
    expect(page.get_by_test_id("prediction")).to_have_text("1")
    expect(hint).to_be_hidden()


def test_a_one_digit_number_is_said_once(signed_in_page):
    page = signed_in_page
    page.get_by_role("radio", name="Number").check()
    mouse_number(page, "1")
    page.get_by_test_id("recognize").click()
    expect_number(page, "1")
    expect(page.locator("#number-digits")).to_be_hidden()  # the answer says it all

    page.get_by_test_id("clear").click()
    mouse_number(page, "10")
    page.get_by_test_id("recognize").click()
    expect_number(page, "10")
    expect(page.locator("#number-digits .number-digit-value")).to_have_text(["1", "0"])
