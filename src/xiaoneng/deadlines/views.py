"""The working-day calendar page: years loaded, a year's schedule upload, waiting timers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from xiaoneng.core.errors import DomainError, PermissionDenied
from xiaoneng.org.selectors import actor_scope

from . import selectors, services

MAX_UPLOAD_BYTES = 512 * 1024


@login_required
@require_http_methods(["GET", "POST"])
def calendar_page(request: HttpRequest) -> HttpResponse:
    if not actor_scope(request.user).everything:
        raise PermissionDenied(_("只有平台管理员可以管理工作日历。"))
    errors: list[dict[str, str]] = []
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors = [{"field": "file", "message": _("请选择要载入的放假安排文件（JSON）。")}]
        elif upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            errors = [{"field": "file", "message": _("文件过大（上限 512 KB）。")}]
        else:
            try:
                result = services.calendar_load_bytes(content=upload.read(), actor=request.user)
            except DomainError as exc:
                errors = [e.as_dict() for e in exc.errors] or [exc.as_dict()]
            else:
                messages.success(request, str(result))
        if errors:
            status = 422
    context = {
        "years": selectors.calendar_year_list(),
        "missing_year": selectors.calendar_next_year_missing(),
        "waiting": selectors.timers_calendar_missing()[:50],
        "errors": errors,
    }
    return render(request, "deadlines/calendar.html", context, status=status)
