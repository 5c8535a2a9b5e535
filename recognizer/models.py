"""Tables only: the rules for creating and deleting submissions live in services.py."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

DIGITS = range(10)


def validate_probabilities(value):
    """Ten numbers in 0..1, one per digit: what the model answered."""
    if not isinstance(value, list) or len(value) != len(DIGITS):
        raise ValidationError("Probabilities must be a list of 10 numbers.")
    for probability in value:
        if isinstance(probability, bool) or not isinstance(probability, (int, float)) or not 0 <= probability <= 1:
            raise ValidationError("Each probability must be a number from 0 to 1.")


class Submission(models.Model):
    """One image a user asked the model about, and what the model answered."""

    class Source(models.TextChoices):
        CANVAS = "canvas", "Drawn"
        UPLOAD = "upload", "Uploaded"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions")
    source = models.CharField(max_length=10, choices=Source.choices)
    # The image lives in the database on purpose: one transaction stores everything, no
    # file can be left behind, and deleting a user deletes their images.
    image = models.BinaryField()
    image_content_type = models.CharField(max_length=50)
    model_input = models.BinaryField(help_text="The 28x28 image the model saw, as PNG.")
    digit = models.PositiveSmallIntegerField(validators=[MinValueValidator(0), MaxValueValidator(9)])
    confidence = models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)])
    probabilities = models.JSONField(validators=[validate_probabilities])
    model_version = models.CharField(max_length=100)
    latency_ms = models.FloatField(validators=[MinValueValidator(0.0)])
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # The id breaks ties between submissions made in the same instant, so pages of
        # the history never repeat or skip one.
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="submission_user_created_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(digit__gte=0, digit__lte=9), name="submission_digit_0_9"),
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0.0, confidence__lte=1.0), name="submission_confidence_0_1"
            ),
            models.CheckConstraint(condition=models.Q(source__in=["canvas", "upload"]), name="submission_source_valid"),
        ]

    def __str__(self):
        return f"Submission {self.pk}: {self.digit} ({self.confidence:.0%}), {self.get_source_display().lower()}"
