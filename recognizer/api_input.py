"""Reading ``POST /api/v1/predict``: an image as a multipart file or a JSON data URL, its
source and its mode. Parsing only: the service decides what the image is.

Every refusal is an ``ApiError`` whose message says how to send it right.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http.multipartparser import MultiPartParserError

from recognizer import imaging
from recognizer.api_auth import ApiError
from recognizer.limits import too_large_message
from recognizer.models import Submission

DATA_URL = re.compile(
    r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<parameters>(?:;[\w.+-]+=[^;,]*)*)(?P<base64>;base64)?,(?P<payload>.*)$",
    re.DOTALL | re.IGNORECASE,
)
FORMATS_HINT = "use PNG, JPEG, GIF, BMP, WebP or TIFF"
HOW_TO_SEND = (
    'Send the image as multipart/form-data (a file field named "image") '
    'or as JSON {"image": "data:image/png;base64,..."}.'
)


@dataclass(frozen=True)
class ImageRequest:
    image_bytes: bytes
    source: str
    content_type: str | None  # what the client claimed; the service trusts the bytes
    mode: str


def read_image(request) -> ImageRequest:
    """The image, its source and mode from ``request``; raises ``ApiError``."""
    if request.content_type == "multipart/form-data":
        image_bytes, content_type, fields = _read_multipart(request)
        default_source = Submission.Source.UPLOAD
    elif request.content_type == "application/json":
        image_bytes, content_type, fields = _read_json(request)
        default_source = Submission.Source.CANVAS  # what the draw page sends
    else:
        raise ApiError(f"Unsupported content type {request.content_type or '(none)'!r}. {HOW_TO_SEND}", 415)
    return ImageRequest(
        image_bytes=image_bytes,
        source=fields.get("source") or default_source,
        content_type=content_type,
        # The body's mode wins; ?mode=number suits clients that cannot add a field.
        mode=_mode(fields.get("mode") or request.GET.get("mode") or Submission.Mode.DIGIT),
    )


def _mode(value) -> str:
    if value not in Submission.Mode.values:
        shown = value if isinstance(value, str) else json.dumps(value)
        raise ApiError(f"Unknown mode {shown[:40]!r}: use digit (one digit) or number (several digits).", 400)
    return value


def _read_multipart(request) -> tuple[bytes, str | None, dict]:
    try:
        upload = request.FILES.get("image")
        fields = {"source": request.POST.get("source"), "mode": request.POST.get("mode")}
    except RequestDataTooBig as exc:
        raise ApiError(too_large_message(), 413) from exc
    except (MultiPartParserError, SuspiciousOperation) as exc:
        raise ApiError(f"The multipart body could not be read. {HOW_TO_SEND}", 400) from exc
    if upload is None:
        raise ApiError(f'Missing the "image" file field. {HOW_TO_SEND}', 400)
    if upload.size > settings.DIGITS_MAX_UPLOAD_BYTES:
        raise ApiError(too_large_message(image_bytes=upload.size), 413)
    return upload.read(), upload.content_type, fields


def _read_json(request) -> tuple[bytes, str | None, dict]:
    try:
        body = request.body
    except RequestDataTooBig as exc:
        raise ApiError(too_large_message(), 413) from exc
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
    image_bytes, content_type = _decode_data_url(data_url)
    return image_bytes, content_type, {"source": payload.get("source"), "mode": payload.get("mode")}


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
