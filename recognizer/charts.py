"""Charts for the Models page, drawn on the server as inline SVG.

Small pure functions: numbers in, an SVG string out. No JavaScript library and no
matplotlib: the page stays light, works without scripts, and prints. Every piece of text
that reaches the markup (titles, labels, legends) goes through ``escape``, because
version names and notes are typed by people. The colours are presentation attributes,
not CSS, so a chart copied out of the page still looks the same.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

DIGITS = range(10)
FONT_SIZE = 11
TEXT = "#374151"
MUTED = "#6b7280"
GRID = "#e3e6f0"
AXIS = "#9ca3af"
# The site's accent for what the model got right, its danger red for what it got wrong.
ACCENT = (79, 70, 229)
DANGER = (185, 28, 28)
SERIES_COLOURS = ("#4f46e5", "#f59e0b", "#047857")


@dataclass(frozen=True)
class Series:
    """One line of a line chart: a legend label and its (x, y) points."""

    label: str
    points: Sequence[tuple[float, float]]


@dataclass(frozen=True)
class _Box:
    """The plotting area inside the SVG, and the data range it shows."""

    left: float
    top: float
    width: float
    height: float
    x_min: float
    x_max: float
    y_min: float
    y_max: float

    def x(self, value: float) -> float:
        span = self.x_max - self.x_min
        return self.left + (value - self.x_min) / span * self.width if span else self.left + self.width / 2

    def y(self, value: float) -> float:
        span = self.y_max - self.y_min
        return self.top + self.height - (value - self.y_min) / span * self.height


# --- Axes -----------------------------------------------------------------------------


def nice_ticks(low: float, high: float, *, count: int = 5, integer: bool = False) -> list[float]:
    """Round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) covering low..high."""
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError("Tick bounds must be finite numbers.")
    if high < low:
        low, high = high, low
    if high == low:  # one value: give it some room either side
        room = 1 if integer else abs(low) * 0.1 or 1
        low, high = low - room, high + room
    raw_step = (high - low) / max(1, count - 1)
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw_step * 0.999)
    if integer:
        step = max(1, round(step))
    start = math.floor(low / step + 1e-9) * step
    stop = math.ceil(high / step - 1e-9) * step
    steps = round((stop - start) / step)
    # Rounding to the step's own decimals removes float noise such as 0.30000000000000004.
    decimals = max(0, -math.floor(math.log10(step)) + 2)
    return [round(start + index * step, decimals) for index in range(steps + 1)]


def _tick_text(value: float, *, percent: bool, step: float) -> str:
    shown, shown_step = (value * 100, step * 100) if percent else (value, step)
    # As many decimals as the step needs: steps of 2.5% print 97.5%, steps of 10% print 90%.
    decimals = next((places for places in range(6) if abs(round(shown_step, places) - shown_step) < 1e-9), 6)
    return f"{shown:.{decimals}f}{'%' if percent else ''}"


def _value_text(value: float, *, percent: bool) -> str:
    return f"{value * 100:.2f}%" if percent else f"{value:.4g}"


# --- Building blocks ---------------------------------------------------------------------


def _svg(width: float, height: float, label: str, body: Sequence[str], *, css_class: str) -> str:
    # role="img" with aria-label: screen readers announce one image with its name, not
    # a hundred loose numbers; the <title> also gives a tooltip.
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" '
        f'viewBox="0 0 {width:g} {height:g}" width="{width:g}" height="{height:g}" '
        f'role="img" aria-label="{escape(label)}" '
        f'font-size="{FONT_SIZE}" fill="{TEXT}"><title>{escape(label)}</title>' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, content: str, *, anchor: str = "middle", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(content)}</text>'


def _mix(colour: tuple[int, int, int], share: float) -> str:
    """``colour`` blended onto white: share 0 is white, 1 the full colour."""
    share = min(1.0, max(0.0, share))
    red, green, blue = (round(255 + (channel - 255) * share) for channel in colour)
    return f"#{red:02x}{green:02x}{blue:02x}"


def _finite_points(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    # A diverged epoch can log NaN or inf; it is left out rather than breaking the chart.
    return [
        (float(x), float(y))
        for x, y in points
        if x is not None and y is not None and math.isfinite(float(x)) and math.isfinite(float(y))
    ]


# --- Charts --------------------------------------------------------------------------------


def line_chart(
    *,
    title: str,
    series: Sequence[Series],
    y_label: str,
    x_label: str = "Epoch",
    percent: bool = False,
    y_from_zero: bool = False,
    width: int = 360,
    height: int = 220,
) -> str:
    """Lines with a dot per point, y grid lines with tick labels, x ticks and a legend.

    ``percent`` shows y values (fractions 0..1) as percentages and never goes past 100%.
    """
    cleaned = [Series(line.label, _finite_points(line.points)) for line in series]
    xs = [x for line in cleaned for x, _ in line.points]
    ys = [y for line in cleaned for _, y in line.points]
    if not xs:
        return _svg(width, height, title, [_text(width / 2, height / 2, "No data", extra=f' fill="{MUTED}"')],
                    css_class="chart-line")
    low = 0.0 if y_from_zero else min(ys)
    y_ticks = nice_ticks(low, max(ys))
    if percent:
        y_ticks = [tick for tick in y_ticks if tick <= 1.0] or [1.0]
        if max(ys) > y_ticks[-1]:
            y_ticks.append(1.0)
    x_ticks = nice_ticks(min(xs), max(xs), count=6, integer=True)
    box = _Box(left=52, top=30, width=width - 52 - 14, height=height - 30 - 44,
               x_min=x_ticks[0], x_max=x_ticks[-1], y_min=y_ticks[0], y_max=y_ticks[-1])
    y_step = y_ticks[1] - y_ticks[0] if len(y_ticks) > 1 else 0.0

    body = []
    for tick in y_ticks:
        y = box.y(tick)
        body.append(f'<line x1="{box.left:.1f}" y1="{y:.1f}" x2="{box.left + box.width:.1f}" y2="{y:.1f}" '
                    f'stroke="{GRID}"/>')
        body.append(_text(box.left - 6, y + 4, _tick_text(tick, percent=percent, step=y_step), anchor="end",
                          extra=f' fill="{MUTED}"'))
    bottom = box.top + box.height
    right = box.left + box.width
    body.append(f'<line x1="{box.left:.1f}" y1="{bottom:.1f}" x2="{right:.1f}" y2="{bottom:.1f}" '
                f'stroke="{AXIS}"/>')
    for tick in x_ticks:
        x = box.x(tick)
        body.append(f'<line x1="{x:.1f}" y1="{bottom:.1f}" x2="{x:.1f}" y2="{bottom + 4:.1f}" '
                    f'stroke="{AXIS}"/>')
        body.append(_text(x, bottom + 16, f"{tick:g}", extra=f' fill="{MUTED}"'))
    body.append(_text(box.left + box.width / 2, height - 6, x_label))
    middle = box.top + box.height / 2
    body.append(_text(12, middle, y_label, extra=f' transform="rotate(-90 12 {middle:.1f})"'))

    legend_x = box.left
    for index, line in enumerate(cleaned):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        body.append(f'<g class="series" data-label="{escape(line.label)}">')
        coordinates = " ".join(f"{box.x(x):.1f},{box.y(y):.1f}" for x, y in line.points)
        body.append(f'<polyline points="{coordinates}" fill="none" stroke="{colour}" stroke-width="2" '
                    f'stroke-linejoin="round" stroke-linecap="round"/>')
        for x, y in line.points:
            point_title = f"{line.label}, {x_label.lower()} {x:g}: {_value_text(y, percent=percent)}"
            body.append(f'<circle cx="{box.x(x):.1f}" cy="{box.y(y):.1f}" r="2.5" fill="{colour}">'
                        f"<title>{escape(point_title)}</title></circle>")
        body.append("</g>")
        # The legend runs left to right above the plot; labels are short ("Training").
        body.append(f'<line x1="{legend_x:.1f}" y1="12" x2="{legend_x + 16:.1f}" y2="12" stroke="{colour}" '
                    f'stroke-width="3" stroke-linecap="round"/>')
        body.append(_text(legend_x + 22, 16, line.label, anchor="start"))
        legend_x += 22 + 7 * len(line.label) + 18
    return _svg(width, height, title, body, css_class="chart-line")


def confusion_matrix_chart(matrix: Sequence[Sequence[int]], *, title: str = "Confusion matrix") -> str:
    """The 10x10 counts, rows the true digit and columns the predicted one.

    The diagonal (right answers) is shaded by its share of the row, the rest (mistakes)
    by its count against the largest mistake: otherwise the big diagonal would wash the
    few mistakes that matter out to white.
    """
    counts = _square_counts(matrix)
    cell, left, top = 34, 58, 48
    size = cell * len(DIGITS)
    width, height = left + size + 8, top + size + 8
    mistakes = [counts[row][column] for row in DIGITS for column in DIGITS if row != column]
    worst_mistake = max(mistakes, default=0)

    body = [
        _text(left + size / 2, 14, "Predicted digit", extra=' font-weight="600"'),
        _text(14, top + size / 2, "True digit",
              extra=f' font-weight="600" transform="rotate(-90 14 {top + size / 2})"'),
    ]
    for digit in DIGITS:
        body.append(_text(left + digit * cell + cell / 2, top - 8, str(digit), extra=f' fill="{MUTED}"'))
        body.append(_text(left - 10, top + digit * cell + cell / 2 + 4, str(digit), anchor="end",
                          extra=f' fill="{MUTED}"'))
    for row in DIGITS:
        row_total = sum(counts[row])
        for column in DIGITS:
            count = counts[row][column]
            if row == column:
                share = count / row_total if row_total else 0.0
                # An empty cell stays white even on the diagonal: a user's corrections
                # leave whole rows empty, unlike MNIST's test set.
                fill, dark = (_mix(ACCENT, 0.15 + 0.85 * share), share > 0.5) if count else ("#ffffff", False)
            else:
                share = count / worst_mistake if worst_mistake else 0.0
                fill, dark = (_mix(DANGER, 0.08 + 0.8 * share), share > 0.55) if count else ("#ffffff", False)
            x, y = left + column * cell, top + row * cell
            colour = "#ffffff" if dark else (TEXT if count else "#c7cce0")
            cell_title = f"True {row}, predicted {column}: {count}"
            body.append(f'<rect class="cell" x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{fill}" '
                        f'stroke="{GRID}"><title>{escape(cell_title)}</title></rect>')
            font = 10 if count >= 1000 else FONT_SIZE
            body.append(_text(x + cell / 2, y + cell / 2 + 4, str(count),
                              extra=f' fill="{colour}" font-size="{font}"'))
    return _svg(width, height, title, body, css_class="chart-confusion")


# Where the per-digit bars start: the highest of these that leaves the weakest digit a
# visible bar. A model at 99 % has every digit above 98 %, and bars drawn from 0 would all
# look full; a new version trained on little data may be at 60 %, and its bars start at 0.
BAR_FLOORS = (0.99, 0.98, 0.95, 0.9, 0.8, 0.5, 0.0)


def bar_floor(values: Sequence[float]) -> float:
    """The accuracy at the bars' left end: at most the weakest value less its gap to
    100 %, so the weakest bar is never shorter than half the scale."""
    weakest = min(values)
    return next((floor for floor in BAR_FLOORS if floor <= weakest - (1.0 - weakest) + 1e-9), 0.0)


def per_class_accuracy_chart(accuracies: Sequence[float], *, title: str = "Accuracy per digit") -> str:
    """Ten horizontal bars from ``bar_floor`` to 100 %, the weakest digit in red, the
    scale's two ends written under the bars so a zoomed scale is never mistaken for 0."""
    values = _ten_fractions(accuracies)
    row, left, bar_width = 22, 24, 250
    width, height = left + bar_width + 60, row * len(DIGITS) + 24
    weakest = min(DIGITS, key=lambda digit: values[digit])
    floor = bar_floor(values)
    body = []
    for digit in DIGITS:
        y = 4 + digit * row
        colour = "#b91c1c" if digit == weakest else SERIES_COLOURS[0]
        label = f"Digit {digit}: {_value_text(values[digit], percent=True)}"
        length = (values[digit] - floor) / (1.0 - floor) * bar_width
        body.append(_text(left - 10, y + 13, str(digit), anchor="end", extra=' font-weight="600"'))
        body.append(f'<rect x="{left}" y="{y + 3}" width="{bar_width}" height="12" rx="6" fill="#eef0f8"/>')
        body.append(f'<rect class="bar" x="{left}" y="{y + 3}" width="{length:.1f}" '
                    f'height="12" rx="6" fill="{colour}"><title>{escape(label)}</title></rect>')
        body.append(_text(left + bar_width + 8, y + 13, _value_text(values[digit], percent=True),
                          anchor="start", extra=f' fill="{colour if digit == weakest else TEXT}"'))
    scale_y = 4 + len(DIGITS) * row + 12
    body.append(_text(left, scale_y, f"{floor:.0%}", anchor="start", extra=f' class="scale" fill="{MUTED}"'))
    body.append(_text(left + bar_width, scale_y, "100%", anchor="end", extra=f' class="scale" fill="{MUTED}"'))
    return _svg(width, height, title, body, css_class="chart-bars")


# --- From a ModelVersion's metrics -------------------------------------------------------


def training_curves(history: Sequence[Mapping]) -> tuple[str, str]:
    """The loss chart and the accuracy chart from the per-epoch history; training first
    in both, so each keeps its colour from one chart to the other."""

    def series(label: str, key: str) -> Series:
        points = [(epoch.get("epoch", index + 1), epoch.get(key)) for index, epoch in enumerate(history)]
        return Series(label, points)

    loss = line_chart(
        title="Loss per epoch",
        series=[series("Training", "loss"), series("Test", "test_loss")],
        y_label="Loss",
        y_from_zero=True,
    )
    accuracy = line_chart(
        title="Accuracy per epoch",
        series=[series("Training", "accuracy"), series("Test", "test_accuracy")],
        y_label="Accuracy",
        percent=True,
    )
    return loss, accuracy


def metrics_charts(metrics: Mapping) -> dict[str, str]:
    """Every chart the metrics have the data for, by name; missing or malformed data
    (an old version registered by name only) just means fewer charts."""
    charts = {}
    history = metrics.get("history")
    if isinstance(history, list) and history and all(isinstance(epoch, Mapping) for epoch in history):
        charts["loss"], charts["accuracy"] = training_curves(history)
    try:
        charts["confusion_matrix"] = confusion_matrix_chart(metrics["confusion_matrix"])
    except (KeyError, TypeError, ValueError):
        pass
    try:
        charts["per_class_accuracy"] = per_class_accuracy_chart(metrics["per_class_accuracy"])
    except (KeyError, TypeError, ValueError):
        pass
    return charts


def _square_counts(matrix) -> list[list[int]]:
    if len(matrix) != len(DIGITS) or any(len(row) != len(DIGITS) for row in matrix):
        raise ValueError("A confusion matrix has 10 rows of 10 counts.")
    counts = [[int(count) for count in row] for row in matrix]
    if any(count < 0 for row in counts for count in row):
        raise ValueError("Counts cannot be negative.")
    return counts


def _ten_fractions(values) -> list[float]:
    if len(values) != len(DIGITS):
        raise ValueError("Per-class accuracy has one value per digit.")
    fractions = [float(value) for value in values]
    if any(not 0.0 <= value <= 1.0 for value in fractions):
        raise ValueError("Accuracies are fractions from 0 to 1.")
    return fractions
