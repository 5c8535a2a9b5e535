"""Error answers: JSON for the API (its clients parse JSON), Django's pages elsewhere."""

import logging
import sys

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views import csrf, defaults

from recognizer.limits import too_large_message
from recognizer.logs import OncePer

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
DATABASE_UNAVAILABLE_MESSAGE = "The site cannot reach its database right now; please try again in a minute."
DATABASE_RETRY_AFTER_SECONDS = 30
database_outage_log = OncePer(60.0)


def is_api_request(request) -> bool:
    return request.path.startswith(API_PREFIX)


def json_error(message: str, status: int, *, headers: dict | None = None) -> JsonResponse:
    return JsonResponse({"error": message}, status=status, headers=headers)


def csrf_failure(request, reason="", template_name=csrf.CSRF_FAILURE_TEMPLATE_NAME):
    if is_api_request(request):
        return json_error(
            "CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header.", 403
        )
    return csrf.csrf_failure(request, reason=reason, template_name=template_name)


def bad_request(request, exception=None):
    # A form body over DATA_UPLOAD_MAX_MEMORY_SIZE reaches here as a SuspiciousOperation.
    if isinstance(exception, RequestDataTooBig):
        if is_api_request(request):
            return json_error(too_large_message(), 413)
        return render(request, "413.html", {"message": too_large_message()}, status=413)
    if is_api_request(request):
        return json_error("Bad request.", 400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if is_api_request(request):
        return json_error("You do not have permission to do that.", 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if is_api_request(request):
        return json_error("Not found.", 404)
    return defaults.page_not_found(request, exception)


def database_unavailable(request, exception: Exception):
    """503 for a request that could not reach the database; the cause is logged at most
    once a minute per process, not once per failed request."""
    if database_outage_log.due():
        logger.error("The database is unreachable; answering 503 until it is back: %s", exception)
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}
    if is_api_request(request):
        return json_error(DATABASE_UNAVAILABLE_MESSAGE, 503, headers=headers)
    # Rendered without the request: the context processors would ask about the user.
    page = render_to_string("503.html", {"message": DATABASE_UNAVAILABLE_MESSAGE})
    return HttpResponse(page, status=503, headers=headers)


def server_error(request):
    # Django calls this inside its exception handler, so the error is still at hand.
    exception = sys.exc_info()[1]
    if isinstance(exception, (OperationalError, InterfaceError)):
        return database_unavailable(request, exception)
    if is_api_request(request):
        return json_error("Something went wrong on our side; please try again.", 500)
    return defaults.server_error(request)
