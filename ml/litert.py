"""A LiteRT model file run on (n, 28, 28) inputs, safely from many threads at once.

Both served networks, the digit model (``ml.predictor``) and the one-digit judge
(``ml.judge``), take 28x28 model inputs; this runs either with the LiteRT interpreter,
so a web worker never imports TensorFlow.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from ml.artifacts import ArtifactError

# The batch interpreter's fixed size; a last, shorter batch is zero-padded. XNNPACK gains
# nothing per image from larger batches, and past 32 the activations outgrow the caches:
# MNIST test through batches of 32 took 0.20 ms an image against 0.25 in batches of 256,
# and a 1000-input call grew the process by 9 MB instead of 38 (docs/experiments.md, "On a slower machine").
BATCH = 32
# A number's digits are a handful: padding them to 32 would cost several times the work,
# so up to SMALL_BATCHES chunks go through an interpreter of SMALL_BATCH instead.
SMALL_BATCH = 8
SMALL_BATCHES = 8
ONE_BY_ONE = 4  # this many inputs or fewer go through the single interpreter


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


class LiteRTModel:
    """One ``.tflite`` file. Each interpreter is used under its own lock."""

    def __init__(self, path: Path):
        try:
            self._single = _interpreter(path, 1)
        except ValueError as exc:  # LiteRT's word for a file that is not a model
            raise ArtifactError(f"{path} is not a valid LiteRT model ({exc})") from exc
        self.path = path
        interpreter, _, output_index = self._single
        self.outputs = int(np.prod([*interpreter.get_tensor(output_index).shape[1:]]))
        self._single_lock = threading.Lock()
        # Batch interpreters by size, made on first use: most processes never need them.
        self._batches: dict[int, tuple] = {}
        self._batches_lock = threading.Lock()

    def infer(self, model_inputs: np.ndarray) -> np.ndarray:
        """(n, 28, 28) model inputs -> (n, outputs)."""
        model_inputs = np.asarray(model_inputs, dtype=np.float32).reshape(-1, 28, 28, 1)
        if len(model_inputs) <= ONE_BY_ONE:
            if not len(model_inputs):
                return np.zeros((0, self.outputs), dtype=np.float32)
            return np.stack([self.infer_one(x) for x in model_inputs])
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
                chunks.append(interpreter.get_tensor(output_index)[: len(chunk)].reshape(len(chunk), -1).copy())
        return np.concatenate(chunks)

    def infer_one(self, model_input: np.ndarray) -> np.ndarray:
        """One (28, 28) model input -> (outputs,)."""
        interpreter, input_index, output_index = self._single
        with self._single_lock:
            interpreter.set_tensor(input_index, model_input.reshape(1, 28, 28, 1).astype(np.float32, copy=False))
            interpreter.invoke()
            return interpreter.get_tensor(output_index)[0].reshape(-1).copy()

    def _batch_interpreter(self, size: int) -> tuple[tuple, threading.Lock]:
        with self._batches_lock:
            if size not in self._batches:
                self._batches[size] = (_interpreter(self.path, size), threading.Lock())
            return self._batches[size]
