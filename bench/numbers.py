"""Whole numbers: 2 to 6 pendigits drawings side by side, segmented and recognized.

    python -m bench.numbers [--count N] [--seed S] [--model DIR] [--judge DIR] [--pendigits DIR]

Each number is composed on an 840x280 white canvas (the web Number mode's size) from
drawings of the pendigits development set: a random number height, each digit scaled by
its own factor and moved off the baseline a little, random gaps. Every digit is drawn by
bench/canvas.py (Chromium's canvas when there is one: black, round 20 px brush) on its
own 280x280 canvas and the drawings are laid side by side, darkest pixel winning where
they overlap, as strokes do on one canvas (``ml.compose``, which the one-digit judge's
training numbers are laid out by too, from MNIST digits). Two sets, ``--count`` numbers each:

- *separated*: a gap of 6 % to 35 % of the number's height between neighbours' ink;
- *touching*: half the neighbours (at least one pair per number) slid together, gap <= 0,
  until their strokes touch, overlapping by up to half a brush, but never more than half
  the narrower digit into the other's columns: a pair that would only touch deeper (a
  long bar over its neighbour) stays cramped, columns overlapping, strokes apart. The
  others are separated. The report says how many pairs really touch.

Scored: the whole number right, each digit right (the true digits less the edit distance
to the answer, so a digit lost or added costs one), and how many numbers came out with
the wrong count of digits. In the same run, for contrast: the segmenter without seams
(touching digits cut by vertical lines only), without the one-digit judge (vertical cuts
chosen by the model's confidence alone), each digit read
from its own canvas (no segmentation at all), and the naive way: every connected piece
of ink (but specks) read as one digit, no merging and no splitting.
"""

from __future__ import annotations

import argparse
import io
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from bench import machine
from bench.canvas import canvas_pngs
from ml.compose import FIT, HEIGHT, MARGIN, SEPARATED_GAP, WIDTH, lay_out
from ml.pendigits import BRUSH, CANVAS, TABLET_BOX, PenDigit, load_pendigits
from ml.predictor import Predictor
from ml.segment import read_number
from ml.preprocess import MIN_DIGIT_PIXELS, PreprocessError, decode_image, ink_map, ink_parts, to_model_input

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@dataclass(frozen=True)
class ComposedNumber:
    number: str
    png: bytes
    touching: bool
    digit_pngs: tuple[bytes, ...]  # each digit on its own 280x280 canvas, as drawn
    touching_pairs: int  # neighbours whose strokes touch


@dataclass(frozen=True)
class _Plan:
    digits: list[PenDigit]  # placed in a 280x280 tile each, at the right size and height
    gaps: list[float | None]  # px before each digit after the first; None: touch it


def compose_numbers(drawings: list[PenDigit], count: int, *, touching: bool, seed: int) -> tuple[list[ComposedNumber], str]:
    """``count`` numbers and which canvas drew them ("chromium" or "pillow")."""
    rng = np.random.default_rng([seed, int(touching)])
    plans, labels = [], []
    for _ in range(count):
        picked = [drawings[i] for i in rng.choice(len(drawings), size=int(rng.integers(2, 7)))]
        plans.append(_plan(picked, rng, touching))
        labels.append("".join(str(d.label) for d in picked))
    tiles, canvas = canvas_pngs([digit for plan in plans for digit in plan.digits], "as_written")
    numbers, start = [], 0
    for plan, label in zip(plans, labels, strict=True):
        own = tuple(tiles[start : start + len(plan.digits)])
        start += len(plan.digits)
        layout = lay_out([np.asarray(Image.open(io.BytesIO(png)).convert("L")) for png in own], plan.gaps, rng)
        buffer = io.BytesIO()
        Image.fromarray(layout.canvas).save(buffer, "PNG")
        numbers.append(ComposedNumber(label, buffer.getvalue(), touching, own, layout.touches))
    return numbers, canvas


def _plan(picked: list[PenDigit], rng: np.random.Generator, touching: bool) -> _Plan:
    """Sizes, baselines and gaps for one number, shrunk until it fits the canvas."""
    height = rng.uniform(130, 210)
    scales = rng.uniform(0.85, 1.15, len(picked))
    gaps = list(rng.uniform(*SEPARATED_GAP, len(picked) - 1))
    if touching:
        touch = rng.random(len(gaps)) < 0.5
        touch[rng.integers(len(gaps))] = True
        gaps = [None if t else g for t, g in zip(touch, gaps, strict=True)]
    baseline = HEIGHT / 2 + height / 2 + rng.uniform(-0.1, 0.1) * (HEIGHT - height)
    drops = rng.normal(0, 0.04, len(picked))
    extents = [_extent(digit) for digit in picked]
    while True:  # people write smaller to fit more digits
        # Sized by height, as people size digits; a flat scrawl no wider than its own canvas.
        factors = [min(height * s / max(dy, 1.0), FIT / max(dx, 1.0)) for s, (dx, dy) in zip(scales, extents, strict=True)]
        widths = [dx * f + BRUSH for f, (dx, _) in zip(factors, extents, strict=True)]
        if sum(widths) + sum(height * (g or 0) for g in gaps) <= WIDTH - 2 * MARGIN:
            break
        height *= 0.95
    placed = []
    for digit, factor, drop in zip(picked, factors, drops, strict=True):
        points = np.concatenate(digit.strokes)
        low, high = points.min(axis=0), points.max(axis=0)
        bottom = np.clip(baseline + drop * height, (high[1] - low[1]) * factor + BRUSH + 2, CANVAS - 2)
        left = (CANVAS - (high[0] - low[0]) * factor) / 2
        # Canvas pixels (x right, y down), then back to tablet units: ``canvas_pngs``
        # draws "as written" by scaling the tablet box to the canvas and flipping y.
        strokes = []
        for stroke in digit.strokes:
            x = (stroke[:, 0] - low[0]) * factor + left
            y = bottom - BRUSH / 2 - (stroke[:, 1] - low[1]) * factor
            strokes.append(np.stack([x, CANVAS - y], axis=1) * (TABLET_BOX / CANVAS))
        placed.append(PenDigit(digit.label, digit.writer, tuple(strokes)))
    return _Plan(placed, [None if g is None else g * height for g in gaps])


def _extent(digit: PenDigit) -> tuple[float, float]:
    points = np.concatenate(digit.strokes)
    dx, dy = points.max(axis=0) - points.min(axis=0)
    return float(dx), float(dy)


def components_only(predictor: Predictor, png: bytes) -> str:
    """The naive reading: every connected piece of ink but specks is a digit."""
    try:
        parts = ink_parts(ink_map(decode_image(png)), step=1)
    except PreprocessError:
        return ""
    inputs, centres = [], []
    for label in np.flatnonzero(parts.sizes >= MIN_DIGIT_PIXELS):
        keep = np.zeros(parts.count + 1, dtype=bool)
        keep[label] = True
        inputs.append(to_model_input(parts.crop(keep)[0]))
        y0, y1, x0, x1 = parts.boxes[label - 1]
        centres.append(x0 + x1)
    digits = predictor.probabilities_for(np.stack(inputs)).argmax(axis=1)
    return "".join(str(digits[i]) for i in np.argsort(centres, kind="stable"))


def edit_distance(truth: str, answer: str) -> int:
    row = list(range(len(answer) + 1))
    for i, wanted in enumerate(truth, 1):
        previous, row[0] = row[0], i
        for j, got in enumerate(answer, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (wanted != got))
    return row[-1]


def score(numbers: list[ComposedNumber], answers: list[str]) -> dict:
    digits = sum(len(n.number) for n in numbers)
    right_digits = sum(max(0, len(n.number) - edit_distance(n.number, a)) for n, a in zip(numbers, answers, strict=True))
    return {
        "numbers": len(numbers),
        "digits": digits,
        "whole": np.mean([n.number == a for n, a in zip(numbers, answers, strict=True)]),
        "per_digit": right_digits / digits,
        "wrong_count": np.mean([len(n.number) != len(a) for n, a in zip(numbers, answers, strict=True)]),
    }


def _read(predictor: Predictor, png: bytes) -> str:
    try:
        return predictor.predict_number(png).number
    except PreprocessError:
        return ""


def _segmented(png: bytes, probabilities_for, one_digit_for=None, *, seams: bool = True) -> str:
    """The segmenter read with some of its parts off, as served before them."""
    try:
        return "".join(str(int(p.argmax())) for _, p in read_number(png, probabilities_for, one_digit_for, seams=seams))
    except PreprocessError:
        return ""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.numbers", description=__doc__)
    parser.add_argument("--count", type=int, default=1000, help="numbers in each set (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", help="model folder (default: the bundled model)")
    parser.add_argument("--judge", help="one-digit judge folder (default: the bundled judge)")
    parser.add_argument("--pendigits", default=str(SHARED / "pendigits-dev"))
    args = parser.parse_args(argv)

    predictor = Predictor.load(args.model, judge=args.judge)
    drawings = load_pendigits(args.pendigits)
    rows = {}
    for touching in (False, True):
        numbers, canvas = compose_numbers(drawings, args.count, touching=touching, seed=args.seed)
        started = time.perf_counter()
        ours = [_read(predictor, n.png) for n in numbers]
        seconds = time.perf_counter() - started
        # Touching digits cut by the model's confidence alone, and by vertical lines only.
        unjudged = [_segmented(n.png, predictor.probabilities_for) for n in numbers]
        unseamed = [_segmented(n.png, predictor.probabilities_for, predictor.judge.one_digit_for, seams=False) for n in numbers]
        naive = [components_only(predictor, n.png) for n in numbers]
        alone = ["".join(str(p.digit) for p in predictor.predict_batch(list(n.digit_pngs))) for n in numbers]
        rows["touching" if touching else "separated"] = [
            *(score(numbers, answers) for answers in (ours, alone, naive, unjudged, unseamed)), seconds,
            sum(n.touching_pairs for n in numbers),
        ]

    print(f"model {predictor.version}, judge {predictor.judge.version}; {WIDTH}x{HEIGHT} canvases of 2-6 pendigits drawings drawn by {canvas}, "
          f"seed {args.seed}; {machine()}\n")
    print("| set       | numbers | digits | whole number | per digit | wrong count | ms/number "
          "| no seams: whole / per digit | no judge: whole / per digit | digits alone: whole "
          "| naive: whole / per digit / wrong count |")
    print("|-----------|--------:|-------:|-------------:|----------:|------------:|----------:"
          "|----------------------------:|----------------------------:|--------------------:"
          "|--------------------------------------:|")
    for name, (ours, alone, naive, unjudged, unseamed, seconds, _) in rows.items():
        print(f"| {name:<9} | {ours['numbers']:7d} | {ours['digits']:6d} | {ours['whole']:12.2%} | "
              f"{ours['per_digit']:9.2%} | {ours['wrong_count']:11.2%} | {1000 * seconds / ours['numbers']:9.1f} "
              f"| {unseamed['whole']:11.2%} / {unseamed['per_digit']:.2%} "
              f"| {unjudged['whole']:11.2%} / {unjudged['per_digit']:.2%} | {alone['whole']:19.2%} "
              f"| {naive['whole']:14.2%} / {naive['per_digit']:.2%} / {naive['wrong_count']:.2%} |")
    touching = rows["touching"][6]
    print(f"\ntouching set: {touching} neighbour pairs whose strokes touch (in {args.count} numbers).")
    print("digits alone: each digit read from its own 280x280 canvas (no segmentation), the ceiling "
          f"for this model: {rows['separated'][1]['per_digit']:.2%} of digits right.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
