"""Pages of the supervision app: supervision orders (督办单) and replies.

Thin: the selectors read (scoped: a supervisor's region, a department's own orders), the
services write and check everything again. A :class:`DomainError` is shown beside the field
it names (422) or at the top of the page (403 / 409), and nothing changes; a success
redirects to the order (POST-redirect-GET). The PDFs are streamed only through the scoped
download views, never from a public media URL.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoneng.cases.forms import VersionedForm
from xiaoneng.cases.views import clock_view
from xiaoneng.clock import LimitUnit
from xiaoneng.core.errors import DomainError, PermissionDenied, ValidationFailed
from xiaoneng.core.views import add_domain_errors, download, error_status, paginate
from xiaoneng.org.auth import require_staff
from xiaoneng.org.models import Department

from .. import selectors, services
from ..documents import limit_label, target_text
from ..models import OrderState, OrderTarget

UNIT_CHOICES = [
    (LimitUnit.WORKING_DAYS.value, gettext_lazy("个工作日")),
    (LimitUnit.CALENDAR_DAYS.value, gettext_lazy("个自然日")),
    (LimitUnit.WORKING_HOURS.value, gettext_lazy("个工作小时")),
    (LimitUnit.HOURS.value, gettext_lazy("小时")),
]
_REQUIRED = {"required": gettext_lazy("此项必填。")}
_STAFF_ONLY = gettext_lazy("只有工作人员可以查看督办单。")


class IssueForm(forms.Form):
    target_kind = forms.CharField(widget=forms.HiddenInput)
    alert = forms.CharField(widget=forms.HiddenInput, required=False)
    case = forms.CharField(widget=forms.HiddenInput, required=False)
    department: forms.ModelChoiceField[Department] = forms.ModelChoiceField(
        label=gettext_lazy("责任部门"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=gettext_lazy("（按督办对象确定）"),
    )
    subject = forms.CharField(
        label=gettext_lazy("督办事项"), max_length=200, error_messages=_REQUIRED
    )
    requirements = forms.CharField(
        label=gettext_lazy("督办要求"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        error_messages=_REQUIRED,
    )
    limit_value = forms.IntegerField(
        label=gettext_lazy("回复时限"), initial=5, min_value=1, max_value=60
    )
    limit_unit = forms.ChoiceField(
        label=gettext_lazy("时限单位"), choices=UNIT_CHOICES, initial="working_days"
    )

    def __init__(self, *args: Any, actor: Any, target_kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = selectors.order_targets_departments(actor=actor)
            if target_kind == OrderTarget.DEPARTMENT:
                field.empty_label = gettext_lazy("（请选择）")


class ReplyForm(VersionedForm):
    text = forms.CharField(
        label=gettext_lazy("办理情况"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        error_messages=_REQUIRED,
    )


class AcceptForm(VersionedForm):
    note = forms.CharField(
        label=gettext_lazy("审核意见"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
        required=False,
    )


class ReturnForm(VersionedForm):
    reason = forms.CharField(
        label=gettext_lazy("退回理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages=_REQUIRED,
    )
    limit_value = forms.IntegerField(
        label=gettext_lazy("重新回复时限"), min_value=1, max_value=60, required=False
    )
    limit_unit = forms.ChoiceField(
        label=gettext_lazy("时限单位"), choices=UNIT_CHOICES, initial="working_days"
    )


ACTION_FORMS: dict[str, type[forms.Form]] = {
    "reply": ReplyForm,
    "accept": AcceptForm,
    "return": ReturnForm,
}


# --------------------------------------------------------------------------- list


@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    require_staff(request.user, _STAFF_ONLY)
    state = request.GET.get("state") or None
    if state not in OrderState.values:
        state = None
    overdue = request.GET.get("overdue") == "1"
    now = timezone.now()
    qs = selectors.order_list(actor=request.user, state=state, overdue=overdue, now=now)
    page = paginate(request, qs)
    rows = [
        {
            "order": o,
            "clock": clock_view(o.timer, _("回复时限"), now=now),
            "overdue": selectors.order_is_overdue(o, now=now),
            "awaiting": selectors.order_awaiting_reply(o),
        }
        for o in page
    ]
    return render(
        request,
        "supervision/orders/list.html",
        {
            "page": page,
            "rows": rows,
            "states": OrderState.choices,
            "state": state or "",
            "overdue": overdue,
            "can_issue": selectors.can_issue(actor=request.user),
        },
    )


# --------------------------------------------------------------------------- issue


def _issue_target(request: HttpRequest, data: Any) -> dict[str, Any]:
    """The target named by ``?alert=`` / ``?case=`` / ``?department=`` (scoped lookups)."""
    actor = request.user
    if data.get("alert"):
        alert = selectors.order_target_alert(actor=actor, alert_id=data["alert"])
        return {"target_kind": OrderTarget.ALERT, "alert": alert}
    if data.get("case"):
        case = selectors.order_target_case(actor=actor, number=data["case"])
        return {"target_kind": OrderTarget.CASE, "case": case}
    return {"target_kind": OrderTarget.DEPARTMENT}


def _target_description(target: dict[str, Any]) -> str:
    if target.get("alert") is not None:
        alert = target["alert"]
        return _("预警 #%(id)s：%(level)s · %(rule)s · %(subject)s") % {
            "id": alert.pk,
            "level": alert.get_level_display(),
            "rule": alert.rule,
            "subject": f"{alert.subject_type}:{alert.subject_id}",
        }
    if target.get("case") is not None:
        case = target["case"]
        return _("办件 %(number)s：%(item)s（%(department)s）") % {
            "number": case.number,
            "item": case.item.name,
            "department": case.department.name,
        }
    return _("部门（请选择责任部门）")


@login_required
@require_http_methods(["GET", "POST"])
def order_new(request: HttpRequest) -> HttpResponse:
    if not selectors.can_issue(actor=request.user):
        raise PermissionDenied(_("只有效能监察人员可以下发督办单。"))
    source = request.POST if request.method == "POST" else request.GET
    target = _issue_target(request, source)
    initial: dict[str, Any] = {
        "target_kind": target["target_kind"],
        "alert": source.get("alert", ""),
        "case": source.get("case", ""),
    }
    if source.get("department"):
        initial["department"] = source.get("department")
    status = 200
    if request.method == "POST":
        form = IssueForm(request.POST, actor=request.user, target_kind=target["target_kind"])
        if form.is_valid():
            data = form.cleaned_data
            try:
                limit = services.order_limit(data["limit_value"], data["limit_unit"])
                order = services.order_issue(
                    actor=request.user,
                    target_kind=target["target_kind"],
                    alert=target.get("alert"),
                    case=target.get("case"),
                    department=data["department"],
                    subject=data["subject"],
                    requirements=data["requirements"],
                    limit=limit,
                )
            except DomainError as exc:
                add_domain_errors(form, exc)
                status = error_status(exc)
            else:
                messages.success(request, _("已下发督办单%(number)s。") % {"number": order.number})
                return redirect("supervision:order_detail", number=order.number)
        else:
            status = 422
    else:
        form = IssueForm(initial=initial, actor=request.user, target_kind=target["target_kind"])
    return render(
        request,
        "supervision/orders/new.html",
        {"form": form, "target": _target_description(target), "target_kind": target},
        status=status,
    )


# --------------------------------------------------------------------------- detail


def _detail_context(
    request: HttpRequest, number: str, bound: tuple[str, forms.Form] | None = None
) -> dict[str, Any]:
    order = selectors.order_get(actor=request.user, number=number)
    now = timezone.now()
    actions = selectors.order_actions(actor=request.user, order=order)
    forms_: dict[str, forms.Form] = {
        key: cls(initial={"version": order.version}, prefix=key)
        for key, cls in ACTION_FORMS.items()
        if key in actions
    }
    if bound is not None:
        forms_[bound[0]] = bound[1]
    return {
        "order": order,
        "target": target_text(order),
        "limit": limit_label(order.limit_value, order.limit_unit),
        "clock": clock_view(order.timer, _("回复时限"), now=now, explain=True),
        "overdue": selectors.order_is_overdue(order, now=now),
        "replies": list(order.replies.select_related("replied_by__user", "reviewed_by__user")),
        "actions": actions,
        "forms": forms_,
        "open_form": bound[0] if bound else "",
    }


@login_required
@require_GET
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    require_staff(request.user, _STAFF_ONLY)
    return render(request, "supervision/orders/detail.html", _detail_context(request, number))


@login_required
@require_POST
def order_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    require_staff(request.user, _STAFF_ONLY)
    order = selectors.order_get(actor=request.user, number=number)
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise PermissionDenied(_("未知的操作。"))
    form = form_class(request.POST, prefix=action)
    if not form.is_valid():
        context = _detail_context(request, number, bound=(action, form))
        return render(request, "supervision/orders/detail.html", context, status=422)
    data = form.cleaned_data
    try:
        if action == "reply":
            services.order_reply(
                actor=request.user,
                order=order,
                text=data["text"],
                expected_version=data.get("version"),
            )
            done = _("已回复督办单。")
        elif action == "accept":
            services.order_accept(
                actor=request.user,
                order=order,
                note=data["note"],
                expected_version=data.get("version"),
            )
            done = _("已审核通过，督办办结。")
        else:
            limit = None
            if data.get("limit_value"):
                limit = services.order_limit(data["limit_value"], data["limit_unit"])
            services.order_return(
                actor=request.user,
                order=order,
                reason=data["reason"],
                limit=limit,
                expected_version=data.get("version"),
            )
            done = _("已退回，责任部门须重新回复。")
    except DomainError as exc:
        if isinstance(exc, ValidationFailed):
            add_domain_errors(form, exc)
            context = _detail_context(request, number, bound=(action, form))
        else:
            context = _detail_context(request, number)
            context["alert"] = str(exc.message)
        return render(request, "supervision/orders/detail.html", context, status=error_status(exc))
    messages.success(request, done)
    return redirect("supervision:order_detail", number=number)


# --------------------------------------------------------------------------- PDFs


@login_required
@require_GET
def order_pdf(request: HttpRequest, number: str) -> FileResponse:
    order = selectors.order_get(actor=request.user, number=number)
    return download(order.file, f"{order.number}.pdf", "application/pdf")


@login_required
@require_GET
def reply_pdf(request: HttpRequest, number: str, reply_id: int) -> FileResponse:
    reply = selectors.order_reply_get(actor=request.user, number=number, reply_id=reply_id)
    return download(reply.file, f"{reply.number}.pdf", "application/pdf")


urlpatterns: list[URLPattern] = [
    path("orders/", order_list, name="order_list"),
    path("orders/new/", order_new, name="order_new"),
    path("orders/<str:number>/", order_detail, name="order_detail"),
    path("orders/<str:number>/pdf/", order_pdf, name="order_pdf"),
    path("orders/<str:number>/replies/<int:reply_id>/pdf/", reply_pdf, name="order_reply_pdf"),
    path(
        "orders/<str:number>/<str:action>/",
        order_action,
        name="order_action",
    ),
]
