"""Serving: a trained model answering images, through the LiteRT interpreter.

A web worker imports this and never TensorFlow: the LiteRT interpreter runs the small
CNN in a few hundredths of a millisecond in a process of ~60 MB, where Keras's
``model.predict`` needs ~40 ms and ~550 MB. ``preprocess -> infer -> postprocess`` are
three small steps behind ``predict``.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ml.artifacts import Artifact, ArtifactError, load_artifact
from ml.preprocess import ImageSource, preprocess
from ml.second_look import second_look
from ml.segment import read_number

# The batch interpreter's fixed size; a last, shorter batch is zero-padded. XNNPACK gains
# nothing per image from larger batches, and past 32 the activations outgrow the caches:
# MNIST test through batches of 32 took 0.20 ms an image against 0.25 in batches of 256,
# and a 1000-input call grew the process by 9 MB instead of 38 (README, ninth session).
BATCH = 32
# A number's digits are a handful: padding them to 32 would cost several times the work,
# so up to SMALL_BATCHES chunks go through an interpreter of SMALL_BATCH instead.
SMALL_BATCH = 8
SMALL_BATCHES = 8


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


def _interpreter(model_path: Path, batch: int):
    from ai_edge_litert.interpreter import Interpreter

    # One thread: requests run in parallel across workers, and a 28x28 CNN gains nothing
    # from splitting one inference.
    interpreter = Interpreter(model_path=str(model_path), num_threads=1)
    input_detail = interpreter.get_input_details()[0]
    if tuple(input_detail["shape"][1:]) != (28, 28, 1):
        raise ArtifactError(f"{model_path} expects input {input_detail['shape']}, not (n, 28, 28, 1)")
    if batch != input_detail["shape"][0]:
        interpreter.resize_tensor_input(input_detail["index"], [batch, 28, 28, 1], strict=True)
    interpreter.allocate_tensors()
    return interpreter, input_detail["index"], interpreter.get_output_details()[0]["index"]


class Predictor:
    """One loaded model. Thread-safe: each interpreter is used under its own lock."""

    def __init__(self, artifact: Artifact):
        self.artifact = artifact
        try:
            self._single = _interpreter(artifact.tflite_path, 1)
        except ValueError as exc:  # LiteRT's word for a file that is not a model
            raise ArtifactError(f"{artifact.tflite_path} is not a valid LiteRT model ({exc})") from exc
        self._single_lock = threading.Lock()
        # Batch interpreters by size, made on first use: most processes never need them.
        self._batches: dict[int, tuple] = {}
        self._batches_lock = threading.Lock()

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> Predictor:
        """Load a model folder (None: the bundled model). Raises ``ArtifactError``."""
        return cls(load_artifact(path))

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
        recognized in one batched inference. Raises what ``predict`` raises, and
        ``TooManyDigitsError`` past ``ml.segment.MAX_DIGITS``."""
        digits = []
        for piece, probabilities in read_number(image, self.probabilities_for):
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
        model_inputs = np.asarray(model_inputs, dtype=np.float32).reshape(-1, 28, 28, 1)
        if len(model_inputs) <= 4:
            return np.stack([self._infer_one(x) for x in model_inputs]) if len(model_inputs) else np.zeros((0, 10))
        size = SMALL_BATCH if len(model_inputs) <= SMALL_BATCH * SMALL_BATCHES else BATCH
        (interpreter, input_index, output_index), lock = self._batch_interpreter(size)
        chunks = []
        with lock:
            for start in range(0, len(model_inputs), size):
                chunk = model_inputs[start : start + size]
                padded = np.zeros((size, 28, 28, 1), dtype=np.float32)
                padded[: len(chunk)] = chunk
                interpreter.set_tensor(input_index, padded)
                interpreter.invoke()
                chunks.append(interpreter.get_tensor(output_index)[: len(chunk)].copy())
        return np.concatenate(chunks)

    def _batch_interpreter(self, size: int) -> tuple[tuple, threading.Lock]:
        with self._batches_lock:
            if size not in self._batches:
                self._batches[size] = (_interpreter(self.artifact.tflite_path, size), threading.Lock())
            return self._batches[size]

    def _infer_one(self, model_input: np.ndarray) -> np.ndarray:
        interpreter, input_index, output_index = self._single
        with self._single_lock:
            interpreter.set_tensor(input_index, model_input.reshape(1, 28, 28, 1).astype(np.float32, copy=False))
            interpreter.invoke()
            return interpreter.get_tensor(output_index)[0].copy()

    @staticmethod
    def _prediction(model_input: np.ndarray, probabilities: np.ndarray) -> Prediction:
        digit = int(probabilities.argmax())
        return Prediction(
            digit=digit,
            confidence=float(probabilities[digit]),
            probabilities=[float(p) for p in probabilities],
            model_input=model_input.reshape(28, 28),
        )
