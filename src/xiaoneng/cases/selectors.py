"""Reads of the cases app, scoped by who asks (ARCHITECTURE.md "Security").

* an applicant sees their own cases (the account that submitted them);
* clerks and approvers see their department's cases: cases of items their department
  implements, cases with a task of their department, cases they received (first-inquiry);
* the approval office, supervisors and the leadership office see their region subtree;
* the platform admin sees everything; anonymous users see nothing (the public progress
  page goes through :func:`progress_public`, which shows no personal data).

Queues sort green-channel cases first, then by the nearest due time.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.audit.models import AuditEvent
from xiaoneng.audit.selectors import audit_event_list
from xiaoneng.core.errors import NotFound
from xiaoneng.core.identifiers import mask_mobile, mask_resident_id
from xiaoneng.deadlines.models import Timer
from xiaoneng.deadlines.selectors import timer_status
from xiaoneng.org.models import BackupPair, Role
from xiaoneng.org.selectors import Scope, actor_scope

from . import rules
from .models import (
    ApplicantKind,
    Case,
    CaseMaterial,
    CaseState,
    CaseStep,
    CaseTask,
    IdType,
    Licence,
    StepState,
    TaskState,
)
from .rules import CASE_SUBJECT


def _case_scope_q(scope: Scope, actor: Any) -> Q | None:
    """The Q of the cases ``actor`` may see, or None for nothing."""
    if scope.everything:
        return Q()
    q = Q(pk__in=[])
    visible = False
    if actor is not None and getattr(actor, "is_authenticated", False):
        q |= Q(applicant_user_id=actor.pk)
        visible = True
    if scope.is_staff:
        ids = list(scope.department_ids)
        q |= Q(department_id__in=ids)
        q |= Q(Exists(CaseTask.objects.filter(case=OuterRef("pk"), department_id__in=ids)))
        q |= Q(agent_id=scope.staff_id)
        if scope.region_paths:
            q |= scope.region_q("region__")
    return q if visible else None


def case_list(*, actor: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[Case]:
    """Cases ``actor`` may see, filtered by ``state``, ``item_code``, ``number``,
    ``channel``, ``green_channel``, ``received_from`` / ``received_until`` (dates)."""
    scope = actor_scope(actor)
    q = _case_scope_q(scope, actor)
    if q is None:
        return Case.objects.none()
    cases = Case.objects.filter(q).select_related("item", "department", "region")
    filters = filters or {}
    if state := filters.get("state"):
        cases = cases.filter(state__in=[state] if isinstance(state, str) else list(state))
    if item_code := filters.get("item_code"):
        cases = cases.filter(item__code=item_code)
    if number := filters.get("number"):
        cases = cases.filter(number__icontains=str(number).strip())
    if channel := filters.get("channel"):
        cases = cases.filter(channel=channel)
    if filters.get("green_channel") is not None:
        cases = cases.filter(is_green_channel=bool(filters["green_channel"]))
    tz = timezone.get_default_timezone()
    if since := filters.get("received_from"):
        cases = cases.filter(received_at__gte=dt.datetime.combine(since, dt.time.min, tz))
    if until := filters.get("received_until"):
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tz)
        cases = cases.filter(received_at__lt=end)
    return cases.order_by(
        "-is_green_channel", F("promised_timer__due_at").asc(nulls_last=True), "-received_at", "-id"
    )


def case_get(*, actor: Any, number: str) -> Case:
    """One case by number, or :class:`NotFound` (also when it exists but is not visible)."""
    case = case_list(actor=actor).filter(number=number).first()
    if case is None:
        raise NotFound(_("办件“%(number)s”不存在或无权查看。") % {"number": number})
    return case


def intake_queue(*, actor: Any) -> QuerySet[Case]:
    """Cases waiting for an intake decision (received), green channel first, then the
    nearest intake deadline."""
    scope = actor_scope(actor)
    if not scope.has_role(Role.CLERK, Role.CHIEF_REPRESENTATIVE, Role.APPROVAL_OFFICE):
        return Case.objects.none()
    return (
        case_list(actor=actor)
        .filter(state=CaseState.RECEIVED)
        .order_by("-is_green_channel", F("intake_timer__due_at").asc(nulls_last=True), "id")
    )


def task_inbox(*, actor: Any) -> QuerySet[CaseTask]:
    """Open tasks for ``actor``: unclaimed tasks of their department, tasks they claimed,
    and tasks claimed by staff they back up while those are absent (A/B). Green channel
    first, then the nearest step due time."""
    scope = actor_scope(actor)
    if not scope.is_staff:
        return CaseTask.objects.none()
    covering = BackupPair.objects.filter(backup_id=scope.staff_id, primary__is_absent=True).values(
        "primary_id"
    )
    q = Q(state__in=[TaskState.PENDING, TaskState.REOPENED], assignee__isnull=True)
    if not scope.everything:
        q &= Q(department_id__in=list(scope.department_ids))
    q |= Q(state=TaskState.CLAIMED, assignee_id=scope.staff_id)
    q |= Q(state=TaskState.CLAIMED, assignee_id__in=covering)
    return (
        CaseTask.objects.filter(q, case__state=CaseState.PROCESSING, step__state=StepState.ACTIVE)
        .select_related("case", "case__item", "step", "timer", "department", "assignee__user")
        .order_by("-case__is_green_channel", F("timer__due_at").asc(nulls_last=True), "id")
    )


def case_history(*, actor: Any, case: Case) -> QuerySet[AuditEvent]:
    """The case's events from the audit log, oldest first (visibility checked)."""
    case_get(actor=actor, number=case.number)
    return audit_event_list(actor=None, object_type=CASE_SUBJECT, object_id=case.pk).order_by(
        "occurred_at", "id"
    )


@dataclass(frozen=True)
class StepProgress:
    position: int
    name: str
    state: str
    state_label: str
    started_at: dt.datetime | None
    completed_at: dt.datetime | None


@dataclass(frozen=True)
class TimeLeft:
    kind: str
    state: str
    due_at: dt.datetime | None
    remaining: dt.timedelta
    used: dt.timedelta


@dataclass(frozen=True)
class PublicProgress:
    number: str
    item_name: str
    department_name: str
    state: str
    state_label: str
    received_at: dt.datetime
    accepted_at: dt.datetime | None
    decided_at: dt.datetime | None
    completed_at: dt.datetime | None
    steps: tuple[StepProgress, ...]
    promised: TimeLeft | None


def _steps(case: Case) -> tuple[StepProgress, ...]:
    return tuple(
        StepProgress(
            position=s.position,
            name=s.name,
            state=s.state,
            state_label=str(StepState(s.state).label),
            started_at=s.activated_at,
            completed_at=s.completed_at,
        )
        for s in CaseStep.objects.filter(case=case).order_by("position")
    )


def _time_left(timer: Timer | None, kind: str, now: dt.datetime) -> TimeLeft | None:
    if timer is None:
        return None
    status = timer_status(timer=timer, now=now)
    return TimeLeft(
        kind=kind,
        state=str(status.state),
        due_at=status.due_at,
        remaining=status.remaining,
        used=status.used,
    )


def progress_public(
    *, number: str, query_code: str, now: dt.datetime | None = None
) -> PublicProgress:
    """The public progress page: case number + query code; no personal data."""
    case = (
        Case.objects.select_related("item", "department", "promised_timer__region")
        .filter(number=(number or "").strip())
        .first()
    )
    if case is None or not hmac.compare_digest(
        case.query_code.encode(), (query_code or "").strip().upper().encode()
    ):
        raise NotFound(_("办件编号或查询码不正确。"), field="query_code")
    return PublicProgress(
        number=case.number,
        item_name=case.item.name,
        department_name=case.department.name,
        state=case.state,
        state_label=str(CaseState(case.state).label),
        received_at=case.received_at,
        accepted_at=case.accepted_at,
        decided_at=case.decided_at,
        completed_at=case.completed_at,
        steps=_steps(case),
        promised=_time_left(case.promised_timer, rules.TIMER_PROMISED, now or timezone.now()),
    )


@dataclass(frozen=True)
class CaseTimes:
    """Every running limit of a case with remaining time (the applicant's and staff's page)."""

    promised: TimeLeft | None
    statutory: TimeLeft | None
    intake: TimeLeft | None
    delivery: TimeLeft | None
    tasks: tuple[tuple[CaseTask, TimeLeft | None], ...]


def case_times(*, actor: Any, number: str, now: dt.datetime | None = None) -> CaseTimes:
    case = case_get(actor=actor, number=number)
    now = now or timezone.now()
    timers = {
        t.pk: t
        for t in Timer.objects.select_related("region").filter(
            pk__in=[
                i
                for i in (
                    case.promised_timer_id,
                    case.statutory_timer_id,
                    case.intake_timer_id,
                    case.delivery_timer_id,
                )
                if i is not None
            ]
        )
    }
    tasks = list(
        CaseTask.objects.filter(
            case=case, state__in=list(rules.OPEN_TASK_STATES), step__state=StepState.ACTIVE
        )
        .select_related("timer__region", "department", "step")
        .order_by("step__position", "position")
    )
    return CaseTimes(
        promised=_time_left(timers.get(case.promised_timer_id or 0), rules.TIMER_PROMISED, now),
        statutory=_time_left(timers.get(case.statutory_timer_id or 0), rules.TIMER_STATUTORY, now),
        intake=_time_left(timers.get(case.intake_timer_id or 0), rules.TIMER_INTAKE, now),
        delivery=_time_left(timers.get(case.delivery_timer_id or 0), rules.TIMER_DELIVERY, now),
        tasks=tuple((t, _time_left(t.timer, rules.TIMER_TASK, now)) for t in tasks),
    )


def case_actions(*, actor: Any, case: Case) -> frozenset[str]:
    """Case-level actions the UI may offer ``actor`` now (services re-check everything)."""
    scope = actor_scope(actor)
    allowed = rules.allowed_actions(case.state)
    mine: set[str] = set()
    owner = actor is not None and case.applicant_user_id == getattr(actor, "pk", None)
    if owner:
        mine |= allowed & {"withdraw", "material_add", "supplement_complete"}
    if scope.is_staff:
        intake = scope.has_role(Role.CLERK, Role.CHIEF_REPRESENTATIVE, Role.APPROVAL_OFFICE) and (
            scope.everything
            or case.department_id in scope.department_ids
            or case.agent_id == scope.staff_id
        )
        if intake:
            mine |= allowed & {
                "accept",
                "refuse",
                "supplement_notice",
                "supplement_complete",
                "material_add",
            }
        if scope.has_role(Role.CHIEF_REPRESENTATIVE) and case.department_id in scope.department_ids:
            mine |= allowed & {"spot_grant", "spot_refuse"}
        in_dept = scope.everything or case.department_id in scope.department_ids
        if in_dept and scope.has_role(
            Role.APPROVER, Role.CHIEF_REPRESENTATIVE, Role.APPROVAL_OFFICE
        ):
            mine |= allowed & {
                "grant",
                "refuse_decision",
                "licence_issue",
                "special_start",
                "special_end",
                "extension_request",
            }
    return frozenset(mine)


def licence_get(*, actor: Any, number: str) -> Licence:
    licence = Licence.objects.select_related("case").filter(number=number).first()
    if licence is None or not case_list(actor=actor).filter(pk=licence.case_id).exists():
        raise NotFound(_("证照“%(number)s”不存在或无权查看。") % {"number": number})
    return licence


def task_actions(*, actor: Any, task: CaseTask) -> frozenset[str]:
    """Task actions the UI may offer ``actor`` now (services re-check everything)."""
    scope = actor_scope(actor)
    if not scope.is_staff or not scope.has_role(Role.APPROVER, Role.CHIEF_REPRESENTATIVE):
        return frozenset()
    if task.case.state != CaseState.PROCESSING or task.step.state == StepState.PENDING:
        return frozenset()
    in_dept = scope.everything or task.department_id in scope.department_ids
    actions: set[str] = set()
    if in_dept and task.state in (TaskState.PENDING, TaskState.REOPENED):
        actions.add("claim")
    if task.state == TaskState.CLAIMED:
        mine = task.assignee_id == scope.staff_id or scope.everything
        covering = BackupPair.objects.filter(
            primary_id=task.assignee_id, backup_id=scope.staff_id, primary__is_absent=True
        ).exists()
        if in_dept and (mine or covering):
            actions |= {"approve", "recommend_refusal"}
            earlier = CaseStep.objects.filter(
                case_id=task.case_id, position__lt=task.step.position, is_intake=False
            ).exists()
            if earlier:
                actions.add("return")
    if task.state == TaskState.DONE and task.step.state == StepState.ACTIVE:
        lead = CaseTask.objects.filter(step_id=task.step_id, is_lead=True).first()
        if lead is not None and (scope.everything or lead.department_id in scope.department_ids):
            actions.add("reopen")
    return frozenset(actions)


def case_steps(*, actor: Any, number: str) -> tuple[StepProgress, ...]:
    """Every step of a visible case with its dates (the applicant's progress page)."""
    return _steps(case_get(actor=actor, number=number))


def case_material_get(*, actor: Any, number: str, material_id: int) -> CaseMaterial:
    """One uploaded file of a visible case (for a download view that streams
    ``material.file`` through the storage API)."""
    case = case_get(actor=actor, number=number)
    material = CaseMaterial.objects.filter(case=case, pk=material_id).first()
    if material is None:
        raise NotFound(_("材料不存在。"), field="material")
    return material


@dataclass(frozen=True)
class ApplicantView:
    kind_label: str
    name: str
    id_type_label: str
    id_number: str
    mobile: str
    masked: bool


def case_applicant(*, actor: Any, case: Case) -> ApplicantView:
    """The applicant as ``actor`` may see them: in full for the applicant and the staff of
    the implementing department (who verify identity); masked ID number and mobile for
    everyone else who can see the case (assisting departments, supervisors)."""
    case_get(actor=actor, number=case.number)
    scope = actor_scope(actor)
    owner = actor is not None and case.applicant_user_id == getattr(actor, "pk", None)
    full = owner or scope.everything or case.department_id in scope.department_ids
    return ApplicantView(
        kind_label=str(ApplicantKind(case.applicant_kind).label),
        name=case.applicant_name,
        id_type_label=str(IdType(case.id_type).label),
        id_number=case.id_number if full else mask_resident_id(case.id_number),
        mobile=case.mobile if full else mask_mobile(case.mobile) if case.mobile else "",
        masked=not full,
    )
