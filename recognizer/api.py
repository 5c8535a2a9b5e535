"""The JSON API: ``POST /api/v1/predict`` recognizes one image for the signed-in user;
``POST /api/v1/submissions/<id>/correction`` records what the digit really was.

Session authentication with CSRF enforced (the page sends the token header). Every
failure is JSON ``{"error": "..."}`` with a status that says whose fault it is.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from functools import wraps

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse

from recognizer import corrections, imaging, logs, serving, services, throttling
from recognizer.errors import json_error
from recognizer.logs import Outcome
from recognizer.models import Submission

STATUS_BY_REASON = {
    services.SubmissionError.BLANK: 400,
    services.SubmissionError.INVALID: 400,
    services.SubmissionError.UNSUPPORTED: 415,
    services.SubmissionError.TOO_LARGE: 413,
    services.SubmissionError.RATE_LIMITED: 429,
}
# For the log line of a request refused before it reached the service.
OUTCOME_BY_STATUS = {400: Outcome.INVALID, 413: Outcome.TOO_LARGE, 415: Outcome.UNSUPPORTED}
DATA_URL = re.compile(
    r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<parameters>(?:;[\w.+-]+=[^;,]*)*)(?P<base64>;base64)?,(?P<payload>.*)$",
    re.DOTALL | re.IGNORECASE,
)
FORMATS_HINT = "use PNG, JPEG, GIF, BMP, WebP or TIFF"
HOW_TO_SEND = (
    'Send the image as multipart/form-data (a file field named "image") '
    'or as JSON {"image": "data:image/png;base64,..."}.'
)
TOO_LARGE_MESSAGE = "The request is too large."


class ApiError(Exception):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def signed_in_post(*, anonymous: str, wrong_method: str):
    """Anonymous callers get 401 whatever the method (nothing is said about the endpoint
    to them), signed-in ones 405 for anything but POST."""

    def decorate(handler):
        @wraps(handler)
        def guarded(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return json_error(anonymous, 401)
            if request.method != "POST":
                return json_error(wrong_method, 405, headers={"Allow": "POST"})
            return handler(request, *args, **kwargs)

        return guarded

    return decorate


@signed_in_post(anonymous="Sign in to recognize digits.", wrong_method="Use POST to send an image.")
def predict(request):
    started = time.perf_counter()
    try:
        image_bytes, source, claimed_type = _read_image(request)
    except ApiError as exc:
        outcome = OUTCOME_BY_STATUS.get(exc.status, Outcome.INVALID)
        logs.prediction(outcome=outcome, user_id=request.user.pk, started=started)
        return json_error(str(exc), exc.status)
    try:
        submission = services.submission_create(
            user=request.user, image_bytes=image_bytes, source=source, content_type=claimed_type
        )
    except services.PredictionRateLimited as exc:
        retry_after = throttling.retry_after_header(exc.retry_after)
        return json_error(str(exc), 429, headers={"Retry-After": retry_after})
    except services.SubmissionError as exc:
        return json_error(str(exc), STATUS_BY_REASON[exc.reason])
    except serving.ModelUnavailable:
        retry_after = str(round(serving.RETRY_AFTER_SECONDS))
        return json_error(serving.UNAVAILABLE_MESSAGE, 503, headers={"Retry-After": retry_after})
    location = reverse("recognizer:detail", args=[submission.pk])
    return JsonResponse(submission_json(submission), status=201, headers={"Location": location})


def submission_json(submission: Submission) -> dict:
    return {
        "id": submission.pk,
        "digit": submission.digit,
        "confidence": submission.confidence,
        "probabilities": submission.probabilities,
        "model_version": submission.model_version.version,
        "created": submission.created_at.isoformat(),
        "model_input": "data:image/png;base64," + base64.b64encode(bytes(submission.model_input)).decode("ascii"),
        "url": reverse("recognizer:detail", args=[submission.pk]),
        "thumbnail_url": reverse("recognizer:thumbnail", args=[submission.pk]),
        "correction_url": reverse("api-correction", args=[submission.pk]),
    }


CORRECTION_BODY_HINT = 'Send JSON {"true_digit": 0..9}.'


@signed_in_post(anonymous="Sign in to correct your submissions.", wrong_method="Use POST to send the true digit.")
def correction(request, submission_id: int):
    """Confirm (the predicted digit) or correct (another digit) one's own submission."""
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return json_error(f"The body is not valid JSON. {CORRECTION_BODY_HINT}", 400)
    if not isinstance(payload, dict) or "true_digit" not in payload:
        return json_error(f'Missing the "true_digit" field. {CORRECTION_BODY_HINT}', 400)
    try:
        submission = corrections.submission_correct(
            user=request.user, submission_id=submission_id, true_digit=payload["true_digit"]
        )
    except corrections.InvalidCorrection as exc:
        return json_error(str(exc), 400)
    except Submission.DoesNotExist:
        # Someone else's submission is "not found", never "forbidden": ids reveal nothing.
        return json_error("No such submission.", 404)
    return JsonResponse(correction_json(submission))


def correction_json(submission: Submission) -> dict:
    return {
        "id": submission.pk,
        "digit": submission.digit,
        "true_digit": submission.true_digit,
        "is_correct": submission.is_correct,
        "corrected_at": submission.corrected_at.isoformat() if submission.corrected_at else None,
    }


def _read_image(request) -> tuple[bytes, str, str | None]:
    """The image bytes, the source and the client's claimed content type."""
    if request.content_type == "multipart/form-data":
        return _read_multipart(request)
    if request.content_type == "application/json":
        return _read_json(request)
    raise ApiError(f"Unsupported content type {request.content_type or '(none)'!r}. {HOW_TO_SEND}", 415)


def _read_multipart(request):
    try:
        upload = request.FILES.get("image")
        source = request.POST.get("source") or Submission.Source.UPLOAD
    except RequestDataTooBig as exc:
        raise ApiError(TOO_LARGE_MESSAGE, 413) from exc
    except (MultiPartParserError, SuspiciousOperation) as exc:
        raise ApiError(f"The multipart body could not be read. {HOW_TO_SEND}", 400) from exc
    if upload is None:
        raise ApiError(f'Missing the "image" file field. {HOW_TO_SEND}', 400)
    if upload.size > settings.DIGITS_MAX_UPLOAD_BYTES:
        raise ApiError(TOO_LARGE_MESSAGE, 413)
    return upload.read(), source, upload.content_type


def _read_json(request):
    try:
        body = request.body
    except RequestDataTooBig as exc:
        raise ApiError(TOO_LARGE_MESSAGE, 413) from exc
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(f"The body is not valid JSON. {HOW_TO_SEND}", 400) from exc
    if not isinstance(payload, dict):
        raise ApiError(f"The JSON body must be an object. {HOW_TO_SEND}", 400)
    data_url = payload.get("image")
    if data_url is None:
        raise ApiError(f'Missing the "image" field. {HOW_TO_SEND}', 400)
    if not isinstance(data_url, str):
        raise ApiError('The "image" field must be a string holding a data URL.', 400)
    image_bytes, claimed_type = _decode_data_url(data_url)
    return image_bytes, payload.get("source", Submission.Source.CANVAS), claimed_type


def _decode_data_url(data_url: str) -> tuple[bytes, str | None]:
    match = DATA_URL.match(data_url.strip())
    if match is None:
        raise ApiError('The "image" field must be a data URL like data:image/png;base64,....', 400)
    if not match["base64"]:
        raise ApiError("The data URL must be base64-encoded (data:image/png;base64,...).", 400)
    mime = (match["mime"] or "").lower() or None
    if mime is not None and mime not in imaging.ACCEPTED_MIME_TYPES:
        raise ApiError(f"{mime} is not a supported image type; {FORMATS_HINT}.", 415)
    try:
        image_bytes = base64.b64decode(re.sub(r"\s+", "", match["payload"]), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError("The data URL's base64 is invalid.", 400) from exc
    if not image_bytes:
        raise ApiError("The image is empty.", 400)
    return image_bytes, mime
