"""Plain-text tables for the management commands' reports, and their shared wording."""

from __future__ import annotations

DATA_HELP = "a Keras-layout mnist.npz (default: DIGITS_MNIST_PATH, else the Keras download)"


def format_table(rows: list[tuple[str, ...]], *, right_align_from: int = 1) -> list[str]:
    """Lines of ``rows`` (the first is the header) in aligned columns; columns from
    ``right_align_from`` on (numbers) are right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.rjust(width) if i >= right_align_from else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.2%}"
