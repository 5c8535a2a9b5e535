"""Sign-up. Log in, log out and password change are Django's own views (see digitsite/urls.py)."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("recognizer:home")
    form = UserCreationForm(request.POST) if request.method == "POST" else UserCreationForm()
    if form.is_bound and form.is_valid():
        with transaction.atomic():
            user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! Draw a digit to get started.")
        return redirect("recognizer:home")
    return render(request, "registration/signup.html", {"form": form})
