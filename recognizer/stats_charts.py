"""Charts for the Statistics pages, drawn on the server as inline SVG like charts.py's
(whose building blocks they reuse: same fonts, colours, escaping and accessibility).

A column chart serves both the submissions per day and the readings per digit; the
confusion table is charts.py's own. Each chart carries a ``<desc>`` that says in words
what the bars show, for screen readers and for anyone who copies the SVG out.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from recognizer.charts import (
    AXIS,
    DIGITS,
    GRID,
    MUTED,
    SERIES_COLOURS,
    _Box,
    _svg,
    _text,
    confusion_matrix_chart,
    nice_ticks,
)
from recognizer.stats import DayCount, Statistics

# A slightly darker shade for the largest column, so the peak stands out without a legend.
PEAK_COLOUR = "#3730a3"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _short_date(day) -> str:
    # "3 Nov": strftime's "%-d" (no leading zero) is not portable.
    return f"{day.day} {day:%b}"


def column_chart(
    *,
    title: str,
    description: str,
    labels: Sequence[str],
    values: Sequence[int],
    bar_titles: Sequence[str],
    x_label: str,
    y_label: str,
    value_labels: bool = True,
    width: int = 420,
    height: int = 230,
) -> str:
    """Vertical columns of whole counts from zero, with y grid lines and tick labels.

    An empty label leaves its column unlabelled (90 dates do not fit side by side);
    ``value_labels`` prints each count above its column; ``bar_titles`` are the tooltips.
    """
    if not (len(labels) == len(values) == len(bar_titles)) or not values:
        raise ValueError("A column chart needs one label, value and title per column, and at least one column.")
    if any(value < 0 for value in values):
        raise ValueError("Counts cannot be negative.")
    top_value = max(values)
    y_ticks = nice_ticks(0, max(top_value, 1), count=5, integer=True)
    # The right margin leaves room for half a date label under the last column.
    box = _Box(left=44, top=18 if value_labels else 10, width=width - 44 - 20, height=height - 18 - 44,
               x_min=0, x_max=len(values), y_min=0, y_max=y_ticks[-1])
    bottom = box.top + box.height
    slot = box.width / len(values)
    gap = min(slot * 0.25, 6)

    body = [f"<desc>{escape(description)}</desc>"]
    for tick in y_ticks:
        y = box.y(tick)
        body.append(f'<line x1="{box.left:.1f}" y1="{y:.1f}" x2="{box.left + box.width:.1f}" y2="{y:.1f}" '
                    f'stroke="{GRID}"/>')
        body.append(_text(box.left - 6, y + 4, f"{tick:g}", anchor="end", extra=f' fill="{MUTED}"'))
    for index, (label, value, bar_title) in enumerate(zip(labels, values, bar_titles, strict=True)):
        x = box.left + index * slot + gap / 2
        y = box.y(value)
        colour = PEAK_COLOUR if value and value == top_value else SERIES_COLOURS[0]
        # Every column is a hover target as tall as the plot, so thin and empty days
        # still show their tooltip.
        body.append(f'<g class="column"><title>{escape(bar_title)}</title>'
                    f'<rect x="{x:.1f}" y="{box.top:.1f}" width="{slot - gap:.1f}" height="{box.height:.1f}" '
                    f'fill="transparent"/>')
        if value:
            body.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot - gap:.1f}" '
                        f'height="{bottom - y:.1f}" rx="{min(3, (slot - gap) / 3):.1f}" fill="{colour}"/>')
        body.append("</g>")
        if value_labels and value:
            body.append(_text(x + (slot - gap) / 2, y - 4, str(value), extra=' font-weight="600"'))
        if label:
            centre = x + (slot - gap) / 2
            body.append(f'<line x1="{centre:.1f}" y1="{bottom:.1f}" x2="{centre:.1f}" y2="{bottom + 4:.1f}" '
                        f'stroke="{AXIS}"/>')
            body.append(_text(centre, bottom + 16, label, extra=f' fill="{MUTED}"'))
    body.append(f'<line x1="{box.left:.1f}" y1="{bottom:.1f}" x2="{box.left + box.width:.1f}" y2="{bottom:.1f}" '
                f'stroke="{AXIS}"/>')
    body.append(_text(box.left + box.width / 2, height - 6, x_label))
    middle = box.top + box.height / 2
    body.append(_text(12, middle, y_label, extra=f' transform="rotate(-90 12 {middle:.1f})"'))
    return _svg(width, height, title, body, css_class="chart-columns")


def daily_chart(daily: Sequence[DayCount]) -> str:
    """Submissions per day, a label each week (the last day, today, always gets one)."""
    total = sum(day.count for day in daily)
    busiest = max(daily, key=lambda day: (day.count, day.day))
    description = f"{_plural(total, 'submission')} in the last {len(daily)} days"
    description += f"; the busiest day was {_short_date(busiest.day)} with {busiest.count}." if total else "."
    label_every = 7 if len(daily) <= 35 else 14
    # Counted back from today, so the rightmost column (today) is always labelled.
    offset = (len(daily) - 1) % label_every
    labels = [_short_date(day.day) if (index - offset) % label_every == 0 else ""
              for index, day in enumerate(daily)]
    return column_chart(
        title=f"Submissions per day, last {len(daily)} days",
        description=description,
        labels=labels,
        values=[day.count for day in daily],
        bar_titles=[f"{day.day:%a} {_short_date(day.day)} {day.day.year}: {_plural(day.count, 'submission')}" for day in daily],
        x_label="Day",
        y_label="Submissions",
        value_labels=False,
        width=400,
    )


def digit_chart(counts: Sequence[int]) -> str:
    """How often the model read each digit, 0 to 9."""
    if len(counts) != len(DIGITS):
        raise ValueError("One count per digit.")
    total = sum(counts)
    description = ", ".join(f"{digit}: {count}" for digit, count in enumerate(counts))
    return column_chart(
        title="Digits read by the model",
        description=f"{_plural(total, 'digit')} read. {description}.",
        labels=[str(digit) for digit in DIGITS],
        values=list(counts),
        bar_titles=[f"Read as {digit}: {_plural(count, 'time')}" for digit, count in enumerate(counts)],
        x_label="Digit read",
        y_label="Times",
    )


def statistics_charts(figures: Statistics) -> dict[str, str]:
    """The charts the figures have data for, by name (none for a scope with no data)."""
    if not figures.tally.total:
        return {}
    charts = {"daily": daily_chart(figures.daily), "digits": digit_chart(figures.digit_counts)}
    if figures.confusion.judged:
        charts["confusion"] = confusion_matrix_chart(
            figures.confusion.matrix, title="What the digits really were, against what the model read"
        )
    return charts
