"""Serving: a trained model answering images, through the LiteRT interpreter.

A web worker imports this and never TensorFlow: the LiteRT interpreter runs the small
CNN in a few hundredths of a millisecond in a process of ~60 MB, where Keras's
``model.predict`` needs ~40 ms and ~550 MB. ``preprocess -> infer -> postprocess`` are
three small steps behind ``predict``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ml.artifacts import Artifact, ArtifactError, load_artifact
from ml.judge import OneDigitJudge
from ml.litert import LiteRTModel
from ml.preprocess import ImageSource, preprocess
from ml.second_look import second_look
from ml.segment import read_number

@dataclass(frozen=True)
class Prediction:
    digit: int
    confidence: float
    probabilities: list[float]  # ten floats, summing to 1
    model_input: np.ndarray  # (28, 28) float32 0..1: what the model saw


@dataclass(frozen=True)
class NumberDigit:
    digit: int
    confidence: float
    probabilities: list[float]  # ten floats
    model_input: np.ndarray  # (28, 28) float32 0..1
    box: tuple[float, float, float, float]  # left, top, width, height: fractions (0..1) of the image


@dataclass(frozen=True)
class NumberPrediction:
    number: str  # e.g. "2026"
    confidence: float  # the product of the digits' confidences: how sure of the whole number
    digits: list[NumberDigit]  # left to right


class Predictor:
    """One loaded digit model, and the one-digit judge that helps it read numbers.
    Thread-safe, as ``LiteRTModel`` is."""

    def __init__(self, artifact: Artifact, judge: OneDigitJudge | None = None):
        self.artifact = artifact
        self._model = LiteRTModel(artifact.tflite_path)
        if self._model.outputs != 10:
            raise ArtifactError(f"{artifact.tflite_path} gives {self._model.outputs} outputs, not ten digits' probabilities")
        self.judge = judge  # None: touching digits are cut by confidence alone (``ml.cutting``)

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, *, judge: str | os.PathLike | None = None) -> Predictor:
        """Load a model folder (None: the bundled model) and a judge folder (None: the
        bundled judge). Raises ``ArtifactError``."""
        return cls(load_artifact(path), OneDigitJudge.load(judge))

    @property
    def version(self) -> str:
        return self.artifact.version

    @property
    def metadata(self) -> dict:
        return self.artifact.metadata

    def predict(self, image: ImageSource) -> Prediction:
        """Any accepted image (bytes, path or PIL image) -> its digit and probabilities."""
        model_input = preprocess(image)
        probabilities = second_look(model_input, self._infer_one(model_input)[None], self._infer)[0]
        return self._prediction(model_input, probabilities)

    def predict_number(self, image: ImageSource) -> NumberPrediction:
        """An image of a whole number -> its digits, left to right (``ml.segment``), all
        recognized in one batched inference (and one of the judge's, if a group was cut).
        Raises what ``predict`` raises, and ``TooManyDigitsError`` past
        ``ml.segment.MAX_DIGITS``."""
        digits = []
        one_digit_for = self.judge.one_digit_for if self.judge is not None else None
        for piece, probabilities in read_number(image, self.probabilities_for, one_digit_for):
            found = self._prediction(piece.model_input, probabilities)
            digits.append(NumberDigit(found.digit, found.confidence, found.probabilities, found.model_input, piece.box))
        return NumberPrediction(
            number="".join(str(digit.digit) for digit in digits),
            confidence=float(np.prod([digit.confidence for digit in digits])),
            digits=digits,
        )

    def predict_batch(self, images) -> list[Prediction]:
        """Many images at once; raises ``PreprocessError`` on the first bad one."""
        model_inputs = np.stack([preprocess(image) for image in images]) if images else np.zeros((0, 28, 28))
        probabilities = self.probabilities_for(model_inputs)
        return [self._prediction(x, p) for x, p in zip(model_inputs, probabilities, strict=True)]

    def probabilities_for(self, model_inputs: np.ndarray, *, look_again: bool = True) -> np.ndarray:
        """(n, 28, 28) model inputs -> (n, 10) probabilities, unsure ones given a second
        look (``ml.second_look``) unless ``look_again`` is False."""
        probabilities = self._infer(model_inputs)
        return second_look(model_inputs, probabilities, self._infer) if look_again else probabilities

    def _infer(self, model_inputs: np.ndarray) -> np.ndarray:
        """(n, 28, 28) model inputs -> (n, 10) probabilities: the model alone."""
        return self._model.infer(model_inputs)

    def _infer_one(self, model_input: np.ndarray) -> np.ndarray:
        return self._model.infer_one(model_input)

    @staticmethod
    def _prediction(model_input: np.ndarray, probabilities: np.ndarray) -> Prediction:
        digit = int(probabilities.argmax())
        return Prediction(
            digit=digit,
            confidence=float(probabilities[digit]),
            probabilities=[float(p) for p in probabilities],
            model_input=model_input.reshape(28, 28),
        )
