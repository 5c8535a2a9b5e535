"""Tables only: the rules for creating submissions, recording corrections and switching
models live in services.py and lifecycle.py."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

DIGITS = range(10)
MAX_NUMBER_DIGITS = 64


def validate_probabilities(value):
    """Ten numbers in 0..1, one per digit: what the model answered."""
    if not isinstance(value, list) or len(value) != len(DIGITS):
        raise ValidationError("Probabilities must be a list of 10 numbers.")
    for probability in value:
        if isinstance(probability, bool) or not isinstance(probability, (int, float)) or not 0 <= probability <= 1:
            raise ValidationError("Each probability must be a number from 0 to 1.")


def validate_number(value):
    """A number as read or corrected: digits only, at least one."""
    if not value.isascii() or not value.isdigit():
        raise ValidationError("A number is written with the digits 0 to 9 only.")


def validate_box(value):
    """[left, top, width, height] as fractions of the image, inside it."""
    if not isinstance(value, list) or len(value) != 4:
        raise ValidationError("A box is [left, top, width, height].")
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1 for v in value):
        raise ValidationError("Box coordinates are fractions from 0 to 1 of the image.")


def resolve_artifact_path(artifact_path: str) -> Path | None:
    """A stored ``ModelVersion.artifact_path`` as a folder (relative ones are under BASE_DIR)."""
    if not artifact_path:
        return None
    path = Path(artifact_path)
    return path if path.is_absolute() else Path(settings.BASE_DIR) / path


class ModelVersion(models.Model):
    """One trained model the site knows about: its folder on disk and its scores.

    Exactly one version is active (the one web workers serve); the partial unique
    constraint makes a second active row impossible even for concurrent writers.
    """

    version = models.CharField(max_length=100, unique=True)
    arch = models.CharField(max_length=20)
    # Relative to BASE_DIR when the folder is inside the project (the bundled model), so
    # a checkout moved elsewhere still finds it; absolute otherwise.
    artifact_path = models.CharField(max_length=500, blank=True)
    # mnist_test_accuracy, per_class_accuracy, confusion_matrix, history (one dict per
    # epoch), training_seconds and, for runs that used corrections, feedback.
    metrics = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="one_active_model_version"
            ),
        ]

    def __str__(self):
        return self.version

    @property
    def artifact_dir(self) -> Path | None:
        """The model folder on disk, or None for a version known only by name."""
        return resolve_artifact_path(self.artifact_path)

    @property
    def mnist_test_accuracy(self) -> float | None:
        return (self.metrics or {}).get("mnist_test_accuracy")

    @staticmethod
    def stored_path(folder) -> str:
        """What ``artifact_path`` holds for ``folder``: relative inside the project."""
        folder = Path(folder).resolve()
        try:
            return str(folder.relative_to(Path(settings.BASE_DIR).resolve()))
        except ValueError:
            return str(folder)


class RetrainLock(models.Model):
    """At most one retrain at a time, across processes and machines sharing the database.

    A single named row: inserting it takes the lock, deleting it releases it. The holder
    refreshes ``heartbeat_at`` every epoch; a row whose heartbeat is old belongs to a
    retrain that died without cleaning up and may be taken over (see lifecycle.py).
    """

    name = models.CharField(max_length=50, primary_key=True)
    holder = models.CharField(max_length=200)  # host:pid
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.name} held by {self.holder} since {self.started_at:%Y-%m-%d %H:%M:%S}"


class Submission(models.Model):
    """One image a user asked the model about, and what the model answered.

    A *digit* submission holds one answer (``digit``, ``probabilities``); a *number*
    submission holds the string it read (``number``) and one ``SubmissionDigit`` per digit,
    left to right. ``confidence`` is the digit's, or for a number the product of its
    digits' (the chance that every digit is right).
    """

    class Source(models.TextChoices):
        CANVAS = "canvas", "Drawn"
        UPLOAD = "upload", "Uploaded"

    class Mode(models.TextChoices):
        DIGIT = "digit", "Digit"
        NUMBER = "number", "Number"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions")
    source = models.CharField(max_length=10, choices=Source.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.DIGIT)
    # The image lives in the database on purpose: one transaction stores everything, no
    # file can be left behind, and deleting a user deletes their images.
    image = models.BinaryField()
    image_content_type = models.CharField(max_length=50)
    model_input = models.BinaryField(
        help_text="What the model saw, as PNG: the 28x28 input, or for a number its digits' inputs side by side."
    )
    # Digit mode only.
    digit = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(9)]
    )
    # Number mode only: the digits read, left to right.
    number = models.CharField(max_length=MAX_NUMBER_DIGITS, blank=True, validators=[validate_number])
    confidence = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    # Digit mode only (a number's are on its SubmissionDigit rows).
    probabilities = models.JSONField(null=True, blank=True, validators=[validate_probabilities])
    # PROTECT: a version that answered someone cannot vanish from under their history.
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="submissions")
    # Number mode only: the one-digit judge that decided where touching digits were cut
    # (ml.judge; it comes with the serving code, not as a ModelVersion). Blank for a digit,
    # a number read without a judge, and numbers stored before it was recorded.
    judge_version = models.CharField(max_length=100, blank=True)
    latency_ms = models.FloatField(validators=[MinValueValidator(0.0)])
    created_at = models.DateTimeField(default=timezone.now)
    # The user's word on the answer: a confirmation stores the predicted answer, a
    # correction another one. Corrected drawings become training data (lifecycle.py).
    true_digit = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(9)]
    )
    true_number = models.CharField(max_length=MAX_NUMBER_DIGITS, blank=True, validators=[validate_number])
    corrected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The id breaks ties between submissions made in the same instant, so pages of
        # the history never repeat or skip one.
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="submission_user_created_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(digit__isnull=True) | models.Q(digit__gte=0, digit__lte=9),
                name="submission_digit_0_9",
            ),
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0.0, confidence__lte=1.0), name="submission_confidence_0_1"
            ),
            models.CheckConstraint(condition=models.Q(source__in=["canvas", "upload"]), name="submission_source_valid"),
            models.CheckConstraint(
                condition=models.Q(true_digit__isnull=True) | models.Q(true_digit__gte=0, true_digit__lte=9),
                name="submission_true_digit_0_9",
            ),
            # Each mode has its own answer fields, and only those.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        mode="digit",
                        digit__isnull=False,
                        probabilities__isnull=False,
                        number="",
                        true_number="",
                    )
                    | models.Q(mode="number", digit__isnull=True, true_digit__isnull=True)
                    & ~models.Q(number="")
                ),
                name="submission_mode_fields",
            ),
            models.CheckConstraint(
                condition=models.Q(mode="number") | models.Q(judge_version=""), name="submission_judge_numbers_only"
            ),
        ]

    def __str__(self):
        return f"Submission {self.pk}: {self.answer} ({self.confidence:.0%}), {self.get_source_display().lower()}"

    @property
    def is_number(self) -> bool:
        return self.mode == self.Mode.NUMBER

    @property
    def answer(self) -> str:
        """What the model read, as text: "7", or "2026" for a number."""
        return self.number if self.is_number else str(self.digit)

    @property
    def true_answer(self) -> str | None:
        """What the user said it is, as text; None until they said."""
        if self.is_number:
            return self.true_number or None
        return None if self.true_digit is None else str(self.true_digit)

    @property
    def is_correct(self) -> bool | None:
        """Whether the model was right by the user's word; None until they said."""
        true_answer = self.true_answer
        return None if true_answer is None else true_answer == self.answer


class SubmissionDigit(models.Model):
    """One digit of a number submission: where it was and what the model read there."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="digits")
    position = models.PositiveSmallIntegerField(help_text="0 is the leftmost digit.")
    digit = models.PositiveSmallIntegerField(validators=[MinValueValidator(0), MaxValueValidator(9)])
    confidence = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    probabilities = models.JSONField(validators=[validate_probabilities])
    # [left, top, width, height] as fractions (0..1) of the image's width and height, so
    # the box fits the stored original whatever size it was kept at.
    box = models.JSONField(validators=[validate_box])
    model_input = models.BinaryField(help_text="The 28x28 image the model saw for this digit, as PNG.")

    class Meta:
        ordering = ["submission", "position"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "position"], name="submission_digit_position_unique"),
            models.CheckConstraint(condition=models.Q(digit__gte=0, digit__lte=9), name="submission_digit_digit_0_9"),
        ]

    def __str__(self):
        return f"Digit {self.position} of submission {self.submission_id}: {self.digit}"


class ApiToken(models.Model):
    """A personal token a program sends as ``Authorization: Bearer <token>``.

    Only a SHA-256 of the token is stored: the token is 256 random bits, so a fast hash is
    as safe as a slow one (nothing to guess), and a leaked table reveals no usable token.
    The owner sees the token once, when it is made; ``prefix`` lets them tell tokens apart.
    Revoking a token deletes its row.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"
