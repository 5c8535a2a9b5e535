"""Writes: a user's word on what their digit, or number, really was.

A confirmation ("Right") stores the predicted answer as the true one, a correction
("It was 4", "It was 2027") another one. Either can be changed later; the latest answer
wins. Corrected drawings become training data, so only the owner may answer for a
submission. A digit submission takes a true digit, a number submission a true number.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from recognizer import selectors
from recognizer.models import DIGITS, MAX_NUMBER_DIGITS, Submission

INVALID_DIGIT_MESSAGE = "The true digit must be a whole number from 0 to 9."
INVALID_NUMBER_MESSAGE = f"The true number must be 1 to {MAX_NUMBER_DIGITS} digits, 0 to 9 only (like 2026)."
BOTH_GIVEN_MESSAGE = "Give a true digit or a true number, not both."
DIGIT_FOR_NUMBER_MESSAGE = "This submission is a number: give the true number (like 2026), not a digit."
NUMBER_FOR_DIGIT_MESSAGE = "This submission is a single digit: give the true digit (0 to 9), not a number."


class InvalidCorrection(ValueError):
    """The answer does not fit the submission; ``str()`` is for the user."""


def submission_correct(
    *, user, submission_id: int, true_digit: int | None = None, true_number: str | None = None
) -> Submission:
    """Record the true answer for one of the user's own submissions, now.

    A digit submission takes ``true_digit``, an int from 0 to 9 (True is not 1); a number
    submission takes ``true_number``, a string of 1 to 64 digits (surrounding spaces are
    ignored; it may have more or fewer digits than were read). Raises
    ``InvalidCorrection`` for anything else, and ``Submission.DoesNotExist`` for a
    missing submission or anyone else's (whatever the answer, so ids reveal nothing).
    """
    if true_digit is not None and true_number is not None:
        raise InvalidCorrection(BOTH_GIVEN_MESSAGE)
    with transaction.atomic():
        # The mode never changes after a submission is made, so reading it first leaves
        # no window: the UPDATE below is still filtered by owner (and mode), and a row
        # deleted in between updates nothing and is "not found".
        mode = Submission.objects.filter(user=user, pk=submission_id).values_list("mode", flat=True).first()
        if mode is None:
            raise Submission.DoesNotExist(f"No submission {submission_id} for this user.")
        answer = _true_answer(mode=mode, true_digit=true_digit, true_number=true_number)
        updated = Submission.objects.filter(user=user, pk=submission_id, mode=mode).update(
            **answer, corrected_at=timezone.now()
        )
        if not updated:
            raise Submission.DoesNotExist(f"No submission {submission_id} for this user.")
        return selectors.submission_get(user=user, submission_id=submission_id)


def _true_answer(*, mode: str, true_digit, true_number) -> dict:
    """The fields to store for the answer given, or ``InvalidCorrection``."""
    if mode == Submission.Mode.NUMBER:
        if true_digit is not None:
            raise InvalidCorrection(DIGIT_FOR_NUMBER_MESSAGE)
        return {"true_number": _valid_number(true_number)}
    if true_number is not None:
        raise InvalidCorrection(NUMBER_FOR_DIGIT_MESSAGE)
    if isinstance(true_digit, bool) or not isinstance(true_digit, int) or true_digit not in DIGITS:
        raise InvalidCorrection(INVALID_DIGIT_MESSAGE)
    return {"true_digit": true_digit}


def _valid_number(true_number) -> str:
    number = true_number.strip() if isinstance(true_number, str) else ""
    # isascii() first: str.isdigit() also accepts "²" and other scripts' digits.
    if not number or len(number) > MAX_NUMBER_DIGITS or not number.isascii() or not number.isdigit():
        raise InvalidCorrection(INVALID_NUMBER_MESSAGE)
    return number
