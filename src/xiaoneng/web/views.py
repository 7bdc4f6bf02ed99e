"""Staff pages: the home page (工作台) and the audit log. Thin: selectors compute."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.core.views import paginate

from .navigation import nav_for_user
from .selectors import audit_log, can_read_audit_log, staff_home

AUDIT_PAGE_SIZE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    summary = staff_home(actor=request.user)
    quick_links = [e for e in nav_for_user(request.user, "") if e.url != request.path]
    return render(request, "web/home.html", {"home": summary, "quick_links": quick_links})


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=gettext_lazy("事件类型"), required=False, max_length=64)
    object_type = forms.CharField(label=gettext_lazy("对象类型"), required=False, max_length=64)
    object_id = forms.CharField(label=gettext_lazy("对象ID"), required=False, max_length=64)


@login_required
def audit_log_view(request: HttpRequest) -> HttpResponse:
    if not can_read_audit_log(actor=request.user):
        raise PermissionDenied(_("只有效能监察人员和平台管理员可以查看审计日志。"))
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    events = audit_log(
        actor=request.user,
        action=filters.get("action", ""),
        object_type=filters.get("object_type", ""),
        object_id=filters.get("object_id", ""),
    )
    page = paginate(request, events, AUDIT_PAGE_SIZE)
    return render(request, "web/audit_log.html", {"form": form, "page": page})
