"""Reads: the figures of the Statistics pages, for one user or across all users, and
optionally for one model version.

Every figure is a database aggregate (GROUP BY and conditional COUNTs), never a Python
loop over the rows: a user with 100,000 submissions costs the same handful of queries
as one with ten. Python only fills in what the database cannot know, such as the days
on which nothing was submitted.

"Judged" means the user said what the image really was (a confirmation or a correction);
accuracy is counted over judged submissions only, and every figure says how many that
was. A digit submission is right when ``true_digit`` equals ``digit``; a number
submission when ``true_number`` equals ``number``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Length, Substr, TruncDate
from django.utils import timezone

from recognizer.models import DIGITS, ModelVersion, Submission, SubmissionDigit

WINDOWS = (30, 90)  # the per-day chart's choices, in days
DEFAULT_WINDOW = WINDOWS[0]
TOP_MISTAKES = 5

DIGIT_MODE = Submission.Mode.DIGIT
NUMBER_MODE = Submission.Mode.NUMBER
JUDGED_DIGIT = Q(mode=DIGIT_MODE, true_digit__isnull=False)
RIGHT_DIGIT = Q(mode=DIGIT_MODE, true_digit=F("digit"))
JUDGED_NUMBER = Q(mode=NUMBER_MODE) & ~Q(true_number="")
# A number submission's ``number`` is never empty (a check constraint), so an unjudged
# one (true_number "") never counts as right.
RIGHT_NUMBER = Q(mode=NUMBER_MODE, true_number=F("number"))


def _share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide by (no data is not 0%)."""
    return part / whole if whole else None


@dataclass(frozen=True)
class Tally:
    """How many submissions, how many of them were judged, and how many judged right."""

    total: int = 0
    numbers: int = 0
    judged_digits: int = 0
    right_digits: int = 0
    judged_numbers: int = 0
    right_numbers: int = 0

    @property
    def digits(self) -> int:
        return self.total - self.numbers

    @property
    def judged(self) -> int:
        return self.judged_digits + self.judged_numbers

    @property
    def right(self) -> int:
        return self.right_digits + self.right_numbers

    @property
    def wrong(self) -> int:
        return self.judged - self.right

    @property
    def accuracy(self) -> float | None:
        return _share(self.right, self.judged)

    @property
    def digit_accuracy(self) -> float | None:
        return _share(self.right_digits, self.judged_digits)

    @property
    def number_accuracy(self) -> float | None:
        return _share(self.right_numbers, self.judged_numbers)


# The aggregates behind a Tally; the same dict serves the totals, each source and each
# model version, so the three can never count differently.
TALLY_AGGREGATES = {
    "total": Count("id"),
    "numbers": Count("id", filter=Q(mode=NUMBER_MODE)),
    "judged_digits": Count("id", filter=JUDGED_DIGIT),
    "right_digits": Count("id", filter=RIGHT_DIGIT),
    "judged_numbers": Count("id", filter=JUDGED_NUMBER),
    "right_numbers": Count("id", filter=RIGHT_NUMBER),
}


def _tally(row: dict) -> Tally:
    return Tally(**{name: row[name] or 0 for name in TALLY_AGGREGATES})


@dataclass(frozen=True)
class LabelledTally:
    """One row of a breakdown: a source or a model version, and its tally."""

    key: str
    label: str
    tally: Tally
    is_active: bool = False


@dataclass(frozen=True)
class DayCount:
    day: datetime.date
    count: int


@dataclass(frozen=True)
class Mistake:
    """One off-diagonal cell of the confusion table: ``true`` read as ``predicted``."""

    true: int
    predicted: int
    count: int

    def __str__(self):
        times = {1: "once", 2: "twice"}.get(self.count, f"{self.count} times")
        return f"{self.true} read as {self.predicted}: {times}"


@dataclass(frozen=True)
class Confusion:
    """Judged digits: ``matrix[true][predicted]`` counts, digit submissions and the digits
    of judged numbers together. A number whose correction has another count of digits
    than the model read cannot be lined up digit by digit; those are only counted."""

    matrix: list[list[int]]
    unaligned_numbers: int = 0

    @property
    def judged(self) -> int:
        return sum(map(sum, self.matrix))

    @property
    def mistakes(self) -> list[Mistake]:
        """The most frequent mistakes first (at most TOP_MISTAKES)."""
        cells = [
            Mistake(true, predicted, self.matrix[true][predicted])
            for true in DIGITS
            for predicted in DIGITS
            if true != predicted and self.matrix[true][predicted]
        ]
        cells.sort(key=lambda cell: (-cell.count, cell.true, cell.predicted))
        return cells[:TOP_MISTAKES]


@dataclass(frozen=True)
class Statistics:
    tally: Tally
    by_source: list[LabelledTally]
    daily: list[DayCount]
    digit_counts: list[int]
    confusion: Confusion

    @property
    def window(self) -> int:
        return len(self.daily)

    @property
    def in_window(self) -> int:
        return sum(day.count for day in self.daily)


# --- Selectors -----------------------------------------------------------------------


def submissions_in_scope(*, user=None, model_version: ModelVersion | None = None) -> QuerySet[Submission]:
    """The submissions a page counts: one user's (None: everyone's), one version's or all.

    ``order_by()`` drops the model's default ordering, which has no place in a GROUP BY.
    """
    submissions = Submission.objects.order_by()
    if user is not None:
        submissions = submissions.filter(user=user)
    if model_version is not None:
        submissions = submissions.filter(model_version=model_version)
    return submissions


def statistics(
    *, user=None, model_version: ModelVersion | None = None, days: int = DEFAULT_WINDOW,
    today: datetime.date | None = None,
) -> Statistics:
    """Everything the Statistics page shows for this scope: about eight small queries."""
    submissions = submissions_in_scope(user=user, model_version=model_version)
    return Statistics(
        tally=tally(submissions),
        by_source=by_source(submissions),
        daily=daily_counts(submissions, days=days, today=today),
        digit_counts=digit_counts(submissions),
        confusion=confusion(submissions),
    )


def tally(submissions: QuerySet[Submission]) -> Tally:
    return _tally(submissions.aggregate(**TALLY_AGGREGATES))


def by_source(submissions: QuerySet[Submission]) -> list[LabelledTally]:
    """One row per source that has submissions, in the order of ``Submission.Source``."""
    rows = {row["source"]: row for row in submissions.values("source").annotate(**TALLY_AGGREGATES)}
    return [
        LabelledTally(key=value, label=label, tally=_tally(rows[value]))
        for value, label in Submission.Source.choices
        if value in rows
    ]


def by_model_version(submissions: QuerySet[Submission]) -> list[LabelledTally]:
    """One row per model version that answered any of ``submissions``, newest first."""
    rows = (
        submissions.values("model_version__version", "model_version__is_active", "model_version__created_at")
        .annotate(**TALLY_AGGREGATES)
        .order_by("-model_version__created_at", "model_version__version")
    )
    return [
        LabelledTally(
            key=row["model_version__version"],
            label=row["model_version__version"],
            tally=_tally(row),
            is_active=row["model_version__is_active"],
        )
        for row in rows
    ]


def daily_counts(
    submissions: QuerySet[Submission], *, days: int = DEFAULT_WINDOW, today: datetime.date | None = None
) -> list[DayCount]:
    """Submissions per day for the last ``days`` days up to ``today`` (in the site's time
    zone), oldest first, days without any included as zero."""
    if days < 1:
        raise ValueError("The window is at least one day.")
    today = today or timezone.localdate()
    first_day = today - datetime.timedelta(days=days - 1)
    since = timezone.make_aware(datetime.datetime.combine(first_day, datetime.time.min))
    until = since + datetime.timedelta(days=days)
    rows = (
        submissions.filter(created_at__gte=since, created_at__lt=until)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(count=Count("id"))
    )
    counts = {row["day"]: row["count"] for row in rows}
    return [
        DayCount(day=day, count=counts.get(day, 0))
        for day in (first_day + datetime.timedelta(days=offset) for offset in range(days))
    ]


def digit_counts(submissions: QuerySet[Submission]) -> list[int]:
    """How often the model read each digit: digit submissions by their answer, numbers
    by each of their digits (so "2026" adds one 2, one 0 and one 6... and a second 2)."""
    counts = [0] * len(DIGITS)
    singles = submissions.filter(mode=DIGIT_MODE).values("digit").annotate(count=Count("id"))
    in_numbers = (
        SubmissionDigit.objects.filter(submission__in=submissions.filter(mode=NUMBER_MODE).values("pk"))
        .order_by()
        .values("digit")
        .annotate(count=Count("id"))
    )
    for row in (*singles, *in_numbers):
        counts[row["digit"]] += row["count"]
    return counts


def confusion(submissions: QuerySet[Submission]) -> Confusion:
    """The judged digits as a 10x10 table of true against predicted (see ``Confusion``)."""
    matrix = [[0] * len(DIGITS) for _ in DIGITS]
    singles = submissions.filter(JUDGED_DIGIT).values("true_digit", "digit").annotate(count=Count("id"))
    for row in singles:
        matrix[row["true_digit"]][row["digit"]] += row["count"]

    judged_numbers = submissions.filter(JUDGED_NUMBER).alias(
        true_length=Length("true_number"), read_length=Length("number")
    )
    aligned = judged_numbers.filter(true_length=F("read_length"))
    # The true digit at the same position, taken from the correction by the database
    # (SUBSTR is 1-based; positions are 0-based).
    in_numbers = (
        SubmissionDigit.objects.filter(submission__in=aligned.values("pk"))
        .order_by()
        .annotate(true_digit=Substr("submission__true_number", F("position") + 1, 1))
        .values("true_digit", "digit")
        .annotate(count=Count("id"))
    )
    for row in in_numbers:
        matrix[int(row["true_digit"])][row["digit"]] += row["count"]
    unaligned = judged_numbers.exclude(true_length=F("read_length")).count()
    return Confusion(matrix=matrix, unaligned_numbers=unaligned)


def model_version_choices() -> QuerySet[ModelVersion]:
    """The versions the staff page can be filtered by: those that answered anyone."""
    return (
        ModelVersion.objects.filter(submissions__isnull=False)
        .distinct()
        .only("version", "is_active", "created_at")
        .order_by("-created_at", "-id")
    )
