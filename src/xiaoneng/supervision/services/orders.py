"""Supervision orders (督办单): issue, reply, accept / return, escalation of overdue orders.

Who may do what:

* **issue** — a supervisor (效能监察), on an alert, a case or a department inside their
  region subtree; subject and requirements are required; the reply limit defaults to
  :data:`DEFAULT_LIMIT`. Starts the reply timer (``kind``/``subject_type``
  ``supervision.order``), so the deadline sweep raises its yellow and red alerts like any
  other timer's; renders the 督办通知书; tells the department head after commit.
* **reply** — a staff member of the order's department, while the order waits for a reply
  (``issued`` or ``returned``). Completes the timer (a late reply is marked ``late``) and
  renders the 督办回复.
* **accept / return** — a supervisor whose region covers the order reviews the reply.
  *Return* needs a reason and starts a **new** timer for the new reply, from the moment of
  the return, with the limit the supervisor gives (default: the order's limit). The old
  timer stays completed, so the time the department took for the first reply stays on
  record and the new deadline is explicit rather than a continuation of a spent one.
* **escalation** — :func:`orders_escalate_overdue` (a periodic job) raises, once per
  order, a red ``order_escalated`` alert addressed one level up when the reply timer is
  overdue: region = the parent of the order's region (the root keeps its own), department
  = the supervision office of that region (the department there with an active
  supervisor; the org has no department hierarchy, so there is no "superior department"
  to prefer). The unique constraint of rule alerts makes it idempotent; an order escalates
  once even if a returned round is overdue again (the sweep's red alert on the new timer
  still flags that round).

Every write locks the order row, checks the actor, the state (:data:`ORDER_TRANSITIONS`)
and the optional ``expected_version``, saves with ``update_fields`` and writes its audit
event in the same transaction; notifications go out after commit.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.audit.services import audit_record, audit_record_many
from xiaoneng.cases.models import Case
from xiaoneng.clock import Limit, LimitUnit
from xiaoneng.core.errors import (
    Conflict,
    FieldErrorCollector,
    InvalidState,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from xiaoneng.core.locking import row_lock, version_check
from xiaoneng.deadlines.models import Timer, TimerStatus
from xiaoneng.deadlines.services import timer_complete, timer_start
from xiaoneng.org.models import Department, Region, Role, Staff
from xiaoneng.org.selectors import Scope, actor_scope, staff_for_user

from .. import documents
from ..models import (
    AWAITING_REPLY,
    Alert,
    AlertLevel,
    AlertState,
    OrderReply,
    OrderState,
    OrderTarget,
    SupervisionOrder,
)
from ..rules import ORDER_SUBJECT
from ..rules import TIMER_ORDER as ORDER_TIMER_KIND
from ..selectors.orders import order_overdue_q
from .notices import notify_after_commit

__all__ = [
    "DEFAULT_LIMIT",
    "ORDER_SUBJECT",
    "ORDER_TIMER_KIND",
    "ORDER_TRANSITIONS",
    "RULE_ORDER_ESCALATED",
    "OrderEvent",
    "order_accept",
    "order_issue",
    "order_limit",
    "order_reply",
    "order_return",
    "orders_escalate_overdue",
]

RULE_ORDER_ESCALATED = "order_escalated"
DEFAULT_LIMIT = Limit(5, LimitUnit.WORKING_DAYS)
#: Units a reply limit may use (minutes make no sense for a written reply).
ORDER_UNITS = (
    LimitUnit.WORKING_DAYS,
    LimitUnit.CALENDAR_DAYS,
    LimitUnit.WORKING_HOURS,
    LimitUnit.HOURS,
)
MAX_LIMIT_VALUE = 60
SUBJECT_MAX = 200
TEXT_MAX = 5000

#: action → (states it is allowed in, state it leads to)
ORDER_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "reply": (AWAITING_REPLY, OrderState.REPLIED),
    "accept": (frozenset({OrderState.REPLIED}), OrderState.ACCEPTED),
    "return": (frozenset({OrderState.REPLIED}), OrderState.RETURNED),
}


class OrderEvent(StrEnum):
    ISSUED = "supervision.order_issued"
    REPLIED = "supervision.order_replied"
    ACCEPTED = "supervision.order_accepted"
    RETURNED = "supervision.order_returned"
    ESCALATED = "supervision.order_escalated"


# --------------------------------------------------------------------------- helpers


def _staff(actor: Any) -> Staff:
    staff = staff_for_user(actor)
    if staff is None:
        raise PermissionDenied(_("只有在职工作人员可以办理督办单。"))
    return staff


def _require_supervisor(actor: Any) -> tuple[Scope, Staff]:
    scope = actor_scope(actor)
    if not scope.has_role(Role.SUPERVISOR):
        raise PermissionDenied(_("只有效能监察人员可以下发和审核督办单。"))
    return scope, _staff(actor)


def _check_transition(order: SupervisionOrder, action: str) -> str:
    allowed, target = ORDER_TRANSITIONS[action]
    if order.state not in allowed:
        raise InvalidState(
            _("督办单%(number)s当前状态为“%(state)s”，不能%(action)s。")
            % {
                "number": order.number,
                "state": order.get_state_display(),
                "action": {"reply": _("回复"), "accept": _("审核通过"), "return": _("退回")}[
                    action
                ],
            },
            code="order_state",
        )
    return target


def _check_version(order: SupervisionOrder, expected_version: int | None) -> None:
    version_check(
        order,
        expected_version,
        _("督办单%(number)s已被他人更新（版本 %(now)d，您看到的是 %(seen)d），请刷新后重试。"),
        field=None,
        number=order.number,
    )


def _locked(order: SupervisionOrder) -> SupervisionOrder:
    found = row_lock(
        SupervisionOrder,
        order,
        "department__region",
        "region",
        "issued_by__user",
        "issued_by__department",
        "alert",
        "case__item",
        "timer__region",
    )
    if found is None:  # orders are never deleted (PROTECT); kept for the type
        raise NotFound(_("督办单“%(number)s”不存在或无权查看。") % {"number": order.number})
    return found


def _text(
    errors: FieldErrorCollector, field: str, value: str | None, label: str, max_len: int
) -> str:
    value = (value or "").strip()
    if not value:
        errors.add(field, _("请填写%(label)s。") % {"label": label}, code="required")
    elif len(value) > max_len:
        errors.add(
            field,
            _("%(label)s不能超过%(max)d个字。") % {"label": label, "max": max_len},
            code="too_long",
        )
    return value


def order_limit(value: Any, unit: Any, *, field: str = "limit_value") -> Limit:
    """A reply limit from form or API input, or :class:`ValidationFailed` in Chinese."""
    errors = FieldErrorCollector()
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
        errors.add(field, _("回复时限应为正整数。"))
    if not errors and not 1 <= number <= MAX_LIMIT_VALUE:
        errors.add(field, _("回复时限应在 1 到 %(max)d 之间。") % {"max": MAX_LIMIT_VALUE})
    unit_field = field.replace("value", "unit") if "value" in field else "limit_unit"
    if str(unit) not in {u.value for u in ORDER_UNITS}:
        errors.add(unit_field, _("回复时限单位无效（工作日、自然日、工作小时或小时）。"))
    errors.raise_if_any()
    return Limit(number, LimitUnit(str(unit)))


def _order_number(region: Region, day: dt.date) -> str:
    """DB-<region>-<yyyymmdd>-<seq>: the region's short code (6 digits, 9 for a
    township), the issue date (Asia/Shanghai) and the day's sequence in that region.
    The caller holds the region row's lock, so two issuers never take the same number."""
    code = region.code[:6] if region.code[6:] == "000000" else region.code[:9]
    prefix = f"DB-{code}-{day:%Y%m%d}-"
    last = SupervisionOrder.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))[
        "m"
    ]
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


def _order_link(order: SupervisionOrder) -> str:
    return reverse("supervision:order_detail", args=[order.number])


def _department_recipients(department: Department) -> list[int]:
    """Who hears of an order: the department head, else its active staff (at most 20)."""
    if department.head_id is not None:
        head = Staff.objects.filter(pk=department.head_id, is_active=True).first()
        if head is not None:
            return [head.user_id]
    return list(
        Staff.objects.filter(department=department, is_active=True)
        .order_by("pk")
        .values_list("user_id", flat=True)[:20]
    )


def _notify(user_ids: list[int], *, subject: str, body: str, link: str) -> None:
    for user_id in user_ids:
        notify_after_commit(
            user_id=user_id, kind="supervision.order", subject=subject, body=body, link=link
        )


def _audit(actor: Any, action: OrderEvent, order: SupervisionOrder, **payload: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type=ORDER_SUBJECT,
        object_id=order.pk,
        region_code=order.region.code,
        department_id=order.department_id,
        payload={"number": order.number, "state": order.state, **payload},
    )


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --------------------------------------------------------------------------- issue


def _alert_department(alert: Alert) -> Department | None:
    """The department an alert holds responsible: its own, its case's, or its subject's."""
    if alert.department_id is not None:
        return alert.department
    case_id = alert.case_id
    if case_id is None and alert.subject_type == "cases.case" and alert.subject_id.isdigit():
        case_id = int(alert.subject_id)
    if case_id is not None:
        case = Case.objects.select_related("department__region").filter(pk=case_id).first()
        if case is not None:
            return case.department
    if alert.subject_type == ORDER_SUBJECT and alert.subject_id.isdigit():
        order = (
            SupervisionOrder.objects.select_related("department__region")
            .filter(pk=int(alert.subject_id))
            .first()
        )
        if order is not None:
            return order.department
    return None


def _alert_case(alert: Alert) -> Case | None:
    if alert.case_id is not None:
        return alert.case
    if alert.subject_type == "cases.case" and alert.subject_id.isdigit():
        return Case.objects.filter(pk=int(alert.subject_id)).first()
    return None


def order_issue(
    *,
    actor: Any,
    target_kind: str,
    subject: str,
    requirements: str,
    alert: Alert | None = None,
    case: Case | None = None,
    department: Department | None = None,
    limit: Limit | None = None,
    at: dt.datetime | None = None,
) -> SupervisionOrder:
    """Issue a 督办单 on ``alert``, ``case`` or ``department`` (per ``target_kind``).

    For an alert or a case the responsible department is the alert's (or its case's) or
    the case's department; ``department`` overrides it (e.g. an assisting department).
    """
    scope, staff = _require_supervisor(actor)
    errors = FieldErrorCollector()
    subject = _text(errors, "subject", subject, _("督办事项"), SUBJECT_MAX)
    requirements = _text(errors, "requirements", requirements, _("督办要求"), TEXT_MAX)
    limit = limit or DEFAULT_LIMIT
    if limit.unit not in ORDER_UNITS or not 1 <= limit.value <= MAX_LIMIT_VALUE:
        errors.add("limit_value", _("回复时限应在 1 到 %(max)d 之间。") % {"max": MAX_LIMIT_VALUE})
    if target_kind not in OrderTarget.values:
        errors.add("target_kind", _("督办对象类型无效（预警、办件或部门）。"))
    errors.raise_if_any()
    now = at or timezone.now()
    with transaction.atomic():
        if target_kind == OrderTarget.ALERT:
            if alert is None:
                raise ValidationFailed(_("请选择要督办的预警。"), field="alert", code="required")
            alert = (
                Alert.objects.select_for_update(of=("self",))
                .select_related("region", "department__region", "case")
                .get(pk=alert.pk)
            )
            if not scope.covers_region(alert.region):
                raise PermissionDenied(_("该预警不在您的监察范围内。"))
            if alert.state == AlertState.DISMISSED:
                raise InvalidState(_("该预警已撤销，不能督办。"), code="alert_dismissed")
            open_order = (
                SupervisionOrder.objects.filter(alert=alert)
                .exclude(state=OrderState.ACCEPTED)
                .values_list("number", flat=True)
                .first()
            )
            if open_order:
                raise Conflict(
                    _("该预警已有未办结的督办单%(number)s。") % {"number": open_order},
                    code="order_open",
                )
            case = _alert_case(alert)
            department = department or _alert_department(alert)
        elif target_kind == OrderTarget.CASE:
            if case is None:
                raise ValidationFailed(_("请选择要督办的办件。"), field="case", code="required")
            if not scope.covers_region(case.region):
                raise PermissionDenied(_("该办件不在您的监察范围内。"))
            alert = None
            department = department or case.department
        else:
            alert = case = None
        if department is None:
            raise ValidationFailed(_("请选择督办的责任部门。"), field="department", code="required")
        department = Department.objects.select_related("region").get(pk=department.pk)
        if not department.is_active:
            raise ValidationFailed(
                _("部门“%(name)s”已停用，不能督办。") % {"name": department.name},
                field="department",
            )
        if not scope.covers_department(department):
            raise PermissionDenied(
                _("部门“%(name)s”不在您的监察范围内。") % {"name": department.name}
            )
        region = Region.objects.select_for_update().get(pk=department.region_id)
        order = SupervisionOrder(
            number=_order_number(region, timezone.localdate(now)),
            target_kind=target_kind,
            alert=alert,
            case=case,
            department=department,
            region=region,
            issued_by=staff,
            issued_at=now,
            subject=subject,
            requirements=requirements,
            limit_value=limit.value,
            limit_unit=str(limit.unit),
        )
        order.save(force_insert=True)
        timer = timer_start(
            kind=ORDER_TIMER_KIND,
            subject_type=ORDER_SUBJECT,
            subject_id=order.pk,
            region=region,
            limit=limit,
            at=now,
            actor=actor,
        )
        order.timer = timer
        documents.order_pdf_store(order, due_at=timer.due_at)
        order.save(update_fields=["timer", "file", "sha256"])
        _audit(
            actor,
            OrderEvent.ISSUED,
            order,
            target_kind=target_kind,
            alert=alert.pk if alert else None,
            case=case.pk if case else None,
            department=department.pk,
            limit=str(limit),
            due_at=_iso(timer.due_at),
        )
        _notify(
            _department_recipients(department),
            subject=_("督办通知：%(subject)s") % {"subject": subject},
            body=_("%(issuer)s向你单位下发督办单%(number)s，请于%(due)s前回复办理情况。")
            % {
                "issuer": staff.department.name,
                "number": order.number,
                "due": timezone.localtime(timer.due_at).strftime("%Y-%m-%d %H:%M")
                if timer.due_at
                else "—",
            },
            link=_order_link(order),
        )
    return order


# --------------------------------------------------------------------------- reply


def order_reply(
    *,
    actor: Any,
    order: SupervisionOrder,
    text: str,
    expected_version: int | None = None,
    at: dt.datetime | None = None,
) -> OrderReply:
    """The department's reply: completes the reply timer and renders the 督办回复."""
    staff = _staff(actor)
    errors = FieldErrorCollector()
    text = _text(errors, "text", text, _("办理情况"), TEXT_MAX)
    errors.raise_if_any()
    now = at or timezone.now()
    with transaction.atomic():
        order = _locked(order)
        if staff.department_id != order.department_id:
            raise PermissionDenied(
                _("只有责任部门“%(name)s”的工作人员可以回复该督办单。")
                % {"name": order.department.name}
            )
        _check_version(order, expected_version)
        target = _check_transition(order, "reply")
        timer = order.timer
        late = bool(
            timer is not None
            and timer.status == TimerStatus.RUNNING
            and timer.due_at is not None
            and now > timer.due_at
        )
        if timer is not None and timer.status != TimerStatus.DONE:
            timer_complete(timer=timer, at=now, actor=actor)
        last = order.replies.aggregate(m=Max("seq"))["m"] or 0
        reply = OrderReply(
            order=order,
            seq=last + 1,
            text=text,
            replied_by=staff,
            replied_at=now,
            late=late,
        )
        documents.reply_pdf_store(reply)
        reply.save(force_insert=True)
        old = order.state
        order.state = target
        order.version += 1
        order.save(update_fields=["state", "version"])
        _audit(actor, OrderEvent.REPLIED, order, old=old, reply=reply.pk, late=late)
        _notify(
            [order.issued_by.user_id],
            subject=_("督办回复：%(number)s") % {"number": order.number},
            body=_("%(department)s已回复督办单%(number)s，请审核。")
            % {"department": order.department.name, "number": order.number},
            link=_order_link(order),
        )
    return reply


# --------------------------------------------------------------------------- review


def _review_start(
    actor: Any, order: SupervisionOrder, action: str, expected_version: int | None
) -> tuple[SupervisionOrder, Staff, OrderReply, str]:
    scope, staff = _require_supervisor(actor)
    order = _locked(order)
    if not scope.covers_region(order.region):
        raise PermissionDenied(_("该督办单不在您的监察范围内。"))
    _check_version(order, expected_version)
    target = _check_transition(order, action)
    reply = order.replies.order_by("-seq").first()
    if reply is None:  # pragma: no cover - a replied order has a reply
        raise InvalidState(_("督办单尚无回复。"), code="order_state")
    return order, staff, reply, target


def order_accept(
    *,
    actor: Any,
    order: SupervisionOrder,
    note: str = "",
    expected_version: int | None = None,
) -> SupervisionOrder:
    """The supervisor accepts the latest reply: the order is closed (办结)."""
    note = (note or "").strip()
    if len(note) > TEXT_MAX:
        raise ValidationFailed(_("审核意见不能超过%(max)d个字。") % {"max": TEXT_MAX}, field="note")
    now = timezone.now()
    with transaction.atomic():
        order, staff, reply, target = _review_start(actor, order, "accept", expected_version)
        reply.review, reply.review_note = "accepted", note
        reply.reviewed_by, reply.reviewed_at = staff, now
        reply.save(update_fields=["review", "review_note", "reviewed_by", "reviewed_at"])
        old = order.state
        order.state, order.closed_at = target, now
        order.version += 1
        order.save(update_fields=["state", "closed_at", "version"])
        _audit(actor, OrderEvent.ACCEPTED, order, old=old, reply=reply.pk)
        _notify(
            _department_recipients(order.department),
            subject=_("督办办结：%(number)s") % {"number": order.number},
            body=_("督办单%(number)s的回复已审核通过，督办办结。") % {"number": order.number},
            link=_order_link(order),
        )
    return order


def order_return(
    *,
    actor: Any,
    order: SupervisionOrder,
    reason: str,
    limit: Limit | None = None,
    expected_version: int | None = None,
    at: dt.datetime | None = None,
) -> SupervisionOrder:
    """The supervisor returns the reply: the department replies again within ``limit``
    (default: the order's limit), counted on a new timer from now."""
    errors = FieldErrorCollector()
    reason = _text(errors, "reason", reason, _("退回理由"), TEXT_MAX)
    if limit is not None and (
        limit.unit not in ORDER_UNITS or not 1 <= limit.value <= MAX_LIMIT_VALUE
    ):
        errors.add("limit_value", _("回复时限应在 1 到 %(max)d 之间。") % {"max": MAX_LIMIT_VALUE})
    errors.raise_if_any()
    now = at or timezone.now()
    with transaction.atomic():
        order, staff, reply, target = _review_start(actor, order, "return", expected_version)
        limit = limit or Limit(order.limit_value, LimitUnit(order.limit_unit))
        reply.review, reply.review_note = "returned", reason
        reply.reviewed_by, reply.reviewed_at = staff, now
        reply.save(update_fields=["review", "review_note", "reviewed_by", "reviewed_at"])
        old_timer = order.timer_id
        timer = timer_start(
            kind=ORDER_TIMER_KIND,
            subject_type=ORDER_SUBJECT,
            subject_id=order.pk,
            region=order.region,
            limit=limit,
            at=now,
            actor=actor,
        )
        old = order.state
        order.state, order.timer = target, timer
        order.limit_value, order.limit_unit = limit.value, str(limit.unit)
        order.version += 1
        order.save(update_fields=["state", "timer", "limit_value", "limit_unit", "version"])
        _audit(
            actor,
            OrderEvent.RETURNED,
            order,
            old=old,
            reply=reply.pk,
            old_timer=old_timer,
            timer=timer.pk,
            limit=str(limit),
            due_at=_iso(timer.due_at),
        )
        _notify(
            _department_recipients(order.department),
            subject=_("督办退回：%(number)s") % {"number": order.number},
            body=_("督办单%(number)s的回复被退回，请于%(due)s前重新回复。理由：%(reason)s")
            % {
                "number": order.number,
                "due": timezone.localtime(timer.due_at).strftime("%Y-%m-%d %H:%M")
                if timer.due_at
                else "—",
                "reason": reason,
            },
            link=_order_link(order),
        )
    return order


# --------------------------------------------------------------------------- escalation


def _supervision_office(region: Region) -> Department | None:
    """The supervision office of ``region``: its department with an active supervisor."""
    return (
        Department.objects.filter(
            region=region,
            is_active=True,
            staff__is_active=True,
            staff__role_grants__role=Role.SUPERVISOR,
        )
        .order_by("sort_order", "pk")
        .first()
    )


def orders_escalate_overdue(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Raise one red ``order_escalated`` alert one level up for each overdue order.

    Overdue: waiting for a reply (``issued`` / ``returned``) and its reply timer running
    past ``due_at``. The query is a range over the running timers' partial ``due_at``
    index joined to the orders not yet escalated (partial index on ``timer`` where
    ``escalated_at`` is null): its cost follows the overdue, unescalated orders, not the
    open ones. Each batch locks its orders (a second worker waits, then finds them
    escalated), inserts the alerts with ``ignore_conflicts`` (the unique constraint on
    rule alerts is the final guarantee) and marks the orders ``escalated_at``.
    Orders whose escalation alert already exists (a mark lost) are only marked.
    Returns the number of escalation alerts raised.
    """
    now = now or timezone.now()
    escalated = 0
    offices: dict[int, Department | None] = {}
    while True:
        with transaction.atomic():
            orders = list(
                SupervisionOrder.objects.select_for_update(of=("self",))
                .filter(order_overdue_q(now), escalated_at__isnull=True)
                .select_related("region__parent", "department", "timer")
                .order_by("timer__due_at", "pk")[:batch_size]
            )
            if not orders:
                break
            pks = [order.pk for order in orders]
            raised = set(
                Alert.objects.filter(
                    rule=RULE_ORDER_ESCALATED,
                    subject_type=ORDER_SUBJECT,
                    subject_id__in=[str(pk) for pk in pks],
                    timer__isnull=True,
                ).values_list("subject_id", flat=True)
            )
            alerts: list[Alert] = []
            new: list[SupervisionOrder] = []
            for order in orders:
                if str(order.pk) in raised:
                    continue
                new.append(order)
                above = order.region.parent or order.region
                if above.pk not in offices:
                    offices[above.pk] = _supervision_office(above)
                office = offices[above.pk]
                timer: Timer = order.timer  # type: ignore[assignment]
                alerts.append(
                    Alert(
                        rule=RULE_ORDER_ESCALATED,
                        level=AlertLevel.RED,
                        subject_type=ORDER_SUBJECT,
                        subject_id=str(order.pk),
                        region=above,
                        case_id=order.case_id,
                        department=office,
                        escalated_from_id=order.alert_id,
                        raised_at=now,
                        facts={
                            "order": order.number,
                            "department": order.department_id,
                            "department_name": order.department.name,
                            "region": order.region.code,
                            "due_at": _iso(timer.due_at),
                            "state": order.state,
                        },
                    )
                )
            Alert.objects.bulk_create(alerts, ignore_conflicts=True)
            SupervisionOrder.objects.filter(pk__in=pks, escalated_at__isnull=True).update(
                escalated_at=now
            )
            audit_record_many(
                records=[
                    {
                        "actor": None,
                        "action": OrderEvent.ESCALATED,
                        "object_type": ORDER_SUBJECT,
                        "object_id": order.pk,
                        "region_code": order.region.code,
                        "department_id": order.department_id,
                        "payload": {
                            "number": order.number,
                            "to_region": alert.region.code,
                            "to_department": alert.department.pk if alert.department else None,
                            "due_at": alert.facts["due_at"],
                        },
                    }
                    for order, alert in zip(new, alerts, strict=True)
                ]
            )
            escalated += len(new)
        if len(orders) < batch_size:
            break
    return escalated
