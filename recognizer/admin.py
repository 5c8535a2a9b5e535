"""The admin: submissions read-only (they record what the model said) and deletable;
model versions read-only (activation goes through lifecycle's safety rule, not a checkbox)."""

import base64

from django.contrib import admin
from django.db.models import Count, F, Q
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html

from recognizer import imaging
from recognizer.models import ModelVersion, Submission, SubmissionDigit
from recognizer.selectors import BINARY_FIELDS


class CorrectionFilter(admin.SimpleListFilter):
    title = "correction"
    parameter_name = "correction"

    NONE, CONFIRMED, CORRECTED = "none", "confirmed", "corrected"

    def lookups(self, request, model_admin):
        return [
            (self.NONE, "None"),
            (self.CONFIRMED, "Confirmed"),
            (self.CORRECTED, "Corrected (wrong)"),
        ]

    def queryset(self, request, queryset):
        # A digit's answer is true_digit, a number's true_number ("" until answered).
        answered = Q(true_digit__isnull=False) | ~Q(true_number="")
        confirmed = Q(true_digit=F("digit")) | (~Q(true_number="") & Q(true_number=F("number")))
        if self.value() == self.NONE:
            return queryset.exclude(answered)
        if self.value() == self.CONFIRMED:
            return queryset.filter(confirmed)
        if self.value() == self.CORRECTED:
            return queryset.filter(answered).exclude(confirmed)
        return queryset


class SubmissionDigitInline(admin.TabularInline):
    """A number's digits, left to right, each with the 28x28 input the model saw."""

    model = SubmissionDigit
    fields = ["position", "digit", "confidence_percent", "box_fractions", "model_input_preview"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Confidence")
    def confidence_percent(self, digit):
        return f"{digit.confidence:.1%}"

    @admin.display(description="Box (left, top, width, height)")
    def box_fractions(self, digit):
        return ", ".join(f"{value:.3f}" for value in digit.box)

    @admin.display(description="Model input (28x28)")
    def model_input_preview(self, digit):
        # A few hundred bytes each: inline, rather than one more image URL per digit.
        data = base64.b64encode(bytes(digit.model_input)).decode("ascii")
        return format_html(
            '<img src="data:image/png;base64,{}" alt="" width="56" height="56" style="{}">',
            data, "image-rendering:pixelated",
        )


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = [
        "thumbnail", "id", "user", "answer", "confidence_percent", "correction", "mode", "source",
        "model_version", "created_at",
    ]
    list_display_links = ["thumbnail", "id"]
    list_filter = ["mode", "digit", CorrectionFilter, "true_digit", "source", "model_version", "created_at"]
    search_fields = ["user__username"]
    list_select_related = ["user", "model_version"]
    date_hierarchy = "created_at"
    list_per_page = 50
    fields = [
        "user", "mode", "source", "image_preview", "model_input_preview", "digit", "number", "confidence",
        "probabilities", "true_digit", "true_number", "corrected_at", "model_version", "judge_version",
        "latency_ms", "image_content_type", "created_at",
    ]
    readonly_fields = fields
    inlines = [SubmissionDigitInline]

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*BINARY_FIELDS)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        # Images are served through the admin (staff only), never from a public media URL.
        image_view = self.admin_site.admin_view(self.image_view)
        return [
            path("<int:submission_id>/image/<str:kind>/", image_view, name="recognizer_submission_image"),
            *super().get_urls(),
        ]

    def image_view(self, request, submission_id: int, kind: str):
        if not self.has_view_permission(request) or kind not in {"original", "thumbnail", "input"}:
            raise Http404
        submission = Submission.objects.filter(pk=submission_id).first()
        if submission is None:
            raise Http404
        if kind == "input":
            content, content_type = bytes(submission.model_input), "image/png"
        elif kind == "thumbnail":
            content, content_type = imaging.thumbnail(image_bytes=bytes(submission.image))
        else:
            content, content_type = imaging.browser_image(
                image_bytes=bytes(submission.image), content_type=submission.image_content_type
            )
        response = HttpResponse(content, content_type=content_type)
        response["Cache-Control"] = "private, max-age=3600"
        return response

    def _image_url(self, submission, kind):
        return reverse("admin:recognizer_submission_image", args=[submission.pk, kind])

    @admin.display(description="Image")
    def thumbnail(self, submission):
        return format_html(
            '<img src="{}" alt="" width="48" height="48" style="object-fit:contain;background:#fff;border-radius:4px">',
            self._image_url(submission, "thumbnail"),
        )

    @admin.display(description="Answer")
    def answer(self, submission):
        return submission.answer

    @admin.display(description="Correction", ordering="true_digit")
    def correction(self, submission):
        if submission.is_correct is None:
            return "—"
        return "confirmed" if submission.is_correct else f"wrong: was {submission.true_answer}"

    @admin.display(description="Confidence", ordering="confidence")
    def confidence_percent(self, submission):
        return f"{submission.confidence:.1%}"

    @admin.display(description="Image")
    def image_preview(self, submission):
        return format_html('<img src="{}" alt="" style="max-width:320px;max-height:320px">',
                           self._image_url(submission, "original"))

    @admin.display(description="Model input (28x28)")
    def model_input_preview(self, submission):
        # A number's inputs are one strip, 28 high and 28 wide per digit.
        side = 70 if submission.is_number else 140
        width = side * max(1, len(submission.number)) if submission.is_number else side
        return format_html(
            '<img src="{}" alt="" width="{}" height="{}" style="image-rendering:pixelated;max-width:100%;height:auto">',
            self._image_url(submission, "input"), width, side,
        )


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = [
        "version", "arch", "accuracy_percent", "is_active", "submission_count", "created_by", "created_at",
    ]
    list_filter = ["is_active", "arch"]
    search_fields = ["version", "notes"]
    list_select_related = ["created_by"]
    fields = ["version", "arch", "is_active", "artifact_path", "metrics", "created_by", "created_at", "notes"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(submission_total=Count("submissions"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # The active version is what every worker serves; activate another one first.
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.is_active)

    @admin.display(description="MNIST accuracy")
    def accuracy_percent(self, model_version):
        accuracy = model_version.mnist_test_accuracy
        return "—" if accuracy is None else f"{accuracy:.2%}"

    @admin.display(description="Submissions", ordering="submission_total")
    def submission_count(self, model_version):
        return model_version.submission_total
