"""Bad input, through the API and the upload form: never a 500, never a stored row, always
a clear message. Then property-based: random bytes and random images never give a 5xx."""

import base64
import io
import json
import time
import zlib

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import AsyncClient, Client
from django.test.client import FakePayload
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from recognizer import api_input
from recognizer.models import Submission
from tests.drawings import decompression_bomb_png, draw_one, draw_zero, png_bytes

pytestmark = pytest.mark.django_db

URL = "/api/v1/predict"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><text y="20">7</text></svg>'
HTML = b"<!doctype html><html><body><script>alert('digit')</script></body></html>"


def upload(content: bytes, name: str = "digit.png", content_type: str = "image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def data_url(content: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(content).decode("ascii")


def one_png() -> bytes:
    return png_bytes(draw_one())


def truncated_png() -> bytes:
    content = one_png()
    return content[: len(content) // 2]


def tiny_png() -> bytes:
    return png_bytes(Image.new("RGB", (1, 1), "black"))


def transparent_png() -> bytes:
    return png_bytes(Image.new("RGBA", (280, 280), (0, 0, 0, 0)))


BOMB = decompression_bomb_png()


# (id, body sent as multipart file or JSON data URL, status, words the message must hold)
BAD_FILES = [
    ("zero-byte file", b"", 400, "empty"),
    ("text named .png", b"just some notes, not a picture\n", 400, "not an image"),
    ("svg named .png", SVG, 400, "not an image"),
    ("html named .png", HTML, 400, "not an image"),
    ("truncated png", truncated_png(), 400, "damaged or truncated"),
    ("1x1 image", tiny_png(), 400, "blank"),
    ("transparent png", transparent_png(), 400, "blank"),
    ("20000x20000 png bomb", BOMB, 413, "too many pixels"),
]


def post_json(client, body) -> object:
    body = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(URL, data=body, content_type="application/json")


# (id, how to send it, status, words the message must hold)
BAD_REQUESTS = [
    # The test client drops the content type of an empty body; a real client may not.
    ("empty JSON body", lambda c: c.generic("POST", URL, b"", CONTENT_TYPE="application/json"), 400, "not valid JSON"),
    ("empty multipart body", lambda c: c.post(URL, {}), 400, 'Missing the "image" file field'),
    ("empty body, no content type", lambda c: c.generic("POST", URL, b"", content_type=""), 415, "content type"),
    ("missing multipart field", lambda c: c.post(URL, {"picture": upload(one_png())}), 400, '"image"'),
    ("missing JSON field", lambda c: post_json(c, {"picture": data_url(one_png())}), 400, '"image"'),
    ("JSON list", lambda c: post_json(c, [data_url(one_png())]), 400, "must be an object"),
    ("JSON number", lambda c: post_json(c, "42"), 400, "must be an object"),
    ("JSON null", lambda c: post_json(c, "null"), 400, "must be an object"),
    ("JSON string", lambda c: post_json(c, '"data:image/png;base64,AAAA"'), 400, "must be an object"),
    ("not a data URL", lambda c: post_json(c, {"image": "http://example.com/7.png"}), 400, "data URL"),
    ("data URL without base64", lambda c: post_json(c, {"image": "data:image/png,%89PNG"}), 400, "base64"),
    ("data URL with no comma", lambda c: post_json(c, {"image": "data:image/png;base64"}), 400, "data URL"),
    ("invalid base64", lambda c: post_json(c, {"image": "data:image/png;base64,iVBOR$$$"}), 400, "base64"),
    ("base64 of nothing", lambda c: post_json(c, {"image": "data:image/png;base64,"}), 400, "empty"),
    ("data URL of html", lambda c: post_json(c, {"image": data_url(HTML, "text/html")}), 415, "text/html"),
    ("wrong content type", lambda c: c.post(URL, one_png(), content_type="image/png"), 415, "content type"),
    ("form-encoded", lambda c: c.post(URL, "image=x", content_type="application/x-www-form-urlencoded"), 415,
     "content type"),
]


def assert_refused(response, status: int, words: str, before: int = 0):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert words.lower() in body["error"].lower(), body
    assert body["error"].endswith((".", "first")), "a sentence a person can read"
    assert Submission.objects.count() == before


@pytest.mark.parametrize(("content", "status", "words"), [case[1:] for case in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_bad_files_through_multipart(user_client, content, status, words):
    assert_refused(user_client.post(URL, {"image": upload(content)}), status, words)


@pytest.mark.parametrize(("content", "status", "words"), [case[1:] for case in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_bad_files_as_data_urls(user_client, content, status, words):
    if not content:
        words = "empty"  # base64 of nothing is refused before it is decoded
    if words == "blank":
        words = "draw a digit first"  # the JSON API is the canvas's: its blank is a drawing
    assert_refused(post_json(user_client, {"image": data_url(content)}), status, words)


@pytest.mark.parametrize(("send", "status", "words"), [case[1:] for case in BAD_REQUESTS], ids=[c[0] for c in BAD_REQUESTS])
def test_bad_requests(user_client, send, status, words):
    assert_refused(send(user_client), status, words)


@pytest.mark.parametrize(("content", "words"), [(c[1], c[3]) for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_bad_files_through_the_upload_form(user_client, content, words):
    if not content:
        words = "the file is empty"  # the form refuses it before recognition
    response = user_client.post("/upload/", {"images": [upload(content, name="bad.png")]})

    assert response.status_code == 200
    page = response.content.decode()
    assert words.lower() in page.lower()
    assert Submission.objects.count() == 0


def test_the_bomb_is_refused_from_its_header_without_decoding(user_client, monkeypatch):
    decoded = []
    original_load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: decoded.append(image) or original_load(image))
    content = BOMB
    assert len(content) < 100_000  # 400 megapixels in a few dozen KB...
    assert len(zlib.decompress(content[content.index(b"IDAT") + 4:])) == 20_000 * 2_501  # ...every row of them

    started = time.perf_counter()
    response = user_client.post(URL, {"image": upload(content)})
    elapsed = time.perf_counter() - started

    assert_refused(response, 413, "at most 50 megapixels")
    assert decoded == []
    assert elapsed < 2.0  # decoding would take seconds and 1.2 GB; the header takes microseconds


def test_an_upload_over_the_limit_is_refused_before_it_is_read(user_client, monkeypatch, settings):
    monkeypatch.setattr(api_input, "read_image", lambda request: pytest.fail("the body was read"))
    oversized = b"\0" * (settings.DIGITS_MAX_UPLOAD_BYTES * 4 // 3 + 128 * 1024)
    assert_refused(user_client.post(URL, {"image": upload(oversized)}), 413, "too large")


def test_a_50_mb_json_body_is_refused_before_it_is_read(user_client, monkeypatch):
    monkeypatch.setattr(api_input, "read_image", lambda request: pytest.fail("the body was read"))
    body = b'{"image": "data:image/png;base64,' + b"A" * (50 * 1024 * 1024) + b'"}'
    assert_refused(post_json(user_client, body), 413, "too large")


class CountingStream:
    """A request body that records how much of it anyone read."""

    def __init__(self, size: int):
        self.size, self.read_bytes = size, 0

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.read_bytes if n is None or n < 0 else min(n, self.size - self.read_bytes)
        self.read_bytes += n
        return b"A" * n

    def readline(self, n: int = -1) -> bytes:
        return self.read(n)


def test_a_chunked_body_without_content_length_is_refused_unread(user):
    """What a WSGI server (gunicorn) hands Django for ``Transfer-Encoding: chunked``: no
    length, so Django would read none of it and the view would see an empty request."""
    client = Client()
    client.force_login(user)
    body = CountingStream(50 * 1024 * 1024)

    response = client.request(
        REQUEST_METHOD="POST",
        PATH_INFO=URL,
        CONTENT_TYPE="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": body},
    )

    assert_refused(response, 411, "Content-Length")
    assert body.read_bytes == 0


@pytest.mark.parametrize("content_type", ["application/json", "multipart/form-data; boundary=xyz"])
def test_a_streamed_body_without_content_length_is_bounded(user, settings, content_type):
    """An HTTP/2 client under an ASGI server may stream a body with no length at all: the
    API reads at most DATA_UPLOAD_MAX_MEMORY_SIZE of it and answers 4xx, never 500."""
    from asgiref.sync import async_to_sync

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    client = AsyncClient()
    client.force_login(user)
    body = FakePayload(b'{"image": "data:image/png;base64,' + b"A" * (1024 * 1024) + b'"}')

    response = async_to_sync(client.request)(
        method="POST",
        path=URL,
        headers=[(b"host", b"testserver"), (b"content-type", content_type.encode())],
        _body_file=body,
    )

    if content_type == "application/json":
        assert_refused(response, 413, "too large")
    else:  # without a length Django's multipart parser reads nothing: an empty form
        assert_refused(response, 400, '"image"')


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.png", "C:\\Users\\x\\digit.png", "ünïcødé 数字 🖊.png", "<script>alert(1)</script>.png", "\u202egnp.exe"],
)
def test_any_file_name_is_harmless(user_client, name):
    response = user_client.post(URL, {"image": upload(one_png(), name=name)})
    assert response.status_code == 201, response.content
    assert all(name not in str(value) for value in response.json().values())  # never echoed, never stored

    page = user_client.post("/upload/", {"images": [upload(one_png(), name=name)]}).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "../" not in page and "C:\\Users" not in page  # Django keeps only the base name
    assert Submission.objects.count() == 2


# --- Awkward but valid images: recognized, not refused ---


def two_frame_gif() -> bytes:
    first, second = draw_one().convert("P"), draw_zero().convert("P")
    return png_bytes(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)


def sixteen_bit_png() -> bytes:
    pixels = np.asarray(draw_one().convert("L")).astype(np.uint16) * 257
    image = Image.fromarray(pixels)
    assert image.mode == "I;16"
    return png_bytes(image)


@pytest.mark.parametrize(
    "content",
    [two_frame_gif(), png_bytes(draw_one().convert("CMYK"), "JPEG"), sixteen_bit_png()],
    ids=["animated gif (first frame)", "cmyk jpeg", "16-bit png"],
)
def test_awkward_but_valid_images_are_recognized(user_client, content):
    response = user_client.post(URL, {"image": upload(content)})
    assert response.status_code == 201, response.content
    assert response.json()["digit"] == 1
    assert Submission.objects.count() == 1


# --- Property-based: random input never gives a 5xx ---

PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
MODES = ["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16"]
FORMATS = ["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"]


@st.composite
def random_image_files(draw) -> bytes:
    mode = draw(st.sampled_from(MODES))
    size = (draw(st.integers(1, 48)), draw(st.integers(1, 48)))
    length = len(Image.new(mode, size).tobytes())
    image = Image.frombytes(mode, size, draw(st.binary(min_size=length, max_size=length)))
    buffer = io.BytesIO()
    image_format = draw(st.sampled_from(FORMATS))
    try:
        image.save(buffer, format=image_format)
    except (OSError, ValueError, KeyError):
        image.convert("RGB").save(buffer, format=image_format)
    return buffer.getvalue()


def assert_answered_without_a_server_error(response, count_before: int):
    assert response.status_code < 500, response.content
    assert response["Content-Type"] == "application/json"
    if response.status_code == 201:
        assert Submission.objects.count() == count_before + 1
    else:
        assert response.json()["error"]
        assert Submission.objects.count() == count_before


@pytest.fixture
def unlimited(settings):
    settings.DIGITS_PREDICT_RATE = None  # the properties send more than a minute's worth


@PROPERTY
@given(
    content=st.one_of(st.binary(max_size=4096), random_image_files()),
    as_json=st.booleans(),
    mode=st.sampled_from(["digit", "number"]),
)
def test_random_bytes_and_images_never_give_a_server_error(user, unlimited, content, as_json, mode):
    client = Client()
    client.force_login(user)
    before = Submission.objects.count()
    if as_json:
        response = post_json(client, {"image": data_url(content), "mode": mode})
    else:
        response = client.post(URL, {"image": upload(content), "mode": mode})
    assert_answered_without_a_server_error(response, before)


@PROPERTY
@given(body=st.one_of(st.binary(max_size=512), st.text(max_size=256).map(str.encode)),
       content_type=st.sampled_from(["application/json", "multipart/form-data; boundary=x", "text/plain", ""]))
def test_random_request_bodies_never_give_a_server_error(user, unlimited, body, content_type):
    client = Client()
    client.force_login(user)
    response = client.generic("POST", URL, body, content_type=content_type)
    assert response.status_code < 500, response.content
    assert Submission.objects.count() == 0
