"""Reads of supervision orders, scoped by the actor.

A supervisor sees the orders of their region subtree (the platform administrator all); any
other staff member sees the orders addressed to their own department. Everyone else sees
none. An order outside the actor's view is a :class:`NotFound`, never a 403.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.cases import selectors as case_selectors
from xiaoneng.cases.models import Case
from xiaoneng.core.errors import NotFound
from xiaoneng.deadlines.models import TimerStatus
from xiaoneng.org import selectors as org_selectors
from xiaoneng.org.models import Department, Role
from xiaoneng.org.selectors import actor_scope

from ..models import AWAITING_REPLY, Alert, OrderReply, OrderState, SupervisionOrder

__all__ = [
    "can_issue",
    "order_actions",
    "order_awaiting_reply",
    "order_get",
    "order_is_overdue",
    "order_list",
    "order_overdue_q",
    "order_reply_get",
    "order_target_alert",
    "order_target_case",
    "order_target_department",
    "order_targets_departments",
]


def order_awaiting_reply(order: SupervisionOrder) -> bool:
    """Whether the department owes a reply to ``order`` (issued, or returned to redo)."""
    return order.state in AWAITING_REPLY


def order_is_overdue(order: SupervisionOrder, *, now: dt.datetime | None = None) -> bool:
    """Whether ``order`` awaits a reply past its due time: the rule of
    :func:`order_overdue_q`, for one loaded order."""
    timer = order.timer
    return bool(
        order_awaiting_reply(order)
        and timer is not None
        and timer.status == TimerStatus.RUNNING
        and timer.due_at is not None
        and timer.due_at <= (now or timezone.now())
    )


def order_overdue_q(now: dt.datetime) -> Q:
    """The orders awaiting a reply whose reply timer runs past due at ``now`` (the list's
    filter, the escalation job's selection)."""
    return Q(
        state__in=AWAITING_REPLY,
        timer__status=TimerStatus.RUNNING,
        timer__due_at__lte=now,
    )


def order_list(
    *,
    actor: Any,
    state: str | None = None,
    overdue: bool | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[SupervisionOrder]:
    """The orders ``actor`` may see, newest first; ``overdue``: only those waiting for a
    reply past the due time."""
    scope = actor_scope(actor)
    if not scope.is_staff:
        return SupervisionOrder.objects.none()
    if scope.has_role(Role.SUPERVISOR):
        visible = scope.department_q("department_id", "region__")
    else:
        visible = Q(department_id__in=list(scope.department_ids))
    qs = SupervisionOrder.objects.filter(visible).select_related(
        "department", "region", "issued_by__user", "timer__region", "case__item", "alert"
    )
    if state:
        qs = qs.filter(state=state)
    if overdue:
        qs = qs.filter(order_overdue_q(now or timezone.now()))
    return qs.order_by("-issued_at", "-pk")


def order_get(*, actor: Any, number: str) -> SupervisionOrder:
    order = (
        order_list(actor=actor)
        .select_related("issued_by__department", "case__item", "department__region")
        .filter(number=number)
        .first()
    )
    if order is None:
        raise NotFound(_("督办单“%(number)s”不存在或无权查看。") % {"number": number})
    return order


def order_reply_get(*, actor: Any, number: str, reply_id: int) -> OrderReply:
    order = order_get(actor=actor, number=number)
    reply = OrderReply.objects.filter(order=order, pk=reply_id).select_related("order").first()
    if reply is None:
        raise NotFound(_("督办回复不存在或无权查看。"))
    return reply


def order_actions(*, actor: Any, order: SupervisionOrder) -> set[str]:
    """What ``actor`` may do with ``order`` now (the services check it again)."""
    scope = actor_scope(actor)
    actions: set[str] = set()
    staff = org_selectors.staff_for_user(actor)
    if staff is None:
        return actions
    if order_awaiting_reply(order) and staff.department_id == order.department_id:
        actions.add("reply")
    if (
        order.state == OrderState.REPLIED
        and scope.has_role(Role.SUPERVISOR)
        and scope.covers_region(order.region)
    ):
        actions |= {"accept", "return"}
    return actions


def can_issue(*, actor: Any) -> bool:
    return actor_scope(actor).has_role(Role.SUPERVISOR)


def order_target_alert(*, actor: Any, alert_id: Any) -> Alert:
    """An alert a supervisor may issue an order on (their region), or :class:`NotFound`."""
    scope = actor_scope(actor)
    alert = None
    if scope.has_role(Role.SUPERVISOR) and str(alert_id).isdigit():
        alert = (
            Alert.objects.filter(scope.region_q("region__"), pk=int(alert_id))
            .select_related("region", "department", "case")
            .first()
        )
    if alert is None:
        raise NotFound(_("预警“%(id)s”不存在或无权查看。") % {"id": alert_id})
    return alert


def order_target_case(*, actor: Any, number: str) -> Case:
    return case_selectors.case_get(actor=actor, number=number)


def order_targets_departments(*, actor: Any) -> QuerySet[Department]:
    """Active departments a supervisor may address an order to."""
    if not actor_scope(actor).has_role(Role.SUPERVISOR):
        return Department.objects.none()
    return org_selectors.department_list(actor=actor).filter(is_active=True)


def order_target_department(*, actor: Any, department_id: Any) -> Department:
    department = None
    if str(department_id).isdigit():
        department = order_targets_departments(actor=actor).filter(pk=int(department_id)).first()
    if department is None:
        raise NotFound(_("部门“%(id)s”不存在或无权查看。") % {"id": department_id})
    return department
