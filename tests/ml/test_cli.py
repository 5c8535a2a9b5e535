"""``python -m ml``: predict and evaluate print what scripts can read."""

import json
import subprocess
import sys

from tests.drawings import draw_one, draw_zero
from tests.ml.test_numbers import number_image


def run_ml(*args, env=None):
    return subprocess.run([sys.executable, "-m", "ml", *args], capture_output=True, text=True, env=env, check=False)


def test_predict_json_one_object_per_line_and_bad_files_go_on(tmp_path):
    draw_one().save(tmp_path / "a_one.png")
    draw_zero().save(tmp_path / "b_zero.jpg")
    (tmp_path / "c_broken.png").write_bytes(b"not an image")
    out = run_ml("predict", "--json", str(tmp_path))
    assert out.returncode == 1 and "1 image(s) could not be recognized" in out.stderr
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["path"].rsplit("/", 1)[-1] for r in records] == ["a_one.png", "b_zero.jpg", "c_broken.png"]
    assert [r["digit"] for r in records] == [1, 0, None]
    assert records[2]["error"] and records[0]["error"] is None
    assert all(set(r) == {"path", "digit", "confidence", "probabilities", "error"} for r in records)
    assert len(records[0]["probabilities"]) == 10


def test_predict_text(tmp_path):
    draw_zero().save(tmp_path / "zero.png")
    out = run_ml("predict", str(tmp_path / "zero.png"))
    assert out.returncode == 0 and out.stdout.startswith(f"{tmp_path / 'zero.png'}: 0 (")


def test_evaluate_json(mnist_path, tiny_artifact):
    out = run_ml("evaluate", "--model", str(tiny_artifact.path), "--data", str(mnist_path), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert set(report) == {"accuracy", "per_class", "confusion", "n", "model_version"}
    assert report["n"] == 10000 and report["model_version"] == "tiny-cnn"
    assert report["accuracy"] == tiny_artifact.metadata["mnist_test_accuracy"]


def test_evaluate_missing_data_is_a_clear_error(tmp_path):
    out = run_ml("evaluate", "--data", str(tmp_path / "none.npz"))
    assert out.returncode == 2 and "MNIST file not found" in out.stderr


def test_predict_number_json_gives_the_number_its_digits_and_boxes(tmp_path):
    number_image("2026").save(tmp_path / "a_year.png")
    (tmp_path / "b_broken.png").write_bytes(b"not an image")
    out = run_ml("predict", "--number", "--json", str(tmp_path))
    assert out.returncode == 1 and "1 image(s) could not be recognized" in out.stderr
    year, broken = (json.loads(line) for line in out.stdout.splitlines())
    assert set(year) == set(broken) == {"path", "number", "confidence", "digits", "error"}
    assert year["number"] == "2026" and year["error"] is None and 0 < year["confidence"] <= 1
    assert [d["digit"] for d in year["digits"]] == [2, 0, 2, 6]
    for digit in year["digits"]:
        assert set(digit) == {"digit", "confidence", "box"}
        assert len(digit["box"]) == 4 and all(0 <= v <= 1 for v in digit["box"])
    assert broken["number"] is None and broken["digits"] is None and broken["error"]


def test_predict_number_text(tmp_path):
    number_image("54").save(tmp_path / "fifty_four.png")
    out = run_ml("predict", "--number", str(tmp_path / "fifty_four.png"))
    assert out.returncode == 0 and out.stdout.startswith(f"{tmp_path / 'fifty_four.png'}: 54 (")
