"""Reads of alerts: scoped lists and details, what each user may do, labels.

Who sees which alerts (:func:`alert_list`):

* supervisors, the leadership office and the platform admin: every alert of their region
  subtree (the platform admin: all);
* every other staff member: the alerts of their own department (to explain them);
* applicants and anonymous visitors: nothing.

Who may do what (:func:`alert_actions`, re-checked by the services):

* ``explain``: staff of the responsible department, while the alert is open;
* ``confirm`` / ``dismiss``: a supervisor whose region covers the alert's region, while it is
  open or explained (confirmed and dismissed are final).

Rule labels come from :data:`xiaoneng.supervision.rules.RULE_LABELS` (the one table of
rules); a code it does not know is shown as is.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.audit.models import AuditEvent
from xiaoneng.audit.selectors import audit_event_list
from xiaoneng.cases import rules as case_rules
from xiaoneng.cases.models import Case, CaseTask, SpecialProcedureRecord
from xiaoneng.core.errors import NotFound
from xiaoneng.org.models import Role
from xiaoneng.org.selectors import Scope, actor_scope

from .. import rules
from ..models import Alert, AlertState

__all__ = [
    "ALERT_OBJECT_TYPE",
    "FINAL_STATES",
    "HANDLING_ROLES",
    "SUPERVISING_ROLES",
    "AlertSubject",
    "alert_actions",
    "alert_facts",
    "alert_get",
    "alert_history",
    "alert_list",
    "alert_may_explain",
    "alert_may_handle",
    "alert_subjects",
    "alert_visible",
    "rule_label",
    "timer_kind_label",
]

#: ``AuditEvent.object_type`` of an alert's events.
ALERT_OBJECT_TYPE = "supervision.alert"

#: Roles that see the alerts of their whole region subtree.
SUPERVISING_ROLES = (Role.SUPERVISOR, Role.LEADERSHIP_OFFICE, Role.PLATFORM_ADMIN)
#: Roles that confirm or dismiss alerts (within their region).
HANDLING_ROLES = (Role.SUPERVISOR,)

FINAL_STATES = frozenset({AlertState.CONFIRMED, AlertState.DISMISSED})

_TIMER_KIND_LABELS: dict[str, Any] = {
    case_rules.TIMER_INTAKE: gettext_lazy("受理时限"),
    case_rules.TIMER_PROMISED: gettext_lazy("承诺办结时限"),
    case_rules.TIMER_STATUTORY: gettext_lazy("法定办结时限"),
    case_rules.TIMER_TASK: gettext_lazy("环节时限"),
    case_rules.TIMER_DELIVERY: gettext_lazy("证照送达时限"),
    case_rules.TIMER_SPECIAL: gettext_lazy("特别程序时限"),
}

# Subject types of the cases app's timers (``Timer.subject_type`` = the model's label).
CASE_SUBJECT = rules.CASE_SUBJECT
TASK_SUBJECT = rules.TASK_SUBJECT
SPECIAL_SUBJECT = rules.SPECIAL_SUBJECT


def rule_label(code: str) -> str:
    """The Chinese name of a rule code (the code itself for a rule nobody named)."""
    label = rules.RULE_LABELS.get(code)
    return str(label) if label else code


def timer_kind_label(kind: str) -> str:
    label = _TIMER_KIND_LABELS.get(kind)
    return str(label) if label else kind


# --------------------------------------------------------------------------- scope


def _scope_q(scope: Scope) -> Q | None:
    """The alerts ``scope`` reaches, or None for nothing."""
    if scope.everything:
        return Q()
    if not scope.is_staff:
        return None
    q = Q(department_id__in=list(scope.department_ids))
    if scope.region_paths and scope.has_role(*SUPERVISING_ROLES):
        q |= scope.region_q("region__")
    return q


def alert_visible(*, scope: Scope, alert: Alert) -> bool:
    """Whether ``scope`` reaches ``alert`` (the same rule as :func:`alert_list`)."""
    if scope.everything:
        return True
    if not scope.is_staff:
        return False
    if alert.department_id is not None and alert.department_id in scope.department_ids:
        return True
    return scope.has_role(*SUPERVISING_ROLES) and scope.covers_region(alert.region)


def alert_may_explain(*, scope: Scope, alert: Alert) -> bool:
    """Staff of the responsible department (not merely staff who may see the alert)."""
    return (
        scope.staff_id is not None
        and alert.department_id is not None
        and alert.department_id in scope.department_ids
    )


def alert_may_handle(*, scope: Scope, alert: Alert) -> bool:
    """A supervisor (a staff member: the handler is recorded) whose region subtree holds
    the alert's region."""
    return (
        scope.staff_id is not None
        and scope.has_role(*HANDLING_ROLES)
        and scope.covers_region(alert.region)
    )


def alert_actions(*, actor: Any, alert: Alert) -> frozenset[str]:
    """The actions the pages offer ``actor`` on ``alert`` now (services re-check them)."""
    scope = actor_scope(actor)
    if not alert_visible(scope=scope, alert=alert):
        return frozenset()
    actions: set[str] = set()
    if alert.state == AlertState.OPEN and alert_may_explain(scope=scope, alert=alert):
        actions.add("explain")
    may_handle = alert_may_handle(scope=scope, alert=alert)
    if alert.state not in FINAL_STATES and may_handle:
        actions |= {"confirm", "dismiss"}
    # follow-ups (their services re-check): a supervision order on a standing alert; an
    # accountability action on a confirmed one (only confirmed alerts are its basis)
    if may_handle and alert.state != AlertState.DISMISSED:
        actions.add("order")
    if may_handle and alert.state == AlertState.CONFIRMED:
        actions.add("accountability")
    return frozenset(actions)


# --------------------------------------------------------------------------- reads


def alert_list(*, actor: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[Alert]:
    """Alerts ``actor`` may see, newest first, filtered by ``state``, ``level``, ``rule``
    (each a value or a list), ``department`` (an id), ``raised_from`` / ``raised_until``
    (dates, Beijing time, both included)."""
    q = _scope_q(actor_scope(actor))
    if q is None:
        return Alert.objects.none()
    alerts = Alert.objects.filter(q).select_related(
        "region", "department", "staff__user", "case", "timer"
    )
    filters = filters or {}
    for name in ("state", "level", "rule"):
        value = filters.get(name)
        if value:
            values = [value] if isinstance(value, str) else list(value)
            alerts = alerts.filter(**{f"{name}__in": values})
    if department := filters.get("department"):
        alerts = alerts.filter(department_id=getattr(department, "pk", department))
    zone = timezone.get_default_timezone()
    if since := filters.get("raised_from"):
        alerts = alerts.filter(raised_at__gte=dt.datetime.combine(since, dt.time.min, zone))
    if until := filters.get("raised_until"):
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, zone)
        alerts = alerts.filter(raised_at__lt=end)
    return alerts.order_by("-raised_at", "-pk")


def alert_get(*, actor: Any, pk: int) -> Alert:
    """One alert, or :class:`NotFound` (also when it exists but ``actor`` may not see it)."""
    alert = alert_list(actor=actor).select_related("explained_by__user", "handled_by__user")
    found = alert.filter(pk=pk).first()
    if found is None:
        raise NotFound(_("预警不存在或无权查看。"), field="alert_id")
    return found


def alert_history(*, actor: Any, alert: Alert) -> QuerySet[AuditEvent]:
    """The alert's events from the audit log, oldest first (visibility checked)."""
    alert_get(actor=actor, pk=alert.pk)
    return audit_event_list(actor=None, object_type=ALERT_OBJECT_TYPE, object_id=alert.pk).order_by(
        "occurred_at", "id"
    )


@dataclass(frozen=True)
class AlertSubject:
    """What an alert is about, as pages and messages name it."""

    label: str
    case_number: str | None = None


def _int_ids(values: Iterable[str]) -> list[int]:
    return [int(v) for v in values if str(v).isdigit()]


def alert_subjects(alerts: Iterable[Alert]) -> dict[int, AlertSubject]:
    """Each alert's object by alert id, with at most three queries for any number of
    alerts (the cases, tasks and special procedures they are about)."""
    alerts = list(alerts)
    by_type: dict[str, set[str]] = {}
    for a in alerts:
        by_type.setdefault(a.subject_type, set()).add(a.subject_id)
    tasks = {
        t["pk"]: t
        for t in CaseTask.objects.filter(pk__in=_int_ids(by_type.get(TASK_SUBJECT, ()))).values(
            "pk", "name", "case__number"
        )
    }
    specials = {
        s["pk"]: s
        for s in SpecialProcedureRecord.objects.filter(
            pk__in=_int_ids(by_type.get(SPECIAL_SUBJECT, ()))
        ).values("pk", "name", "case__number")
    }
    case_ids = set(_int_ids(by_type.get(CASE_SUBJECT, ()))) | {
        a.case_id for a in alerts if a.case_id is not None
    }
    numbers = dict(Case.objects.filter(pk__in=case_ids).values_list("pk", "number"))
    out: dict[int, AlertSubject] = {}
    for a in alerts:
        kind = timer_kind_label(a.timer.kind) if a.timer_id and a.timer else ""
        sid = int(a.subject_id) if a.subject_id.isdigit() else None
        if a.subject_type == TASK_SUBJECT and sid in tasks:
            t = tasks[sid]
            label = _("办件 %(number)s 的“%(task)s”环节") % {
                "number": t["case__number"],
                "task": t["name"],
            }
            number = t["case__number"]
        elif a.subject_type == SPECIAL_SUBJECT and sid in specials:
            s = specials[sid]
            label = _("办件 %(number)s 的特别程序“%(name)s”") % {
                "number": s["case__number"],
                "name": s["name"],
            }
            number = s["case__number"]
        elif a.subject_type == CASE_SUBJECT and sid in numbers:
            number = numbers[sid]
            label = _("办件 %(number)s") % {"number": number}
        elif a.case_id in numbers:
            number = numbers[a.case_id]
            label = _("办件 %(number)s") % {"number": number}
        else:
            number = None
            label = f"{a.subject_type}:{a.subject_id}"
        if kind:
            label = _("%(object)s（%(limit)s）") % {"object": label, "limit": kind}
        out[a.pk] = AlertSubject(label=label, case_number=number)
    return out


_FACT_LABELS: dict[str, Any] = {
    "number": gettext_lazy("办件编号"),
    "kind": gettext_lazy("计时类型"),
    "fee": gettext_lazy("收费记录"),
    "name": gettext_lazy("名称"),
    "amount": gettext_lazy("实收金额（元）"),
    "standard": gettext_lazy("收费标准（元）"),
    "basis": gettext_lazy("有收费依据"),
    "exempt": gettext_lazy("减免"),
    "reason": gettext_lazy("理由"),
    "problems": gettext_lazy("发现的问题"),
    "step": gettext_lazy("环节序号"),
    "skipped": gettext_lazy("被跳过的环节"),
    "started": gettext_lazy("开始时间"),
    "previous_done": gettext_lazy("上一环节完成时间"),
    "open_steps": gettext_lazy("未完成的环节"),
    "last_step_done": gettext_lazy("最后环节完成时间"),
    "decision": gettext_lazy("决定时间"),
    "decided_at": gettext_lazy("决定时间"),
    "accepted_at": gettext_lazy("受理时间"),
    "received_at": gettext_lazy("收件时间"),
    "issued_at": gettext_lazy("出具时间"),
    "due_at": gettext_lazy("到期时间"),
    "statutory_due": gettext_lazy("法定到期时间"),
    "notices": gettext_lazy("补正告知次数"),
    "promised": gettext_lazy("承诺时限"),
    "statutory": gettext_lazy("法定时限"),
    "created_at": gettext_lazy("录入时间"),
    "closed_at": gettext_lazy("办结时间"),
    "earlier": gettext_lazy("更早的记录"),
    "not_accepted": gettext_lazy("不予受理"),
    "refused": gettext_lazy("不予受理时间"),
}


def _fact_text(key: str, value: Any) -> str:
    if key == "kind" and isinstance(value, str):
        return timer_kind_label(value)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if value is None or value == "":
        return "—"
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and "T" in value:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def alert_facts(alert: Alert) -> list[tuple[str, str]]:
    """The alert's facts as (Chinese label, readable value) rows, in a stable order
    (known keys first, as :data:`_FACT_LABELS` lists them; unknown keys by name)."""
    facts = alert.facts if isinstance(alert.facts, dict) else {"": alert.facts}
    order = {key: i for i, key in enumerate(_FACT_LABELS)}
    keys = sorted(facts, key=lambda k: (order.get(k, len(order)), k))
    return [(str(_FACT_LABELS.get(k, k)), _fact_text(k, facts[k])) for k in keys]
