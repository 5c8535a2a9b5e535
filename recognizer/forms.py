from django import forms
from django.conf import settings

from recognizer.limits import image_limit
from recognizer.models import Submission

ACCEPTED_FILE_TYPES = "image/png,image/jpeg,image/gif,image/bmp,image/webp,image/tiff,.png,.jpg,.jpeg,.gif,.bmp,.webp,.tif,.tiff"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe); cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPTED_FILE_TYPES}))
        super().__init__(*args, **kwargs)

    def clean(self, value, initial=None):
        clean_one = super().clean
        if isinstance(value, (list, tuple)):
            return [clean_one(item, initial) for item in value] or clean_one(None, initial)
        return [clean_one(value, initial)]


class UploadForm(forms.Form):
    images = MultipleFileField(
        label="Images",
        error_messages={"required": "Choose at least one image.", "empty": "The file is empty."},
    )
    mode = forms.ChoiceField(
        label="Each image holds",
        choices=[(Submission.Mode.DIGIT, "One digit"), (Submission.Mode.NUMBER, "A number")],
        initial=Submission.Mode.DIGIT,
        # Missing (an older page, a script) means a digit, as it always did.
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # From settings when the form is made, so that the page states the limit enforced.
        self.fields["images"].help_text = (
            f"PNG, JPEG, GIF, BMP, WebP or TIFF, up to {image_limit()} each; one digit, or one number, per image."
        )

    def clean_images(self):
        images = self.cleaned_data["images"]
        if len(images) > settings.DIGITS_MAX_FILES_PER_UPLOAD:
            raise forms.ValidationError(f"At most {settings.DIGITS_MAX_FILES_PER_UPLOAD} images at a time.")
        return images

    def clean_mode(self):
        return self.cleaned_data["mode"] or Submission.Mode.DIGIT


class HistoryFilterForm(forms.Form):
    """The history's GET filters; an invalid value is ignored rather than an error page."""

    digit = forms.TypedChoiceField(
        choices=[("", "Any digit")] + [(str(digit), str(digit)) for digit in range(10)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    source = forms.ChoiceField(choices=[("", "Any source")] + Submission.Source.choices, required=False)
    mode = forms.ChoiceField(choices=[("", "Digits and numbers")] + Submission.Mode.choices, required=False)

    def filters(self) -> dict:
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        mode = cleaned.get("mode") or None
        return {
            # A number has no one predicted digit: with numbers chosen, the digit is moot.
            "digit": None if mode == Submission.Mode.NUMBER else cleaned.get("digit"),
            "source": cleaned.get("source") or None,
            "mode": mode,
        }
