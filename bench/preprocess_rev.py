"""Preprocessing now against ``ml/preprocess.py`` at another git revision, in one process.

    python -m bench.preprocess_rev [REV] [--n 300] [--rounds 6]

These machines' speed drifts by a factor of two from one hour to the next, so a change's
effect on latency is measured as a ratio: both versions preprocess the same canvas PNGs
in alternating rounds, and the medians of the rounds are compared. The older module is
read from git (``git show REV:ml/preprocess.py``, with ``ml/framing.py`` of the same
revision) and imported beside the current one; it must still import against today's
other ``ml`` modules. Both use today's
``ml/decode.py``, so a change to decoding is measured by ``bench.latency`` (libspng
against Pillow) instead. It also checks that both give the same model inputs.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.accuracy import SHARED
from bench.canvas import canvas_pngs
from ml import preprocess as current
from ml.pendigits import load_pendigits

ROOT = Path(__file__).resolve().parents[1]


def preprocess_at(rev: str):
    """The ``ml.preprocess`` module as it was at ``rev``, framing with ``ml/framing.py``
    as it was there too (the shear and the thinning live in it)."""
    framing = _module_at(rev, "framing")
    today = sys.modules["ml.framing"]
    sys.modules["ml.framing"] = framing  # what the older preprocess imports its framing from
    try:
        return _module_at(rev, "preprocess")
    finally:
        sys.modules["ml.framing"] = today


def _module_at(rev: str, name: str):
    source = subprocess.run(
        ["git", "show", f"{rev}:ml/{name}.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    folder = Path(tempfile.mkdtemp(prefix="preprocess-rev-"))
    path = folder / f"{name}_at_rev.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"{name}_at_rev", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def median_ms(function, pngs) -> float:
    times = []
    for png in pngs:
        started = time.perf_counter()
        function(png)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.preprocess_rev", description=__doc__)
    parser.add_argument("rev", nargs="?", default="HEAD~1", help="git revision to compare with (default HEAD~1)")
    parser.add_argument("--n", type=int, default=300, help="canvas drawings (pendigits, as written)")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args(argv)

    older = preprocess_at(args.rev)
    pngs, canvas = canvas_pngs(load_pendigits(SHARED / "pendigits-dev")[: args.n], "as_written")
    for png in pngs[:20]:  # warm up both
        older.preprocess(png), current.preprocess(png)
    rounds = {"old": [], "new": []}
    for _ in range(args.rounds):
        rounds["old"].append(median_ms(older.preprocess, pngs))
        rounds["new"].append(median_ms(current.preprocess, pngs))
    differ = max(float(np.abs(older.preprocess(png) - current.preprocess(png)).max()) for png in pngs)
    old, new = statistics.median(rounds["old"]), statistics.median(rounds["new"])
    print(f"{len(pngs)} canvas PNGs drawn by {canvas}; medians of {args.rounds} alternating rounds, ms per PNG\n")
    print("| preprocess          | median | rounds |")
    print("|---------------------|-------:|--------|")
    for label, key, value in ((f"at {args.rev}", "old", old), ("now", "new", new)):
        print(f"| {label:<19} | {value:6.3f} | {' '.join(f'{t:.3f}' for t in rounds[key])} |")
    print(f"\nnow is {old / new:.2f}x the speed of {args.rev}; largest difference in a model input: {differ:.2g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
