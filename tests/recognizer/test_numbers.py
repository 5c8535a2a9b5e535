"""Numbers, the writes: the service stores a number and its digits in one transaction
(or nothing), the database refuses mixed-mode rows, corrections take a true number, and
a corrected number's digits become training data. Pages: test_numbers_pages.py.

Numbers are drawn as the wide canvas draws them (tests/drawings.draw_number).
"""

import io
import logging
from types import SimpleNamespace

import numpy as np
import pytest
from django.db import DatabaseError, IntegrityError, transaction
from PIL import Image
from tests.drawings import canvas, draw_number, png_bytes
from tests.recognizer.number_submissions import number_submission

from recognizer import corrections, imaging, lifecycle, serving, services
from recognizer.models import Submission, SubmissionDigit

pytestmark = pytest.mark.django_db


def number_png(number: str) -> bytes:
    return png_bytes(draw_number(number))


BLANK_PNG = png_bytes(canvas((840, 280))[0])


def create_number(user, image_bytes=None, **options) -> Submission:
    options.setdefault("source", Submission.Source.CANVAS)
    image_bytes = number_png("101") if image_bytes is None else image_bytes
    return services.submission_create(user=user, image_bytes=image_bytes, mode="number", **options)


class StubPredictor:
    """Answers ``predict_number`` with the digits it was given (boxes 0.1 wide)."""

    version = "stub-number-version"
    judge = None  # reads without a one-digit judge

    def __init__(self, digits, *, confidence=0.5, box=None):
        self.digits = digits
        self.confidence = confidence
        self.box = box

    def predict_number(self, image):
        found = [
            SimpleNamespace(
                digit=digit, confidence=0.9, probabilities=[0.1] * 10,
                model_input=np.zeros((28, 28), dtype=np.float32), box=self.box or (0.1 * i, 0.1, 0.1, 0.8),
            )
            for i, digit in enumerate(self.digits)
        ]
        return SimpleNamespace(number="".join(map(str, self.digits)), confidence=self.confidence, digits=found)


@pytest.fixture
def stub_predictor(fresh_serving):
    def install(*args, **kwargs) -> StubPredictor:
        predictor = StubPredictor(*args, **kwargs)
        serving.reset(predictor)
        return predictor

    return install


def assert_nothing_stored():
    assert Submission.objects.count() == 0
    assert SubmissionDigit.objects.count() == 0


# --- The service ---------------------------------------------------------------------------


def test_a_number_is_one_submission_with_its_digits(user):
    image_bytes = number_png("101")

    submission = create_number(user, image_bytes)

    stored = Submission.objects.get(pk=submission.pk)
    assert (stored.mode, stored.number, stored.answer) == ("number", "101", "101")
    assert (stored.digit, stored.probabilities) == (None, None)
    assert bytes(stored.image) == image_bytes
    digits = list(stored.digits.all())
    assert [digit.position for digit in digits] == [0, 1, 2]
    assert [digit.digit for digit in digits] == [1, 0, 1]
    assert stored.confidence == pytest.approx(np.prod([digit.confidence for digit in digits]))
    lefts = [digit.box[0] for digit in digits]
    assert lefts == sorted(lefts)
    for digit, third in zip(digits, range(3), strict=True):
        left, top, width, height = digit.box
        assert 0 <= left and left + width <= 1 and 0 <= top and top + height <= 1
        assert third / 3 <= left + width / 2 <= (third + 1) / 3  # each box over its own digit
        assert len(digit.probabilities) == 10
        assert Image.open(io.BytesIO(bytes(digit.model_input))).size == (28, 28)
    strip = Image.open(io.BytesIO(bytes(stored.model_input)))
    assert (strip.format, strip.size, strip.mode) == ("PNG", (84, 28), "L")


def test_a_number_records_the_judge_that_read_it_and_a_digit_none(user, drawn_digit):
    judge = serving.get_predictor().judge
    assert judge is not None and judge.version

    assert create_number(user).judge_version == judge.version
    assert services.submission_create(user=user, image_bytes=drawn_digit("one"), source="canvas").judge_version == ""


def test_a_number_read_without_a_judge_records_none(user, stub_predictor):
    stub_predictor([4, 2])
    assert create_number(user).judge_version == ""


def test_the_strip_is_the_digits_inputs_side_by_side(user):
    submission = create_number(user)

    strip = np.asarray(Image.open(io.BytesIO(bytes(submission.model_input))))
    for digit in submission.digits.all():
        own = np.asarray(Image.open(io.BytesIO(bytes(digit.model_input))))
        np.testing.assert_array_equal(strip[:, 28 * digit.position : 28 * (digit.position + 1)], own)


def test_a_failure_while_storing_the_digits_stores_nothing(user, monkeypatch):
    def fail(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(SubmissionDigit.objects, "bulk_create", fail)

    with pytest.raises(DatabaseError):
        create_number(user)
    assert_nothing_stored()


@pytest.mark.parametrize(
    "fields",
    [
        {"mode": "number", "number": "12", "digit": 3, "probabilities": None},  # a number with a digit
        {"mode": "number", "number": "", "digit": None, "probabilities": None},  # a number with no digits
        {"mode": "number", "number": "12", "digit": None, "probabilities": None, "true_digit": 1},
        {"mode": "digit", "number": "12"},  # a digit with a number
        {"mode": "digit", "true_number": "12"},
        {"mode": "digit", "digit": None},  # a digit without one
        {"mode": "digit", "judge_version": "20261202-judge-bundled-v2"},  # no judge reads a digit
    ],
)
def test_the_database_refuses_mixed_mode_fields(user, make_submission, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_submission(user=user, **fields)
    assert Submission.objects.count() == 0


@pytest.mark.parametrize(
    ("source", "message"),
    [("canvas", "Draw a number first"), ("upload", "No number found: the image looks blank.")],
)
def test_a_blank_number_stores_nothing_and_says_so(user, source, message):
    with pytest.raises(services.SubmissionError) as raised:
        create_number(user, BLANK_PNG, source=source)
    assert (str(raised.value), raised.value.reason) == (message, services.SubmissionError.BLANK)
    assert_nothing_stored()


@pytest.mark.parametrize("mode", ["numbers", "", "NUMBER", None])
def test_an_unknown_mode_stores_nothing_and_says_so(user, drawn_digit, mode):
    with pytest.raises(services.SubmissionError) as raised:
        services.submission_create(user=user, image_bytes=drawn_digit("one"), source="canvas", mode=mode)
    assert raised.value.reason == services.SubmissionError.INVALID
    assert "Unknown mode" in str(raised.value) and "digit or number" in str(raised.value)
    assert_nothing_stored()


def test_a_broken_image_in_number_mode_stores_nothing(user):
    with pytest.raises(services.SubmissionError) as raised:
        create_number(user, b"not an image at all", source="upload")
    assert raised.value.reason == services.SubmissionError.INVALID
    assert_nothing_stored()


def test_more_digits_than_a_number_holds_store_nothing(user, stub_predictor):
    stub_predictor([1] * 65)
    with pytest.raises(services.SubmissionError, match="at most 64"):
        create_number(user)
    assert_nothing_stored()


def test_values_a_hair_outside_0_1_are_clamped(user, stub_predictor):
    stub_predictor([4, 2], confidence=1.0000001, box=(-0.0000001, 0.1, 1.0000002, 0.5))

    submission = create_number(user)

    assert submission.confidence == 1.0
    assert [digit.box for digit in submission.digits.all()] == [[0.0, 0.1, 1.0, 0.5]] * 2
    assert submission.model_version.version == StubPredictor.version


def test_a_number_counts_against_the_rate_and_logs_one_line(user, settings, caplog):
    settings.DIGITS_PREDICT_RATE = (1, 60)
    with caplog.at_level(logging.INFO, logger="recognizer.predictions"):
        create_number(user)
        with pytest.raises(services.PredictionRateLimited):
            create_number(user)
    outcomes = [record.outcome for record in caplog.records if record.name == "recognizer.predictions"]
    assert outcomes == ["stored", "rate_limited"]
    assert Submission.objects.count() == 1


def test_deleting_a_number_deletes_its_digits(user):
    submission = create_number(user)
    services.submission_delete(user=user, submission_id=submission.pk)
    assert_nothing_stored()


# --- Corrections ------------------------------------------------------------------------------


def test_confirming_and_correcting_a_number(user):
    submission = number_submission(user=user, number="2026")

    confirmed = corrections.submission_correct(user=user, submission_id=submission.pk, true_number="2026")
    assert (confirmed.true_number, confirmed.is_correct, confirmed.true_answer) == ("2026", True, "2026")
    assert confirmed.corrected_at is not None

    corrected = corrections.submission_correct(user=user, submission_id=submission.pk, true_number=" 20261 ")
    assert (corrected.true_number, corrected.is_correct) == ("20261", False)  # a digit the model missed
    assert Submission.objects.get(pk=submission.pk).true_digit is None


@pytest.mark.parametrize(
    "true_number", ["", "  ", "20a6", "-1", "2 026", "٢٠٢٦", "²", "1" * 65, 2026, None, ["2"]]
)
def test_a_bad_true_number_is_refused(user, true_number):
    submission = number_submission(user=user, number="2026")
    with pytest.raises(corrections.InvalidCorrection, match="The true number must be"):
        corrections.submission_correct(user=user, submission_id=submission.pk, true_number=true_number)
    assert Submission.objects.get(pk=submission.pk).corrected_at is None


def test_a_digit_for_a_number_and_a_number_for_a_digit_are_refused(user, make_submission):
    number = number_submission(user=user, number="2026")
    digit = make_submission(user=user, digit=7)

    with pytest.raises(corrections.InvalidCorrection, match="is a number"):
        corrections.submission_correct(user=user, submission_id=number.pk, true_digit=2)
    with pytest.raises(corrections.InvalidCorrection, match="is a single digit"):
        corrections.submission_correct(user=user, submission_id=digit.pk, true_number="7")
    with pytest.raises(corrections.InvalidCorrection, match="not both"):
        corrections.submission_correct(user=user, submission_id=digit.pk, true_digit=7, true_number="7")
    assert not Submission.objects.filter(corrected_at__isnull=False).exists()


def test_another_users_number_cannot_be_corrected(user, other_user):
    submission = number_submission(user=user, number="2026")
    for answer in ({"true_number": "2026"}, {"true_number": "bad"}, {"true_digit": 3}):
        with pytest.raises(Submission.DoesNotExist):
            corrections.submission_correct(user=other_user, submission_id=submission.pk, **answer)
    assert Submission.objects.get(pk=submission.pk).corrected_at is None


def test_the_form_corrects_a_number(user_client, user):
    submission = number_submission(user=user, number="2026")
    url = f"/history/{submission.pk}/correct/"

    confirmed = user_client.post(url, {"true_number": "2026"}, follow=True).content.decode()
    assert "Thanks! Confirmed: it is 2026." in confirmed
    corrected = user_client.post(url, {"true_number": "2027"}, follow=True).content.decode()
    assert "Thanks! Noted: it was 2027, not 2026." in corrected
    assert "Corrected: it was 2027." in corrected
    assert 'value="2027"' in corrected  # the field shows the answer given
    refused = user_client.post(url, {"true_number": "20x7"}, follow=True).content.decode()
    assert corrections.INVALID_NUMBER_MESSAGE in refused
    assert Submission.objects.get(pk=submission.pk).true_number == "2027"
    wrong_kind = user_client.post(url, {"true_digit": "2"}, follow=True).content.decode()
    assert corrections.DIGIT_FOR_NUMBER_MESSAGE in wrong_kind


def test_the_api_corrects_a_number(user_client, user):
    submission = number_submission(user=user, number="2026")
    url = f"/api/v1/submissions/{submission.pk}/correction"
    response = user_client.post(url, {"true_number": "2028"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert (response.json()["true_number"], response.json()["is_correct"]) == ("2028", False)


# --- Corrected numbers as training data -----------------------------------------------------------


def test_a_corrected_number_of_the_same_length_gives_one_sample_per_digit(user, make_submission):
    answered = {"corrected_at": "2026-11-21T10:00Z"}
    same_length = number_submission(user=user, number="2026", true_number="2028", **answered)
    for digit in same_length.digits.all():  # each its own input, to see that each keeps its label
        model_input = np.zeros((28, 28), dtype=np.float32)
        model_input[:, digit.position] = 1.0
        SubmissionDigit.objects.filter(pk=digit.pk).update(model_input=imaging.model_input_png(model_input))
    number_submission(user=user, number="2026", true_number="20261", **answered)  # which box is which?
    number_submission(user=user, number="4711")  # not answered
    make_submission(user=user, digit=7, true_digit=1)

    samples = lifecycle.feedback_samples(holdout_share=0.0)

    # From two labelled submissions on, one is held out whatever the share, with all its digits.
    assert len(set(samples.holdout_ids)) == 1 and samples.n_holdout in (1, 4)
    labels = sorted([*samples.train_labels.tolist(), *samples.holdout_labels.tolist()])
    assert labels == sorted([2, 0, 2, 8, 1])
    digit_inputs = {
        digit.position: np.asarray(Image.open(io.BytesIO(bytes(digit.model_input))), dtype=np.float32) / 255
        for digit in same_length.digits.all()
    }
    inputs = samples.holdout_inputs if samples.holdout_ids[0] == same_length.pk else samples.train_inputs
    for position, expected in digit_inputs.items():
        np.testing.assert_allclose(inputs[position], expected, atol=1 / 255)
    assert set(samples.holdout_ids) <= {same_length.pk, Submission.objects.get(digit=7).pk}
    assert len(samples.holdout_ids) == samples.n_holdout
