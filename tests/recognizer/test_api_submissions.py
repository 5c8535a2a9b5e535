"""The submissions endpoints: list (pages, filters), one, delete, correction, images; and
number mode through predict. Bad ids and parameters are 4xx JSON, never 500."""

import base64
import io
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from recognizer.models import Submission, SubmissionDigit
from tests.drawings import draw_one, draw_zero, png_bytes
from tests.recognizer.number_submissions import number_submission

pytestmark = pytest.mark.django_db

API = "/api/v1"


def assert_json_error(response, status: int, words: str = "") -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and words.lower() in body["error"].lower(), body
    return body["error"]


@pytest.fixture
def history(user, make_submission):
    """Five submissions, oldest first: 7 canvas, 7 upload (corrected to 1), 3 canvas,
    7 canvas (confirmed), and the number 2026 uploaded."""
    now = timezone.now()
    made = [
        make_submission(user=user, digit=7),
        make_submission(user=user, digit=7, source=Submission.Source.UPLOAD, true_digit=1, corrected_at=now),
        make_submission(user=user, digit=3),
        make_submission(user=user, digit=7, true_digit=7, corrected_at=now),
        number_submission(user=user, number="2026"),
    ]
    for age, submission in enumerate(reversed(made)):  # distinct times, newest last
        Submission.objects.filter(pk=submission.pk).update(created_at=now - timedelta(minutes=age))
    return made


def listed(client, query: str = "") -> dict:
    response = client.get(f"{API}/submissions{query}")
    assert response.status_code == 200, response.content
    return response.json()


def ids(body) -> list[int]:
    return [result["id"] for result in body["results"]]


# --- List ----------------------------------------------------------------------------------


def test_the_list_is_newest_first_with_a_count(user_client, history):
    body = listed(user_client)
    assert ids(body) == [submission.pk for submission in reversed(history)]
    assert (body["count"], body["page"], body["pages"], body["next"], body["previous"]) == (5, 1, 1, None, None)


def test_pages_link_to_each_other_and_keep_the_filters(user_client, history):
    first = listed(user_client, "?page_size=2&source=canvas")
    assert (first["count"], first["pages"], first["page_size"]) == (3, 2, 2)
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/submissions?page_size=2&source=canvas&page=2"

    second = user_client.get(first["next"]).json()
    assert second["next"] is None
    assert second["previous"] == "http://testserver/api/v1/submissions?page_size=2&source=canvas&page=1"
    assert ids(first) + ids(second) == [history[3].pk, history[2].pk, history[0].pk]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?digit=7", [3, 1, 0]),
        ("?digit=3", [2]),
        ("?source=upload", [4, 1]),
        ("?mode=number", [4]),
        ("?mode=digit", [3, 2, 1, 0]),
        ("?corrected=true", [3, 1]),
        ("?corrected=false", [4, 2, 0]),
        ("?digit=7&corrected=false", [0]),
        ("?digit=5", []),
    ],
)
def test_filters(user_client, history, query, expected):
    assert ids(listed(user_client, query)) == [history[index].pk for index in expected]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("?page=0", "page: Input should be greater than or equal to 1"),
        ("?page=abc", "page: Input should be a valid integer"),
        ("?page_size=101", "page_size: Input should be less than or equal to 100"),
        ("?digit=10", "digit"),
        ("?digit=seven", "digit"),
        ("?source=fax", "source"),
        ("?mode=words", "mode"),
        ("?corrected=maybe", "corrected"),
    ],
)
def test_bad_parameters_are_400_json(user_client, history, query, words):
    assert_json_error(user_client.get(f"{API}/submissions{query}"), 400, words)


def test_a_page_past_the_last_is_404_but_an_empty_first_page_is_fine(user_client, history):
    assert_json_error(user_client.get(f"{API}/submissions?page=2"), 404, "the last is 1")
    assert_json_error(user_client.get(f"{API}/submissions?page=99999999999999999999999"), 404)
    assert listed(user_client, "?digit=5")["results"] == []


def test_the_list_reads_a_pages_digits_in_one_query(user_client, user, django_assert_max_num_queries):
    for number in ("12", "345", "6789"):
        number_submission(user=user, number=number)
    with django_assert_max_num_queries(6):  # session, user, count, page, digits
        body = listed(user_client)
    assert [result["answer"] for result in body["results"]] == ["6789", "345", "12"]


# --- One submission ---------------------------------------------------------------------


def test_a_digit_submission_in_full(user_client, history):
    submission = history[1]
    body = user_client.get(f"{API}/submissions/{submission.pk}").json()

    assert body == {
        "id": submission.pk,
        "created_at": Submission.objects.get(pk=submission.pk).created_at.isoformat(),
        "mode": "digit",
        "source": "upload",
        "answer": "7",
        "digit": 7,
        "number": None,
        "confidence": 0.9,
        "probabilities": submission.probabilities,
        "digits": [],
        "model_version": "test-version",
        "judge_version": None,
        "true_answer": "1",
        "is_correct": False,
        "corrected_at": submission.corrected_at.isoformat(),
        "api_url": f"/api/v1/submissions/{submission.pk}",
        "url": f"/history/{submission.pk}/",
        "image_url": f"/api/v1/submissions/{submission.pk}/image",
        "model_input_url": f"/api/v1/submissions/{submission.pk}/input.png",
        "thumbnail_url": f"/history/{submission.pk}/thumbnail",
        "correction_url": f"/api/v1/submissions/{submission.pk}/correction",
    }


def test_a_number_submission_has_its_digits_left_to_right(user_client, history):
    body = user_client.get(f"{API}/submissions/{history[4].pk}").json()

    assert (body["mode"], body["answer"], body["number"], body["digit"], body["probabilities"]) == (
        "number", "2026", "2026", None, None)
    assert [digit["digit"] for digit in body["digits"]] == [2, 0, 2, 6]
    assert body["judge_version"] is None  # stored without a judge
    assert [digit["position"] for digit in body["digits"]] == [0, 1, 2, 3]
    first = body["digits"][0]
    assert set(first) == {"position", "digit", "confidence", "probabilities", "box"}
    assert len(first["box"]) == 4 and len(first["probabilities"]) == 10


@pytest.mark.parametrize("path", ["/submissions/999999", "/submissions/99999999999999999999",
                                  "/submissions/999999/image", "/submissions/999999/input.png"])
def test_a_missing_submission_is_404_json(user_client, path):
    assert_json_error(user_client.get(API + path), 404, "No such submission")


def test_a_non_numeric_id_is_404_json(user_client):
    assert_json_error(user_client.get(f"{API}/submissions/abc"), 404)


def test_the_images(user_client, history):
    submission = history[0]
    original = user_client.get(f"{API}/submissions/{submission.pk}/image")
    model_input = user_client.get(f"{API}/submissions/{submission.pk}/input.png")

    assert original["Content-Type"] == "image/png" and Image.open(io.BytesIO(original.content)).size == (64, 64)
    assert Image.open(io.BytesIO(model_input.content)).size == (28, 28)
    assert model_input["Cache-Control"] == original["Cache-Control"] == "private, max-age=86400"


# --- Delete and correct ------------------------------------------------------------------


def test_delete_is_204_and_then_404(user_client, history):
    url = f"{API}/submissions/{history[4].pk}"

    response = user_client.delete(url)

    assert response.status_code == 204 and response.content == b""
    assert not Submission.objects.filter(pk=history[4].pk).exists()
    assert not SubmissionDigit.objects.exists()
    assert_json_error(user_client.delete(url), 404)
    assert Submission.objects.count() == 4


def post_correction(client, submission, payload):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(f"{API}/submissions/{submission.pk}/correction", body, content_type="application/json")


def test_correcting_a_digit(user_client, history):
    body = post_correction(user_client, history[0], {"true_digit": 1}).json()
    history[0].refresh_from_db()
    assert body == {"id": history[0].pk, "digit": 7, "true_digit": 1, "is_correct": False,
                    "corrected_at": history[0].corrected_at.isoformat()}


def test_correcting_and_confirming_a_number(user_client, history):
    number = history[4]
    corrected = post_correction(user_client, number, {"true_number": "2027"}).json()
    assert (corrected["number"], corrected["true_number"], corrected["is_correct"]) == ("2026", "2027", False)
    assert "digit" not in corrected and "true_digit" not in corrected

    confirmed = post_correction(user_client, number, {"true_number": "2026"}).json()
    assert confirmed["is_correct"] is True
    assert user_client.get(f"{API}/submissions/{number.pk}").json()["true_answer"] == "2026"


@pytest.mark.parametrize(
    ("which", "payload", "words"),
    [
        (0, {"true_number": "12"}, "single digit"),
        (4, {"true_digit": 2}, "is a number"),
        (4, {"true_number": "20x6"}, "true number"),
        (4, {"true_number": 2026}, "true_number"),
        (0, {"true_digit": 3, "true_number": "3"}, "true_digit"),
        (0, {"digit": 3}, "true_digit"),
        (0, "not json", "not valid JSON"),
    ],
)
def test_a_correction_that_does_not_fit_is_400(user_client, history, which, payload, words):
    assert_json_error(post_correction(user_client, history[which], payload), 400, words)
    stored = Submission.objects.get(pk=history[which].pk)
    assert (stored.true_digit, stored.true_number) == (history[which].true_digit, history[which].true_number)


# --- Number mode through predict ------------------------------------------------------------


def ten() -> bytes:
    """A 1 and a 0 side by side, as the canvas draws them."""
    strip = Image.new("RGB", (560, 280), "white")
    strip.paste(draw_one(), (0, 0))
    strip.paste(draw_zero(), (280, 0))
    return png_bytes(strip)


@pytest.mark.parametrize("how", ["form field", "query", "json"])
def test_predict_reads_a_number(user_client, how):
    upload = SimpleUploadedFile("ten.png", ten(), content_type="image/png")
    if how == "form field":
        response = user_client.post(f"{API}/predict", {"image": upload, "mode": "number"})
    elif how == "query":
        response = user_client.post(f"{API}/predict?mode=number", {"image": upload})
    else:
        data_url = "data:image/png;base64," + base64.b64encode(ten()).decode()
        response = user_client.post(f"{API}/predict", {"image": data_url, "mode": "number"},
                                    content_type="application/json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["mode"], body["answer"], body["number"], body["digit"]) == ("number", "10", "10", None)
    assert [digit["digit"] for digit in body["digits"]] == [1, 0]
    assert body["digits"][0]["box"][0] < body["digits"][1]["box"][0]  # left to right
    assert body["model_input"].startswith("data:image/png;base64,")
    stored = Submission.objects.get(pk=body["id"])
    assert (stored.mode, stored.number, stored.digits.count()) == ("number", "10", 2)


def test_predict_refuses_an_unknown_mode(user_client):
    upload = SimpleUploadedFile("ten.png", ten(), content_type="image/png")
    assert_json_error(user_client.post(f"{API}/predict?mode=words", {"image": upload}), 400, "Unknown mode")
    assert not Submission.objects.exists()
