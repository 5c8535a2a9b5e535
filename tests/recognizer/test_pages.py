"""The landing page, the draw page, the no-JS upload page, static files and errors."""

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile

from recognizer.models import Submission
from tests.drawings import draw_number, png_bytes

pytestmark = pytest.mark.django_db


def test_anonymous_home_is_the_landing_page(client):
    page = client.get("/").content.decode()
    assert "Draw a digit. See what the network reads." in page
    assert "or a whole number such as 2026" in page and "API token" in page
    assert 'href="/accounts/signup/"' in page
    assert 'href="/accounts/login/"' in page
    assert "<svg" in page  # the example illustration
    assert "digit-canvas" not in page


def test_signed_in_home_is_the_draw_page(user_client):
    page = user_client.get("/").content.decode()
    for test_id in ["digit-canvas", "recognize", "clear", "prediction", "confidence"]:
        assert f'data-testid="{test_id}"' in page
    assert 'name="csrf-token"' in page
    assert "recognizer/draw.js" in page
    assert 'action="/upload/"' in page
    assert 'enctype="multipart/form-data"' in page
    assert "alice" in page  # the header shows who is signed in
    assert 'action="/accounts/logout/"' in page


def test_draw_page_shows_recent_submissions(user_client, user, make_submission):
    submission = make_submission(user=user, digit=4)
    assert f'href="/history/{submission.pk}/"' in user_client.get("/").content.decode()


def test_upload_page_recognizes_several_files_server_side(user_client, drawn_digit):
    files = [
        SimpleUploadedFile("one.png", drawn_digit("one"), content_type="image/png"),
        SimpleUploadedFile("broken.png", b"not an image", content_type="image/png"),
        SimpleUploadedFile("zero.jpg", drawn_digit("zero", image_format="JPEG"), content_type="image/jpeg"),
    ]

    response = user_client.post("/upload/", {"images": files})

    assert response.status_code == 200
    results = response.context["results"]
    assert [result.name for result in results] == ["one.png", "broken.png", "zero.jpg"]
    assert results[0].submission.digit == 1
    assert "not an image" in results[1].error
    assert results[2].submission.digit == 0
    assert Submission.objects.filter(source="upload").count() == 2
    assert response.content.decode().count('<li class="result-item') == 3


def test_upload_page_suggests_number_mode_for_a_number_in_digit_mode(user_client, drawn_digit):
    files = [
        SimpleUploadedFile("number.png", png_bytes(draw_number("100")), content_type="image/png"),
        SimpleUploadedFile("one.png", drawn_digit("one"), content_type="image/png"),
    ]
    response = user_client.post("/upload/", {"images": files, "mode": "digit"})
    assert [result.several_digits for result in response.context["results"]] == [True, False]
    assert response.content.decode().count("This looks like more than one digit.") == 1
    number = SimpleUploadedFile("number.png", png_bytes(draw_number("100")), content_type="image/png")
    response = user_client.post("/upload/", {"images": [number], "mode": "number"})
    assert response.context["results"][0].submission.number == "100"
    assert "This looks like more than one digit." not in response.content.decode()


def test_upload_page_lists_a_numbers_digits_only_when_there_are_several(user_client, drawn_digit):
    files = [
        SimpleUploadedFile("one.png", drawn_digit("one"), content_type="image/png"),
        SimpleUploadedFile("ten.png", png_bytes(draw_number("10")), content_type="image/png"),
    ]
    page = user_client.post("/upload/", {"images": files, "mode": "number"}).content.decode()
    assert page.count('<ol class="number-digits') == 1 and page.count('class="number-digit-value">') == 2


def test_upload_page_without_files_says_so(user_client):
    response = user_client.post("/upload/", {})
    assert "Choose at least one image." in response.content.decode()


def test_upload_page_needs_login(client):
    assert client.get("/upload/").status_code == 302


@pytest.mark.parametrize("path", ["recognizer/style.css", "recognizer/draw.js", "recognizer/favicon.svg"])
def test_static_files_exist(path):
    assert finders.find(path)


def test_page_404_is_html(user_client):
    response = user_client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_oversized_form_post_is_413(user_client, settings):
    settings.DIGITS_MAX_REQUEST_BYTES = 1000
    response = user_client.post("/upload/", {"images": SimpleUploadedFile("big.png", b"\0" * 5000)})
    assert response.status_code == 413
