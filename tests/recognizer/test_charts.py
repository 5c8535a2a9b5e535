"""charts.py: each builder returns well-formed SVG with the expected marks, and escapes text."""

import math
import xml.etree.ElementTree as ET

import pytest

from recognizer import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img" and root.get("viewBox")
    return root


def texts(root: ET.Element) -> list[str]:
    return [element.text for element in root.iter(f"{SVG}text")]


def history(epochs: int) -> list[dict]:
    return [
        {
            "epoch": epoch,
            "loss": 1.0 / epoch,
            "accuracy": 0.9 + epoch / 1000,
            "test_loss": 1.1 / epoch,
            "test_accuracy": 0.91 + epoch / 1000,
            "seconds": 30.0,
        }
        for epoch in range(1, epochs + 1)
    ]


def confusion(diagonal: int = 90, mistake: int = 0) -> list[list[int]]:
    return [[diagonal if row == column else mistake for column in range(10)] for row in range(10)]


# --- Line charts ------------------------------------------------------------------------


def test_line_chart_has_a_line_and_a_dot_per_point_for_each_series():
    root = parse(charts.line_chart(
        title="Loss",
        series=[
            charts.Series("Training", [(1, 0.9), (2, 0.5), (3, 0.4)]),
            charts.Series("Test", [(1, 1.0), (2, 0.6)]),
        ],
        y_label="Loss",
    ))

    series = root.findall(f"{SVG}g[@class='series']")
    assert [group.get("data-label") for group in series] == ["Training", "Test"]
    assert [len(group.findall(f"{SVG}circle")) for group in series] == [3, 2]
    assert [len(group.find(f"{SVG}polyline").get("points").split()) for group in series] == [3, 2]
    assert {"Training", "Test", "Loss", "Epoch"} <= set(texts(root))


def test_line_chart_points_stay_inside_the_plot():
    root = parse(charts.line_chart(title="Accuracy", series=[charts.Series("Test", [(1, 0.8), (5, 0.99)])],
                                   y_label="Accuracy", percent=True))
    width, height = (float(value) for value in root.get("viewBox").split()[2:])
    for circle in root.iter(f"{SVG}circle"):
        assert 0 < float(circle.get("cx")) < width and 0 < float(circle.get("cy")) < height


def test_percent_axis_labels_are_percentages_and_stop_at_100():
    root = parse(charts.line_chart(title="Accuracy", series=[charts.Series("Test", [(1, 0.9), (2, 1.0)])],
                                   y_label="Accuracy", percent=True))
    tick_labels = [text for text in texts(root) if text.endswith("%")]
    assert tick_labels and float(tick_labels[-1].rstrip("%")) == 100
    assert all(float(label.rstrip("%")) <= 100 for label in tick_labels)


def test_non_finite_points_are_left_out():
    root = parse(charts.line_chart(
        title="Loss", series=[charts.Series("Training", [(1, 0.5), (2, math.nan), (3, math.inf), (4, 0.3)])],
        y_label="Loss",
    ))
    assert len(list(root.iter(f"{SVG}circle"))) == 2


def test_a_chart_without_points_says_so():
    root = parse(charts.line_chart(title="Loss", series=[charts.Series("Training", [])], y_label="Loss"))
    assert "No data" in texts(root)


@pytest.mark.parametrize("epochs", [1, 12])
def test_training_curves_plot_every_epoch(epochs):
    loss, accuracy = charts.training_curves(history(epochs))
    for svg in (loss, accuracy):
        assert len(list(parse(svg).iter(f"{SVG}circle"))) == 2 * epochs


def test_a_flat_perfect_curve_still_has_an_axis():
    svg = charts.line_chart(title="Accuracy", series=[charts.Series("Test", [(1, 1.0), (2, 1.0)])],
                            y_label="Accuracy", percent=True)
    assert len([text for text in texts(parse(svg)) if text.endswith("%")]) >= 2


@pytest.mark.parametrize(
    ("low", "high", "integer", "expected"),
    [
        (0.3, 1.13, False, [0.25, 0.5, 0.75, 1.0, 1.25]),
        (0.97, 0.995, False, [0.97, 0.98, 0.99, 1.0]),
        (1, 30, True, [0, 10, 20, 30]),
        (1, 1, True, [0, 1, 2]),
    ],
)
def test_nice_ticks_are_round_and_cover_the_range(low, high, integer, expected):
    ticks = charts.nice_ticks(low, high, integer=integer, count=6 if integer else 5)
    assert ticks == expected
    assert ticks[0] <= low and ticks[-1] >= high


# --- Confusion matrix and per-class bars -------------------------------------------------


def test_confusion_matrix_has_100_cells_with_their_counts():
    matrix = confusion()
    matrix[4][9] = 7
    root = parse(charts.confusion_matrix_chart(matrix))

    cells = [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "cell"]
    assert len(cells) == 100
    assert cells[4 * 10 + 9].find(f"{SVG}title").text == "True 4, predicted 9: 7"
    assert texts(root).count("90") == 10 and "7" in texts(root)
    assert {"Predicted digit", "True digit"} <= set(texts(root))


def test_the_worst_mistake_is_the_darkest_mistake():
    matrix = confusion(mistake=1)
    matrix[7][1] = 20
    root = parse(charts.confusion_matrix_chart(matrix))

    def brightness(fill: str) -> int:
        return sum(int(fill[index:index + 2], 16) for index in (1, 3, 5))

    mistakes = {}
    for rect in root.iter(f"{SVG}rect"):
        if rect.get("class") == "cell":
            row, column = (int(word.strip(",:")) for word in rect.find(f"{SVG}title").text.split()[1:4:2])
            if row != column:
                mistakes[(row, column)] = brightness(rect.get("fill"))
    worst = mistakes.pop((7, 1))
    assert worst < min(mistakes.values())


@pytest.mark.parametrize("matrix", [[[1] * 10] * 9, [[1] * 9] * 10, [[-1] * 10] * 10])
def test_confusion_matrix_refuses_the_wrong_shape(matrix):
    with pytest.raises(ValueError):
        charts.confusion_matrix_chart(matrix)


def test_per_class_bars_have_ten_bars_and_mark_the_weakest():
    accuracies = [0.99] * 10
    accuracies[7] = 0.95
    root = parse(charts.per_class_accuracy_chart(accuracies))

    bars = [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "bar"]
    assert len(bars) == 10
    assert [bar.get("fill") for bar in bars].count("#b91c1c") == 1
    assert bars[7].get("fill") == "#b91c1c"
    assert float(bars[7].get("width")) < float(bars[0].get("width"))
    assert "95.00%" in texts(root)


def test_per_class_bars_of_a_good_model_are_told_apart():
    # The bundled model's figures: every digit within a point of 100 %. Drawn from 0 the
    # bars were all but equal; from the floor the weakest is about half the best.
    accuracies = [0.998, 0.9982, 0.9981, 0.999, 0.999, 0.9955, 0.9937, 0.9903, 0.9969, 0.9941]
    root = parse(charts.per_class_accuracy_chart(accuracies))

    widths = [float(rect.get("width")) for rect in root.iter(f"{SVG}rect") if rect.get("class") == "bar"]
    assert widths[7] < 0.6 * widths[3]
    assert widths[7] >= 0.5 * 250
    scale = [text.text for text in root.iter(f"{SVG}text") if text.get("class") == "scale"]
    assert scale == ["98%", "100%"]


@pytest.mark.parametrize(
    ("weakest", "floor"), [(1.0, 0.99), (0.9903, 0.98), (0.95, 0.9), (0.9, 0.8), (0.76, 0.5), (0.7, 0.0), (0.0, 0.0)]
)
def test_the_bars_start_where_the_weakest_digit_keeps_half_the_scale(weakest, floor):
    values = [1.0] * 9 + [weakest]
    assert charts.bar_floor(values) == floor
    assert weakest - floor >= (1.0 - floor) / 2 - 1e-9 or floor == 0.0


@pytest.mark.parametrize("accuracies", [[0.9] * 9, [1.5] + [0.9] * 9])
def test_per_class_bars_refuse_bad_values(accuracies):
    with pytest.raises(ValueError):
        charts.per_class_accuracy_chart(accuracies)


# --- Text is escaped ---------------------------------------------------------------------


def test_titles_and_labels_are_escaped():
    hostile = '<script>alert("x")</script> & co'
    svg = charts.line_chart(title=hostile, series=[charts.Series(hostile, [(1, 0.5)])], y_label=hostile)

    assert "<script>" not in svg
    root = parse(svg)
    assert root.get("aria-label") == hostile
    assert root.find(f"{SVG}title").text == hostile
    assert hostile in texts(root)
    assert parse(charts.confusion_matrix_chart(confusion(), title=hostile)).get("aria-label") == hostile
    assert parse(charts.per_class_accuracy_chart([0.9] * 10, title=hostile)).get("aria-label") == hostile


# --- From stored metrics -------------------------------------------------------------------


def test_metrics_charts_builds_what_the_metrics_allow():
    full = {"history": history(3), "confusion_matrix": confusion(), "per_class_accuracy": [0.9] * 10}
    assert set(charts.metrics_charts(full)) == {"loss", "accuracy", "confusion_matrix", "per_class_accuracy"}
    assert charts.metrics_charts({}) == {}
    broken = {"history": "not a list", "confusion_matrix": [[1, 2]], "per_class_accuracy": [2.0] * 10}
    assert charts.metrics_charts(broken) == {}
