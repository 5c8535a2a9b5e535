"""Pages. Thin: parse the request, call a selector or service, render."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from recognizer import corrections, imaging, selectors, serving, services
from recognizer.forms import HistoryFilterForm, UploadForm
from recognizer.models import Submission, SubmissionDigit
from recognizer.templatetags.recognizer_tags import a_digit

HISTORY_PAGE_SIZE = 24
RECENT_COUNT = 6
# Stored images never change under their URL, but they are personal: browsers may keep
# them, shared caches may not.
PRIVATE_IMAGE_CACHE = "private, max-age=86400"


MODE_COOKIE = "digits_mode"  # set by draw.js


@require_GET
def home(request):
    if not request.user.is_authenticated:
        return render(request, "recognizer/landing.html")
    recent = selectors.submission_list(user=request.user)[:RECENT_COUNT]
    # ?mode= opens the page in that mode; without it, the mode last used (draw.js keeps it
    # in a cookie), so the canvas has its shape from the first paint.
    asked = request.GET.get("mode") or request.COOKIES.get(MODE_COOKIE)
    mode = Submission.Mode.NUMBER if asked == Submission.Mode.NUMBER else Submission.Mode.DIGIT
    return render(
        request,
        "recognizer/draw.html",
        {
            "upload_form": UploadForm(initial={"mode": mode}),
            "recent": recent,
            "recent_count": RECENT_COUNT,
            "mode": mode,
        },
    )


@dataclass(frozen=True)
class UploadResult:
    name: str
    submission: Submission | None = None
    error: str | None = None
    several_digits: bool = False  # digit mode, but the ink looks like a number


@login_required
@require_http_methods(["GET", "POST"])
def upload(request):
    """The no-JavaScript way to upload: the results are rendered here, one card per file."""
    results = []
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            mode = form.cleaned_data["mode"]
            results = [_recognize_upload(request.user, image, mode) for image in form.cleaned_data["images"]]
            form = UploadForm(initial={"mode": mode})  # the next upload is likely the same kind
    else:
        form = UploadForm()
    return render(request, "recognizer/upload.html", {"upload_form": form, "results": results})


def _recognize_upload(user, image, mode: str) -> UploadResult:
    try:
        submission = services.submission_create(
            user=user,
            image_bytes=image.read(),
            source=Submission.Source.UPLOAD,
            content_type=image.content_type,
            mode=mode,
        )
    except services.SubmissionError as exc:
        return UploadResult(name=image.name, error=str(exc))
    except serving.ModelUnavailable:
        return UploadResult(name=image.name, error=serving.UNAVAILABLE_MESSAGE)
    return UploadResult(name=image.name, submission=submission, several_digits=services.may_be_several_digits(submission))


@login_required
@require_GET
def history(request):
    filters = HistoryFilterForm(request.GET).filters()
    # With the digits: a number's thumbnail shows a box around each one.
    submissions = selectors.submission_list(user=request.user, with_digits=True, **filters)
    page = Paginator(submissions, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "recognizer/history.html",
        {
            "page": page,
            "filters": filters,
            "digits": range(10),
            "sources": Submission.Source.choices,
            "modes": [(Submission.Mode.DIGIT, "Digits"), (Submission.Mode.NUMBER, "Numbers")],
            "filtered": any(value is not None for value in filters.values()),
        },
    )


@login_required
@require_GET
def detail(request, submission_id: int):
    submission = _own_submission(request, submission_id)
    return render(request, "recognizer/detail.html", {"submission": submission})


@login_required
@require_http_methods(["GET", "POST"])
def delete(request, submission_id: int):
    """GET asks for confirmation; POST (with the CSRF token) deletes."""
    if request.method == "POST":
        try:
            services.submission_delete(user=request.user, submission_id=submission_id)
        except Submission.DoesNotExist as exc:
            raise Http404("No such submission.") from exc
        messages.success(request, "Submission deleted.")
        return redirect("recognizer:history")
    submission = _own_submission(request, submission_id)
    return render(request, "recognizer/delete.html", {"submission": submission})


@login_required
@require_POST
def correct(request, submission_id: int):
    """The no-JavaScript correction form on the detail page (the API serves the rest):
    ``true_digit`` for a digit, ``true_number`` for a number."""
    if "true_number" in request.POST:
        answer = {"true_number": request.POST["true_number"]}
    else:
        try:
            answer = {"true_digit": int(request.POST.get("true_digit", ""))}
        except ValueError:
            answer = {}  # the service turns it away with the same message as 12
    try:
        submission = corrections.submission_correct(user=request.user, submission_id=submission_id, **answer)
    except corrections.InvalidCorrection as exc:
        messages.error(request, str(exc))
    except Submission.DoesNotExist as exc:
        raise Http404("No such submission.") from exc
    else:
        messages.success(request, _correction_message(submission))
    return redirect("recognizer:detail", submission_id)


def _correction_message(submission: Submission) -> str:
    def said(answer) -> str:  # "it is a 7", "it is an 8", "it is 2026"
        return str(answer) if submission.is_number else a_digit(answer)

    if submission.is_correct:
        return f"Thanks! Confirmed: it is {said(submission.answer)}."
    return f"Thanks! Noted: it was {said(submission.true_answer)}, not {said(submission.answer)}."


@login_required
@require_GET
def image(request, submission_id: int):
    submission = _own_submission(request, submission_id, with_images=True)
    content, content_type = imaging.browser_image(
        image_bytes=bytes(submission.image), content_type=submission.image_content_type
    )
    return _private_image(content, content_type)


@login_required
@require_GET
def thumbnail(request, submission_id: int):
    submission = _own_submission(request, submission_id, with_images=True)
    return _private_image(*imaging.thumbnail(image_bytes=bytes(submission.image)))


@login_required
@require_GET
def model_input(request, submission_id: int):
    submission = _own_submission(request, submission_id, with_images=True)
    return _private_image(bytes(submission.model_input), "image/png")


@login_required
@require_GET
def digit_input(request, submission_id: int, position: int):
    """The 28x28 input the model saw for one digit of a number."""
    submission = _own_submission(request, submission_id)
    try:
        digit = submission.digits.get(position=position)
    except SubmissionDigit.DoesNotExist as exc:
        raise Http404("No such digit.") from exc
    return _private_image(bytes(digit.model_input), "image/png")


def _own_submission(request, submission_id: int, *, with_images: bool = False) -> Submission:
    # Someone else's submission is "not found", never "forbidden": ids reveal nothing.
    try:
        return selectors.submission_get(user=request.user, submission_id=submission_id, with_images=with_images)
    except Submission.DoesNotExist as exc:
        raise Http404("No such submission.") from exc


def _private_image(content: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Cache-Control"] = PRIVATE_IMAGE_CACHE
    response["Content-Disposition"] = "inline"
    return response
