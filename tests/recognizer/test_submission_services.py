"""services.submission_create / submission_delete: what is stored, and that failures store nothing."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image, ImageDraw

from recognizer import imaging, serving, services
from recognizer.models import Submission

pytestmark = pytest.mark.django_db


def test_create_stores_every_field(user, drawn_digit):
    image_bytes = drawn_digit("one")

    submission = services.submission_create(user=user, image_bytes=image_bytes, source="canvas")

    stored = Submission.objects.get(pk=submission.pk)
    assert stored.user == user
    assert stored.source == "canvas"
    assert bytes(stored.image) == image_bytes  # small images are kept exactly as sent
    assert stored.image_content_type == "image/png"
    model_input = Image.open(io.BytesIO(bytes(stored.model_input)))
    assert (model_input.format, model_input.size, model_input.mode) == ("PNG", (28, 28), "L")
    assert stored.digit == 1
    assert 0.5 < stored.confidence <= 1.0
    assert len(stored.probabilities) == 10
    assert stored.probabilities[1] == pytest.approx(stored.confidence)
    assert stored.model_version.version == serving.get_predictor().version
    assert stored.latency_ms > 0
    assert stored.created_at is not None


def test_content_type_comes_from_the_image_not_the_claim(user, drawn_digit):
    submission = services.submission_create(
        user=user, image_bytes=drawn_digit("zero", image_format="JPEG"), source="upload", content_type="image/png"
    )
    assert submission.image_content_type == "image/jpeg"
    assert submission.digit == 0


def test_large_upload_is_stored_as_a_capped_copy(user):
    # A 2048x1024 photo-like image: noise keeps it big and colourful, a thick "1" on top.
    photo = Image.effect_noise((2048, 1024), 12).convert("RGB").point(lambda value: 200 + value // 5)
    ImageDraw.Draw(photo).line([(1024, 150), (1024, 874)], fill="black", width=70)
    buffer = io.BytesIO()
    photo.save(buffer, format="PNG")
    assert len(buffer.getvalue()) > imaging.MAX_STORED_BYTES

    submission = services.submission_create(user=user, image_bytes=buffer.getvalue(), source="upload")

    stored = Image.open(io.BytesIO(bytes(submission.image)))
    assert max(stored.size) == imaging.MAX_STORED_SIDE
    assert stored.size == (1024, 512)
    assert len(bytes(submission.image)) <= imaging.MAX_STORED_BYTES
    assert submission.image_content_type == f"image/{stored.format.lower()}"
    assert submission.digit == 1


@pytest.mark.parametrize(
    ("image_bytes", "reason"),
    [
        (b"GIF89a but not really", services.SubmissionError.INVALID),
        (b"", services.SubmissionError.INVALID),
    ],
)
def test_bad_images_raise_and_store_nothing(user, image_bytes, reason):
    with pytest.raises(services.SubmissionError) as raised:
        services.submission_create(user=user, image_bytes=image_bytes, source="upload")
    assert raised.value.reason == reason
    assert Submission.objects.count() == 0


def test_blank_canvas_says_draw_a_digit_first_and_stores_nothing(user, drawn_digit):
    with pytest.raises(services.SubmissionError, match="^Draw a digit first$") as raised:
        services.submission_create(user=user, image_bytes=drawn_digit("blank"), source="canvas")
    assert raised.value.reason == services.SubmissionError.BLANK
    assert Submission.objects.count() == 0


def test_unknown_source_is_refused(user, drawn_digit):
    with pytest.raises(services.SubmissionError, match="source"):
        services.submission_create(user=user, image_bytes=drawn_digit("one"), source="email")
    assert Submission.objects.count() == 0


def test_model_unavailable_stores_nothing(user, broken_model, drawn_digit):
    with pytest.raises(serving.ModelUnavailable):
        services.submission_create(user=user, image_bytes=drawn_digit("one"), source="canvas")
    assert Submission.objects.count() == 0


def test_delete_removes_own_submission(user, make_submission):
    submission = make_submission(user=user)
    services.submission_delete(user=user, submission_id=submission.pk)
    assert not Submission.objects.exists()


def test_delete_of_someone_elses_submission_raises_and_keeps_it(user, other_user, make_submission):
    submission = make_submission(user=user)
    with pytest.raises(Submission.DoesNotExist):
        services.submission_delete(user=other_user, submission_id=submission.pk)
    assert Submission.objects.filter(pk=submission.pk).exists()


def test_deleting_a_user_deletes_their_submissions(user, other_user, make_submission):
    make_submission(user=user)
    kept = make_submission(user=other_user)
    user.delete()
    assert list(Submission.objects.all()) == [kept]


def test_create_inserts_exactly_one_row(user, drawn_digit):
    with CaptureQueriesContext(connection) as queries:
        services.submission_create(user=user, image_bytes=drawn_digit("one"), source="canvas")
    writes = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("INSERT")]
    assert len(writes) == 1
