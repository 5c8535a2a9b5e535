"""The account's API tokens page: the user's tokens, a form to create one (shown once,
right here, never again) and revoking one after a confirmation. Thin: the rules are in
``recognizer.tokens``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from recognizer import tokens
from recognizer.models import ApiToken


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=tokens.NAME_MAX_LENGTH,
        help_text="What will use it, so you can tell your tokens apart: “backup script”, “lab laptop”.",
    )


@login_required
@require_http_methods(["GET", "POST"])
# The answer to a create holds the token itself: no cache, shared or private, may keep it.
@never_cache
def token_list(request):
    """GET lists the tokens; POST creates one and shows it on the page it answers with.
    Not a redirect: the token would have to wait in the session (the database) for the
    next page, and it must be stored nowhere but in the owner's hands."""
    created = None
    form = TokenCreateForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            created = tokens.token_create(user=request.user, name=form.cleaned_data["name"])
        except tokens.TokenError as exc:
            form.add_error("name", str(exc))
        else:
            form = TokenCreateForm()
    context = {
        "form": form,
        "created": created,
        "api_tokens": tokens.token_list(user=request.user),
        "max_tokens": tokens.MAX_TOKENS_PER_USER,
        "site": request.build_absolute_uri("/").rstrip("/"),
    }
    return render(request, "recognizer/tokens.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request, token_id: int):
    """GET asks for confirmation; POST (with the CSRF token) revokes. Another user's token
    is a 404, like a missing one."""
    try:
        if request.method == "POST":
            token = tokens.token_revoke(user=request.user, token_id=token_id)
        else:
            token = tokens.token_get(user=request.user, token_id=token_id)
    except ApiToken.DoesNotExist as exc:
        raise Http404("No such token.") from exc
    if request.method == "POST":
        messages.success(request, f"Revoked “{token.name}”: programs that send it are refused from now on.")
        return redirect("recognizer:tokens")
    return render(request, "recognizer/token_revoke.html", {"token": token})
