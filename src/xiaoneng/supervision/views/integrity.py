"""Pages of the supervision app: audit chain verification from the UI.

``integrity/`` shows the latest verification (and, when the chain is broken, the events
around the first broken link), the daily checkpoints and the past runs; its button starts
a new verification (:func:`xiaoneng.supervision.services.integrity.integrity_check_start`).
While a run is in progress the status panel polls itself with htmx.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiaoneng.core.errors import Conflict

from ..selectors.integrity import integrity_overview
from ..services.integrity import integrity_check_start


@login_required
def integrity_view(request: HttpRequest) -> HttpResponse:
    overview = integrity_overview(actor=request.user)
    template = (
        "supervision/integrity/_status.html"
        if request.headers.get("HX-Request")
        else "supervision/integrity/integrity.html"
    )
    return render(request, template, {"o": overview})


@login_required
@require_POST
def integrity_start_view(request: HttpRequest) -> HttpResponse:
    try:
        integrity_check_start(actor=request.user)
    except Conflict as exc:
        messages.warning(request, str(exc.message))
    else:
        messages.success(request, _("已发起审计链核验。"))
    return redirect("supervision:integrity")


urlpatterns: list[URLPattern] = [
    path("integrity/", integrity_view, name="integrity"),
    path("integrity/verify/", integrity_start_view, name="integrity_verify"),
]
