"""A user's own data, to take away: their history as CSV, and as a ZIP of the CSV plus
every original image and every model input (for a number, each digit's too).

Nothing here holds a whole history in memory. The CSV is produced row by row from a
server-side iterator (the images are never read for it); the ZIP is written into a
spooled temporary file, which moves to disk once it passes SPOOL_MAX_BYTES, reading
the images a chunk of submissions at a time. Only ``user``'s own submissions are read:
every query starts from ``Submission.objects.filter(user=user)``.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Iterable, Iterator

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from recognizer.models import Submission, SubmissionDigit

CSV_NAME = "submissions.csv"
CHUNK_SIZE = 200  # submissions per database round trip (images: a few MB at most)
SPOOL_MAX_BYTES = 8 * 1024 * 1024
COLUMNS = (
    "id",
    "created_at",
    "mode",
    "source",
    "answer",
    "confidence",
    "digit_confidences",
    "digit_boxes",
    "true_answer",
    "correct",
    "model_version",
    "judge_version",
    "image_file",
    "model_input_file",
    "digit_input_files",
)
# The formats the site stores (imaging.FORMAT_MIME_TYPES); anything else keeps its bytes
# under a neutral extension rather than a wrong one.
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/bmp": "bmp",
    "image/webp": "webp",
    "image/tiff": "tif",
}
# A spreadsheet runs a cell that starts with one of these as a formula ("CSV injection").
# Only model version names are typed by people, but every text cell is guarded alike.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def image_file_name(submission_id: int, content_type: str) -> str:
    return f"images/{submission_id}.{EXTENSIONS.get(content_type, 'bin')}"


def model_input_file_name(submission_id: int) -> str:
    return f"inputs/{submission_id}.png"


def digit_input_file_name(submission_id: int, position: int) -> str:
    """What the model saw for one digit of a number, by its place from the left (0 first)."""
    return f"inputs/{submission_id}-{position}.png"


def export_file_name(*, user, extension: str, today=None) -> str:
    """digits-alice-2026-11-21.csv: whose, and as of when."""
    today = today or timezone.localdate()
    return f"digits-{user.get_username()}-{today.isoformat()}.{extension}"


def _submissions(user) -> QuerySet[Submission]:
    """The user's submissions, oldest first, without their images (the CSV's columns)."""
    digits = SubmissionDigit.objects.only("submission_id", "position", "confidence", "box").order_by("position")
    return (
        Submission.objects.filter(user=user)
        .select_related("model_version")
        .only(
            "id", "created_at", "mode", "source", "digit", "number", "confidence",
            "true_digit", "true_number", "image_content_type", "model_version__version",
            "judge_version",
        )
        .prefetch_related(Prefetch("digits", queryset=digits))
        .order_by("created_at", "id")
    )


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _row(submission: Submission) -> list[str]:
    digits = list(submission.digits.all()) if submission.is_number else []
    correct = submission.is_correct
    return [
        str(submission.pk),
        submission.created_at.isoformat(),
        submission.mode,
        submission.source,
        submission.answer,
        f"{submission.confidence:.6f}",
        json.dumps([round(digit.confidence, 6) for digit in digits]) if digits else "",
        json.dumps([digit.box for digit in digits]) if digits else "",
        submission.true_answer or "",
        "" if correct is None else ("yes" if correct else "no"),
        _cell(submission.model_version.version),
        _cell(submission.judge_version),
        image_file_name(submission.pk, submission.image_content_type),
        model_input_file_name(submission.pk),
        json.dumps([digit_input_file_name(submission.pk, digit.position) for digit in digits]) if digits else "",
    ]


def csv_rows(*, user) -> Iterator[list[str]]:
    """The header, then one row per submission of ``user``, oldest first."""
    yield list(COLUMNS)
    for submission in _submissions(user).iterator(chunk_size=CHUNK_SIZE):
        yield _row(submission)


class _Echo:
    """A file-like object whose write() hands the line back (Django's streaming CSV recipe)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(*, user) -> Iterator[str]:
    """The CSV as text lines, for a StreamingHttpResponse."""
    writer = csv.writer(_Echo())
    return (writer.writerow(row) for row in csv_rows(user=user))


def write_csv(rows: Iterable[list[str]], stream) -> None:
    writer = csv.writer(stream)
    for row in rows:
        writer.writerow(row)


def zip_archive(*, user) -> tempfile.SpooledTemporaryFile:
    """The user's CSV plus ``images/<id>.<ext>`` (the original as stored) and
    ``inputs/<id>.png`` (what the model saw; for a number its digits side by side) for
    every submission, and ``inputs/<id>-<position>.png`` for each digit of a number, in a
    temporary file positioned at its start. The caller closes it.
    """
    archive = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_BYTES)
    try:
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            # One member is written at a time (zipfile's rule), so the CSV goes first and
            # the images follow in a second pass over the same rows.
            with bundle.open(CSV_NAME, "w") as member, io.TextIOWrapper(member, encoding="utf-8", newline="") as text:
                write_csv(csv_rows(user=user), text)
            digit_inputs = SubmissionDigit.objects.only("submission_id", "position", "model_input").order_by("position")
            images = (
                Submission.objects.filter(user=user)
                .only("id", "image", "image_content_type", "model_input")
                .prefetch_related(Prefetch("digits", queryset=digit_inputs))
                .order_by("created_at", "id")
            )
            for submission in images.iterator(chunk_size=CHUNK_SIZE):
                # Images are compressed already; deflating them again only costs time.
                bundle.writestr(
                    image_file_name(submission.pk, submission.image_content_type),
                    bytes(submission.image),
                    compress_type=zipfile.ZIP_STORED,
                )
                bundle.writestr(
                    model_input_file_name(submission.pk),
                    bytes(submission.model_input),
                    compress_type=zipfile.ZIP_STORED,
                )
                for digit in submission.digits.all():  # a number's; a single digit has none
                    bundle.writestr(
                        digit_input_file_name(submission.pk, digit.position),
                        bytes(digit.model_input),
                        compress_type=zipfile.ZIP_STORED,
                    )
    except BaseException:
        archive.close()
        raise
    archive.seek(0)
    return archive
