"""Faults: no model, a corrupt model, no database, a worker dying mid-request. The site
answers 503 (pages and history keep working when only the model is gone), logs the cause
once, and never loses a committed submission."""

import io
import json
import logging
import shutil

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import InterfaceError, OperationalError, connection, connections, transaction
from django.test import Client
from ml.artifacts import bundled_dir
from PIL import Image

from recognizer import api, errors, serving, services
from recognizer.models import Submission
from tests.drawings import draw_one, png_bytes

URL = "/api/v1/predict"


def predict(client):
    return client.post(URL, {"image": SimpleUploadedFile("one.png", png_bytes(draw_one()), content_type="image/png")})


def error_records(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.fixture
def corrupt_model(settings, tmp_path):
    """A model folder whose metadata is fine but whose LiteRT file is garbage."""
    folder = tmp_path / "corrupt"
    shutil.copytree(bundled_dir(), folder)
    (folder / "model.tflite").write_bytes(b"TFL3 but not really a model" * 100)
    settings.DIGITS_MODEL_DIR = str(folder)
    yield folder
    serving.reset()


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["broken_model", "corrupt_model"], ids=["missing", "corrupt"])
def test_without_a_model_predict_is_503_pages_work_and_the_cause_is_logged_once(
    request, model, user_client, user, make_submission, caplog
):
    request.getfixturevalue(model)
    kept = make_submission(user=user, digit=4)

    with caplog.at_level(logging.INFO):
        answers = [predict(user_client) for _ in range(5)]
        pages = [user_client.get(path) for path in ("/", "/history/", f"/history/{kept.pk}/", "/upload/")]

    for response in answers:
        assert response.status_code == 503
        assert response.json() == {"error": serving.UNAVAILABLE_MESSAGE}
        assert response["Retry-After"] == "30"
    assert [page.status_code for page in pages] == [200, 200, 200, 200]
    assert Submission.objects.count() == 1
    [logged] = error_records(caplog)  # one, not one per request
    assert logged.name == "recognizer.serving"
    assert "could not be loaded" in logged.getMessage()


@pytest.fixture
def database_down(monkeypatch):
    """Every query fails the way it does when the server is gone."""

    def unreachable(*args, **kwargs):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    errors.database_outage_log.reset()  # no earlier outage in this process
    monkeypatch.setattr(connection, "cursor", unreachable)
    monkeypatch.setattr(connection, "chunked_cursor", unreachable)


@pytest.mark.django_db
def test_without_a_database_pages_get_a_503_page_not_a_traceback(user_client, database_down, caplog):
    with caplog.at_level(logging.INFO):
        responses = [user_client.get(path) for path in ("/history/", "/", "/upload/")]

    for response in responses:
        assert response.status_code == 503
        assert response["Content-Type"].startswith("text/html")
        assert response["Retry-After"] == "30"
        page = response.content.decode()
        assert "cannot reach its database" in page
        assert "Traceback" not in page and "OperationalError" not in page and "5432" not in page
    [logged] = error_records(caplog)
    assert logged.name == "recognizer.errors" and "Connection refused" in logged.getMessage()


@pytest.mark.django_db
def test_without_a_database_the_api_answers_503_json(user_client, database_down):
    response = predict(user_client)

    assert response.status_code == 503
    assert response.json() == {"error": errors.DATABASE_UNAVAILABLE_MESSAGE}


def test_a_database_error_outside_a_view_is_a_503_too(rf):
    """Errors after the view (a session saved on the way out) reach handler500."""
    for error in (OperationalError("server closed the connection"), InterfaceError("connection already closed")):
        try:
            raise error
        except type(error):
            page = errors.server_error(rf.get("/history/"))
            api_answer = errors.server_error(rf.post(URL))
        assert page.status_code == 503 and b"cannot reach its database" in page.content
        assert api_answer.status_code == 503 and json.loads(api_answer.content)["error"]


# --- A worker killed mid-request ---------------------------------------------------------


def stored_row(submission_id: int) -> dict | None:
    """The row as another process sees it: through a separate database connection."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT image, model_input, probabilities, digit FROM recognizer_submission WHERE id = %s",
                [submission_id],
            )
            row = cursor.fetchone()
    finally:
        other.close()
    if row is None:
        return None
    image, model_input, probabilities, digit = row
    return {
        "image": bytes(image),
        "model_input": bytes(model_input),
        "probabilities": probabilities if isinstance(probabilities, list) else json.loads(probabilities),
        "digit": digit,
    }


def assert_complete(row: dict, digit: int):
    assert Image.open(io.BytesIO(row["image"])).size == (280, 280)
    assert Image.open(io.BytesIO(row["model_input"])).size == (28, 28)
    assert len(row["probabilities"]) == 10 and abs(sum(row["probabilities"]) - 1) < 1e-3
    assert row["digit"] == digit


@pytest.mark.django_db(transaction=True)
def test_a_submission_is_committed_before_the_service_returns(user):
    submission = services.submission_create(user=user, image_bytes=png_bytes(draw_one()), source="canvas")

    row = stored_row(submission.pk)

    assert row is not None, "another connection must already see it"
    assert_complete(row, digit=1)


@pytest.mark.django_db(transaction=True)
def test_a_worker_dying_after_the_commit_loses_the_answer_not_the_submission(user, monkeypatch):
    def die(submission):
        raise SystemError("worker killed while building the response")

    monkeypatch.setattr(api, "prediction_json", die)
    client = Client(raise_request_exception=False)
    client.force_login(user)

    response = predict(client)

    assert response.status_code == 500
    [submission] = Submission.objects.all()
    assert_complete(stored_row(submission.pk), digit=1)


@pytest.mark.django_db(transaction=True)
def test_the_service_refuses_to_run_inside_a_callers_transaction(user):
    """A caller's transaction would hold the commit back until after the response."""
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        services.submission_create(user=user, image_bytes=png_bytes(draw_one()), source="canvas")
    assert not Submission.objects.exists()


@pytest.mark.django_db
def test_with_the_shared_cache_down_predictions_go_on_and_it_is_logged_once(
    user_client, settings, tmp_path, fresh_serving, caplog
):
    from recognizer import throttling

    settings.CACHES = {  # a Redis that is not there
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": f"unix://{tmp_path}/gone.sock"}
    }
    throttling.cache_outage_log.reset()
    serving._cache_outage_log.reset()

    with caplog.at_level(logging.INFO):
        answers = [predict(user_client).status_code for _ in range(3)]

    assert answers == [201, 201, 201]  # the rate limit fails open, serving asks the database
    outage_lines = [record for record in caplog.records if "cache is unreachable" in record.getMessage()]
    assert sorted(record.name for record in outage_lines) == ["recognizer.serving", "recognizer.throttling"]
