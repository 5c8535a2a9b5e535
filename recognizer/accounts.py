"""Sign-up, and the page a locked-out login gets. Log in, log out and password change are
Django's own views (see digitsite/urls.py); django-axes counts the failed logins."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

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
