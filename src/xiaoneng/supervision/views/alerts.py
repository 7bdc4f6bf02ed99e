"""Pages of the supervision app: alert lists, the alert page and its actions.

Thin: :mod:`..selectors.alerts` reads (scoped by the actor), :mod:`..services.alerts`
writes and re-checks everything. A service's :class:`~xiaoneng.core.errors.DomainError` is
shown beside the field it names (422) or as an alert above the page (403 / 409), and
nothing changes; a success redirects back to the alert (POST-redirect-GET).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from xiaoneng.cases.forms import VersionedForm
from xiaoneng.core.errors import DomainError, ValidationFailed
from xiaoneng.core.views import add_domain_errors, error_status, paginate, query_without_page
from xiaoneng.org.auth import require_staff
from xiaoneng.org.models import Department, Staff, User
from xiaoneng.org.selectors import actor_scope, department_list

from .. import rules
from ..models import Alert, AlertLevel, AlertState
from ..selectors import alerts as selectors
from ..services import alerts as services

_STAFF_ONLY = gettext_lazy("只有工作人员可以查看监察预警。")

EVENT_LABELS: dict[str, Any] = {
    services.ALERT_NOTIFIED: gettext_lazy("通知责任人"),
    services.ALERT_EXPLAINED: gettext_lazy("责任部门作出情况说明"),
    services.ALERT_CONFIRMED: gettext_lazy("监察确认"),
    services.ALERT_DISMISSED: gettext_lazy("监察撤销"),
}

LEVEL_CHIPS: dict[str, str] = {
    AlertLevel.REMINDER: "alert-level-reminder",
    AlertLevel.YELLOW: "alert-level-yellow",
    AlertLevel.RED: "alert-level-red",
}
STATE_BADGES: dict[str, str] = {
    AlertState.OPEN: "badge-red",
    AlertState.EXPLAINED: "badge-amber",
    AlertState.CONFIRMED: "",
    AlertState.DISMISSED: "badge-green",
}


# --------------------------------------------------------------------------- forms


def _rule_choices() -> list[tuple[str, str]]:
    """Every rule, in the order of the rules table (deadline rules first, then anomalies)."""
    return [("", _("全部规则")), *((c, str(label)) for c, label in rules.RULE_LABELS.items())]


class AlertFilterForm(forms.Form):
    state = forms.ChoiceField(label=gettext_lazy("状态"), required=False)
    level = forms.ChoiceField(label=gettext_lazy("级别"), required=False)
    rule = forms.ChoiceField(label=gettext_lazy("规则"), required=False)
    department = forms.ModelChoiceField(
        label=gettext_lazy("责任部门"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=gettext_lazy("全部部门"),
    )
    raised_from = forms.DateField(
        label=gettext_lazy("产生日期起"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    raised_until = forms.DateField(
        label=gettext_lazy("产生日期止"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["state"].choices = [("", _("全部状态")), *AlertState.choices]
        fields["level"].choices = [("", _("全部级别")), *AlertLevel.choices]
        fields["rule"].choices = _rule_choices()
        fields["department"].queryset = department_list(actor=actor).order_by(
            "region__path", "sort_order", "name"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("raised_from"), data.get("raised_until")
        if since and until and since > until:
            self.add_error("raised_until", _("截止日期不能早于起始日期。"))
        return data


class ExplainForm(VersionedForm):
    """Required-ness is the service's rule (its message is shown beside the field)."""

    text = forms.CharField(
        label=gettext_lazy("情况说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("说明超时或异常的原因、已采取的措施；监察人员据此确认或撤销。"),
    )


class HandleForm(VersionedForm):
    reason = forms.CharField(
        label=gettext_lazy("理由"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class HistoryRow:
    at: Any
    label: str
    actor: str
    detail: str


def _history(actor: Any, alert: Alert) -> list[HistoryRow]:
    events = list(selectors.alert_history(actor=actor, alert=alert))
    told = {pk for e in events for pk in (e.payload or {}).get("recipients", [])}
    names = dict(Staff.objects.filter(pk__in=told).values_list("pk", "user__full_name"))
    actors = dict(
        User.objects.filter(pk__in={e.actor_id for e in events if e.actor_id}).values_list(
            "pk", "full_name"
        )
    )
    rows = [HistoryRow(at=alert.raised_at, label=_("产生预警"), actor=_("系统"), detail="")]
    for e in events:
        payload = e.payload or {}
        if e.action == services.ALERT_NOTIFIED:
            people = [names.get(pk, "") or f"#{pk}" for pk in payload.get("recipients", [])]
            detail = (
                _("已通知：%(people)s") % {"people": "、".join(people)}
                if people
                else _("没有可通知的人员（无责任部门或部门负责人）")
            )
        else:
            detail = str(payload.get("reason") or payload.get("text") or "")
        rows.append(
            HistoryRow(
                at=e.occurred_at,
                label=str(EVENT_LABELS.get(e.action, e.action)),
                actor=(actors.get(e.actor_id or 0) or e.actor_label) if e.actor_id else _("系统"),
                detail=detail,
            )
        )
    return rows


def _detail_context(
    request: HttpRequest,
    pk: int,
    *,
    bound: tuple[str, forms.Form] | None = None,
    error: str = "",
) -> dict[str, Any]:
    actor = request.user
    alert = selectors.alert_get(actor=actor, pk=pk)
    initial = {"version": alert.version}
    action_forms: dict[str, forms.Form] = {
        "explain": ExplainForm(initial=initial, prefix="explain"),
        "confirm": HandleForm(initial=initial, prefix="confirm"),
        "dismiss": HandleForm(initial=initial, prefix="dismiss"),
    }
    if bound is not None:
        action_forms[bound[0]] = bound[1]
    return {
        "alert": alert,
        "subject": selectors.alert_subjects([alert])[alert.pk],
        "rule_label": selectors.rule_label(alert.rule),
        "level_chip": LEVEL_CHIPS.get(alert.level, ""),
        "state_badge": STATE_BADGES.get(alert.state, ""),
        "actions": selectors.alert_actions(actor=actor, alert=alert),
        "forms": action_forms,
        "open_form": bound[0] if bound else "",
        "facts": selectors.alert_facts(alert),
        "history": _history(actor, alert),
        "error": error,
    }


# --------------------------------------------------------------------------- pages


@login_required
@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    require_staff(request.user, _STAFF_ONLY)
    form = AlertFilterForm(request.GET or None, actor=request.user)
    filters: dict[str, Any] = {}
    status = 200
    if form.is_bound:
        if form.is_valid():
            filters = {k: v for k, v in form.cleaned_data.items() if v}
        else:
            status = 422
    alerts = selectors.alert_list(actor=request.user, filters=filters)
    page = paginate(request, alerts)
    subjects = selectors.alert_subjects(page.object_list)
    rows = [
        {
            "alert": a,
            "subject": subjects[a.pk],
            "rule": selectors.rule_label(a.rule),
            "chip": LEVEL_CHIPS.get(a.level, ""),
            "badge": STATE_BADGES.get(a.state, ""),
        }
        for a in page.object_list
    ]
    scope = actor_scope(request.user)
    return render(
        request,
        "supervision/alerts/list.html",
        {
            "page": page,
            "rows": rows,
            "form": form,
            "query": query_without_page(request),
            "region_wide": scope.everything or scope.has_role(*selectors.SUPERVISING_ROLES),
        },
        status=status,
    )


@login_required
@require_GET
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_staff(request.user, _STAFF_ONLY)
    return render(request, "supervision/alerts/detail.html", _detail_context(request, pk))


ACTIONS = frozenset({"explain", "confirm", "dismiss"})


@login_required
@require_POST
def alert_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    require_staff(request.user, _STAFF_ONLY)
    if action not in ACTIONS:
        raise Http404(action)
    alert = selectors.alert_get(actor=request.user, pk=pk)
    form: forms.Form = (
        ExplainForm(request.POST, prefix=action)
        if action == "explain"
        else HandleForm(request.POST, prefix=action)
    )
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    version = data.get("version")
    try:
        if action == "explain":
            services.alert_explain(
                actor=request.user, alert=alert, text=data.get("text", ""), expected_version=version
            )
            message = _("情况说明已提交，等待监察人员确认或撤销。")
        elif action == "confirm":
            services.alert_confirm(
                actor=request.user,
                alert=alert,
                reason=data.get("reason", ""),
                expected_version=version,
            )
            message = _("预警已确认。")
        else:
            services.alert_dismiss(
                actor=request.user,
                alert=alert,
                reason=data.get("reason", ""),
                expected_version=version,
            )
            message = _("预警已撤销。")
    except DomainError as exc:
        if isinstance(exc, ValidationFailed):
            add_domain_errors(form, exc)
            context = _detail_context(request, pk, bound=(action, form))
        else:
            context = _detail_context(request, pk, error=str(exc.message))
        return render(request, "supervision/alerts/detail.html", context, status=error_status(exc))
    messages.success(request, message)
    return redirect("supervision:alert_detail", pk=pk)


urlpatterns: list[URLPattern] = [
    path("alerts/", alert_list, name="alert_list"),
    path("alerts/<int:pk>/", alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/<str:action>/", alert_action, name="alert_action"),
]
