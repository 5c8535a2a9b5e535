"""The Statistics pages: a user's own figures, and (staff only) everyone's, optionally
for one model version. Thin: the figures come from ``stats``, the charts from
``stats_charts``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from recognizer import selectors, stats, stats_charts
from recognizer.models import ModelVersion
from recognizer.views_models import staff_only


@login_required
@require_GET
def statistics(request):
    days = _window(request)
    figures = stats.statistics(user=request.user, days=days)
    return _render(request, figures, days=days, everyone=False)


@staff_only
@require_GET
def statistics_all(request):
    """Across all users; ``?version=`` narrows every figure to one model version (an
    unknown version is a 404, as on the Models page). The per-version table always
    shows every version, so it doubles as the way to pick one."""
    days = _window(request)
    model_version = None
    if name := request.GET.get("version"):
        try:
            model_version = selectors.model_version_get(version=name)
        except ModelVersion.DoesNotExist as exc:
            raise Http404("No such model version.") from exc
    figures = stats.statistics(model_version=model_version, days=days)
    return _render(
        request,
        figures,
        days=days,
        everyone=True,
        model_version=model_version,
        per_version=stats.by_model_version(stats.submissions_in_scope()),
        version_choices=stats.model_version_choices(),
    )


def _window(request) -> int:
    """The per-day chart's window from ``?days=``; anything but a offered one is ignored."""
    try:
        days = int(request.GET.get("days", ""))
    except ValueError:
        return stats.DEFAULT_WINDOW
    return days if days in stats.WINDOWS else stats.DEFAULT_WINDOW


def _render(request, figures: stats.Statistics, *, days: int, everyone: bool, **extra):
    # stats_charts escapes every text it writes into the SVG, so the markup is safe as is.
    charts = {name: mark_safe(svg) for name, svg in stats_charts.statistics_charts(figures).items()}
    context = {"figures": figures, "charts": charts, "days": days, "windows": stats.WINDOWS, "everyone": everyone}
    return render(request, "recognizer/stats.html", context | extra)
