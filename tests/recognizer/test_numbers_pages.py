"""Numbers, the pages: the draw page's mode switch, uploads in Number mode without
JavaScript, history and detail pages with the boxes, each digit's input for its owner
only, the admin's inline digits, and `manage.py predict --number`.
"""

import json
import re

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError

from tests.drawings import canvas, draw_number, png_bytes
from tests.recognizer.number_submissions import number_submission
from tests.recognizer.test_predict_command import run_predict

from recognizer import services
from recognizer.models import Submission


def number_png(number: str, *, image_format: str = "PNG") -> bytes:
    return png_bytes(draw_number(number), image_format)


BLANK_PNG = png_bytes(canvas((840, 280))[0])

pytestmark = pytest.mark.django_db


# --- Pages ----------------------------------------------------------------------------------------


def test_the_draw_page_has_the_mode_switch(user_client):
    page = user_client.get("/").content.decode()

    assert 'data-mode="digit"' in page
    assert re.search(r'name="draw-mode" value="digit"[^>]* checked', page)
    assert re.search(r'name="draw-mode" value="number"', page)
    assert "Draw a number" in page and 'data-testid="number-prediction"' in page
    assert '<template id="correction-template-number">' in page
    scripts = [page.index(f"recognizer/{name}.js") for name in ("correct", "canvas", "results", "draw")]
    assert scripts == sorted(scripts)
    assert "recognizer/numbers.css" in page


def test_the_address_can_open_number_mode(user_client):
    page = user_client.get("/?mode=number").content.decode()
    assert 'data-mode="number"' in page
    assert re.search(r'name="draw-mode" value="number"[^>]* checked', page)
    assert user_client.get("/?mode=bogus").status_code == 200


def test_the_last_mode_used_comes_from_its_cookie_and_the_address_wins(user_client):
    user_client.cookies["digits_mode"] = "number"
    assert 'data-mode="number"' in user_client.get("/").content.decode()
    assert 'data-mode="digit"' in user_client.get("/?mode=digit").content.decode()
    user_client.cookies["digits_mode"] = "<script>"
    assert 'data-mode="digit"' in user_client.get("/").content.decode()


def test_history_shows_every_answer_and_filters_by_mode(user_client, user, make_submission):
    number = number_submission(user=user, number="2026", true_number="2027", corrected_at="2026-11-21T10:00Z")
    digit = make_submission(user=user, digit=7)

    everything = user_client.get("/history/").content.decode()
    numbers = user_client.get("/history/?mode=number&digit=7").content.decode()
    digits = user_client.get("/history/?mode=digit").content.decode()

    assert re.search(r'class="digit-medium number-medium"[^>]*>2026<', everything)
    assert re.search(r'class="digit-medium"[^>]*>7<', everything)
    # A number's card stacks its answer above its facts (numbers.css), a digit's does not.
    assert everything.count('class="history-meta is-number"') == 1
    assert everything.count('class="history-meta"') == 1
    assert "→ 2027" in everything
    assert f"/history/{number.pk}/" in numbers and f"/history/{digit.pk}/" not in numbers
    assert "Filter by recognized digit" not in numbers  # numbers have no one digit
    assert f"/history/{digit.pk}/" in digits and f"/history/{number.pk}/" not in digits
    assert user_client.get("/history/?mode=letters").status_code == 200  # ignored, as other filters


def test_history_thumbnails_of_numbers_have_their_boxes_in_one_query(
    user_client, user, make_submission, django_assert_max_num_queries
):
    for number in ("2026", "17", "305"):
        number_submission(user=user, number=number)
    make_submission(user=user, digit=7)

    with django_assert_max_num_queries(6):  # session, user, count, page, the pages' digits
        page = user_client.get("/history/").content.decode()

    thumbs = re.findall(r'<span class="history-thumb( is-number)?">(.*?)<span class="history-meta[ a-z-]*">', page, re.S)
    assert sorted(bool(is_number) for is_number, _ in thumbs) == [False, True, True, True]
    boxes = [len(re.findall(r'class="digit-box"', html)) for is_number, html in thumbs if is_number]
    assert sorted(boxes) == [2, 3, 4], "a box per digit"


def test_the_detail_page_draws_the_boxes_and_lists_the_digits(user_client, user):
    submission = services.submission_create(
        user=user, image_bytes=number_png("101"), source="canvas", mode="number"
    )

    page = user_client.get(f"/history/{submission.pk}/").content.decode()

    boxes = re.findall(
        r'<li class="digit-box" style="--left: ([\d.]+); --top: ([\d.]+); --width: ([\d.]+); --height: ([\d.]+)">'
        r'<span class="digit-box-label">(\d)</span>',
        page,
    )
    stored = list(submission.digits.all())
    assert [label for *_, label in boxes] == ["1", "0", "1"]
    for (left, top, width, height, _), digit in zip(boxes, stored, strict=True):
        assert [float(left), float(top), float(width), float(height)] == pytest.approx(digit.box, abs=1e-5)
    assert f'src="/history/{submission.pk}/image"' in page
    for position in range(3):
        assert f'src="/history/{submission.pk}/digits/{position}.png"' in page
    assert 'name="true_number" value="101"' in page  # "Right"
    assert 'class="correction-number-input"' in page
    assert "<title>Number 101" in page
    assert "probability-bars" not in page and 'class="bars"' not in page
    assert re.search(rf"<dt>One-digit judge</dt><dd><code>{submission.judge_version}</code>", page)


def test_each_digits_input_is_served_to_its_owner_only(user_client, other_client, user, make_submission):
    number = number_submission(user=user, number="2026")
    digit = make_submission(user=user)

    response = user_client.get(f"/history/{number.pk}/digits/1.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Cache-Control"].startswith("private")
    assert bytes(response.content) == bytes(number.digits.get(position=1).model_input)
    assert user_client.get(f"/history/{number.pk}/digits/4.png").status_code == 404
    assert user_client.get(f"/history/{digit.pk}/digits/0.png").status_code == 404
    for path in ("/", "image", "thumbnail", "input.png", "digits/0.png", "delete/"):
        assert other_client.get(f"/history/{number.pk}/{path.lstrip('/')}").status_code == 404
    assert other_client.post(f"/history/{number.pk}/correct/", {"true_number": "1"}).status_code == 404


def test_another_users_number_is_never_listed(other_client, user):
    number = number_submission(user=user, number="2026")
    for page in ("/", "/history/", "/history/?mode=number"):
        assert f"/history/{number.pk}/" not in other_client.get(page).content.decode()


def test_the_recent_strip_shows_the_number(user_client, user):
    number_submission(user=user, number="90210")
    assert re.search(r'class="recent-digit">90210<', user_client.get("/").content.decode())


def test_the_upload_form_reads_numbers_without_javascript(user_client):
    images = [
        SimpleUploadedFile("ten.png", number_png("10"), content_type="image/png"),
        SimpleUploadedFile("blank.png", BLANK_PNG, content_type="image/png"),
    ]

    page = user_client.post("/upload/", {"images": images, "mode": "number"}).content.decode()

    [stored] = Submission.objects.all()
    assert (stored.mode, stored.number, stored.source) == ("number", "10", "upload")
    assert re.search(r'aria-label="Recognized number">10<', page)
    assert page.count('class="digit-box"') == 2
    assert "No number found: the image looks blank." in page
    assert 'name="true_number"' in page
    assert re.search(r'value="number"[^>]* checked', page)  # the next upload is likely a number too


def test_the_upload_form_refuses_an_unknown_mode(user_client):
    image = SimpleUploadedFile("ten.png", number_png("10"), content_type="image/png")
    page = user_client.post("/upload/", {"images": [image], "mode": "roman"}).content.decode()
    assert "Select a valid choice" in page
    assert Submission.objects.count() == 0


def test_an_upload_without_a_mode_is_a_digit(user_client, drawn_digit):
    image = SimpleUploadedFile("one.png", drawn_digit("one"), content_type="image/png")
    user_client.post("/upload/", {"images": [image]})
    assert list(Submission.objects.values_list("mode", "digit")) == [("digit", 1)]


def test_the_api_recognizes_a_number_for_the_page(user_client):
    image = SimpleUploadedFile("drawing.png", number_png("101"), content_type="image/png")

    response = user_client.post("/api/v1/predict", {"image": image, "source": "canvas", "mode": "number"})

    assert response.status_code == 201, response.content
    body = response.json()
    # What draw.js reads.
    assert (body["mode"], body["number"]) == ("number", "101")
    assert [digit["digit"] for digit in body["digits"]] == [1, 0, 1]
    assert all(len(digit["box"]) == 4 for digit in body["digits"])
    assert body["model_input"].startswith("data:image/png;base64,")
    assert {"confidence", "url", "thumbnail_url", "correction_url"} <= set(body)


# --- Admin ----------------------------------------------------------------------------------------


def test_the_admin_shows_a_numbers_digits_inline(admin_client, user, make_submission):
    number = number_submission(user=user, number="2026", true_number="2027", corrected_at="2026-11-21T10:00Z")
    make_submission(user=user, digit=3, true_digit=3)

    change = admin_client.get(f"/admin/recognizer/submission/{number.pk}/change/").content.decode()
    listing = admin_client.get("/admin/recognizer/submission/").content.decode()
    corrected = admin_client.get("/admin/recognizer/submission/?correction=corrected")
    confirmed = admin_client.get("/admin/recognizer/submission/?correction=confirmed")
    numbers = admin_client.get("/admin/recognizer/submission/?mode__exact=number")

    assert change.count('src="data:image/png;base64,') == 4  # one input per digit
    assert "80.0%" in change  # each digit's confidence
    assert "2026" in listing and "wrong: was 2027" in listing
    assert [row.pk for row in corrected.context["cl"].result_list] == [number.pk]
    assert [row.mode for row in confirmed.context["cl"].result_list] == ["digit"]
    assert numbers.context["cl"].result_count == 1


# --- manage.py predict --number ---------------------------------------------------------------------


def test_predict_number_prints_the_number_and_its_digits(tmp_path):
    (tmp_path / "a.png").write_bytes(number_png("101"))
    (tmp_path / "b.jpg").write_bytes(number_png("10", image_format="JPEG"))

    output, error = run_predict("--number", str(tmp_path))

    assert error is None
    first, second = output.splitlines()
    assert re.fullmatch(rf"{re.escape(str(tmp_path / 'a.png'))}: 101 \(\d+\.\d%; 1:\d+% 0:\d+% 1:\d+%\)", first)
    assert second.startswith(f"{tmp_path / 'b.jpg'}: 10 (")
    assert Submission.objects.count() == 0


def test_predict_number_json_and_a_bad_file(tmp_path):
    (tmp_path / "a.png").write_bytes(number_png("101"))
    (tmp_path / "b.png").write_bytes(BLANK_PNG)

    output, error = run_predict("--number", "--json", str(tmp_path / "a.png"), str(tmp_path / "b.png"))

    good, blank = (json.loads(line) for line in output.splitlines())
    assert (good["number"], good["error"]) == ("101", None)
    assert [digit["digit"] for digit in good["digits"]] == [1, 0, 1]
    assert all(len(digit["box"]) == 4 and 0 < digit["confidence"] <= 1 for digit in good["digits"])
    product = np.prod([digit["confidence"] for digit in good["digits"]])
    assert good["confidence"] == pytest.approx(product, rel=1e-4)
    assert (blank["number"], blank["digits"]) == (None, None) and "blank" in blank["error"]
    assert isinstance(error, CommandError)


def test_the_delete_page_names_the_number(user_client, user):
    number = number_submission(user=user, number="2026")
    page = user_client.get(f"/history/{number.pk}/delete/").content.decode()
    assert "Recognized as <strong>2026</strong>" in page
