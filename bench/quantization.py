"""What quantizing the served model would buy and cost, against the float export served now.

    python -m bench.quantization [--model DIR] [--data mnist.npz] [--pendigits DIR] [--limit N]

The bundled model's LiteRT file is float32, so its outputs equal Keras's to 1e-4 (issue 2
asks for that, and tests/ml/test_predictor.py holds it). LiteRT can also store the
weights as 8-bit integers: *dynamic range* (weights int8, activations quantized on the
fly; no calibration) and *full int8* (activations too, calibrated on 500 MNIST training
digits framed as served; float input and output kept, so callers see no difference).
This converts the same Keras model both ways, in this process, and serves each exactly
as ``Predictor`` serves the bundle (upright inputs, the second look), on the same inputs:

- accuracy: MNIST test and the pendigits drawings as written and filled (as
  ``bench.accuracy``);
- how far the outputs stray from Keras's (the largest absolute difference on 1,000 MNIST
  test inputs; the float file is held to 1e-4);
- speed: the model once on one input, and a whole canvas PNG through ``predict``, the
  three files timed in alternating rounds (medians of the rounds' medians) so that a
  machine's drift hits them alike; and the file's size.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import shutil
import statistics
import tempfile
from pathlib import Path

import numpy as np

from bench import machine
from bench.accuracy import MODES, add_accuracy_arguments
from bench.canvas import canvas_pngs
from bench.latency import timed
from ml.artifacts import KERAS_FILE, METADATA_FILE, TFLITE_FILE, load_artifact
from ml.data import load_mnist
from ml.evaluate import evaluate_predictions, evaluate_predictor
from ml.framing import deskew
from ml.pendigits import load_pendigits
from ml.predictor import Predictor

CALIBRATION = 500
ROUNDS = 5


def quantized_exports(keras_path: Path, calibration: np.ndarray) -> dict[str, bytes]:
    """The Keras model's LiteRT file with int8 weights, and with int8 weights and activations."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import tensorflow as tf

    model = keras.models.load_model(keras_path)

    def convert(full: bool) -> bytes:
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if full:
            converter.representative_dataset = lambda: ([x[None, ..., None]] for x in calibration)
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            converter.inference_input_type = converter.inference_output_type = tf.float32
        with contextlib.redirect_stdout(io.StringIO()):
            return converter.convert()

    return {"dynamic range int8": convert(full=False), "full int8": convert(full=True)}


def model_folder(base: Path, tflite: bytes, into: Path, name: str) -> Path:
    """A copy of the model folder ``base`` serving ``tflite`` instead, its hash recorded,
    so ``Predictor`` loads it as it loads any version."""
    folder = into / name.replace(" ", "-")
    folder.mkdir()
    shutil.copy(base / KERAS_FILE, folder / KERAS_FILE)
    (folder / TFLITE_FILE).write_bytes(tflite)
    metadata = json.loads((base / METADATA_FILE).read_text())
    metadata["version"] = f"{metadata['version']}-{folder.name}"
    metadata["files"] = {**metadata["files"], TFLITE_FILE: hashlib.sha256(tflite).hexdigest()}
    (folder / METADATA_FILE).write_text(json.dumps(metadata))
    return folder


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quantization", description=__doc__)
    add_accuracy_arguments(parser)
    args = parser.parse_args(argv)

    base = load_artifact(args.model)
    (x_train, _), (x_test, y_test) = load_mnist(args.data)
    rng = np.random.default_rng(0)
    calibration = deskew(x_train[rng.choice(len(x_train), CALIBRATION, replace=False)].astype(np.float32) / 255.0)
    mnist_inputs = deskew(x_test.astype(np.float32) / 255.0)
    drawings = load_pendigits(args.pendigits)[: args.limit]
    labels = [digit.label for digit in drawings]
    renders = {mode: canvas_pngs(drawings, mode) for mode in MODES}
    timing_pngs = renders["as_written"][0][:300]

    import keras

    keras_outputs = keras.models.load_model(base.keras_path)(mnist_inputs[:1000, ..., None], training=False).numpy()
    with tempfile.TemporaryDirectory(prefix="digits-quantized-") as scratch:
        predictors = {"float32 (served)": Predictor(base)}
        for name, tflite in quantized_exports(base.keras_path, calibration).items():
            predictors[name] = Predictor(load_artifact(model_folder(base.path, tflite, Path(scratch), name)))

        rows = {}
        for name, predictor in predictors.items():
            rows[name] = {
                "kb": predictor.artifact.tflite_path.stat().st_size / 1024,
                "mnist": evaluate_predictor(predictor, mnist_inputs, y_test).accuracy,
                "stray": float(np.abs(predictor.probabilities_for(mnist_inputs[:1000], look_again=False)
                                      - keras_outputs).max()),
                **{mode: evaluate_predictions(labels, [predictor.predict(png).digit for png in pngs]).accuracy
                   for mode, (pngs, _) in renders.items()},
                "once": [], "canvas": [],
            }
        for _ in range(ROUNDS):
            for name, predictor in predictors.items():
                rows[name]["once"].append(statistics.median(timed(
                    lambda x, p=predictor: p.probabilities_for(x[None], look_again=False), list(mnist_inputs[:300]) * 3)))
                rows[name]["canvas"].append(statistics.median(timed(predictor.predict, timing_pngs)))

    print(f"model {base.version}; drawings rendered by {renders['as_written'][1]}; {machine()}\n")
    print("| LiteRT file         | size KB | MNIST test | as written | filled | max |diff| from Keras "
          "| the model once, ms | canvas PNG -> answer, ms |")
    print("|---------------------|--------:|-----------:|-----------:|-------:|-----------------------:"
          "|-------------------:|-------------------------:|")
    served = rows["float32 (served)"]
    for name, row in rows.items():
        once, canvas = statistics.median(row["once"]), statistics.median(row["canvas"])
        once_cell = f"{once:.4f} ({statistics.median(served['once']) / once:.2f}x)"
        canvas_cell = f"{canvas:.3f} ({statistics.median(served['canvas']) / canvas:.2f}x)"
        print(f"| {name:<19} | {row['kb']:7.0f} | {row['mnist']:10.2%} | {row['as_written']:10.2%} "
              f"| {row['filled']:6.2%} | {row['stray']:22.6f} | {once_cell:>18} | {canvas_cell:>24} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
