"""Reads: a user's own submissions. Another user's submission does not exist for them."""

from __future__ import annotations

from django.db.models import QuerySet

from recognizer.models import Submission

# The images are served by their own views; lists and pages never need the bytes.
BINARY_FIELDS = ("image", "model_input")


def submission_list(*, user, digit: int | None = None, source: str | None = None) -> QuerySet[Submission]:
    """The user's submissions, newest first, optionally only one predicted digit or source."""
    submissions = Submission.objects.filter(user=user).defer(*BINARY_FIELDS)
    if digit is not None:
        submissions = submissions.filter(digit=digit)
    if source is not None:
        submissions = submissions.filter(source=source)
    return submissions.order_by("-created_at", "-id")


def submission_get(*, user, submission_id: int, with_images: bool = False) -> Submission:
    """One of the user's submissions; raises ``Submission.DoesNotExist`` for anyone else's."""
    submissions = Submission.objects.filter(user=user)
    if not with_images:
        submissions = submissions.defer(*BINARY_FIELDS)
    return submissions.get(pk=submission_id)

