"""POST /api/v1/predict: the happy paths and every error, always JSON, never a 500."""

import base64
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from recognizer.models import Submission
from tests.drawings import draw_number, huge_png_header, png_bytes

pytestmark = pytest.mark.django_db

URL = "/api/v1/predict"


def png_upload(content: bytes, name: str = "digit.png", content_type: str = "image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def data_url(content: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(content).decode("ascii")


def post_json(client, payload) -> object:
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return client.post(URL, data=body, content_type="application/json")


def assert_error(response, status: int, contains: str = "") -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert contains.lower() in body["error"].lower()
    assert Submission.objects.count() == 0
    return body


# --- Success --------------------------------------------------------------------------


def test_multipart_one_is_recognized_and_stored(user_client, user, drawn_digit):
    response = user_client.post(URL, {"image": png_upload(drawn_digit("one"))})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["digit"] == 1
    assert set(body) >= {"id", "digit", "confidence", "probabilities", "model_version", "created_at", "model_input"}
    assert len(body["probabilities"]) == 10
    assert sum(body["probabilities"]) == pytest.approx(1.0, abs=1e-4)
    assert body["confidence"] == pytest.approx(max(body["probabilities"]))
    assert body["model_input"].startswith("data:image/png;base64,")
    model_input = Image.open(io.BytesIO(base64.b64decode(body["model_input"].split(",", 1)[1])))
    assert model_input.size == (28, 28)
    assert response["Location"] == body["api_url"] == f"/api/v1/submissions/{body['id']}"
    assert body["url"] == f"/history/{body['id']}/"
    assert body["thumbnail_url"] == f"/history/{body['id']}/thumbnail"

    submission = Submission.objects.get()
    assert submission.pk == body["id"]
    assert submission.user == user
    assert submission.source == Submission.Source.UPLOAD  # multipart defaults to upload
    assert submission.digit == 1
    assert submission.model_version.version == body["model_version"] != ""


def test_a_number_sent_as_a_digit_comes_with_a_hint(user_client, drawn_digit):
    number = png_upload(png_bytes(draw_number("100")), name="number.png")
    assert user_client.post(URL, {"image": number}).json()["several_digits"] is True
    assert user_client.post(URL, {"image": png_upload(drawn_digit("zero"))}).json()["several_digits"] is False
    number = png_upload(png_bytes(draw_number("100")), name="number.png")
    as_number = user_client.post(URL + "?mode=number", {"image": number}).json()
    assert (as_number["number"], as_number["several_digits"]) == ("100", False)


def test_json_data_url_zero_defaults_to_canvas(user_client, drawn_digit):
    response = post_json(user_client, {"image": data_url(drawn_digit("zero"))})

    assert response.status_code == 201, response.content
    assert response.json()["digit"] == 0
    assert Submission.objects.get().source == Submission.Source.CANVAS


def test_multipart_source_can_be_given(user_client, drawn_digit):
    response = user_client.post(URL, {"image": png_upload(drawn_digit("one")), "source": "canvas"})

    assert response.status_code == 201
    assert Submission.objects.get().source == Submission.Source.CANVAS


@pytest.mark.parametrize("image_format", ["JPEG", "GIF", "BMP", "WEBP", "TIFF"])
def test_every_accepted_format_is_recognized(user_client, drawn_digit, image_format):
    content = drawn_digit("one", image_format=image_format)
    response = user_client.post(URL, {"image": png_upload(content, name=f"one.{image_format.lower()}")})

    assert response.status_code == 201, response.content
    assert response.json()["digit"] == 1


def test_csrf_token_header_is_accepted(user, drawn_digit):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/")  # the draw page sets the CSRF cookie
    token = client.cookies["csrftoken"].value

    response = client.post(URL, {"image": png_upload(drawn_digit("one"))}, HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 201


# --- Errors -----------------------------------------------------------------------------


def test_not_an_image_is_400(user_client):
    response = user_client.post(URL, {"image": png_upload(b"this is not a picture", name="notes.png")})
    assert_error(response, 400, "not an image")


def test_blank_drawing_is_400_draw_a_digit_first(user_client, drawn_digit):
    response = post_json(user_client, {"image": data_url(drawn_digit("blank"))})
    body = assert_error(response, 400)
    assert body["error"] == "Draw a digit first"


def test_blank_upload_is_400(user_client, drawn_digit):
    response = user_client.post(URL, {"image": png_upload(drawn_digit("blank"))})
    assert_error(response, 400, "blank")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{not json", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        ('["a list"]', "must be an object"),
        ("{}", 'Missing the "image" field'),
        ({"image": 42}, "must be a string"),
        ({"image": "iVBORw0KGgo="}, "must be a data URL"),
        ({"image": "data:image/png,rawpixels"}, "base64"),
        ({"image": "data:image/png;base64,@@@not*base64@@@"}, "base64 is invalid"),
        ({"image": "data:image/png;base64,"}, "empty"),
    ],
)
def test_malformed_json_bodies_are_400(user_client, payload, message):
    assert_error(post_json(user_client, payload), 400, message)


def test_missing_multipart_field_is_400(user_client, drawn_digit):
    response = user_client.post(URL, {"picture": png_upload(drawn_digit("one"))})
    assert_error(response, 400, 'Missing the "image" file field')


def test_unknown_source_is_400(user_client, drawn_digit):
    response = post_json(user_client, {"image": data_url(drawn_digit("one")), "source": "fax"})
    assert_error(response, 400, "source")


def test_request_content_type_other_than_json_or_multipart_is_415(user_client, drawn_digit):
    response = user_client.post(URL, data=drawn_digit("one"), content_type="text/plain")
    assert_error(response, 415, "unsupported content type")


def test_image_format_outside_the_list_is_415(user_client):
    buffer = io.BytesIO()
    Image.new("L", (40, 40), 255).save(buffer, format="PPM")
    response = user_client.post(URL, {"image": png_upload(buffer.getvalue(), name="digit.ppm")})
    assert_error(response, 415, "not supported")


def test_data_url_declaring_an_unsupported_type_is_415(user_client):
    response = post_json(user_client, {"image": data_url(b"<svg/>", mime="image/svg+xml")})
    assert_error(response, 415, "image/svg+xml")


def test_image_over_the_byte_limit_is_413(user_client, settings, drawn_digit):
    content = drawn_digit("one")
    settings.DIGITS_MAX_UPLOAD_BYTES = len(content) - 1
    assert_error(user_client.post(URL, {"image": png_upload(content)}), 413, "too large")


def test_request_over_the_content_length_limit_is_413_before_parsing(user_client, settings):
    settings.DIGITS_MAX_UPLOAD_BYTES = 1000
    response = user_client.post(URL, {"image": png_upload(b"\0" * 200_000)})
    assert_error(response, 413, "too large")


def test_json_body_over_data_upload_max_memory_size_is_413(user_client, settings, drawn_digit):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    assert_error(post_json(user_client, {"image": data_url(drawn_digit("one"))}), 413, "too large")


def test_image_with_too_many_pixels_is_413(user_client):
    # 64 megapixels: refused from the header, before any pixel is decoded.
    response = user_client.post(URL, {"image": png_upload(huge_png_header(8_000, 8_000))})
    assert_error(response, 413, "pixels")


def test_anonymous_is_401_json_not_a_redirect(client, drawn_digit):
    response = client.post(URL, {"image": png_upload(drawn_digit("one"))})
    assert_error(response, 401, "sign in")


def test_missing_csrf_token_is_403_json(user, drawn_digit):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(URL, {"image": png_upload(drawn_digit("one"))})
    assert_error(response, 403, "CSRF")


def test_get_is_405_json(user_client):
    response = user_client.get(URL)
    assert_error(response, 405, "POST")
    assert response["Allow"] == "POST"


def test_no_model_is_503_and_pages_keep_working(user_client, broken_model, drawn_digit):
    response = user_client.post(URL, {"image": png_upload(drawn_digit("one"))})
    assert_error(response, 503, "not available")
    assert response["Retry-After"] == "30"
    assert user_client.get("/").status_code == 200
    assert user_client.get("/history/").status_code == 200


def test_unknown_api_path_is_json_404(user_client):
    response = user_client.get("/api/v1/nothing")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found."}


def test_server_error_handler_answers_json_for_the_api(rf):
    from recognizer import errors

    response = errors.server_error(rf.post(URL))

    assert response.status_code == 500
    assert "error" in json.loads(response.content)
    assert "text/html" in errors.server_error(rf.get("/history/"))["Content-Type"]
