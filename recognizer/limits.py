"""The size limits on what people send, in the words they are told when they pass one.

The limit a person chooses by is the image's (DIGITS_MAX_UPLOAD_BYTES, settings.py);
the request around it may weigh more (base64 in JSON is a third larger, and an upload
form holds several images) and has limits of its own, but a refusal always names the
image's. Used by the request guard (``middleware``), the API's reader (``api_input``),
the error views and the submission service alike, so that they never disagree.
"""

from django.conf import settings

MEGABYTE = 1_048_576


def image_limit() -> str:
    """The image size limit as people read it: "10 MB"."""
    return f"{settings.DIGITS_MAX_UPLOAD_BYTES / MEGABYTE:.0f} MB"


def too_large_message(*, image_bytes: int | None = None, request_bytes: int | None = None, upload_form: bool = False) -> str:
    """What a person is told when what they sent is over a size limit: the image's size
    when it is known, else the request's (``upload_form``: the upload page's form, which
    holds several images), else nothing; and always the image's limit."""
    limit = image_limit()
    if image_bytes is not None:
        return f"The image is too large: {image_bytes / MEGABYTE:.1f} MB; the limit is {limit}."
    if request_bytes is None:  # a body streamed with no length, cut off at the limit
        return f"The request is too large: an image may be at most {limit}."
    if upload_form:
        return (
            f"The upload is too large: {request_bytes / MEGABYTE:.1f} MB in all; at most "
            f"{settings.DIGITS_MAX_REQUEST_BYTES / MEGABYTE:.0f} MB at a time, and {limit} per image."
        )
    return f"The request is too large: {request_bytes / MEGABYTE:.1f} MB; an image may be at most {limit}."
