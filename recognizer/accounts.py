"""Sign-up, the page a locked-out login gets, and the account's own services: what the
account page shows, and deleting the account. Log in, log out and password change are
Django's own views (see digitsite/urls.py); django-axes counts the failed logins."""

from dataclasses import dataclass

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth.forms import UserCreationForm
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from recognizer import stats
from recognizer.models import ApiToken

# The sign-up's own login names its backend: the user has just been created with the
# password they chose, so there is nothing for django-axes to check.
SIGNUP_LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("recognizer:home")
    form = UserCreationForm(request.POST) if request.method == "POST" else UserCreationForm()
    if form.is_bound and form.is_valid():
        with transaction.atomic():
            user = form.save()
        login(request, user, backend=SIGNUP_LOGIN_BACKEND)
        messages.success(request, f"Welcome, {user.username}! Draw a digit to get started.")
        return redirect("recognizer:home")
    return render(request, "registration/signup.html", {"form": form})


def locked_out(request, original_response=None, credentials=None):
    """django-axes's answer once a username has had too many wrong passwords from one
    address (settings.AXES_LOCKOUT_CALLABLE): 429, and how long to wait."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    response = render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response


# --- The account's own data -----------------------------------------------------------

WRONG_PASSWORD_MESSAGE = "That is not your password. Nothing was deleted."


class WrongPassword(ValueError):
    """The password given to confirm a deletion is not the user's; ``str()`` is for them."""


@dataclass(frozen=True)
class AccountOverview:
    tally: stats.Tally
    api_tokens: int


def account_overview(*, user) -> AccountOverview:
    """The account page's counts: submissions (and how many judged) and API tokens."""
    return AccountOverview(
        tally=stats.tally(stats.submissions_in_scope(user=user)),
        api_tokens=ApiToken.objects.filter(user=user).count(),
    )


def account_delete(*, request, user, password: str) -> None:
    """Delete ``user`` and everything that is theirs, in one transaction, if ``password``
    is theirs; otherwise raise ``WrongPassword`` and delete nothing.

    The password is checked by ``authenticate`` with the ``request``, so django-axes
    counts a wrong one as it counts a failed login: a stolen session cannot be used to
    guess the password here either. Past the limit even the right password is refused
    (and the middleware answers with the locked-out page).

    The database cascades do the rest: submissions (their images are columns of the
    row), their digits, and API tokens; model versions the user trained stay, with
    ``created_by`` emptied. django-axes keeps its records by username, not by a foreign
    key, so they are deleted here by name: its access log holds the addresses and
    browsers the user logged in from, which are theirs too, and stale failure counts
    would otherwise greet whoever signs up with the name next.
    """
    username = user.get_username()
    checked = authenticate(request, username=username, password=password) if password else None
    if checked is None or checked.pk != user.pk:
        raise WrongPassword(WRONG_PASSWORD_MESSAGE)
    with transaction.atomic():
        for record in (AccessAttempt, AccessFailureLog, AccessLog):
            record.objects.filter(username=username).delete()
        user.delete()
