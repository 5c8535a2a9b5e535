"""The account page, the user's data to take away (CSV, ZIP) and deleting the account.
Thin: the work is in ``accounts`` and ``export``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from recognizer import accounts, export

# Exports are personal and change with every submission: never kept by a shared cache.
PRIVATE_NO_STORE = "private, no-store"


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
        error_messages={"required": "Type your password to confirm."},
    )


@login_required
@require_GET
def account(request):
    overview = accounts.account_overview(user=request.user)
    return render(request, "recognizer/account.html", {"overview": overview})


@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request):
    """GET asks for the password; a right one deletes everything, logs out and goes home."""
    form = AccountDeleteForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        username = request.user.get_username()
        try:
            accounts.account_delete(request=request, user=request.user, password=form.cleaned_data["password"])
        except accounts.WrongPassword as exc:
            form.add_error("password", str(exc))
        else:
            logout(request)
            messages.success(request, f"The account {username} and all its submissions have been deleted.")
            return redirect("recognizer:home")
    overview = accounts.account_overview(user=request.user)
    return render(request, "recognizer/account_delete.html", {"form": form, "overview": overview})


@login_required
@require_GET
def export_csv(request):
    """The history as CSV, streamed row by row (see export.py)."""
    response = StreamingHttpResponse(export.csv_lines(user=request.user), content_type="text/csv; charset=utf-8")
    # Quoted, or RFC 5987-encoded for a username with letters beyond ASCII.
    response["Content-Disposition"] = content_disposition_header(
        True, export.export_file_name(user=request.user, extension="csv")
    )
    response["Cache-Control"] = PRIVATE_NO_STORE
    return response


@login_required
@require_GET
def export_zip(request):
    """The CSV, the images and the model inputs in one ZIP (see export.py)."""
    archive = export.zip_archive(user=request.user)
    filename = export.export_file_name(user=request.user, extension="zip")
    # FileResponse closes the temporary file once it has been sent.
    response = FileResponse(archive, as_attachment=True, filename=filename, content_type="application/zip")
    response["Cache-Control"] = PRIVATE_NO_STORE
    return response
