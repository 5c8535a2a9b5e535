"""The JSON API for programs and for the site's own pages, mounted at ``/api/v1/``.

One django-ninja ``NinjaAPI``: every endpoint takes a personal token
(``Authorization: Bearer ...``) or the browser session (with the CSRF token for writes,
see ``api_auth``), and its OpenAPI schema and interactive docs come from the same code
(``/api/v1/openapi.json``, ``/api/v1/docs``). Handlers are thin: parse, call a service
or selector, answer. Every failure is JSON ``{"error": "..."}`` with a status that says
whose fault it is; another user's submission is "not found", never "forbidden".
"""

from __future__ import annotations

import time

from django.core.paginator import EmptyPage, Paginator
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Query
from ninja.responses import Status

from recognizer import api_input, corrections, imaging, logs, selectors, serving, services, throttling
from recognizer.api_auth import ApiError, BearerToken, SessionWithCsrf
from recognizer.api_base import DigitsApi, errors_and
from recognizer.api_schemas import (
    IMAGE_OPENAPI,
    PREDICT_OPENAPI,
    CorrectionIn,
    CorrectionOut,
    PredictionOut,
    SubmissionFilters,
    SubmissionOut,
    SubmissionPage,
    correction_json,
    prediction_json,
    submission_json,
)
from recognizer.logs import Outcome

STATUS_BY_REASON = {
    services.SubmissionError.BLANK: 400,
    services.SubmissionError.INVALID: 400,
    services.SubmissionError.UNSUPPORTED: 415,
    services.SubmissionError.TOO_LARGE: 413,
    services.SubmissionError.RATE_LIMITED: 429,
}
# For the log line of a request refused before it reached the service.
OUTCOME_BY_STATUS = {400: Outcome.INVALID, 413: Outcome.TOO_LARGE, 415: Outcome.UNSUPPORTED}
# Stored images never change under their URL, but they are personal: browsers may keep
# them, shared caches may not.
PRIVATE_IMAGE_CACHE = "private, max-age=86400"

DESCRIPTION = """Recognize handwritten digits and numbers, and read, correct or delete your own
submissions.

**Authentication.** Create a personal token on [your tokens page](/account/tokens/) and send it
as `Authorization: Bearer <token>`. In a browser signed in to this site the session works
too (writes need the `X-CSRFToken` header, which this page adds for you).

**Errors** are JSON `{"error": "..."}`: 400 bad input, 401 no or bad credentials, 403 CSRF,
404 not found (someone else's submission too), 405 wrong method, 411 no Content-Length,
413 too large, 415 unsupported type, 429 over the rate limit (see `Retry-After`), 503 no model
or no database (see `Retry-After`).
"""

api = DigitsApi(
    title="Digits API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[BearerToken(), SessionWithCsrf()],
)


# --- Endpoints ---------------------------------------------------------------------------


@api.post(
    "/predict",
    response=errors_and({201: PredictionOut}, 411, 413, 415, 429, 503),
    url_name="predict",
    summary="Recognize an image",
    tags=["Recognition"],
    openapi_extra=PREDICT_OPENAPI,
)
def predict(request: HttpRequest, response: HttpResponse):
    """Recognize one image (a digit, or with mode=number a whole number) and store it in
    your history. Multipart (a file field `image`) or JSON (`image` as a data URL).
    Counts against your prediction rate, whether you use a token or the site."""
    user = request.auth
    started = time.perf_counter()
    try:
        image = api_input.read_image(request)
    except ApiError as exc:
        logs.prediction(outcome=OUTCOME_BY_STATUS.get(exc.status, Outcome.INVALID), user_id=user.pk, started=started)
        raise
    try:
        submission = services.submission_create(
            user=user,
            image_bytes=image.image_bytes,
            source=image.source,
            content_type=image.content_type,
            mode=image.mode,
        )
    except services.PredictionRateLimited as exc:
        raise ApiError(str(exc), 429, headers={"Retry-After": throttling.retry_after_header(exc.retry_after)}) from exc
    except services.SubmissionError as exc:
        raise ApiError(str(exc), STATUS_BY_REASON[exc.reason]) from exc
    except serving.ModelUnavailable as exc:
        retry_after = str(round(serving.RETRY_AFTER_SECONDS))
        raise ApiError(serving.UNAVAILABLE_MESSAGE, 503, headers={"Retry-After": retry_after}) from exc
    response["Location"] = reverse("api:submission", args=[submission.pk])
    return Status(201, prediction_json(submission))


@api.get(
    "/submissions",
    response=errors_and({200: SubmissionPage}),
    url_name="submissions",
    summary="List your submissions",
    tags=["Submissions"],
)
def submission_list(request: HttpRequest, filters: Query[SubmissionFilters]):
    """Your submissions, newest first, a page at a time, optionally filtered."""
    criteria = filters.dict(exclude={"page", "page_size"})
    submissions = selectors.submission_list(user=request.auth, with_digits=True, **criteria)
    paginator = Paginator(submissions, filters.page_size)
    try:
        page = paginator.page(filters.page)
    except EmptyPage as exc:
        raise ApiError(f"There is no page {filters.page}: the last is {paginator.num_pages}.", 404) from exc
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "page_size": filters.page_size,
        "next": _page_url(request, page.next_page_number()) if page.has_next() else None,
        "previous": _page_url(request, page.previous_page_number()) if page.has_previous() else None,
        "results": [submission_json(submission) for submission in page.object_list],
    }


@api.get(
    "/submissions/{int:submission_id}",
    response=errors_and({200: SubmissionOut}),
    url_name="submission",
    summary="Get one submission",
    tags=["Submissions"],
)
def submission_detail(request: HttpRequest, submission_id: int):
    return submission_json(selectors.submission_get(user=request.auth, submission_id=submission_id))


@api.delete(
    "/submissions/{int:submission_id}",
    response=errors_and({204: None}),
    url_name="submission_delete",
    summary="Delete one submission",
    tags=["Submissions"],
)
def submission_delete(request: HttpRequest, submission_id: int):
    """Delete a submission and its images for good."""
    services.submission_delete(user=request.auth, submission_id=submission_id)
    return Status(204, None)


@api.post(
    "/submissions/{int:submission_id}/correction",
    response=errors_and({200: CorrectionOut}, 415),
    url_name="correction",
    summary="Confirm or correct a submission",
    tags=["Submissions"],
    exclude_unset=True,
)
def correction(request: HttpRequest, submission_id: int, payload: CorrectionIn):
    """Say what it really was: `{"true_digit": 7}` for a digit, `{"true_number": "2026"}` for
    a number. The predicted answer confirms it; you can change your answer later."""
    answer = payload.dict(exclude_none=True)
    if len(answer) != 1:
        raise ApiError('Send {"true_digit": 0..9} for a digit, or {"true_number": "2026"} for a number.', 400)
    try:
        submission = corrections.submission_correct(user=request.auth, submission_id=submission_id, **answer)
    except corrections.InvalidCorrection as exc:
        raise ApiError(str(exc), 400) from exc
    return correction_json(submission)


@api.get(
    "/submissions/{int:submission_id}/image",
    response=errors_and({200: None}),
    url_name="submission_image",
    summary="The image as sent",
    tags=["Submissions"],
    openapi_extra=IMAGE_OPENAPI,
)
def submission_image(request: HttpRequest, submission_id: int):
    """The original image (one browsers can show: TIFF and BMP come back as PNG)."""
    submission = selectors.submission_get(user=request.auth, submission_id=submission_id, with_images=True)
    content, content_type = imaging.browser_image(
        image_bytes=bytes(submission.image), content_type=submission.image_content_type
    )
    return _private_image(content, content_type)


@api.get(
    "/submissions/{int:submission_id}/input.png",
    response=errors_and({200: None}),
    url_name="submission_model_input",
    summary="What the model saw",
    tags=["Submissions"],
    openapi_extra=IMAGE_OPENAPI,
)
def submission_model_input(request: HttpRequest, submission_id: int):
    """The 28x28 input the model saw, as PNG; for a number, its digits' side by side."""
    submission = selectors.submission_get(user=request.auth, submission_id=submission_id, with_images=True)
    return _private_image(bytes(submission.model_input), "image/png")


def _private_image(content: bytes, content_type: str) -> HttpResponse:
    return HttpResponse(content, content_type=content_type, headers={"Cache-Control": PRIVATE_IMAGE_CACHE})


def _page_url(request: HttpRequest, number: int) -> str:
    query = request.GET.copy()
    query["page"] = str(number)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


# Every other method on these paths: a JSON 405, after the login check.
for _name, _path, _allowed in [
    ("predict", "/predict", ("POST",)),
    ("submissions", "/submissions", ("GET",)),
    ("submission", "/submissions/{int:submission_id}", ("GET", "DELETE")),
    ("correction", "/submissions/{int:submission_id}/correction", ("POST",)),
    ("submission_image", "/submissions/{int:submission_id}/image", ("GET",)),
    ("submission_model_input", "/submissions/{int:submission_id}/input.png", ("GET",)),
]:
    api.refuse_other_methods(_name, _path, _allowed)
