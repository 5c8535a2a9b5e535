"""Who may call the API: a personal token (Bearer, no CSRF token needed) or the session
(CSRF token needed for writes) on every endpoint; a bad token is a 401, never a fallback;
one user's token never reaches another user's data; token and session share one rate."""

import json
import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from recognizer import tokens
from recognizer.models import ApiToken, Submission

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def alices_token(user):
    return tokens.token_create(user=user, name="alice's script").plaintext


@pytest.fixture
def alices_submission(user, make_submission):
    return make_submission(user=user, digit=7)


def bearer(plaintext: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def image(drawn_digit):
    return SimpleUploadedFile("one.png", drawn_digit("one"), content_type="image/png")


def call(client, endpoint: str, submission_id: int, drawn_digit, **extra):
    """One request to ``endpoint`` (a key of ENDPOINTS) about ``submission_id``."""
    method, path = endpoint.split(" ")
    url = API + path.format(id=submission_id)
    if endpoint == "POST /predict":
        return client.post(url, {"image": image(drawn_digit)}, **extra)
    if method == "POST":
        return client.post(url, json.dumps({"true_digit": 3}), content_type="application/json", **extra)
    return client.generic(method, url, **extra)


# Every endpoint, and what it answers when all is well.
ENDPOINTS = {
    "POST /predict": 201,
    "GET /submissions": 200,
    "GET /submissions/{id}": 200,
    "GET /submissions/{id}/image": 200,
    "GET /submissions/{id}/input.png": 200,
    "POST /submissions/{id}/correction": 200,
    "DELETE /submissions/{id}": 204,
}
WRITES = [endpoint for endpoint in ENDPOINTS if not endpoint.startswith("GET")]


def assert_json_error(response, status: int, words: str = "") -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and words.lower() in body["error"].lower()
    return body


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_a_token_works_on_every_endpoint_without_a_csrf_token(endpoint, alices_token, alices_submission, drawn_digit):
    client = Client(enforce_csrf_checks=True)  # and no session, no cookie at all

    response = call(client, endpoint, alices_submission.pk, drawn_digit, **bearer(alices_token))

    assert response.status_code == ENDPOINTS[endpoint], response.content
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize(
    "header",
    ["Bearer dgt_" + "A" * 43, "Bearer not-a-token", "Bearer ", "bearer dgt_short", "Bearer revoked"],
    ids=["unknown", "malformed", "empty", "short", "revoked"],
)
def test_a_bad_token_is_401_json_on_every_endpoint(endpoint, header, user, alices_submission, drawn_digit):
    if header == "Bearer revoked":
        created = tokens.token_create(user=user, name="old")
        tokens.token_revoke(user=user, token_id=created.token.pk)
        header = f"Bearer {created.plaintext}"

    response = call(Client(), endpoint, alices_submission.pk, drawn_digit, HTTP_AUTHORIZATION=header)

    assert_json_error(response, 401, "invalid or has been revoked")
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
    assert Submission.objects.count() == 1
    assert Submission.objects.get().true_digit is None


def test_a_bad_token_is_refused_even_beside_a_valid_session(user_client, alices_submission):
    response = user_client.get(f"{API}/submissions", **bearer("dgt_" + "B" * 43))
    assert_json_error(response, 401, "revoked")


def test_another_scheme_is_left_to_the_session(user_client, alices_submission):
    """A proxy's Basic login is not a bad token: the session still answers for the request."""
    basic = {"HTTP_AUTHORIZATION": "Basic YWxpY2U6c2VjcmV0"}
    assert user_client.get(f"{API}/submissions", **basic).status_code == 200
    response = Client().get(f"{API}/submissions", **basic)
    assert_json_error(response, 401, "sign in")


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_anonymous_is_401_json_on_every_endpoint(client, endpoint, alices_submission, drawn_digit):
    response = call(client, endpoint, alices_submission.pk, drawn_digit)
    assert_json_error(response, 401, "Authorization: Bearer")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("endpoint", WRITES)
def test_session_writes_need_the_csrf_token(endpoint, user, alices_submission, drawn_digit):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/")  # the page sets the CSRF cookie
    csrf_token = client.cookies["csrftoken"].value

    refused = call(client, endpoint, alices_submission.pk, drawn_digit)
    assert_json_error(refused, 403, "CSRF")
    assert Submission.objects.count() == 1 and Submission.objects.get().true_digit is None

    allowed = call(client, endpoint, alices_submission.pk, drawn_digit, HTTP_X_CSRFTOKEN=csrf_token)
    assert allowed.status_code == ENDPOINTS[endpoint], allowed.content


@pytest.mark.parametrize("endpoint", [endpoint for endpoint in ENDPOINTS if endpoint not in WRITES])
def test_session_reads_need_no_csrf_token(endpoint, user, alices_submission, drawn_digit):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert call(client, endpoint, alices_submission.pk, drawn_digit).status_code == 200


@pytest.mark.parametrize("endpoint", [endpoint for endpoint in ENDPOINTS if "{id}" in endpoint])
def test_one_users_token_never_reaches_another_users_submission(endpoint, other_user, alices_submission, drawn_digit):
    bobs_token = tokens.token_create(user=other_user, name="bob's").plaintext

    response = call(Client(), endpoint, alices_submission.pk, drawn_digit, **bearer(bobs_token))

    assert_json_error(response, 404, "No such submission")
    alices_submission.refresh_from_db()  # still there, unanswered
    assert alices_submission.true_digit is None


def test_a_token_lists_only_its_owners_submissions(other_user, alices_submission, make_submission):
    bobs = make_submission(user=other_user, digit=2)
    bobs_token = tokens.token_create(user=other_user, name="bob's").plaintext

    body = Client().get(f"{API}/submissions", **bearer(bobs_token)).json()

    assert [result["id"] for result in body["results"]] == [bobs.pk]
    assert body["count"] == 1


def test_a_prediction_with_a_token_is_the_token_owners(user, alices_token, drawn_digit, caplog):
    with caplog.at_level(logging.INFO, logger="recognizer.predictions"):
        response = call(Client(), "POST /predict", 0, drawn_digit, **bearer(alices_token))

    assert response.status_code == 201
    assert Submission.objects.get(pk=response.json()["id"]).user == user
    [line] = [record for record in caplog.records if record.name == "recognizer.predictions"]
    assert (line.outcome, line.user_id) == ("stored", user.pk)
    assert alices_token not in line.getMessage()


def test_token_and_session_share_one_rate_limit(user_client, alices_token, drawn_digit, settings):
    settings.DIGITS_PREDICT_RATE = (2, 60)
    assert call(Client(), "POST /predict", 0, drawn_digit, **bearer(alices_token)).status_code == 201
    assert call(user_client, "POST /predict", 0, drawn_digit).status_code == 201

    refused = call(Client(), "POST /predict", 0, drawn_digit, **bearer(alices_token))

    assert_json_error(refused, 429, "Too many predictions")
    assert int(refused["Retry-After"]) >= 1
    assert Submission.objects.count() == 2


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("put", "/submissions", "GET"), ("post", "/submissions/{id}", "GET, DELETE"), ("get", "/predict", "POST"),
     ("patch", "/submissions/{id}/correction", "POST"), ("delete", "/submissions/{id}/image", "GET")],
)
def test_a_wrong_method_is_405_json_after_the_login_check(method, path, allowed, alices_token, alices_submission):
    url = API + path.format(id=alices_submission.pk)

    assert_json_error(getattr(Client(), method)(url), 401)
    response = getattr(Client(), method)(url, **bearer(alices_token))

    assert_json_error(response, 405, "Use")
    assert response["Allow"] == allowed
    assert Submission.objects.filter(pk=alices_submission.pk).exists()


def test_without_a_database_a_token_request_is_503_json(alices_token, monkeypatch):
    """The token lookup is the first query: its failure is the outage's 503, not a 500."""
    from django.db import OperationalError, connection

    from recognizer import errors

    def unreachable(*args, **kwargs):
        raise OperationalError("connection refused")

    errors.database_outage_log.reset()
    monkeypatch.setattr(connection, "cursor", unreachable)

    response = Client().get(f"{API}/submissions", **bearer(alices_token))

    assert_json_error(response, 503, "cannot reach its database")
    assert response["Retry-After"] == "30"


def test_no_log_record_holds_a_token(user, alices_token, alices_submission, drawn_digit, caplog):
    revoked = tokens.token_create(user=user, name="old")
    tokens.token_revoke(user=user, token_id=revoked.token.pk)
    with caplog.at_level(logging.DEBUG):
        for endpoint in ENDPOINTS:
            for plaintext in (alices_token, revoked.plaintext, "dgt_" + "C" * 43):
                call(Client(), endpoint, alices_submission.pk, drawn_digit, **bearer(plaintext))
        call(Client(), "GET /submissions", 0, drawn_digit, HTTP_AUTHORIZATION="Token " + alices_token)

    assert caplog.records  # the requests were logged...
    for record in caplog.records:  # ...without the tokens
        text = record.getMessage() + repr(record.__dict__)
        assert all(secret not in text for secret in (alices_token, revoked.plaintext, "C" * 43)), record.getMessage()
