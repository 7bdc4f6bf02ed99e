"""Accountability records (问责) and the periodic bulletin (通报).

Who: a supervisor (效能监察) or the leadership office (效能办) whose region subtree holds the
target department (a county supervisor acts on their county's departments only). Actors
are users (``org.User``); ``None`` is the system (the monthly job that drafts bulletins).

The basis: the alerts linked to an action must be **confirmed**. An open alert has not
been judged yet (the responsible department may still explain it), an explained one awaits
the supervisor's decision, and a dismissed one was judged unfounded: holding someone
accountable for any of those would skip the hearing the alert procedure gives them. An
action may also rest on no alert at all (an inspection, a complaint, a case): the reason
and the basis (the rule applied) are always required. Linked alerts and cases must be
visible to the actor, and an alert that names a responsible department must name the
target department.

An ordered rectification (责令限期整改) starts a clock timer of the given limit (15 working
days unless stated) from the moment it is recorded; the supervision sweep then raises its
yellow and red alerts like any other deadline. Marking the rectification done, or revoking
the action, ends the timer.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xiaoneng.audit.services import audit_record
from xiaoneng.cases.models import Case
from xiaoneng.cases.selectors import case_list
from xiaoneng.clock import Limit, LimitParseError
from xiaoneng.core.errors import (
    FieldErrorCollector,
    InvalidState,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from xiaoneng.core.locking import row_lock
from xiaoneng.deadlines.models import TimerStatus
from xiaoneng.deadlines.services import timer_complete, timer_start
from xiaoneng.org.models import Department, Region, Staff
from xiaoneng.org.selectors import Scope, actor_scope

from ..models import (
    PERSON_KINDS,
    AccountabilityAction,
    AccountabilityKind,
    AccountabilityState,
    Alert,
    AlertState,
    Bulletin,
    BulletinState,
    SanctionGrade,
)
from ..rules import RECTIFICATION_SUBJECT, TIMER_RECTIFICATION
from ..selectors.accountability import ACCOUNTABILITY_VIEW_ROLES, action_entry, period_actions
from .notices import notify_after_commit

__all__ = [
    "ACCOUNTABILITY_ROLES",
    "DEFAULT_RECTIFICATION_LIMIT",
    "RECTIFICATION_SUBJECT",
    "RECTIFICATION_TIMER",
    "AccountabilityEvent",
    "action_record",
    "action_rectification_done",
    "action_revoke",
    "bulletin_draft",
    "bulletin_issue",
    "bulletins_draft_monthly",
    "previous_month",
]


class AccountabilityEvent(StrEnum):
    """Audit event types (stable codes: never rename, only add)."""

    RECORDED = "supervision.accountability_recorded"
    REVOKED = "supervision.accountability_revoked"
    RECTIFIED = "supervision.accountability_rectified"
    BULLETIN_DRAFTED = "supervision.bulletin_drafted"
    BULLETIN_ISSUED = "supervision.bulletin_issued"


#: Roles that record and revoke actions and issue bulletins (within their region subtree):
#: the same roles that see them.
ACCOUNTABILITY_ROLES = ACCOUNTABILITY_VIEW_ROLES
RECTIFICATION_TIMER = TIMER_RECTIFICATION
DEFAULT_RECTIFICATION_LIMIT = Limit.parse("15个工作日")


def _local_today() -> dt.date:
    return timezone.localdate()


def _scope_for_writing(actor: Any) -> Scope:
    scope = actor_scope(actor)
    if not scope.has_role(*ACCOUNTABILITY_ROLES):
        raise PermissionDenied(_("只有效能监察人员或效能办可以记录问责、发布通报。"))
    return scope


def _actor_staff_id(scope: Scope) -> int:
    if scope.staff_id is None:
        raise PermissionDenied(_("平台管理员账号未关联工作人员，不能作出问责决定。"))
    return scope.staff_id


def _parse_limit(value: Limit | str | None) -> Limit:
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_RECTIFICATION_LIMIT
    if isinstance(value, Limit):
        return value
    return Limit.parse(value)


def _notify(action: AccountabilityAction, *, kind: str, subject: str, body: str) -> None:
    """After commit: an in-site message to the target person and the department head."""
    recipients: list[int] = []
    if action.staff is not None:
        recipients.append(action.staff.user_id)
    head = action.department.head
    if head is not None and head.is_active and head.user_id not in recipients:
        recipients.append(head.user_id)
    link = reverse("supervision:accountability_detail", args=[action.pk])
    for user_id in recipients:
        notify_after_commit(
            user_id=user_id, kind=f"supervision.{kind}", subject=subject, body=body, link=link
        )


def _target_text(action: AccountabilityAction) -> str:
    if action.staff_id is not None:
        return f"{action.department}{action.staff}"
    return str(action.department)


def _audit(actor: Any, event: AccountabilityEvent, obj: Any, region: Region, **payload: Any):
    department_id = getattr(obj, "department_id", None)
    audit_record(
        actor=actor,
        action=event,
        obj=obj,
        payload=payload,
        region_code=region.code,
        department_id=department_id,
    )


def _linked_alerts(
    scope: Scope, alert_ids: Sequence[int], department: Department, errors: FieldErrorCollector
) -> list[Alert]:
    ids = list(dict.fromkeys(int(i) for i in alert_ids))
    if not ids:
        return []
    visible = Alert.objects.filter(scope.region_q("region__"), pk__in=ids).select_related(
        "department"
    )
    found = {alert.pk: alert for alert in visible}
    alerts: list[Alert] = []
    for pk in ids:
        alert = found.get(pk)
        if alert is None:
            errors.add(
                "alert_ids", _("预警 #%(id)d 不存在或无权查看。") % {"id": pk}, code="not_found"
            )
        elif alert.state != AlertState.CONFIRMED:
            errors.add(
                "alert_ids",
                _("预警 #%(id)d 尚未确认（当前：%(state)s），只有已确认的预警可以作为问责依据。")
                % {"id": pk, "state": alert.get_state_display()},
                code="alert_not_confirmed",
            )
        elif alert.department_id is not None and alert.department_id != department.pk:
            errors.add(
                "alert_ids",
                _("预警 #%(id)d 的责任部门是“%(dept)s”，不是被问责单位。")
                % {"id": pk, "dept": alert.department},
                code="alert_other_department",
            )
        else:
            alerts.append(alert)
    return alerts


def _linked_cases(actor: Any, numbers: Sequence[str], errors: FieldErrorCollector) -> list[Case]:
    wanted = list(dict.fromkeys(n.strip() for n in numbers if n and n.strip()))
    if not wanted:
        return []
    found = {c.number: c for c in case_list(actor=actor).filter(number__in=wanted)}
    for number in wanted:
        if number not in found:
            errors.add(
                "case_numbers",
                _("办件“%(number)s”不存在或无权查看。") % {"number": number},
                code="not_found",
            )
    return [found[n] for n in wanted if n in found]


def action_record(
    *,
    actor: Any,
    kind: str,
    department: Department | None = None,
    staff: Staff | None = None,
    reason: str,
    basis: str,
    decided_on: dt.date | None = None,
    effective_on: dt.date | None = None,
    sanction_grade: str = "",
    rectification_limit: Limit | str | None = None,
    alert_ids: Sequence[int] = (),
    case_numbers: Sequence[str] = (),
) -> AccountabilityAction:
    """Record one accountability action against ``department`` or ``staff`` (or a person
    of the department: both given), linked to confirmed alerts and visible cases."""
    scope = _scope_for_writing(actor)
    errors = FieldErrorCollector()
    kind = (kind or "").strip()
    reason = (reason or "").strip()
    basis = (basis or "").strip()
    sanction_grade = (sanction_grade or "").strip()
    if kind not in AccountabilityKind.values:
        errors.add("kind", _("请选择问责方式。"), code="required" if not kind else "invalid")
    if department is None and staff is None:
        errors.add("department", _("请指定被问责单位或被问责人。"), code="required")
    if staff is not None:
        if department is None:
            department = staff.department
        elif staff.department_id != department.pk:
            errors.add(
                "staff",
                _("被问责人“%(staff)s”不属于“%(dept)s”。") % {"staff": staff, "dept": department},
            )
    if kind in PERSON_KINDS and staff is None:
        errors.add(
            "staff",
            _("“%(kind)s”只能针对个人，请指定被问责人。")
            % {"kind": AccountabilityKind(kind).label},
            code="required",
        )
    if kind == AccountabilityKind.DISCIPLINARY_SANCTION:
        if sanction_grade not in SanctionGrade.values:
            errors.add("sanction_grade", _("行政处分须选择处分等级。"), code="required")
    elif sanction_grade:
        errors.add("sanction_grade", _("只有行政处分才有处分等级。"))
        sanction_grade = ""
    limit: Limit | None = None
    if kind == AccountabilityKind.ORDERED_RECTIFICATION:
        try:
            limit = _parse_limit(rectification_limit)
        except (LimitParseError, ValueError) as exc:
            errors.add("rectification_limit", str(exc))
        else:
            if limit.value < 1:
                errors.add("rectification_limit", _("整改期限至少为1个时间单位。"))
    elif rectification_limit:
        errors.add("rectification_limit", _("只有责令限期整改才有整改期限。"))
    if not reason:
        errors.add("reason", _("请填写问责的事实与理由。"), code="required")
    if not basis:
        errors.add("basis", _("请填写问责依据（适用的规定条款）。"), code="required")
    today = _local_today()
    decided_on = decided_on or today
    effective_on = effective_on or decided_on
    if decided_on > today:
        errors.add("decided_on", _("决定日期不能晚于今天。"))
    if effective_on < decided_on:
        errors.add("effective_on", _("生效日期不能早于决定日期。"))
    if department is not None and not scope.covers_department(department):
        # nothing about a department outside the actor's region is revealed
        raise PermissionDenied(
            _("“%(dept)s”不在您的监察范围内。") % {"dept": department}, field="department"
        )
    alerts = _linked_alerts(scope, alert_ids, department, errors) if department else []
    cases = _linked_cases(actor, case_numbers, errors)
    errors.raise_if_any()
    assert department is not None  # noqa: S101 - narrowed by the collector above
    decider_id = _actor_staff_id(scope)
    now = timezone.now()
    with transaction.atomic():
        action = AccountabilityAction.objects.create(
            kind=kind,
            sanction_grade=sanction_grade,
            department=department,
            staff=staff,
            region=department.region,
            reason=reason,
            basis=basis,
            decided_by_id=decider_id,
            decided_on=decided_on,
            effective_on=effective_on,
            recorded_at=now,
        )
        if alerts:
            action.alerts.set(alerts)
        if cases:
            action.cases.set(cases)
        if limit is not None:
            action.rectification_timer = timer_start(
                kind=RECTIFICATION_TIMER,
                subject_type=RECTIFICATION_SUBJECT,
                subject_id=action.pk,
                region=department.region,
                limit=limit,
                at=now,
                actor=actor,
            )
            action.save(update_fields=["rectification_timer"])
        _audit(
            actor,
            AccountabilityEvent.RECORDED,
            action,
            department.region,
            kind=kind,
            sanction_grade=sanction_grade,
            department=department.pk,
            staff=staff.pk if staff else None,
            alerts=[a.pk for a in alerts],
            cases=[c.pk for c in cases],
            decided_on=decided_on.isoformat(),
            rectification_limit=f"{limit.value} {limit.unit}" if limit else None,
        )
        body = _("%(target)s：因%(reason)s，依据%(basis)s，决定给予%(kind)s。") % {
            "target": _target_text(action),
            "reason": reason,
            "basis": basis,
            "kind": action.kind_label,
        }
        if action.rectification_timer is not None and action.rectification_timer.due_at:
            due = timezone.localtime(action.rectification_timer.due_at)
            body += _("请于%(due)s前完成整改并报告。") % {"due": f"{due:%Y-%m-%d %H:%M}"}
        _notify(action, kind="accountability_recorded", subject=_("问责决定"), body=body)
    return action


def _locked_action(action: AccountabilityAction | int) -> AccountabilityAction:
    found = row_lock(
        AccountabilityAction, action, "department__region", "department__head", "staff"
    )
    if found is None:
        pk = action.pk if isinstance(action, AccountabilityAction) else int(action)
        raise NotFound(_("问责记录 #%(id)d 不存在。") % {"id": pk})
    return found


def _end_timer(action: AccountabilityAction, actor: Any, at: dt.datetime) -> None:
    timer = action.rectification_timer
    if timer is not None and timer.status != TimerStatus.DONE:
        timer_complete(timer=timer, at=at, actor=actor)


def action_revoke(
    *, actor: Any, action: AccountabilityAction | int, reason: str
) -> AccountabilityAction:
    """Revoke a recorded action (it stays on record, marked revoked, with the reason)."""
    scope = _scope_for_writing(actor)
    reason = (reason or "").strip()
    with transaction.atomic():
        action = _locked_action(action)
        if not scope.covers_department(action.department):
            raise NotFound(_("问责记录 #%(id)d 不存在。") % {"id": action.pk})
        if action.state != AccountabilityState.RECORDED:
            raise InvalidState(_("该问责已撤销，不能重复撤销。"), code="already_revoked")
        if not reason:
            raise ValidationFailed(_("请填写撤销理由。"), field="reason", code="required")
        now = timezone.now()
        action.state = AccountabilityState.REVOKED
        action.revoked_at = now
        action.revoked_by_id = _actor_staff_id(scope)
        action.revoke_reason = reason
        action.save(update_fields=["state", "revoked_at", "revoked_by", "revoke_reason"])
        _end_timer(action, actor, now)
        _audit(actor, AccountabilityEvent.REVOKED, action, action.department.region)
        _notify(
            action,
            kind="accountability_revoked",
            subject=_("问责决定撤销"),
            body=_("对%(target)s的%(kind)s已撤销。理由：%(reason)s")
            % {"target": _target_text(action), "kind": action.kind_label, "reason": reason},
        )
    return action


def action_rectification_done(
    *, actor: Any, action: AccountabilityAction | int, note: str
) -> AccountabilityAction:
    """The supervisor confirms that an ordered rectification was carried out (the
    rectification timer ends; a late one keeps its red alert)."""
    scope = _scope_for_writing(actor)
    note = (note or "").strip()
    with transaction.atomic():
        action = _locked_action(action)
        if not scope.covers_department(action.department):
            raise NotFound(_("问责记录 #%(id)d 不存在。") % {"id": action.pk})
        if action.kind != AccountabilityKind.ORDERED_RECTIFICATION:
            raise InvalidState(_("只有责令限期整改需要确认整改完成。"), code="not_rectification")
        if action.state != AccountabilityState.RECORDED:
            raise InvalidState(_("该问责已撤销。"), code="already_revoked")
        if action.rectified_at is not None:
            raise InvalidState(_("已确认整改完成。"), code="already_rectified")
        if not note:
            raise ValidationFailed(_("请填写整改情况。"), field="note", code="required")
        now = timezone.now()
        action.rectified_at = now
        action.rectification_note = note
        action.save(update_fields=["rectified_at", "rectification_note"])
        _end_timer(action, actor, now)
        _audit(actor, AccountabilityEvent.RECTIFIED, action, action.department.region)
    return action


# --------------------------------------------------------------------------- bulletins


def previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the month before ``today``'s."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def _default_title(region: Region, start: dt.date, end: dt.date) -> str:
    whole_month = start.day == 1 and end == start.replace(
        day=calendar.monthrange(start.year, start.month)[1]
    )
    if whole_month:
        period = _("%(year)d年%(month)d月") % {"year": start.year, "month": start.month}
    else:
        period = _("%(start)s至%(end)s") % {"start": start.isoformat(), "end": end.isoformat()}
    return _("%(region)s%(period)s行政效能问责情况通报") % {"region": region, "period": period}


def _check_period(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    errors = FieldErrorCollector()
    if start is None:
        errors.add("period_start", _("请填写通报期间的起始日期。"), code="required")
    if end is None:
        errors.add("period_end", _("请填写通报期间的截止日期。"), code="required")
    if start and end and end < start:
        errors.add("period_end", _("截止日期不能早于起始日期。"))
    if end and end > _local_today():
        errors.add("period_end", _("通报期间尚未结束：截止日期不能晚于今天。"))
    errors.raise_if_any()
    assert start is not None  # noqa: S101 - checked above
    assert end is not None  # noqa: S101 - checked above
    return start, end


def bulletin_draft(
    *, actor: Any, region: Region, period_start: dt.date, period_end: dt.date
) -> Bulletin:
    """The bulletin of ``region`` for the period: the existing one, or a new draft."""
    if actor is not None:
        scope = _scope_for_writing(actor)
        if not scope.covers_region(region):
            raise PermissionDenied(_("“%(region)s”不在您的范围内。") % {"region": region})
    period_start, period_end = _check_period(period_start, period_end)
    with transaction.atomic():
        bulletin, created = Bulletin.objects.get_or_create(
            region=region,
            period_start=period_start,
            period_end=period_end,
            defaults={
                "title": _default_title(region, period_start, period_end),
                "drafted_at": timezone.now(),
            },
        )
        if created:
            _audit(
                actor,
                AccountabilityEvent.BULLETIN_DRAFTED,
                bulletin,
                region,
                period_start=period_start.isoformat(),
                period_end=period_end.isoformat(),
            )
    return bulletin


def bulletin_issue(
    *,
    actor: Any,
    region: Region,
    period_start: dt.date | None,
    period_end: dt.date | None,
    title: str = "",
) -> Bulletin:
    """Issue the bulletin of ``region`` for the period (the draft if there is one): it
    gets the next number of the region's year and freezes the period's recorded actions."""
    scope = _scope_for_writing(actor)
    if not scope.covers_region(region):
        raise PermissionDenied(_("“%(region)s”不在您的范围内。") % {"region": region})
    period_start, period_end = _check_period(period_start, period_end)
    staff_id = _actor_staff_id(scope)
    title = (title or "").strip()
    if len(title) > 200:
        raise ValidationFailed(_("标题不能超过200个字符。"), field="title")
    with transaction.atomic():
        # one issuer per region at a time: the numbering reads the region's last serial
        Region.objects.select_for_update().filter(pk=region.pk).first()
        bulletin = (
            Bulletin.objects.select_for_update()
            .filter(region=region, period_start=period_start, period_end=period_end)
            .first()
        )
        if bulletin is not None and bulletin.state == BulletinState.ISSUED:
            raise InvalidState(
                _("该期间的通报已发布（%(number)s）。") % {"number": bulletin.number},
                code="bulletin_issued",
            )
        now = timezone.now()
        year = timezone.localtime(now).year
        last = Bulletin.objects.filter(region=region, year=year).aggregate(m=Max("serial"))["m"]
        serial = (last or 0) + 1
        issuer = Staff.objects.select_related("department").get(pk=staff_id)
        if bulletin is None:
            bulletin = Bulletin(region=region, period_start=period_start, period_end=period_end)
            bulletin.drafted_at = now
        actions = period_actions(region=region, start=period_start, end=period_end)
        with translation.override("zh-hans"):
            bulletin.title = (
                title or bulletin.title or _default_title(region, period_start, period_end)
            )
            bulletin.number = _("%(year)d年第%(serial)d期") % {"year": year, "serial": serial}
            bulletin.entries = [action_entry(a) for a in actions]
        bulletin.state = BulletinState.ISSUED
        bulletin.year = year
        bulletin.serial = serial
        bulletin.issued_by_id = staff_id
        bulletin.issued_at = now
        bulletin.issuer_name = issuer.department.name
        bulletin.save()
        bulletin.actions.set(actions)
        _audit(
            actor,
            AccountabilityEvent.BULLETIN_ISSUED,
            bulletin,
            region,
            number=bulletin.number,
            period_start=period_start.isoformat(),
            period_end=period_end.isoformat(),
            actions=[a.pk for a in actions],
        )
    return bulletin


def _bulletin_regions() -> Iterable[Region]:
    """Regions with an office that issues bulletins (a supervisor or leadership office)."""
    region_ids = (
        Staff.objects.filter(is_active=True, role_grants__role__in=ACCOUNTABILITY_ROLES)
        .values_list("department__region_id", flat=True)
        .distinct()
    )
    return Region.objects.filter(pk__in=list(region_ids)).order_by("path")


def bulletins_draft_monthly(*, today: dt.date | None = None) -> int:
    """Draft last month's bulletin for every region with a supervision office (idempotent:
    a region's bulletin of a period exists once). Returns how many drafts were created."""
    start, end = previous_month(today or _local_today())
    created = 0
    for region in _bulletin_regions():
        if Bulletin.objects.filter(region=region, period_start=start, period_end=end).exists():
            continue
        bulletin_draft(actor=None, region=region, period_start=start, period_end=end)
        created += 1
    return created
