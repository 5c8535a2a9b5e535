"""The tutorials' way, as a WSGI app for the load benchmark's baseline (bench/load.py).

    gunicorn -c gunicorn.conf.py bench.baseline_keras:application

Each worker loads the bundled ``model.keras`` with Keras once, at import; a POST with a
multipart "image" field is decoded with Pillow, the whole image resized to 28x28
(the naive way), inverted to MNIST's white-on-black and given to ``model.predict``;
the answer is JSON. Anything else (GET) says which process answered, which the
benchmark uses to see both workers up. No Django, no sign-in, no database: the
baseline does less work per request than the app, so the comparison flatters it.
"""

from __future__ import annotations

import io
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from ml.artifacts import load_artifact  # noqa: E402

MODEL = keras.models.load_model(load_artifact(os.environ.get("DIGITS_MODEL_DIR") or None).keras_path)
MODEL.predict(np.zeros((1, 28, 28, 1), np.float32), verbose=0)  # build the predict function


def multipart_file(body: bytes, content_type: str, field: str = "image") -> bytes | None:
    """The bytes of the named field of a multipart/form-data body, or None."""
    parameters = [part.strip() for part in content_type.split(";")]
    boundary = next((part[9:].strip('"') for part in parameters if part.startswith("boundary=")), None)
    if not boundary:
        return None
    for part in body.split(b"--" + boundary.encode("latin-1")):
        head, separator, content = part.partition(b"\r\n\r\n")
        if separator and f'name="{field}"'.encode() in head:
            return content[:-2] if content.endswith(b"\r\n") else content
    return None


def predict(image_bytes: bytes) -> dict:
    image = Image.open(io.BytesIO(image_bytes)).convert("L").resize((28, 28))
    pixels = 1.0 - np.asarray(image, np.float32) / 255.0  # white-on-black, like MNIST
    probabilities = MODEL.predict(pixels[None, ..., None], verbose=0)[0]
    digit = int(np.argmax(probabilities))
    return {"digit": digit, "confidence": float(probabilities[digit])}


def application(environ, start_response):
    def answer(status: str, payload: dict):
        body = json.dumps(payload).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    if environ["REQUEST_METHOD"] != "POST":
        return answer("200 OK", {"pid": os.getpid()})
    length = int(environ.get("CONTENT_LENGTH") or 0)
    image_bytes = multipart_file(environ["wsgi.input"].read(length), environ.get("CONTENT_TYPE", ""))
    if not image_bytes:
        return answer("400 Bad Request", {"error": 'Send a multipart "image" field.'})
    try:
        return answer("200 OK", predict(image_bytes))
    except OSError as exc:  # Pillow cannot read it
        return answer("400 Bad Request", {"error": str(exc)})
