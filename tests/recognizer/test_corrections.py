"""Corrections: the service, the JSON API, the detail page's form, and the history badges.

A confirmation stores the predicted digit as the true one, a correction another digit;
only the owner can answer, and every refusal leaves the row as it was.
"""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from recognizer import corrections
from recognizer.models import Submission
from recognizer.views import UploadResult

pytestmark = pytest.mark.django_db

BAD_DIGITS = [-1, 10, 3.0, "3", True, None, [3]]


def api_url(submission) -> str:
    return f"/api/v1/submissions/{submission.pk}/correction"


def post_correction(client, submission, payload, **extra):
    body = payload if isinstance(payload, (str, bytes)) else json.dumps(payload)
    return client.post(api_url(submission), data=body, content_type="application/json", **extra)


def assert_unanswered(submission):
    submission.refresh_from_db()
    assert (submission.true_digit, submission.corrected_at) == (None, None)


def assert_json_error(response, status: int):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"error"} and response.json()["error"]


# --- The service ---------------------------------------------------------------------------


def test_confirming_stores_the_predicted_digit_and_the_time(user, make_submission):
    submission = make_submission(user=user, digit=7)

    answered = corrections.submission_correct(user=user, submission_id=submission.pk, true_digit=7)

    stored = Submission.objects.get(pk=submission.pk)
    assert (stored.true_digit, stored.is_correct) == (7, True)
    assert stored.corrected_at is not None
    assert (answered.true_digit, answered.corrected_at) == (7, stored.corrected_at)


def test_a_correction_can_be_changed_later(user, make_submission):
    submission = make_submission(user=user, digit=7)
    first = corrections.submission_correct(user=user, submission_id=submission.pk, true_digit=1)

    second = corrections.submission_correct(user=user, submission_id=submission.pk, true_digit=7)

    assert (first.true_digit, first.is_correct) == (1, False)
    assert (second.true_digit, second.is_correct) == (7, True)
    assert second.corrected_at >= first.corrected_at


@pytest.mark.parametrize("true_digit", BAD_DIGITS)
def test_the_service_refuses_anything_but_a_digit(user, make_submission, true_digit):
    submission = make_submission(user=user)
    with pytest.raises(corrections.InvalidCorrection):
        corrections.submission_correct(user=user, submission_id=submission.pk, true_digit=true_digit)
    assert_unanswered(submission)


def test_another_users_submission_does_not_exist_for_the_service(user, other_user, make_submission):
    submission = make_submission(user=user)
    with pytest.raises(Submission.DoesNotExist):
        corrections.submission_correct(user=other_user, submission_id=submission.pk, true_digit=3)
    with pytest.raises(Submission.DoesNotExist):
        corrections.submission_correct(user=user, submission_id=submission.pk + 1000, true_digit=3)
    assert_unanswered(submission)


# --- The API ----------------------------------------------------------------------------


def test_api_confirms(user_client, user, make_submission):
    submission = make_submission(user=user, digit=7)

    response = post_correction(user_client, submission, {"true_digit": 7})

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"id", "digit", "true_digit", "is_correct", "corrected_at"}
    assert (body["id"], body["digit"], body["true_digit"], body["is_correct"]) == (submission.pk, 7, 7, True)
    submission.refresh_from_db()
    assert body["corrected_at"] == submission.corrected_at.isoformat()


def test_api_corrects_and_changes_a_correction(user_client, user, make_submission):
    submission = make_submission(user=user, digit=7)

    first = post_correction(user_client, submission, {"true_digit": 1}).json()
    second = post_correction(user_client, submission, {"true_digit": 4}).json()

    assert (first["true_digit"], first["is_correct"]) == (1, False)
    assert (second["true_digit"], second["is_correct"]) == (4, False)
    submission.refresh_from_db()
    assert submission.true_digit == 4


@pytest.mark.parametrize("true_digit", BAD_DIGITS)
def test_api_refuses_bad_digits(user_client, user, make_submission, true_digit):
    submission = make_submission(user=user)
    assert_json_error(post_correction(user_client, submission, {"true_digit": true_digit}), 400)
    assert_unanswered(submission)


@pytest.mark.parametrize("body", ["not json", "[3]", "3", "{}", '{"digit": 3}', b"\xff\xfe"])
def test_api_refuses_bad_bodies(user_client, user, make_submission, body):
    submission = make_submission(user=user)
    assert_json_error(post_correction(user_client, submission, body), 400)
    assert_unanswered(submission)


def test_api_another_users_or_a_missing_submission_is_404(other_client, user, make_submission):
    submission = make_submission(user=user)

    assert_json_error(post_correction(other_client, submission, {"true_digit": 3}), 404)
    assert_json_error(other_client.post("/api/v1/submissions/999999/correction", data='{"true_digit": 3}',
                                        content_type="application/json"), 404)
    assert_unanswered(submission)


def test_api_anonymous_is_401(client, user, make_submission):
    submission = make_submission(user=user)
    assert_json_error(post_correction(client, submission, {"true_digit": 3}), 401)
    assert_unanswered(submission)


def test_api_get_is_405(user_client, user, make_submission):
    response = user_client.get(api_url(make_submission(user=user)))
    assert_json_error(response, 405)
    assert response["Allow"] == "POST"


def test_api_enforces_csrf(user, make_submission):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    submission = make_submission(user=user)

    refused = post_correction(client, submission, {"true_digit": 3})
    assert_json_error(refused, 403)
    assert_unanswered(submission)

    client.get("/")  # the page sets the csrftoken cookie, as the browser's would be
    token = client.cookies["csrftoken"].value
    accepted = post_correction(client, submission, {"true_digit": 3}, HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200


# --- The detail page's form (no JavaScript) ------------------------------------------------


def correct_url(submission) -> str:
    return f"/history/{submission.pk}/correct/"


def test_detail_page_offers_right_and_ten_digits(user_client, user, make_submission):
    submission = make_submission(user=user, digit=7)

    page = user_client.get(f"/history/{submission.pk}/").content.decode()

    assert f'action="{correct_url(submission)}"' in page
    assert f'data-api-url="{api_url(submission)}"' in page
    assert 'name="true_digit" value="7" class="button button-small correction-right"' in page
    assert len(re.findall(r'class="digit-choice"', page)) == 10
    assert "Is this right?" in page
    assert "recognizer/correct.js" in page


def test_form_confirms_and_redirects_back_with_a_message(user_client, user, make_submission):
    submission = make_submission(user=user, digit=7)

    response = user_client.post(correct_url(submission), {"true_digit": "7"}, follow=True)

    assert response.redirect_chain == [(f"/history/{submission.pk}/", 302)]
    page = response.content.decode()
    assert "Confirmed: it is a 7." in page
    assert 'correction-right" aria-pressed="true"' in page
    submission.refresh_from_db()
    assert submission.is_correct is True and submission.corrected_at is not None


def test_an_eight_is_said_with_an(user_client, user, make_submission):
    submission = make_submission(user=user, digit=8)

    response = user_client.post(correct_url(submission), {"true_digit": "3"}, follow=True)

    page = response.content.decode()
    assert "Noted: it was a 3, not an 8." in page
    confirmed = user_client.post(correct_url(submission), {"true_digit": "8"}, follow=True).content.decode()
    assert "Thanks! Confirmed: it is an 8." in confirmed
    assert "✓ Confirmed: it is an 8." in confirmed
    assert "a 8" not in confirmed


def test_form_corrects_and_shows_the_chosen_digit(user_client, user, make_submission):
    submission = make_submission(user=user, digit=7)

    response = user_client.post(correct_url(submission), {"true_digit": "1"}, follow=True)

    page = response.content.decode()
    assert "Noted: it was a 1, not a 7." in page
    assert "Corrected: it was a 1." in page
    assert 'value="1" class="digit-choice" aria-label="It was 1" aria-pressed="true"' in page
    assert page.count('aria-pressed="true"') == 1
    submission.refresh_from_db()
    assert submission.true_digit == 1


@pytest.mark.parametrize("value", ["", "ten", "10", "-1", "3.5"])
def test_form_refuses_bad_digits_with_a_message(user_client, user, make_submission, value):
    submission = make_submission(user=user)

    response = user_client.post(correct_url(submission), {"true_digit": value}, follow=True)

    assert response.redirect_chain == [(f"/history/{submission.pk}/", 302)]
    assert corrections.INVALID_DIGIT_MESSAGE in response.content.decode()
    assert_unanswered(submission)


def test_form_another_users_submission_is_404(other_client, user, make_submission):
    submission = make_submission(user=user)
    assert other_client.post(correct_url(submission), {"true_digit": "3"}).status_code == 404
    assert_unanswered(submission)


def test_form_anonymous_is_sent_to_log_in(client, user, make_submission):
    submission = make_submission(user=user)
    response = client.post(correct_url(submission), {"true_digit": "3"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert_unanswered(submission)


def test_form_needs_post_and_the_csrf_token(user, make_submission):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    submission = make_submission(user=user)

    assert client.get(correct_url(submission)).status_code == 405
    assert client.post(correct_url(submission), {"true_digit": "3"}).status_code == 403
    assert_unanswered(submission)


# --- Where the control and its state appear ------------------------------------------------


def test_history_badges_show_confirmed_and_corrected(user_client, user, make_submission):
    confirmed = make_submission(user=user, digit=2)
    corrected = make_submission(user=user, digit=5)
    make_submission(user=user, digit=8)
    corrections.submission_correct(user=user, submission_id=confirmed.pk, true_digit=2)
    corrections.submission_correct(user=user, submission_id=corrected.pk, true_digit=6)

    page = user_client.get("/history/").content.decode()

    assert page.count('class="badge badge-confirmed"') == 1
    assert page.count('class="badge badge-corrected"') == 1
    assert "→ 6" in page and "Corrected: it was 6." in page


def test_upload_result_card_has_the_compact_control(user, make_submission):
    submission = make_submission(user=user, digit=3)
    request = RequestFactory().get("/upload/")
    request.user = user

    result = UploadResult(name="three.png", submission=submission)
    card = render_to_string("recognizer/_result_card.html", {"result": result}, request)

    assert "correction-compact" in card
    assert f'data-api-url="{api_url(submission)}"' in card
    assert card.count("<option") == 11  # "…" and the ten digits


def test_draw_page_carries_the_templates_draw_js_fills(user_client):
    page = user_client.get("/").content.decode()
    assert '<template id="correction-template">' in page
    assert '<template id="correction-template-compact">' in page
    assert page.index("recognizer/correct.js") < page.index("recognizer/draw.js")


def test_a_recognized_drawing_can_be_corrected_through_its_correction_url(user_client, drawn_digit):
    upload = SimpleUploadedFile("one.png", drawn_digit("one"), content_type="image/png")
    created = user_client.post("/api/v1/predict", {"image": upload}).json()

    answered = user_client.post(created["correction_url"], {"true_digit": 7}, content_type="application/json")

    assert answered.json()["true_digit"] == 7
    assert Submission.objects.get(pk=created["id"]).true_digit == 7
