"""Refuse oversized requests from their Content-Length, before anything reads the body.

Django's CSRF check reads a multipart body to look for the form token, so a view's own
size check would come after a huge upload had already been spooled to disk; and a body
over DATA_UPLOAD_MAX_MEMORY_SIZE would surface as a generic 400 instead of a 413.
"""

from django.conf import settings
from django.shortcuts import render

from recognizer.errors import is_api_request, json_error

# Room for the multipart framing and form fields around the file(s).
FORM_OVERHEAD_BYTES = 64 * 1024


def max_request_bytes(request) -> int:
    if is_api_request(request):
        # One image, possibly base64 in JSON (4/3 larger than the bytes it carries).
        return settings.DIGITS_MAX_UPLOAD_BYTES * 4 // 3 + FORM_OVERHEAD_BYTES
    return settings.DIGITS_MAX_REQUEST_BYTES


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django itself treats a malformed length as an empty body
        limit = max_request_bytes(request)
        if length > limit:
            message = f"The request is too large: {length / 1_048_576:.1f} MB, the limit is {limit / 1_048_576:.0f} MB."
            if is_api_request(request):
                return json_error(message, 413)
            return render(request, "413.html", {"message": message}, status=413)
        return self.get_response(request)
