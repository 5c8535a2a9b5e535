"""The one-digit judge: its training pieces, the bundled judge, and what it does for numbers."""

import shutil

import numpy as np
import pytest
from PIL import Image, ImageDraw

from ml.artifacts import ArtifactError, bundled_dir, load_artifact
from ml.compose import HEIGHT, WIDTH
from ml.cutting import JUDGED_PAIR_ASPECT, Cutting
from ml.judge import BUNDLED_JUDGE_VERSION, JUDGE_ARCH, OneDigitJudge, bundled_judge_dir
from ml.judge_training import compose, judge_pieces, label_pieces
from ml.predictor import Predictor
from ml.preprocess import ink_map, ink_parts
from ml.segment import group_parts, read_number
from tests.drawings import png_bytes
from tests.ml.test_numbers import number_image, pieces_of_ink
from tests.ml.test_cli import run_ml


@pytest.fixture(scope="module")
def judge():
    return OneDigitJudge.load()


@pytest.fixture(scope="module")
def predictor():
    return Predictor.load()


@pytest.fixture(scope="module")
def held_out(mnist_test):
    """Labelled pieces of numbers made from MNIST test digits (the judge never saw them)."""
    x_test, y_test = mnist_test
    return judge_pieces(x_test, y_test, 40, seed=11, workers=1)


def ring_layer(left: int) -> np.ndarray:
    """A 0 drawn with the canvas brush, as one digit's own ink on the Number canvas."""
    image = Image.new("L", (WIDTH, HEIGHT), 0)
    ImageDraw.Draw(image).ellipse((left, 50, left + 120, 230), outline=255, width=20)
    return np.asarray(image, dtype=np.float32) / 255.0


# --- Training pieces ---------------------------------------------------------------------


def test_pieces_are_labelled_by_whose_ink_they_hold():
    layers = [ring_layer(200), ring_layer(312)]  # two 0s whose strokes overlap by 8 px
    canvas = np.round(255 * (1 - np.maximum(*layers))).astype(np.uint8)
    parts = ink_parts(ink_map(Image.fromarray(canvas)), step=1)
    [group] = group_parts(parts)
    cutting = Cutting(parts, group, JUDGED_PAIR_ASPECT)
    whole = cutting.pieces[(0, len(cutting.nodes) - 1)].model_input
    labelled = list(label_pieces(canvas, layers))
    verdicts = [verdict for model_input, verdict in labelled if np.array_equal(model_input, whole)]
    assert verdicts == [0.0], "both 0s together are not one digit"
    assert sum(verdict for _, verdict in labelled) >= 2, "each 0 cut out on its own is one digit"
    assert any(verdict == 0.0 for model_input, verdict in labelled if not np.array_equal(model_input, whole))


def test_composed_numbers_keep_each_digits_ink_apart(mnist_test):
    x_test, _ = mnist_test
    rng = np.random.default_rng(0)
    canvas, layers = compose([x_test[i] / 255.0 for i in range(3)], rng)
    assert canvas.shape == (HEIGHT, WIDTH) and len(layers) == 3
    drawn = 1.0 - canvas / 255.0
    assert np.abs(np.maximum.reduce(layers) - drawn).max() < 1e-2, "the canvas is its layers, darkest winning"
    lefts = [np.flatnonzero(layer.max(axis=0) > 0.5)[0] for layer in layers]
    assert lefts == sorted(lefts), "left to right, in order"


def test_pieces_are_reproducible_by_seed_and_both_kinds_occur(mnist_test):
    x_test, y_test = mnist_test
    first = judge_pieces(x_test[:200], y_test[:200], 12, seed=3, workers=1)
    again = judge_pieces(x_test[:200], y_test[:200], 12, seed=3, workers=1)
    assert np.array_equal(first.inputs, again.inputs) and np.array_equal(first.one_digit, again.one_digit)
    assert first.inputs.shape[1:] == (28, 28) and len(first.inputs) == len(first.one_digit) > 12
    assert 0 < first.one_digit.mean() < 1


# --- The bundled judge ---------------------------------------------------------------------


def test_the_bundled_judge_is_a_complete_model_folder(judge):
    assert judge.version == BUNDLED_JUDGE_VERSION and bundled_judge_dir().name == BUNDLED_JUDGE_VERSION
    metadata = load_artifact(bundled_judge_dir(), check_keras=True).metadata
    assert metadata["arch"] == JUDGE_ARCH
    assert metadata["held_out_accuracy"] >= 0.95 and metadata["held_out_pieces"] > 10_000
    assert metadata["training_data"]["source"] == "mnist.npz" and metadata["training_data"]["pieces"] > 100_000


def test_the_judge_tells_one_digit_from_two_or_a_part(judge, held_out):
    said = judge.one_digit_for(held_out.inputs) >= 0.5
    assert np.mean(said == (held_out.one_digit == 1.0)) >= 0.93


def test_litert_judge_equals_keras(judge, held_out):
    import keras

    model = keras.models.load_model(judge.artifact.keras_path)
    expected = model.predict(held_out.inputs[..., None], verbose=0)[:, 0]
    assert np.abs(judge.one_digit_for(held_out.inputs) - expected).max() <= 1e-4


def test_a_judge_and_a_digit_model_are_not_mistaken_for_each_other(tmp_path):
    with pytest.raises(ArtifactError, match="not a one-digit judge"):
        OneDigitJudge.load(bundled_dir())
    with pytest.raises(ArtifactError, match="not ten digits"):
        Predictor.load(bundled_judge_dir())
    with pytest.raises(ArtifactError):
        OneDigitJudge.load(tmp_path / "nothing here")
    broken = tmp_path / "judge"
    shutil.copytree(bundled_judge_dir(), broken)
    (broken / "model.tflite").write_bytes(b"not a model")
    with pytest.raises(ArtifactError, match="does not belong"):
        OneDigitJudge.load(broken)


# --- Numbers ---------------------------------------------------------------------------------


def test_the_predictor_reads_numbers_with_the_judge(predictor):
    assert predictor.judge is not None and predictor.judge.version == BUNDLED_JUDGE_VERSION
    asked = []
    real = predictor.judge.one_digit_for
    predictor.judge.one_digit_for = lambda inputs: asked.append(len(inputs)) or real(inputs)
    try:
        image = number_image("2026", gap=-10)
        assert predictor.predict_number(png_bytes(image)).number == "2026"
        assert asked and sum(asked) > 4, "the touching digits' pieces went to the judge"
        asked.clear()
        assert predictor.predict_number(png_bytes(number_image("2026", gap=40))).number == "2026"
        assert not asked, "digits apart are read without asking"
    finally:
        del predictor.judge.one_digit_for


@pytest.mark.parametrize(("text", "gap"), [("00", -45), ("66", -20)])
def test_overlapping_digits_are_read_apart_only_with_the_judge(predictor, text, gap):
    image = number_image(text, gap=gap)
    assert pieces_of_ink(image) == 1, "the digits' strokes run into each other"
    without = "".join(str(int(p.argmax())) for _, p in read_number(png_bytes(image), predictor.probabilities_for))
    assert len(without) < len(text), "by confidence alone, a digit too few"
    assert predictor.predict_number(png_bytes(image)).number == text


def test_the_judge_reads_more_touching_numbers_right(predictor, mnist_test):
    """Numbers of MNIST test digits, most neighbours touching, as the judge was trained on
    training digits: read with and without the judge."""
    x_test, y_test = mnist_test
    rng = np.random.default_rng(7)
    right = {"with": 0, "without": 0}
    for _ in range(40):
        picked = rng.choice(len(x_test), size=3)
        canvas, _ = compose([x_test[i] / 255.0 for i in picked], rng)
        png = png_bytes(Image.fromarray(canvas))
        truth = "".join(str(y_test[i]) for i in picked)
        for name, judge in (("with", predictor.judge.one_digit_for), ("without", None)):
            digits = read_number(png, predictor.probabilities_for, judge)
            right[name] += "".join(str(int(p.argmax())) for _, p in digits) == truth
    assert right["with"] >= right["without"] + 4, right


# --- Training ----------------------------------------------------------------------------------


def test_training_a_judge_briefly_gives_a_loadable_judge(mnist_path, tmp_path):
    out = run_ml(
        "train-judge", "--numbers", "40", "--held-out", "10", "--epochs", "1", "--data", str(mnist_path),
        "--out", str(tmp_path), "--version", "tiny-judge", "--quiet",
    )
    assert out.returncode == 0, out.stderr
    assert "saved" in out.stdout and "held-out pieces" in out.stdout
    judge = OneDigitJudge.load(tmp_path / "tiny-judge")
    assert judge.version == "tiny-judge" and judge.artifact.metadata["training_data"]["numbers"] == 40
    scores = judge.one_digit_for(np.zeros((3, 28, 28), np.float32))
    assert scores.shape == (3,) and ((scores >= 0) & (scores <= 1)).all()
