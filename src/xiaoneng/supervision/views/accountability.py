"""Pages of the supervision app: accountability records (问责) and bulletins (通报).

Thin: the selectors read (scoped: a supervisor's region subtree, a department head's own
department, a person's own actions), the services write and check everything again. A
:class:`DomainError` is shown beside the field it names (422) or at the top of the page
(403 / 409), and nothing changes; a success redirects (POST-redirect-GET). The bulletin's
PDF and Excel file are rendered from its frozen list at each download.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoneng.cases.views import clock_view
from xiaoneng.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from xiaoneng.core.views import (
    add_domain_errors,
    download,
    error_status,
    paginate,
    query_without_page,
)
from xiaoneng.org.auth import require_staff
from xiaoneng.org.models import Department, Region, Staff
from xiaoneng.org.selectors import actor_scope, department_list, staff_list

from ..models import (
    AccountabilityKind,
    AccountabilityState,
    BulletinState,
    SanctionGrade,
)
from ..selectors import accountability as selectors
from ..services import accountability as services

_REQUIRED = {"required": gettext_lazy("此项必填。")}
_STAFF_ONLY = gettext_lazy("只有工作人员可以查看问责记录。")
_SPLIT = re.compile(r"[\s,，、;；]+")

STATE_BADGES = {AccountabilityState.RECORDED: "badge-red", AccountabilityState.REVOKED: ""}


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class _StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.department} · {obj}"


class ActionForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("问责方式"),
        choices=[("", gettext_lazy("（请选择）")), *AccountabilityKind.choices],
        required=False,
    )
    sanction_grade = forms.ChoiceField(
        label=gettext_lazy("处分等级（行政处分）"),
        choices=[("", "—"), *SanctionGrade.choices],
        required=False,
    )
    department: forms.ModelChoiceField[Department] = forms.ModelChoiceField(
        label=gettext_lazy("被问责单位"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=gettext_lazy("（按被问责人所在单位）"),
    )
    staff = _StaffChoice(
        label=gettext_lazy("被问责人"),
        queryset=Staff.objects.none(),
        required=False,
        empty_label=gettext_lazy("（不针对个人）"),
    )
    # required fields are checked by the service, which reports every problem at once
    reason = forms.CharField(
        label=gettext_lazy("事实与理由"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        required=False,
    )
    basis = forms.CharField(
        label=gettext_lazy("问责依据"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )
    decided_on = forms.DateField(
        label=gettext_lazy("决定日期"), widget=_DateInput(), required=False
    )
    effective_on = forms.DateField(
        label=gettext_lazy("生效日期"), widget=_DateInput(), required=False
    )
    rectification_limit = forms.CharField(
        label=gettext_lazy("整改期限（责令限期整改）"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("15个工作日")}),
    )
    alert_ids = forms.CharField(
        label=gettext_lazy("关联预警编号"),
        max_length=500,
        required=False,
        help_text=gettext_lazy("已确认的预警，多个用逗号分隔"),
    )
    case_numbers = forms.CharField(
        label=gettext_lazy("关联办件编号"),
        max_length=2000,
        required=False,
        help_text=gettext_lazy("多个用逗号或空格分隔"),
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        department = self.fields["department"]
        staff = self.fields["staff"]
        assert isinstance(department, forms.ModelChoiceField)  # noqa: S101 - declared above
        assert isinstance(staff, forms.ModelChoiceField)  # noqa: S101 - declared above
        department.queryset = department_list(actor=actor).filter(is_active=True)
        staff.queryset = (
            staff_list(actor=actor)
            .filter(is_active=True)
            .order_by("department__region__path", "department__name", "pk")
        )

    def clean_alert_ids(self) -> list[int]:
        raw = self.cleaned_data.get("alert_ids") or ""
        ids: list[int] = []
        for part in _SPLIT.split(raw.strip().lstrip("#")):
            part = part.strip().lstrip("#")
            if not part:
                continue
            if not part.isdigit():
                raise forms.ValidationError(_("预警编号应为数字，如 12, 15。"))
            ids.append(int(part))
        return ids

    def clean_case_numbers(self) -> list[str]:
        raw = self.cleaned_data.get("case_numbers") or ""
        return [p for p in _SPLIT.split(raw.strip()) if p]


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("撤销理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages=_REQUIRED,
    )


class RectifiedForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("整改情况"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages=_REQUIRED,
    )


class BulletinForm(forms.Form):
    region: forms.ModelChoiceField[Region] = forms.ModelChoiceField(
        label=gettext_lazy("区划"), queryset=Region.objects.none(), empty_label=None
    )
    period_start = forms.DateField(label=gettext_lazy("期间起"), widget=_DateInput())
    period_end = forms.DateField(label=gettext_lazy("期间止"), widget=_DateInput())
    title = forms.CharField(
        label=gettext_lazy("标题"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("留空按区划和期间生成")}),
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["region"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared above
        field.queryset = selectors.bulletin_regions(actor=actor)


def _require_recorder(request: HttpRequest) -> None:
    if not selectors.may_record(request.user):
        raise PermissionDenied(_("只有效能监察人员或效能办可以记录问责、发布通报。"))


# --------------------------------------------------------------------------- actions


@login_required
@require_GET
def action_list(request: HttpRequest) -> HttpResponse:
    require_staff(request.user, _STAFF_ONLY)
    kind = request.GET.get("kind") or ""
    state = request.GET.get("state") or ""
    filters = {
        "kind": kind if kind in AccountabilityKind.values else None,
        "state": state if state in AccountabilityState.values else None,
    }
    qs = selectors.action_list(actor=request.user, filters=filters)
    page = paginate(request, qs)
    return render(
        request,
        "supervision/accountability/list.html",
        {
            "page": page,
            "kinds": AccountabilityKind.choices,
            "states": AccountabilityState.choices,
            "kind": kind,
            "state": state,
            "badges": STATE_BADGES,
            "query": query_without_page(request),
            "may_record": selectors.may_record(request.user),
        },
    )


def _alert_text(alert: Any) -> str:
    parts = [f"#{alert.pk}", str(alert.get_level_display())]
    if alert.department_id:
        parts.append(str(alert.department))
    if alert.case_id:
        parts.append(alert.case.number)
    parts.append(str(alert.get_state_display()))
    return " · ".join(parts)


@login_required
@require_http_methods(["GET", "POST"])
def action_new(request: HttpRequest) -> HttpResponse:
    _require_recorder(request)
    linked_alert = None
    status = 200
    if request.method == "POST":
        form = ActionForm(request.POST, actor=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                action = services.action_record(
                    actor=request.user,
                    kind=data["kind"],
                    department=data["department"],
                    staff=data["staff"],
                    reason=data["reason"],
                    basis=data["basis"],
                    decided_on=data["decided_on"],
                    effective_on=data["effective_on"],
                    sanction_grade=data["sanction_grade"],
                    rectification_limit=data["rectification_limit"],
                    alert_ids=data["alert_ids"],
                    case_numbers=data["case_numbers"],
                )
            except DomainError as exc:
                add_domain_errors(form, exc)
                status = error_status(exc)
            else:
                messages.success(
                    request,
                    _("已记录问责 #%(id)d：%(kind)s。")
                    % {"id": action.pk, "kind": action.kind_label},
                )
                return redirect("supervision:accountability_detail", pk=action.pk)
        else:
            status = 422
    else:
        initial: dict[str, Any] = {"decided_on": timezone.localdate()}
        alert_id = request.GET.get("alert", "")
        if alert_id:
            if not alert_id.isdigit():
                raise NotFound(_("预警编号无效。"))
            linked_alert = selectors.alert_for_linking(actor=request.user, pk=int(alert_id))
            initial["alert_ids"] = str(linked_alert.pk)
            if linked_alert.department_id:
                initial["department"] = linked_alert.department_id
            if linked_alert.staff_id:
                initial["staff"] = linked_alert.staff_id
            if linked_alert.case is not None:
                initial["case_numbers"] = linked_alert.case.number
        form = ActionForm(initial=initial, actor=request.user)
    return render(
        request,
        "supervision/accountability/new.html",
        {
            "form": form,
            "linked_alert": linked_alert,
            "alert_text": _alert_text(linked_alert) if linked_alert else "",
        },
        status=status,
    )


def _detail_context(request: HttpRequest, pk: int, **extra: Any) -> dict[str, Any]:
    action = selectors.action_get(actor=request.user, pk=pk)
    context = {
        "action": action,
        "badges": STATE_BADGES,
        "alerts": [(a, _alert_text(a)) for a in action.alerts.all()],
        "cases": list(action.cases.all()),
        "clock": clock_view(action.rectification_timer, _("整改期限"), now=timezone.now()),
        "bulletins": list(action.bulletins.filter(state=BulletinState.ISSUED)),
        "may_revoke": selectors.may_revoke(request.user, action),
        "may_rectify": selectors.may_rectify(request.user, action),
        "revoke_form": RevokeForm(prefix="revoke"),
        "rectified_form": RectifiedForm(prefix="rectified"),
        "open_form": "",
    }
    context.update(extra)
    return context


@login_required
@require_GET
def action_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_staff(request.user, _STAFF_ONLY)
    return render(request, "supervision/accountability/detail.html", _detail_context(request, pk))


def _detail_post(
    request: HttpRequest, pk: int, name: str, form: forms.Form, run: Any, done: str
) -> HttpResponse:
    require_staff(request.user, _STAFF_ONLY)
    action = selectors.action_get(actor=request.user, pk=pk)
    if form.is_valid():
        try:
            run(action, form.cleaned_data)
        except DomainError as exc:
            if isinstance(exc, ValidationFailed):
                add_domain_errors(form, exc)
                extra = {f"{name}_form": form, "open_form": name}
            else:
                extra = {"alert": str(exc.message)}
            context = _detail_context(request, pk, **extra)
            return render(
                request, "supervision/accountability/detail.html", context, status=error_status(exc)
            )
        messages.success(request, done)
        return redirect("supervision:accountability_detail", pk=pk)
    context = _detail_context(request, pk, **{f"{name}_form": form, "open_form": name})
    return render(request, "supervision/accountability/detail.html", context, status=422)


@login_required
@require_POST
def action_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_post(
        request,
        pk,
        "revoke",
        RevokeForm(request.POST, prefix="revoke"),
        lambda action, data: services.action_revoke(
            actor=request.user, action=action, reason=data["reason"]
        ),
        _("问责已撤销，记录保留。"),
    )


@login_required
@require_POST
def action_rectified(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_post(
        request,
        pk,
        "rectified",
        RectifiedForm(request.POST, prefix="rectified"),
        lambda action, data: services.action_rectification_done(
            actor=request.user, action=action, note=data["note"]
        ),
        _("已确认整改完成。"),
    )


# --------------------------------------------------------------------------- bulletins


def _bulletin_form(request: HttpRequest, data: Any = None) -> BulletinForm:
    start, end = services.previous_month(timezone.localdate())
    scope = actor_scope(request.user)
    staff = (
        Staff.objects.filter(pk=scope.staff_id).select_related("department").first()
        if scope.staff_id is not None
        else None
    )
    initial = {
        "period_start": start,
        "period_end": end,
        "region": staff.department.region_id if staff else None,
    }
    return BulletinForm(data, initial=initial, actor=request.user)


def _bulletin_list_page(
    request: HttpRequest, form: BulletinForm | None = None, status: int = 200
) -> HttpResponse:
    may = selectors.may_record(request.user)
    qs = selectors.bulletin_list(actor=request.user)
    page = paginate(request, qs)
    return render(
        request,
        "supervision/accountability/bulletins.html",
        {
            "page": page,
            "query": "",
            "form": (form or _bulletin_form(request)) if may else None,
        },
        status=status,
    )


@login_required
@require_GET
def bulletin_list(request: HttpRequest) -> HttpResponse:
    require_staff(request.user, _STAFF_ONLY)
    return _bulletin_list_page(request)


@login_required
@require_POST
def bulletin_issue(request: HttpRequest) -> HttpResponse:
    _require_recorder(request)
    form = _bulletin_form(request, request.POST)
    if not form.is_valid():
        return _bulletin_list_page(request, form, status=422)
    data = form.cleaned_data
    try:
        bulletin = services.bulletin_issue(
            actor=request.user,
            region=data["region"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            title=data["title"],
        )
    except DomainError as exc:
        add_domain_errors(form, exc)
        return _bulletin_list_page(request, form, status=error_status(exc))
    messages.success(request, _("已发布通报%(number)s。") % {"number": bulletin.number})
    return redirect("supervision:bulletin_detail", pk=bulletin.pk)


@login_required
@require_GET
def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_staff(request.user, _STAFF_ONLY)
    bulletin = selectors.bulletin_get(actor=request.user, pk=pk)
    entries = selectors.bulletin_entries(bulletin)
    ids = [e["action_id"] for e in entries]
    live = dict(
        selectors.action_list(actor=request.user).filter(pk__in=ids).values_list("pk", "state")
    )
    rows = [
        {
            **e,
            "decided": dt.date.fromisoformat(e["decided_on"]),
            "visible": e["action_id"] in live,
            "revoked_since": live.get(e["action_id"]) == AccountabilityState.REVOKED,
        }
        for e in entries
    ]
    return render(
        request,
        "supervision/accountability/bulletin_detail.html",
        {
            "bulletin": bulletin,
            "rows": rows,
            "may_issue": selectors.may_issue_bulletin(request.user, bulletin),
        },
    )


@login_required
@require_POST
def bulletin_issue_draft(request: HttpRequest, pk: int) -> HttpResponse:
    _require_recorder(request)
    bulletin = selectors.bulletin_get(actor=request.user, pk=pk)
    try:
        issued = services.bulletin_issue(
            actor=request.user,
            region=bulletin.region,
            period_start=bulletin.period_start,
            period_end=bulletin.period_end,
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("supervision:bulletin_detail", pk=pk)
    messages.success(request, _("已发布通报%(number)s。") % {"number": issued.number})
    return redirect("supervision:bulletin_detail", pk=pk)


@login_required
@require_GET
def bulletin_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    require_staff(request.user, _STAFF_ONLY)
    bulletin = selectors.bulletin_get(actor=request.user, pk=pk)
    return download(*selectors.bulletin_file(bulletin, "pdf"))


@login_required
@require_GET
def bulletin_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    require_staff(request.user, _STAFF_ONLY)
    bulletin = selectors.bulletin_get(actor=request.user, pk=pk)
    return download(*selectors.bulletin_file(bulletin, "xlsx"))


urlpatterns: list[URLPattern] = [
    path("accountability/", action_list, name="accountability_list"),
    path("accountability/new/", action_new, name="accountability_new"),
    path("accountability/<int:pk>/", action_detail, name="accountability_detail"),
    path("accountability/<int:pk>/revoke/", action_revoke, name="accountability_revoke"),
    path("accountability/<int:pk>/rectified/", action_rectified, name="accountability_rectified"),
    path("accountability/bulletins/", bulletin_list, name="bulletin_list"),
    path("accountability/bulletins/issue/", bulletin_issue, name="bulletin_issue"),
    path("accountability/bulletins/<int:pk>/", bulletin_detail, name="bulletin_detail"),
    path(
        "accountability/bulletins/<int:pk>/issue/",
        bulletin_issue_draft,
        name="bulletin_issue_draft",
    ),
    path("accountability/bulletins/<int:pk>/pdf/", bulletin_pdf, name="bulletin_pdf"),
    path("accountability/bulletins/<int:pk>/xlsx/", bulletin_xlsx, name="bulletin_xlsx"),
]
