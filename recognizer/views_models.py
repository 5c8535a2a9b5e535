"""The staff Models page: every model version, the selected one's training curves,
confusion matrix and per-digit accuracy, and the way to activate another version.

Activation goes through ``lifecycle.activate_model_version`` and its safety rule, never
around it; a refusal is shown as a message, and ``force`` is an explicit checkbox.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from recognizer import charts, lifecycle, selectors
from recognizer.models import ModelVersion


def staff_only(view):
    """Anonymous visitors are sent to log in; signed-in non-staff get a 404, so the page
    does not even admit it exists (a 403 would)."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return guarded


@staff_only
@require_GET
def model_list(request):
    """The versions table, with the active version (else the newest) shown below it."""
    versions = list(selectors.model_version_list())
    selected = next((version for version in versions if version.is_active), versions[0] if versions else None)
    return _render_page(request, versions, selected)


@staff_only
@require_GET
def model_detail(request, version: str):
    versions = list(selectors.model_version_list())
    selected = next((row for row in versions if row.version == version), None)
    if selected is None:
        raise Http404("No such model version.")
    return _render_page(request, versions, selected)


@staff_only
@require_POST
def activate(request, version: str):
    force = request.POST.get("force") == "on"
    try:
        lifecycle.activate_model_version(version=version, by=request.user, force=force)
    except ModelVersion.DoesNotExist as exc:
        raise Http404("No such model version.") from exc
    except lifecycle.ActivationRefused as exc:
        messages.error(request, f"Not activated. {exc}")
    else:
        messages.success(request, f"{version} is now the active model; every worker switches within seconds.")
    return redirect("recognizer:model_detail", version)


def _render_page(request, versions: list[ModelVersion], selected: ModelVersion | None):
    metrics = (selected.metrics or {}) if selected else {}
    # charts.py escapes every text it writes into the SVG, so the markup is safe as is.
    version_charts = {name: mark_safe(svg) for name, svg in charts.metrics_charts(metrics).items()}
    history = metrics.get("history") if isinstance(metrics.get("history"), list) else []
    return render(
        request,
        "recognizer/models.html",
        {
            "versions": versions,
            "selected": selected,
            "charts": version_charts,
            "epochs": len(history),
            "training_time": _duration(metrics.get("training_seconds")),
            "feedback": metrics.get("feedback") if isinstance(metrics.get("feedback"), dict) else None,
            # A pinned folder serves whatever the database says: activating is recorded
            # but changes nothing until the pin is removed.
            "pinned_model_dir": settings.DIGITS_MODEL_DIR,
            "tolerance_points": 100 * lifecycle.ACTIVATION_TOLERANCE,
        },
    )


def _duration(seconds) -> str | None:
    """1162.4 -> "19 min 22 s"; None when the version did not record it."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        return None
    minutes, remainder = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {remainder} s" if minutes else f"{remainder} s"
