"""One structured log line per prediction request, whatever its outcome, and nothing in
any log that a log must not hold: images, tokens, passwords."""

import base64
import io
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from tests.drawings import draw_one, png_bytes

pytestmark = pytest.mark.django_db

URL = "/api/v1/predict"
FIELDS = ("outcome", "user_id", "submission_id", "model_version", "source", "mode", "latency_ms")


def image_upload(content: bytes, name: str = "digit.png"):
    return SimpleUploadedFile(name, content, content_type="image/png")


def data_url(content: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(content).decode("ascii")


def ppm() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (40, 40), 255).save(buffer, format="PPM")
    return buffer.getvalue()


def prediction_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "recognizer.predictions"]


def blank_canvas() -> bytes:
    return png_bytes(Image.new("RGBA", (280, 280), (0, 0, 0, 0)))


SCENARIOS = {
    "stored": lambda c: c.post(URL, {"image": image_upload(png_bytes(draw_one()))}),
    "blank": lambda c: c.post(URL, {"image": data_url(blank_canvas())}, content_type="application/json"),
    "invalid": lambda c: c.post(URL, {"image": image_upload(b"plain text, not a picture")}),
    "too_large": lambda c: c.post(URL, {"image": image_upload(png_bytes(Image.new("L", (8000, 7000))))}),
    "unsupported": lambda c: c.post(URL, {"image": image_upload(ppm(), name="digit.ppm")}),
}


@pytest.mark.parametrize("outcome", list(SCENARIOS))
def test_one_line_per_prediction_with_its_outcome(user_client, user, caplog, outcome):
    with caplog.at_level(logging.INFO, logger="recognizer.predictions"):
        response = SCENARIOS[outcome](user_client)

    [line] = prediction_lines(caplog)
    assert line.outcome == outcome, response.content
    assert line.user_id == user.pk
    assert line.latency_ms >= 0
    message = line.getMessage()
    assert message.startswith(f"prediction outcome={outcome} user_id={user.pk} ")
    for field in FIELDS:
        assert f" {field}=" in f" {message}"
    if outcome == "stored":
        assert line.submission_id == response.json()["id"]
        assert line.model_version == response.json()["model_version"]
        assert line.source == "upload" and line.mode == "digit"
    else:
        assert line.submission_id is None and "submission_id=-" in message


def test_a_number_is_logged_with_its_mode(user_client, caplog):
    with caplog.at_level(logging.INFO, logger="recognizer.predictions"):
        response = user_client.post(URL + "?mode=number", {"image": image_upload(png_bytes(draw_one()))})
    [line] = prediction_lines(caplog)
    assert response.status_code == 201, response.content
    assert line.outcome == "stored" and line.mode == "number"


def test_a_request_refused_before_the_image_is_read_is_logged_as_invalid(user_client, caplog):
    with caplog.at_level(logging.INFO, logger="recognizer.predictions"):
        user_client.post(URL, "{not json", content_type="application/json")
    [line] = prediction_lines(caplog)
    assert line.outcome == "invalid"


def test_rate_limited_is_logged(user_client, settings, caplog):
    settings.DIGITS_PREDICT_RATE = (1, 60)
    SCENARIOS["stored"](user_client)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="recognizer.predictions"):
        assert SCENARIOS["stored"](user_client).status_code == 429
    [line] = prediction_lines(caplog)
    assert line.outcome == "rate_limited"


def test_unavailable_is_logged_per_request_as_an_outcome(user_client, broken_model, caplog):
    with caplog.at_level(logging.INFO, logger="recognizer.predictions"):
        for _ in range(3):
            SCENARIOS["stored"](user_client)
    assert [line.outcome for line in prediction_lines(caplog)] == ["unavailable"] * 3


def test_each_file_of_the_upload_form_is_a_line(user_client, caplog):
    files = [image_upload(png_bytes(draw_one()), name="a.png"), image_upload(b"nope", name="b.png")]
    with caplog.at_level(logging.INFO, logger="recognizer.predictions"):
        user_client.post("/upload/", {"images": files})
    assert [line.outcome for line in prediction_lines(caplog)] == ["stored", "invalid"]


def test_no_log_record_holds_an_image_a_token_or_a_password(django_user_model, caplog):
    password = "Secret-Lantern-93-harbor"
    image = png_bytes(draw_one())
    encoded = base64.b64encode(image).decode("ascii")
    client = Client(enforce_csrf_checks=True)

    with caplog.at_level(logging.DEBUG):
        client.get("/accounts/signup/")
        signup_token = client.cookies["csrftoken"].value
        client.post("/accounts/signup/", {"username": "erin", "password1": password, "password2": password,
                                          "csrfmiddlewaretoken": signup_token})
        client.post("/accounts/logout/", {"csrfmiddlewaretoken": signup_token})
        client.get("/accounts/login/")
        token = client.cookies["csrftoken"].value
        client.post("/accounts/login/", {"username": "erin", "password": "wrong-" + password, "csrfmiddlewaretoken": token})
        client.post("/accounts/login/", {"username": "erin", "password": password, "csrfmiddlewaretoken": token})
        session = client.cookies["sessionid"].value
        token = client.cookies["csrftoken"].value
        for body in ({"image": data_url(image)}, {"image": data_url(b"\x89PNG\r\n\x1a\n broken")}):
            client.post(URL, body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
        client.post(URL, {"image": image_upload(image)}, HTTP_X_CSRFTOKEN=token)

    assert django_user_model.objects.filter(username="erin").exists()
    assert len(prediction_lines(caplog)) == 3
    secrets = {"password": password, "session": session, "csrf token": token, "csrf token at sign-up": signup_token,
               "base64 image": encoded[20:80], "PNG bytes": "\\x89PNG", "raw PNG bytes": "\x89PNG"}
    for record in caplog.records:
        text = record.getMessage() + repr(record.__dict__)
        for what, secret in secrets.items():
            assert secret not in text, f"{what} in a log record of {record.name}: {record.getMessage()[:200]}"
