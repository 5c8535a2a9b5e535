"""Speed and memory of serving, against Keras ``model.predict`` on the same model.

    python -m bench.latency [--model DIR] [--n 300]

Times one 280x280 canvas PNG through preprocessing and inference, inference alone, a
batch, and decoding alone (libspng, as served, against Pillow), and counts how often the
second look (``ml.second_look``) was taken; then the resident memory of a fresh process
that has loaded the predictor (and not TensorFlow) and of one that has loaded the Keras
model. Medians: these machines are noisy. Keras is measured last, in the same run, so the
ratio compares like with like.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import time

import numpy as np
from PIL import Image

from bench import machine
from bench.accuracy import SHARED
from bench.canvas import canvas_pngs
from ml.decode import decode_image
from ml.pendigits import load_pendigits
from ml.predictor import Predictor
from ml.preprocess import preprocess
from ml.second_look import unsure

RSS_PROBE = """
import sys
{load}
with open('/proc/self/status') as status:
    rss = next(int(line.split()[1]) for line in status if line.startswith('VmRSS'))
tf = any(name == 'tensorflow' or name.startswith('tensorflow.') for name in sys.modules)
print(rss / 1024, tf)
"""
LOAD_PREDICTOR = (
    "import io; from ml.predictor import Predictor; from ml.pendigits import load_pendigits, render;"
    "p = Predictor.load({model!r}); d = load_pendigits({pendigits!r})[:20];"
    "[p.predict(render(x)) for x in d]"
)
LOAD_KERAS = (
    "import os; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'; import keras, numpy as np;"
    "from ml.artifacts import load_artifact; m = keras.models.load_model(load_artifact({model!r}).keras_path);"
    "[m.predict(np.zeros((1, 28, 28, 1), np.float32), verbose=0) for _ in range(20)]"
)


def timed(function, items) -> list[float]:
    times = []
    for item in items:
        started = time.perf_counter()
        function(item)
        times.append((time.perf_counter() - started) * 1000)
    return times


def rss_mb(load: str) -> tuple[float, bool]:
    out = subprocess.run([sys.executable, "-c", RSS_PROBE.format(load=load)], capture_output=True, text=True, check=True)
    rss, tf = out.stdout.split()[-2:]
    return float(rss), tf == "True"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__)
    parser.add_argument("--model", help="model folder (default: the bundled model)")
    parser.add_argument("--n", type=int, default=300, help="canvas drawings to time")
    args = parser.parse_args(argv)

    pendigits = str(SHARED / "pendigits-dev")
    predictor = Predictor.load(args.model)
    pngs, canvas = canvas_pngs(load_pendigits(pendigits)[: args.n], "as_written")
    inputs = np.stack([preprocess(png) for png in pngs])
    for png in pngs[:20]:  # warm up caches and the interpreter
        predictor.predict(png)

    full = timed(predictor.predict, pngs * 3)
    prep = timed(preprocess, pngs * 3)
    decode = timed(decode_image, pngs * 3)
    decode_pillow = timed(lambda png: Image.open(io.BytesIO(png)).load(), pngs * 3)
    infer = timed(lambda x: predictor.probabilities_for(x[None]), list(inputs) * 10)
    model_alone = timed(lambda x: predictor.probabilities_for(x[None], look_again=False), list(inputs) * 10)
    looked_again = len(unsure(predictor.probabilities_for(inputs, look_again=False))) / len(inputs)
    started = time.perf_counter()
    predictor.probabilities_for(np.repeat(inputs, 10, axis=0))
    batch_per_image = (time.perf_counter() - started) * 1000 / (len(inputs) * 10)
    lite_rss, lite_tf = rss_mb(LOAD_PREDICTOR.format(model=args.model, pendigits=pendigits))

    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    model = keras.models.load_model(predictor.artifact.keras_path)
    model.predict(inputs[:1, ..., None], verbose=0)
    keras_infer = timed(lambda x: model.predict(x[None, ..., None], verbose=0), list(inputs[:100]))
    keras_call = timed(lambda x: model(x[None, ..., None], training=False), list(inputs[:100]))
    keras_full = timed(lambda png: model.predict(preprocess(png)[None, ..., None], verbose=0), pngs[:100])
    keras_rss, _ = rss_mb(LOAD_KERAS.format(model=args.model))

    def median(values):
        return statistics.median(values)

    print(f"model {predictor.version}; {len(pngs)} canvas PNGs (280x280, drawn by {canvas}); medians in ms; "
          f"{machine()}\n")
    print("| step                                  |   LiteRT | Keras model.predict | ratio |")
    print("|---------------------------------------|---------:|--------------------:|------:|")

    def row(label: str, lite: float | None, keras_value: float | None, digits: int = 3) -> None:
        cells = [f"{lite:.{digits}f}" if lite is not None else "-", f"{keras_value:.3f}" if keras_value is not None else "-"]
        ratio = f"{keras_value / lite:.0f}x" if lite and keras_value else "-"
        print(f"| {label:<37} | {cells[0]:>8} | {cells[1]:>19} | {ratio:>5} |")

    row("preprocess + inference, one canvas", median(full), median(keras_full))
    row("inference alone, one image", median(infer), median(keras_infer), digits=4)
    row("  the model once, no second look", median(model_alone), None, digits=4)
    row("inference, Keras direct model() call", None, median(keras_call))
    row("preprocess alone", median(prep), None)
    row(f"batch of {len(inputs) * 10}, per image", batch_per_image, None, digits=4)
    print(f"| {'process RSS after loading, MB':<37} | {lite_rss:8.0f} | {keras_rss:19.0f} | {keras_rss / lite_rss:4.1f}x |")
    print(
        f"\npreprocess + inference: mean {np.mean(full):.3f} ms, p95 {np.percentile(full, 95):.3f} ms; "
        f"inference mean {np.mean(infer):.4f} ms; second look taken for {looked_again:.1%} of the drawings; "
        f"TensorFlow imported by the LiteRT process: {lite_tf}"
    )
    print(
        f"decoding one canvas PNG: {median(decode):.3f} ms (libspng, ml.decode), "
        f"{median(decode_pillow):.3f} ms with Pillow ({median(decode_pillow) / median(decode):.1f}x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
