"""`manage.py predict`: one line per image, bad files reported, nothing stored."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from recognizer.models import Submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def image_folder(tmp_path, drawn_digit):
    (tmp_path / "nested").mkdir()
    (tmp_path / "a-one.png").write_bytes(drawn_digit("one"))
    (tmp_path / "b-broken.png").write_bytes(b"definitely not a png")
    (tmp_path / "nested" / "c-zero.jpg").write_bytes(drawn_digit("zero", image_format="JPEG"))
    (tmp_path / "notes.txt").write_text("folders only yield image files")
    return tmp_path


def run_predict(*args) -> tuple[str, CommandError | None]:
    out = io.StringIO()
    try:
        call_command("predict", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


def test_text_output_one_line_per_image(tmp_path, drawn_digit):
    (tmp_path / "one.png").write_bytes(drawn_digit("one"))
    (tmp_path / "zero.png").write_bytes(drawn_digit("zero"))

    output, error = run_predict(str(tmp_path / "one.png"), str(tmp_path / "zero.png"))

    assert error is None
    lines = output.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{tmp_path / 'one.png'}: 1 (")
    assert lines[0].endswith("%)")
    assert lines[1].startswith(f"{tmp_path / 'zero.png'}: 0 (")
    assert Submission.objects.count() == 0


def test_folder_recursion_and_bad_file_in_json(image_folder):
    output, error = run_predict("--json", str(image_folder))

    rows = [json.loads(line) for line in output.splitlines()]
    assert [row["path"] for row in rows] == [
        str(image_folder / "a-one.png"),
        str(image_folder / "b-broken.png"),
        str(image_folder / "nested" / "c-zero.jpg"),
    ]
    one, broken, zero = rows
    assert (one["digit"], one["error"]) == (1, None)
    assert len(one["probabilities"]) == 10
    assert 0 < one["confidence"] <= 1
    assert broken["digit"] is None and broken["confidence"] is None and broken["probabilities"] is None
    assert "not an image" in broken["error"]
    assert (zero["digit"], zero["error"]) == (0, None)
    assert isinstance(error, CommandError)  # a non-zero exit tells scripts something failed
    assert Submission.objects.count() == 0


def test_missing_file_is_an_error_line(tmp_path):
    output, error = run_predict(str(tmp_path / "missing.png"))
    assert output.startswith(f"{tmp_path / 'missing.png'}: error: ")
    assert error is not None


def test_many_images_go_through_in_batches(tmp_path, drawn_digit):
    for index in range(70):  # more than one batch of 64
        (tmp_path / f"{index:03}.png").write_bytes(drawn_digit("one" if index % 2 else "zero"))
    (tmp_path / "050-blank.png").write_bytes(drawn_digit("blank"))

    output, error = run_predict("--json", str(tmp_path))

    rows = [json.loads(line) for line in output.splitlines()]
    assert len(rows) == 71
    blank = [row for row in rows if row["path"].endswith("blank.png")]
    assert blank[0]["digit"] is None and "draw a digit first" in blank[0]["error"].lower()
    good = [row for row in rows if row["error"] is None]
    assert all(row["digit"] == (1 if int(row["path"][-7:-4]) % 2 else 0) for row in good)


def test_model_unavailable_is_a_command_error(broken_model, tmp_path, drawn_digit):
    (tmp_path / "one.png").write_bytes(drawn_digit("one"))
    with pytest.raises(CommandError, match="could not be loaded"):
        call_command("predict", str(tmp_path / "one.png"), stdout=io.StringIO())
