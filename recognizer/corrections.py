"""Writes: a user's word on what their digit really was.

A confirmation ("Right") stores the predicted digit as the true one, a correction
("It was 4") another digit. Either can be changed later; the latest answer wins.
Corrected drawings become training data, so only the owner may answer for a submission.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from recognizer import selectors
from recognizer.models import DIGITS, Submission

INVALID_DIGIT_MESSAGE = "The true digit must be a whole number from 0 to 9."


class InvalidCorrection(ValueError):
    """The answer is not a digit; ``str()`` is for the user."""


def submission_correct(*, user, submission_id: int, true_digit: int) -> Submission:
    """Record ``true_digit`` (0..9) for one of the user's own submissions, now.

    Raises ``InvalidCorrection`` for anything but an int from 0 to 9 (True is not 1), and
    ``Submission.DoesNotExist`` for a missing submission or anyone else's.
    """
    if isinstance(true_digit, bool) or not isinstance(true_digit, int) or true_digit not in DIGITS:
        raise InvalidCorrection(INVALID_DIGIT_MESSAGE)
    with transaction.atomic():
        # One UPDATE filtered by owner: there is no read-then-write window in which the
        # row could change hands or be answered twice with one answer lost halfway.
        updated = Submission.objects.filter(user=user, pk=submission_id).update(
            true_digit=true_digit, corrected_at=timezone.now()
        )
        if not updated:
            raise Submission.DoesNotExist(f"No submission {submission_id} for this user.")
        return selectors.submission_get(user=user, submission_id=submission_id)
