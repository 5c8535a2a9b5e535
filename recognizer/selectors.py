"""Reads: a user's own submissions (another user's does not exist for them), and the
model versions."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from recognizer.models import ModelVersion, Submission, SubmissionDigit

# The images are served by their own views; lists and pages never need the bytes.
BINARY_FIELDS = ("image", "model_input")
# A submission names its model version; the version's scores (kilobytes) are not needed.
VERSION_SCORES = "model_version__metrics"


def submission_list(
    *,
    user,
    digit: int | None = None,
    source: str | None = None,
    mode: str | None = None,
    corrected: bool | None = None,
    with_digits: bool = False,
) -> QuerySet[Submission]:
    """The user's submissions, newest first, optionally only one predicted digit, source
    or mode (digits or numbers), or only those the user did (or did not yet) confirm or
    correct. ``with_digits`` fetches numbers' digits in one more query, not one per row."""
    submissions = (
        Submission.objects.filter(user=user).select_related("model_version").defer(*BINARY_FIELDS, VERSION_SCORES)
    )
    if digit is not None:
        submissions = submissions.filter(digit=digit)
    if source is not None:
        submissions = submissions.filter(source=source)
    if mode is not None:
        submissions = submissions.filter(mode=mode)
    if corrected is not None:
        submissions = submissions.filter(corrected_at__isnull=not corrected)
    if with_digits:
        submissions = submissions.prefetch_related(
            Prefetch("digits", queryset=SubmissionDigit.objects.defer("model_input"))
        )
    return submissions.order_by("-created_at", "-id")


def submission_get(*, user, submission_id: int, with_images: bool = False) -> Submission:
    """One of the user's submissions; raises ``Submission.DoesNotExist`` for anyone else's."""
    submissions = Submission.objects.filter(user=user).select_related("model_version").defer(VERSION_SCORES)
    if not with_images:
        submissions = submissions.defer(*BINARY_FIELDS)
    return submissions.get(pk=submission_id)


def active_model_version() -> ModelVersion | None:
    """The version every worker serves (None only on a database nobody migrated)."""
    return ModelVersion.objects.filter(is_active=True).first()


def active_model_version_stamp() -> tuple[str, str] | None:
    """(version, artifact_path) of the active version: the small query serving repeats."""
    return ModelVersion.objects.filter(is_active=True).values_list("version", "artifact_path").first()


def model_version_list() -> QuerySet[ModelVersion]:
    """All versions, newest first, each with ``submission_count``."""
    return (
        ModelVersion.objects.select_related("created_by")
        .annotate(submission_count=Count("submissions"))
        .order_by("-created_at", "-id")
    )


def model_version_get(*, version: str) -> ModelVersion:
    """One version by name; raises ``ModelVersion.DoesNotExist``."""
    return ModelVersion.objects.select_related("created_by").get(version=version)
