"""Error answers: JSON for the API (its clients parse JSON), Django's pages elsewhere."""

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import render
from django.views import csrf, defaults

API_PREFIX = "/api/"


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
            return json_error("The request is too large.", 413)
        return render(request, "413.html", {"message": "The request is too large."}, status=413)
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


def server_error(request):
    if is_api_request(request):
        return json_error("Something went wrong on our side; please try again.", 500)
    return defaults.server_error(request)
