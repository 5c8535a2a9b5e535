"""How the API answers, whatever the endpoint: ``DigitsApi``, a django-ninja ``NinjaAPI``
whose every failure is JSON ``{"error": "..."}`` (never ninja's ``{"detail": ...}``, never
a traceback), whose wrong methods are a JSON 405 after the login check, and whose times
keep their microseconds. The endpoints are in ``recognizer.api``."""

from __future__ import annotations

from datetime import datetime

from django.http import Http404, HttpRequest
from django.http.request import RawPostDataException
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from recognizer.api_auth import NOT_SIGNED_IN_MESSAGE, WWW_AUTHENTICATE, ApiError, Refused
from recognizer.api_schemas import Error
from recognizer.errors import json_error
from recognizer.models import Submission

NO_SUCH_SUBMISSION = "No such submission."
NOT_JSON_MESSAGE = "The body is not valid JSON: send it as application/json."
EVERY_METHOD = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# Error answers any endpoint may give, for the schema.
COMMON_ERRORS = frozenset({400, 401, 403, 404, 405, 503})


def errors_and(responses: dict, *statuses: int) -> dict:
    """``responses`` plus the error answers, common and ``statuses``, for the schema."""
    return {**responses, COMMON_ERRORS | frozenset(statuses): Error}


class ExactTimesEncoder(NinjaJSONEncoder):
    """Times as stored, to the microsecond, not cut to milliseconds as DjangoJSONEncoder
    does for JavaScript: a client can compare them exactly with times it read before."""

    def default(self, o):
        if isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


class ExactTimesRenderer(JSONRenderer):
    encoder_class = ExactTimesEncoder


class DigitsApi(NinjaAPI):
    def __init__(self, **options):
        super().__init__(renderer=ExactTimesRenderer(), **options)

    def get_content_type(self) -> str:
        # JSON is UTF-8 by definition and application/json defines no charset (RFC 8259):
        # the same header as the error answers (JsonResponse).
        return "application/json"

    def set_default_exception_handlers(self) -> None:
        # Called by NinjaAPI.__init__ in place of ninja's own handlers.
        for exception, handler in EXCEPTION_HANDLERS.items():
            self.add_exception_handler(exception, handler)

    def refuse_other_methods(self, name: str, path: str, allowed: tuple[str, ...]) -> None:
        """JSON 405 with Allow for the methods ``path`` does not take. A hidden endpoint of
        its own rather than ninja's plain-text 405, so that auth runs first: an anonymous
        caller learns nothing about an endpoint but that it needs a login (401)."""

        def method_not_allowed(request: HttpRequest):
            raise ApiError(f"Use {' or '.join(allowed)} here.", 405, headers={"Allow": ", ".join(allowed)})

        def method_not_allowed_on_submission(request: HttpRequest, submission_id: int):
            return method_not_allowed(request)  # (ninja wants the path's parameter declared)

        methods = [method for method in EVERY_METHOD if method not in allowed]
        handler = method_not_allowed_on_submission if "{int:submission_id}" in path else method_not_allowed
        self.api_operation(methods, path, include_in_schema=False, url_name=f"{name}-not-allowed")(handler)


# --- Errors ------------------------------------------------------------------------------


def _api_error(request, exc: ApiError):
    return json_error(str(exc), exc.status, headers=exc.headers)


def _refused(request, exc: Refused):
    return exc.response


def _not_signed_in(request, exc):
    return json_error(NOT_SIGNED_IN_MESSAGE, 401, headers={"WWW-Authenticate": WWW_AUTHENTICATE})


def _http_error(request, exc: HttpError):
    message = str(exc)
    if message.startswith("Cannot parse request body"):  # ninja's words for a body that is not JSON
        message = NOT_JSON_MESSAGE
    return json_error(message, exc.status_code)


def _invalid(request, exc: ValidationError):
    """ninja's list of pydantic errors as one sentence: "page_size: Input should be less
    than or equal to 100." """
    problems = []
    for error in exc.errors:
        where = ".".join(str(part) for part in error["loc"][1:] if part != "payload")
        problems.append(f"{where}: {error['msg']}" if where else error["msg"])
    return json_error("; ".join(problems) + ".", 400)


def _no_such_submission(request, exc):
    # Someone else's submission too: ids reveal nothing.
    return json_error(NO_SUCH_SUBMISSION, 404)


def _not_found(request, exc):
    return json_error("Not found.", 404)


def _body_already_read(request, exc):
    # A form body, already parsed by the session's CSRF check, where JSON was expected.
    return json_error(NOT_JSON_MESSAGE, 415)


def _unexpected(request, exc: Exception):
    """Anything else is Django's to answer: an unreachable database becomes the 503 of
    DatabaseUnavailableMiddleware, an oversized body errors.bad_request's 413, a bug the
    logged JSON 500 of errors.server_error."""
    raise exc


# ninja looks a handler up along the exception's MRO, so the most specific one wins.
EXCEPTION_HANDLERS = {
    ApiError: _api_error,
    Refused: _refused,
    AuthenticationError: _not_signed_in,
    HttpError: _http_error,
    ValidationError: _invalid,
    Submission.DoesNotExist: _no_such_submission,
    Http404: _not_found,
    RawPostDataException: _body_already_read,
    Exception: _unexpected,
}
