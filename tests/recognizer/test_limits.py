"""Every refusal of something too large names the same limit, the image's, whichever
route the image took: the draw page's uploads and programs go through the API, the
upload page through its form, and each route has request limits of its own around the
image (base64 in JSON, several files in one form)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from recognizer.models import Submission

MB = 1_048_576
API = "/api/v1/predict"


@pytest.fixture
def one_mb_images(settings):
    settings.DIGITS_MAX_UPLOAD_BYTES = 1 * MB
    settings.DIGITS_MAX_REQUEST_BYTES = 3 * MB
    return settings


def upload(size: int, name: str = "big.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"\0" * size, content_type="image/png")


def test_an_image_just_over_the_limit_is_told_its_size_and_the_limit(user_client, one_mb_images):
    response = user_client.post(API, {"image": upload(int(1.2 * MB))})

    assert response.status_code == 413
    assert response.json() == {"error": "The image is too large: 1.2 MB; the limit is 1 MB."}


def test_a_request_far_over_the_limit_is_refused_by_the_image_limit_not_its_own(user_client, one_mb_images):
    # The API's request limit is the image's in base64 plus room (1.4 MB here): never
    # the figure to tell a person, who only chooses the image.
    response = user_client.post(API, {"image": upload(2 * MB)})

    assert response.status_code == 413
    assert response.json() == {"error": "The request is too large: 2.0 MB; an image may be at most 1 MB."}


def test_the_upload_page_states_the_limit_and_each_refusal_names_it(user_client, one_mb_images):
    page = user_client.get("/upload/").content.decode()
    assert "up to 1 MB each" in page

    one = user_client.post("/upload/", {"images": [upload(int(1.2 * MB))]}).content.decode()
    assert "The image is too large: 1.2 MB; the limit is 1 MB." in one

    many = user_client.post("/upload/", {"images": [upload(int(0.9 * MB), f"{n}.png") for n in range(4)]})
    assert many.status_code == 413
    assert "The upload is too large: 3.6 MB in all; at most 3 MB at a time, and 1 MB per image." in many.content.decode()
    assert Submission.objects.count() == 0
