"""Export: the history as CSV (streamed) and as a ZIP with the images; only one's own."""

import csv
import datetime
import io
import json
import zipfile

import numpy as np
import pytest
from django.utils import timezone
from PIL import Image

from recognizer import export, imaging
from recognizer.models import Submission
from tests.recognizer.number_submissions import number_submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(user, other_user, make_submission):
    """Alice: a confirmed digit, a corrected JPEG upload, and a number; Bob: one digit."""
    earlier = timezone.now() - datetime.timedelta(hours=1)
    jpeg = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(jpeg, format="JPEG")
    return {
        "confirmed": make_submission(user=user, digit=7, true_digit=7, confidence=0.95, created_at=earlier),
        "corrected": make_submission(
            user=user, digit=1, true_digit=4, source=Submission.Source.UPLOAD, image=jpeg.getvalue(),
            image_content_type="image/jpeg", model_version="=HYPERLINK(1)",
        ),
        "number": number_submission(
            user=user, number="42", true_number="47", confidence=0.9, judge_version="20261202-judge-bundled-v2"
        ),
        "bobs": make_submission(user=other_user, digit=3),
    }


def read_csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_has_a_row_per_own_submission_oldest_first(user_client, history):
    response = user_client.get("/account/export.csv")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"digits-alice-{timezone.localdate().isoformat()}.csv" in disposition
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0] == ",".join(export.COLUMNS)

    rows = read_csv(text)
    confirmed, corrected, number = history["confirmed"], history["corrected"], history["number"]
    assert [row["id"] for row in rows] == [str(confirmed.pk), str(corrected.pk), str(number.pk)]  # no Bob
    first = rows[0]
    assert first["created_at"] == confirmed.created_at.isoformat()
    assert (first["mode"], first["source"], first["answer"], first["true_answer"], first["correct"]) == (
        "digit", "canvas", "7", "7", "yes"
    )
    assert float(first["confidence"]) == pytest.approx(0.95)
    assert first["digit_confidences"] == first["digit_boxes"] == ""
    assert first["model_version"] == "test-version"
    assert first["judge_version"] == ""
    assert first["image_file"] == f"images/{confirmed.pk}.png"
    assert first["model_input_file"] == f"inputs/{confirmed.pk}.png"

    second = rows[1]
    assert (second["answer"], second["true_answer"], second["correct"]) == ("1", "4", "no")
    assert second["image_file"] == f"images/{corrected.pk}.jpg"
    assert second["model_version"] == "'=HYPERLINK(1)"  # a spreadsheet must not run it

    third = rows[2]
    assert (third["mode"], third["answer"], third["true_answer"], third["correct"]) == ("number", "42", "47", "no")
    assert third["judge_version"] == "20261202-judge-bundled-v2"
    assert json.loads(third["digit_confidences"]) == [0.9, 0.9]
    assert json.loads(third["digit_boxes"]) == [[0.0, 0.1, 0.5, 0.8], [0.5, 0.1, 0.5, 0.8]]
    assert json.loads(third["digit_input_files"]) == [f"inputs/{number.pk}-0.png", f"inputs/{number.pk}-1.png"]
    assert first["digit_input_files"] == ""


def test_an_unjudged_submission_has_empty_judgement_columns(user_client, user, make_submission):
    make_submission(user=user, digit=2)

    (row,) = read_csv(b"".join(user_client.get("/account/export.csv").streaming_content).decode())
    assert row["true_answer"] == "" and row["correct"] == ""


def test_a_user_with_no_submissions_gets_just_the_header(user_client):
    text = b"".join(user_client.get("/account/export.csv").streaming_content).decode()
    assert text.splitlines() == [",".join(export.COLUMNS)]


def test_the_zip_holds_the_csv_and_every_image(user_client, history):
    # Each digit of the number gets an input of its own, told apart by a lit pixel.
    for digit in history["number"].digits.all():
        seen = np.zeros((28, 28), dtype=np.float32)
        seen[14, digit.position] = 1.0
        digit.model_input = imaging.model_input_png(seen)
        digit.save(update_fields=["model_input"])

    response = user_client.get("/account/export.zip")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert f'filename="digits-alice-{timezone.localdate().isoformat()}.zip"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)

    with zipfile.ZipFile(io.BytesIO(body)) as bundle:
        assert bundle.testzip() is None
        names = set(bundle.namelist())
        rows = read_csv(bundle.read(export.CSV_NAME).decode())
        assert len(rows) == 3
        for row in rows:
            assert {row["image_file"], row["model_input_file"]} <= names
            with Image.open(io.BytesIO(bundle.read(row["image_file"]))) as original:
                original.load()
            with Image.open(io.BytesIO(bundle.read(row["model_input_file"]))) as model_input:
                assert model_input.size == (28, 28)
        digit_inputs = [name for row in rows if row["digit_input_files"] for name in json.loads(row["digit_input_files"])]
        assert len(digit_inputs) == 2
        for position, name in enumerate(digit_inputs):
            seen = np.asarray(Image.open(io.BytesIO(bundle.read(name))))
            assert seen.shape == (28, 28) and seen[14].argmax() == position
        assert names == {export.CSV_NAME} | {row["image_file"] for row in rows} | {
            row["model_input_file"] for row in rows
        } | set(digit_inputs)
        assert f"images/{history['bobs'].pk}.png" not in names
        corrected = history["corrected"]
        assert bundle.read(f"images/{corrected.pk}.jpg") == bytes(corrected.image)


def test_a_large_archive_moves_to_disk_and_is_still_whole(user, make_submission, settings, monkeypatch):
    monkeypatch.setattr(export, "SPOOL_MAX_BYTES", 1024)
    for digit in range(5):
        make_submission(user=user, digit=digit)

    archive = export.zip_archive(user=user)
    try:
        assert archive._rolled  # on disk, not in memory
        with zipfile.ZipFile(archive) as bundle:
            assert len(bundle.namelist()) == 1 + 2 * 5
    finally:
        archive.close()


@pytest.mark.parametrize("path", ["/account/export.csv", "/account/export.zip"])
def test_anonymous_visitors_are_asked_to_log_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_a_username_beyond_ascii_still_names_the_file(client, django_user_model):
    zoe = django_user_model.objects.create_user(username="zoë", password="x-Zoe-pass-77")
    client.force_login(zoe)

    response = client.get("/account/export.csv")
    assert response.status_code == 200
    assert "filename*=utf-8''digits-zo%C3%AB-" in response["Content-Disposition"]
