"""Accuracy of the served model: MNIST test set, and digits people drew on a screen.

    python -m bench.accuracy [--model DIR] [--data mnist.npz] [--pendigits DIR] [--limit N]

Pendigits trajectories are drawn on a real browser canvas (bench/canvas.py: 280x280, 20 px round
brush, black on white), *as written* and *filled*, encoded as PNG and sent through the
same ``Predictor.predict`` as the app. In the same run, the naive way the tutorials use
(the whole canvas resized to 28x28, same model) is scored for comparison.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from bench.canvas import canvas_pngs
from ml.evaluate import evaluate_on_mnist, evaluate_predictions
from ml.pendigits import load_pendigits
from ml.predictor import Predictor

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MODES = ("as_written", "filled")


def naive_input(png: bytes) -> np.ndarray:
    """The tutorials' way: the whole canvas shrunk to 28x28 and inverted."""
    image = ImageOps.invert(Image.open(io.BytesIO(png)).convert("L")).resize((28, 28), Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=np.float32) / 255.0


def score_pendigits(predictor: Predictor, folder: Path, limit: int | None) -> dict:
    digits = load_pendigits(folder)[:limit]
    labels = [digit.label for digit in digits]
    rows = {}
    for mode in MODES:
        pngs, rows["canvas"] = canvas_pngs(digits, mode)
        started = time.perf_counter()
        ours = [predictor.predict(png).digit for png in pngs]
        seconds = time.perf_counter() - started
        naive = predictor.probabilities_for(np.stack([naive_input(png) for png in pngs])).argmax(axis=1)
        rows[mode] = {
            "ours": evaluate_predictions(labels, ours),
            "naive": evaluate_predictions(labels, naive),
            "ms_per_image": 1000 * seconds / len(pngs),
        }
    return rows


def add_accuracy_arguments(parser: argparse.ArgumentParser) -> None:
    """The model, the MNIST file and the drawings an accuracy measurement reads."""
    parser.add_argument("--model", help="model folder (default: the bundled model)")
    parser.add_argument("--data", default=os.environ.get("DIGITS_MNIST_PATH") or str(SHARED / "mnist.npz"))
    parser.add_argument("--pendigits", default=str(SHARED / "pendigits-dev"))
    parser.add_argument("--limit", type=int, help="only the first N pendigits digits")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.accuracy", description=__doc__)
    add_accuracy_arguments(parser)
    args = parser.parse_args(argv)

    predictor = Predictor.load(args.model)
    mnist = evaluate_on_mnist(predictor, args.data)
    pen = score_pendigits(predictor, Path(args.pendigits), args.limit)

    print(f"model {predictor.version} ({predictor.metadata.get('arch')}); drawings rendered by {pen['canvas']}\n")
    print("| set                       |     n | accuracy | naive (canvas resized to 28x28) |")
    print("|---------------------------|------:|---------:|--------------------------------:|")
    print(f"| MNIST test                | {mnist.n:5d} |  {mnist.accuracy:7.2%} |                               - |")
    for mode in MODES:
        row = pen[mode]
        print(
            f"| pendigits, {mode:<14} | {row['ours'].n:5d} |  {row['ours'].accuracy:7.2%} | "
            f"{row['naive'].accuracy:31.2%} |"
        )
    print()
    for mode in MODES:
        per_class = " ".join(f"{d}:{a:.1%}" for d, a in enumerate(pen[mode]["ours"].per_class))
        print(f"pendigits {mode} per digit: {per_class}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
