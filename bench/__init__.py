"""Benchmarks that print tables: ``python -m bench.accuracy``, ``bench.latency``,
``bench.numbers``, ``bench.load``, ``bench.preprocess_rev``, ``bench.quantization`` and
``bench.training`` (``make bench`` runs the first three)."""

from __future__ import annotations

import os
import platform


def machine() -> str:
    """The CPU a table was measured on, for its header. This project's machines differ:
    the same code serves twice as fast on one as on another (docs/experiments.md, "On a
    slower machine"), so a timing means little without it."""
    fields = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass  # not Linux: platform's answer below
    name = fields.get("model name") or platform.processor() or platform.machine()
    if "cpu MHz" in fields:
        name += f" at {float(fields['cpu MHz']) / 1000:.1f} GHz"
    if "avx512f" in fields.get("flags", "").split():
        name += " (AVX-512)"
    return f"{name}, {os.cpu_count()} CPUs"
