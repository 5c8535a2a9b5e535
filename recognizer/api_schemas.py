"""The API's shapes: what it accepts and answers, as pydantic schemas (they are also the
OpenAPI schema), and how a ``Submission`` becomes one."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Literal

from django.urls import reverse
from ninja import Field, Schema
from pydantic import StrictInt, StrictStr

from recognizer import services
from recognizer.models import Submission

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class Error(Schema):
    error: str = Field(description="What went wrong, in a sentence a person can read.")


class SubmissionDigitOut(Schema):
    position: int = Field(description="0 is the leftmost digit.")
    digit: int = Field(ge=0, le=9)
    confidence: float = Field(ge=0, le=1)
    probabilities: list[float] = Field(description="Ten probabilities, for 0 to 9.")
    box: list[float] = Field(
        description="[left, top, width, height] as fractions (0..1) of the image's width and height."
    )


class SubmissionOut(Schema):
    id: int
    created_at: datetime
    mode: Literal["digit", "number"]
    source: Literal["canvas", "upload"]
    answer: str = Field(description='What the model read, as text: "7", or "2026" in number mode.')
    digit: int | None = Field(description="Digit mode: the digit read. Null in number mode.")
    number: str | None = Field(description="Number mode: the digits read, left to right. Null in digit mode.")
    confidence: float = Field(
        description="The digit's probability; for a number, the product of its digits' (all of them right)."
    )
    probabilities: list[float] | None = Field(description="Digit mode: ten probabilities, for 0 to 9.")
    digits: list[SubmissionDigitOut] = Field(description="Number mode: each digit, left to right; empty otherwise.")
    model_version: str
    judge_version: str | None = Field(
        description="Number mode: the one-digit judge that helped cut touching digits; null for a digit, "
        "and for numbers read without one or stored before it was recorded."
    )
    true_answer: str | None = Field(description="What the owner said it really is; null until they said.")
    is_correct: bool | None = Field(description="Whether the model was right, by the owner's word.")
    corrected_at: datetime | None
    api_url: str
    url: str = Field(description="The submission's page on the site.")
    image_url: str
    model_input_url: str = Field(description="The 28x28 image(s) the model saw, as PNG.")
    thumbnail_url: str
    correction_url: str


class PredictionOut(SubmissionOut):
    model_input: str = Field(description="The same as model_input_url, inline: data:image/png;base64,...")
    several_digits: bool = Field(
        description="Digit mode: the ink is much wider than one digit, so a number may have been meant "
        '(send it again with "mode": "number"). Always false in number mode.'
    )


class SubmissionPage(Schema):
    count: int = Field(description="Submissions matching the filters, on every page.")
    page: int
    pages: int
    page_size: int
    next: str | None = Field(description="The next (older) page, or null on the last.")
    previous: str | None = Field(description="The previous (newer) page, or null on the first.")
    results: list[SubmissionOut]


class SubmissionFilters(Schema):
    page: int = Field(1, ge=1)
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    digit: int | None = Field(None, ge=0, le=9, description="Only digit-mode submissions read as this digit.")
    source: Literal["canvas", "upload"] | None = None
    mode: Literal["digit", "number"] | None = None
    corrected: bool | None = Field(
        None, description="true: only those the owner confirmed or corrected; false: only unanswered ones."
    )


class CorrectionIn(Schema):
    """One of the two, matching the submission's mode."""

    true_digit: StrictInt | None = Field(None, description="Digit mode: what the digit really was, 0 to 9.")
    true_number: StrictStr | None = Field(None, description='Number mode: what the number really was, e.g. "2026".')


class CorrectionOut(Schema):
    """The answer fields of the submission's own mode: digit and true_digit, or number and
    true_number (the other pair is left out)."""

    id: int
    digit: int | None = None
    true_digit: int | None = None
    number: str | None = None
    true_number: str | None = None
    is_correct: bool
    corrected_at: datetime


# Predict reads its body itself (multipart or JSON, see api_input), so its schema is
# written out here rather than derived from a signature.
PREDICT_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["image"],
                    "properties": {
                        "image": {"type": "string", "format": "binary", "description": "PNG, JPEG, GIF, BMP, WebP or TIFF"},
                        "source": {"type": "string", "enum": ["upload", "canvas"], "default": "upload"},
                        "mode": {"type": "string", "enum": ["digit", "number"], "default": "digit"},
                    },
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["image"],
                    "properties": {
                        "image": {"type": "string", "description": "A data URL: data:image/png;base64,..."},
                        "source": {"type": "string", "enum": ["canvas", "upload"], "default": "canvas"},
                        "mode": {"type": "string", "enum": ["digit", "number"], "default": "digit"},
                    },
                }
            },
        },
    },
    "parameters": [
        {
            "in": "query",
            "name": "mode",
            "required": False,
            "schema": {"type": "string", "enum": ["digit", "number"]},
            "description": "digit (one digit, the default) or number (several digits, left to right); "
            "a mode field in the body wins.",
        }
    ],
}
IMAGE_OPENAPI = {"responses": {200: {"description": "The image", "content": {"image/*": {}}}}}


def submission_json(submission: Submission) -> dict:
    """A submission as ``SubmissionOut``. Its digits come from ``submission.digits`` (in
    number mode), so a list should prefetch them."""
    pk = submission.pk
    is_number = submission.mode == Submission.Mode.NUMBER
    return {
        "id": pk,
        "created_at": submission.created_at,
        "mode": submission.mode,
        "source": submission.source,
        "answer": submission.answer,
        "digit": submission.digit,
        "number": submission.number if is_number else None,
        "confidence": submission.confidence,
        "probabilities": submission.probabilities,
        "digits": [
            {
                "position": digit.position,
                "digit": digit.digit,
                "confidence": digit.confidence,
                "probabilities": digit.probabilities,
                "box": digit.box,
            }
            for digit in (submission.digits.all() if is_number else ())
        ],
        "model_version": submission.model_version.version,
        "judge_version": submission.judge_version or None,
        "true_answer": submission.true_answer,
        "is_correct": submission.is_correct,
        "corrected_at": submission.corrected_at,
        "api_url": reverse("api:submission", args=[pk]),
        "url": reverse("recognizer:detail", args=[pk]),
        "image_url": reverse("api:submission_image", args=[pk]),
        "model_input_url": reverse("api:submission_model_input", args=[pk]),
        "thumbnail_url": reverse("recognizer:thumbnail", args=[pk]),
        "correction_url": reverse("api:correction", args=[pk]),
    }


def prediction_json(submission: Submission) -> dict:
    """A new submission as ``PredictionOut``: with its model input inline, so the page can
    show what the model saw without another request."""
    model_input = base64.b64encode(bytes(submission.model_input)).decode("ascii")
    return {
        **submission_json(submission),
        "model_input": "data:image/png;base64," + model_input,
        "several_digits": services.may_be_several_digits(submission),
    }


def correction_json(submission: Submission) -> dict:
    if submission.mode == Submission.Mode.NUMBER:
        answer = {"number": submission.number, "true_number": submission.true_number}
    else:
        answer = {"digit": submission.digit, "true_digit": submission.true_digit}
    return {"id": submission.pk, **answer, "is_correct": submission.is_correct, "corrected_at": submission.corrected_at}
