"""Recognizing image files on disk, in batches: shared by ``python -m ml predict`` and
``manage.py predict``. Nothing is stored; a bad file is a result with an error. Digits
are read in batches of files; whole numbers (``predict_number_files``) one file at a
time, each number's digits in one batch."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ml.preprocess import PreprocessError, decode_image

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"})
BATCH_SIZE = 64


@dataclass(frozen=True)
class FileResult:
    path: str
    prediction: object | None = None  # ml.predictor.Prediction
    error: str | None = None

    def as_record(self) -> dict:
        """The JSON-lines record: path, digit, confidence, probabilities, error."""
        found = self.prediction
        return {
            "path": self.path,
            "digit": None if found is None else int(found.digit),
            "confidence": None if found is None else round(float(found.confidence), 6),
            "probabilities": None if found is None else [round(float(p), 6) for p in found.probabilities],
            "error": self.error,
        }

    def as_json(self) -> str:
        return json.dumps(self.as_record())

    def as_text(self) -> str:
        if self.error is not None:
            return f"{self.path}: error: {self.error}"
        return f"{self.path}: {self.prediction.digit} ({self.prediction.confidence:.1%})"


@dataclass(frozen=True)
class NumberFileResult(FileResult):
    """A file read as a whole number: ``prediction`` is an ml.predictor.NumberPrediction."""

    def as_record(self) -> dict:
        """The JSON-lines record: path, number, confidence, digits (digit, confidence,
        box as [left, top, width, height] fractions of the image) and error."""
        found = self.prediction
        digits = None if found is None else [
            {"digit": d.digit, "confidence": round(d.confidence, 6), "box": [round(v, 6) for v in d.box]}
            for d in found.digits
        ]
        return {
            "path": self.path,
            "number": None if found is None else found.number,
            "confidence": None if found is None else round(found.confidence, 6),
            "digits": digits,
            "error": self.error,
        }

    def as_text(self) -> str:
        if self.error is not None:
            return super().as_text()
        found = self.prediction
        digits = " ".join(f"{digit.digit}:{digit.confidence:.0%}" for digit in found.digits)
        return f"{self.path}: {found.number} ({found.confidence:.1%}; {digits})"


def image_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Each file as given (so a bad one is reported), and the image files under each
    folder, recursively, in a stable (sorted) order."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(
                child for child in path.rglob("*") if child.is_file() and child.suffix.lower() in IMAGE_SUFFIXES
            )
        else:
            yield path


def predict_files(predictor, paths: Iterable[str | os.PathLike], *, batch_size: int = BATCH_SIZE) -> Iterator[FileResult]:
    """Recognize image files ``batch_size`` at a time, in order.

    Each file is decoded alone (so each bad file gets its own error); the good ones go
    through ``predict_batch`` together, much faster than one by one.
    """
    chunk: list[tuple[Path, object]] = []
    for path in image_files(paths):
        try:
            chunk.append((path, decode_image(path)))
        except PreprocessError as exc:
            yield from _predict_chunk(predictor, chunk)
            chunk = []
            yield FileResult(path=str(path), error=str(exc))
            continue
        if len(chunk) >= batch_size:
            yield from _predict_chunk(predictor, chunk)
            chunk = []
    yield from _predict_chunk(predictor, chunk)


def _predict_chunk(predictor, chunk) -> Iterator[FileResult]:
    if not chunk:
        return
    try:
        predictions = predictor.predict_batch([image for _, image in chunk])
    except PreprocessError:
        # One image is unusable (blank, say): find it by going one at a time.
        for path, image in chunk:
            try:
                yield FileResult(path=str(path), prediction=predictor.predict(image))
            except PreprocessError as exc:
                yield FileResult(path=str(path), error=str(exc))
        return
    for (path, _), prediction in zip(chunk, predictions, strict=True):
        yield FileResult(path=str(path), prediction=prediction)


def predict_number_files(predictor, paths: Iterable[str | os.PathLike]) -> Iterator[NumberFileResult]:
    """Read each image file as a whole number, in order; a bad file is a result with an error."""
    for path in image_files(paths):
        try:
            yield NumberFileResult(path=str(path), prediction=predictor.predict_number(path))
        except PreprocessError as exc:
            yield NumberFileResult(path=str(path), error=str(exc))
