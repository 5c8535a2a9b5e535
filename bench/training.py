"""How long retraining the default recipe takes on this machine, in about two minutes.

    python -m bench.training [--data PATH] [--limit N]

Issue 2 asks that retraining the bundle's recipe take at most 20 minutes on a 2-core CPU.
The real figure is the command itself (``python -m ml train``, 12 to 34 minutes on this
project's machines); this benchmark estimates it from its parts, each measured here:

- the augmentation of one epoch of all 60,000 training images (``ml.augment``), sampled a
  block of images at a time as served, against the whole chunk at once (the naive way,
  the same values), in alternating rounds in one process;
- one epoch of ``train()`` itself on the first ``--limit`` images (its second epoch, so
  that TensorFlow's tracing is not counted), less that epoch's augmentation and its
  evaluation on the 10,000 test images, scaled to 60,000 images.

Fifteen epochs of those parts, plus one evaluation each, is the estimate. Medians: these
machines are noisy.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from bench import machine
from bench.accuracy import SHARED
from ml import augment as augmentation
from ml.data import load_mnist
from ml.train import DEFAULT_EPOCHS, DEFAULT_RECIPE, train

ROUNDS = 3
TARGET_MINUTES = 20


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def augment_seconds(images: np.ndarray, labels: np.ndarray, block: int) -> float:
    """One epoch's augmentation, sampling ``block`` images at a time."""
    served = augmentation.BLOCK
    augmentation.BLOCK = block
    try:
        return _seconds(lambda: augmentation.augment(images, np.random.default_rng(0), DEFAULT_RECIPE, labels=labels))
    finally:
        augmentation.BLOCK = served


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.training", description=__doc__)
    parser.add_argument("--data", default=str(SHARED / "mnist.npz"), help="a Keras-layout mnist.npz")
    parser.add_argument("--limit", type=int, default=12_800, help="training images for the timed epochs")
    args = parser.parse_args(argv)

    (x_train, y_train), _ = load_mnist(args.data)
    images = x_train.astype(np.float32) / 255.0
    blocked, whole = [], []
    for _ in range(ROUNDS):
        blocked.append(augment_seconds(images, y_train, augmentation.BLOCK))
        whole.append(augment_seconds(images, y_train, augmentation.CHUNK))
    augment_epoch, naive_epoch = statistics.median(blocked), statistics.median(whole)

    result = train(limit=args.limit, epochs=2, progress=False, data_path=args.data)
    x_test, y_test = result.test_set
    onehot = np.eye(10, dtype=np.float32)[y_test]
    evaluate = statistics.median(
        _seconds(lambda: result.model.evaluate(x_test[..., None], onehot, batch_size=1024, verbose=0)) for _ in range(ROUNDS)
    )
    augment_slice = statistics.median(augment_seconds(images[: args.limit], y_train[: args.limit], augmentation.BLOCK) for _ in range(ROUNDS))
    fit_slice = max(result.history[1]["seconds"] - augment_slice - evaluate, 0.0)
    fit_epoch = fit_slice * len(x_train) / args.limit
    estimate = DEFAULT_EPOCHS * (augment_epoch + fit_epoch + evaluate)
    naive = DEFAULT_EPOCHS * (naive_epoch + fit_epoch + evaluate)

    print(f"the default recipe ({DEFAULT_EPOCHS} epochs, {len(x_train)} images); medians of {ROUNDS} in s; {machine()}\n")
    print("| part                                   |   blocked (served) | whole chunk at once | ratio |")
    print("|----------------------------------------|-------------------:|--------------------:|------:|")
    print(f"| augmentation, one epoch                | {augment_epoch:18.2f} | {naive_epoch:19.2f} | {naive_epoch / augment_epoch:4.1f}x |")
    print(f"| training steps, one epoch (estimated)  | {fit_epoch:18.2f} | {fit_epoch:19.2f} |     - |")
    print(f"| evaluation on the test set, one epoch  | {evaluate:18.2f} | {evaluate:19.2f} |     - |")
    print(f"| the whole run (estimated)              | {estimate:18.0f} | {naive:19.0f} | {naive / estimate:4.2f}x |")
    print(f"\ntraining steps measured on {args.limit} images (train()'s second epoch: {result.history[1]['seconds']:.1f} s); "
          f"estimate {estimate / 60:.1f} min against the {TARGET_MINUTES}-minute target; the real figure: python -m ml train")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
