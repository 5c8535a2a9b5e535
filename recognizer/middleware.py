"""Request-level guards that run before (or around) any view.

``RequestSizeLimitMiddleware`` refuses oversized requests from their Content-Length,
before anything reads the body. Django's CSRF check reads a multipart body to look for
the form token, so a view's own size check would come after a huge upload had already
been spooled to disk; and a body over DATA_UPLOAD_MAX_MEMORY_SIZE would surface as a
generic 400 instead of a 413.

``DatabaseUnavailableMiddleware`` answers 503 when the database cannot be reached.
"""

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.shortcuts import render

from recognizer import errors
from recognizer.errors import is_api_request, json_error
from recognizer.limits import too_large_message

# Room for the multipart framing and form fields around the file(s).
FORM_OVERHEAD_BYTES = 64 * 1024
LENGTH_REQUIRED_MESSAGE = "Send the request body with a Content-Length header (chunked uploads are not accepted)."


def max_request_bytes(request) -> int:
    if is_api_request(request):
        # One image, possibly base64 in JSON (4/3 larger than the bytes it carries).
        return settings.DIGITS_MAX_UPLOAD_BYTES * 4 // 3 + FORM_OVERHEAD_BYTES
    return settings.DIGITS_MAX_REQUEST_BYTES


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "HTTP_TRANSFER_ENCODING" in request.META and not request.META.get("CONTENT_LENGTH"):
            # A WSGI server hands Django a chunked body with no length, and Django then
            # reads none of it: the view would see an empty request and answer with a
            # misleading "missing field". Say what is wrong instead, reading nothing.
            return _refuse(request, LENGTH_REQUIRED_MESSAGE, 411)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django itself treats a malformed length as an empty body
        limit = max_request_bytes(request)
        if length > limit:
            return _refuse(request, too_large_message(request_bytes=length, upload_form=not is_api_request(request)), 413)
        return self.get_response(request)


def _refuse(request, message: str, status: int):
    if is_api_request(request):
        return json_error(message, status)
    return render(request, f"{status}.html", {"message": message}, status=status)


class DatabaseUnavailableMiddleware:
    """A view that cannot reach the database (down, restarting, out of connections) gets
    a 503 page, or JSON under /api/, instead of a 500 with a traceback in the log per
    request. Errors outside views (a session saved on the way out) reach handler500,
    which answers the same way (``errors.server_error``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            return errors.database_unavailable(request, exception)
        return None
