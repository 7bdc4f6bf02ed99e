"""Pages of the supervision app: the live dashboard and its drill-down lists.

The dashboard page polls its panel (``dashboard/panel/``) with htmx every
:data:`REFRESH_SECONDS`; every figure links to the list behind it (``drill/`` for cases,
``drill/alerts/`` for alerts). Views only parse the query and render: the figures and the
scope come from :mod:`xiaoneng.supervision.selectors.dashboard`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from django.views import defaults

from xiaoneng.core.errors import ValidationFailed
from xiaoneng.core.views import paginate, query_without_page

from .. import rules
from ..models import AlertLevel
from ..selectors import dashboard as selectors

REFRESH_SECONDS = 30
PAGE_SIZE = 50


def _context(request: HttpRequest) -> dict[str, Any]:
    board = selectors.dashboard_get(actor=request.user)
    trend = [
        {
            "day": row["day"].isoformat(),
            "received": row["received"],
            "accepted": row["accepted"],
            "closed": row["closed"],
            "on_time_rate": row["on_time_rate"],
            "early_rate": row["early_rate"],
        }
        for row in board.trend
    ]
    levels = dict(AlertLevel.choices)
    known = getattr(rules, "RULES", {})
    for item in board.alerts_by_rule:
        rule = known.get(item["rule"])
        item["label"] = rule.label if rule is not None else item["rule"]
        item["level_label"] = levels.get(item["level"], item["level"])
    return {
        "board": board,
        "trend": trend,
        "refresh_seconds": REFRESH_SECONDS,
        "first_day": board.first_day.isoformat(),
        "today": board.today.isoformat(),
    }


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    return render(request, "supervision/dashboard/dashboard.html", _context(request))


@login_required
def dashboard_panel(request: HttpRequest) -> HttpResponse:
    """The refreshed part of the page (htmx ``every 30s``)."""
    return render(request, "supervision/dashboard/_panel.html", _context(request))


class DrillForm(forms.Form):
    kind = forms.ChoiceField(label=_("口径"), choices=list(selectors.DRILL_KINDS.items()))
    first = forms.DateField(label=_("起始日"), required=False)
    last = forms.DateField(label=_("截止日"), required=False)
    department = forms.IntegerField(label=_("部门"), required=False, min_value=1)
    window = forms.IntegerField(label=_("窗口"), required=False, min_value=1)


def _bad_request(request: HttpRequest, message: Any) -> HttpResponse:
    return defaults.bad_request(request, ValidationFailed(message))


@login_required
def drill_view(request: HttpRequest) -> HttpResponse:
    """The cases behind one figure."""
    selectors.dashboard_scope(actor=request.user)
    form = DrillForm(request.GET)
    if not form.is_valid():
        return _bad_request(request, _("统计口径参数有误。"))
    data = form.cleaned_data
    first: dt.date | None = data["first"]
    filters = selectors.DrillFilters(
        kind=data["kind"],
        first_day=first,
        last_day=data["last"] or first,
        department_id=data["department"],
        window_id=data["window"],
    )
    qs = selectors.dashboard_drill(actor=request.user, filters=filters)
    page = paginate(request, qs, PAGE_SIZE)
    return render(
        request,
        "supervision/dashboard/drill.html",
        {
            "page": page,
            "title": selectors.DRILL_KINDS[filters.kind],
            "filters": filters,
            "query": query_without_page(request),
        },
    )


@login_required
def alert_drill_view(request: HttpRequest) -> HttpResponse:
    """The open alerts behind an alert figure (by rule, level or department)."""
    department = request.GET.get("department", "")
    if department and not department.isdigit():
        return _bad_request(request, _("部门参数有误。"))
    qs = selectors.dashboard_alert_drill(
        actor=request.user,
        rule=request.GET.get("rule", "")[:48],
        level=request.GET.get("level", "")[:16],
        department_id=int(department) if department else None,
    ).select_related("region")
    page = paginate(request, qs, PAGE_SIZE)
    return render(
        request,
        "supervision/dashboard/alert_drill.html",
        {
            "page": page,
            "query": query_without_page(request),
            "rule": request.GET.get("rule", ""),
        },
    )


urlpatterns: list[URLPattern] = [
    path("", dashboard_view, name="dashboard"),
    path("dashboard/panel/", dashboard_panel, name="dashboard_panel"),
    path("drill/", drill_view, name="drill"),
    path("drill/alerts/", alert_drill_view, name="alert_drill"),
]
