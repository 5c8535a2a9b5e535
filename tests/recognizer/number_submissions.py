"""Store number submissions directly (no model), with one SubmissionDigit per digit:
for the statistics, export and account-deletion tests."""

import io

import numpy as np
from PIL import Image

from recognizer import imaging
from recognizer.models import ModelVersion, Submission, SubmissionDigit


def number_submission(*, user, number: str, true_number: str = "", confidence: float = 0.8,
                      source=Submission.Source.UPLOAD, model_version: str = "test-version", **fields) -> Submission:
    version, _ = ModelVersion.objects.get_or_create(version=model_version, defaults={"arch": "cnn"})
    buffer = io.BytesIO()
    Image.new("RGB", (96, 32), "white").save(buffer, format="PNG")
    blank_input = imaging.model_input_png(np.zeros((28, 28), dtype=np.float32))
    submission = Submission.objects.create(
        user=user,
        source=source,
        mode=Submission.Mode.NUMBER,
        number=number,
        true_number=true_number,
        image=buffer.getvalue(),
        image_content_type="image/png",
        model_input=blank_input,
        confidence=confidence ** len(number),
        model_version=version,
        latency_ms=2.0,
        **fields,
    )
    width = 1 / len(number)
    for position, digit in enumerate(number):
        probabilities = [(1 - confidence) / 9] * 10
        probabilities[int(digit)] = confidence
        SubmissionDigit.objects.create(
            submission=submission, position=position, digit=int(digit), confidence=confidence,
            probabilities=probabilities, box=[round(position * width, 4), 0.1, round(width, 4), 0.8],
            model_input=blank_input,
        )
    return submission
