"""Writes of the deadlines app: loading calendars and running persisted timers."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng import clock
from xiaoneng.audit.services import audit_record
from xiaoneng.core.errors import (
    FieldErrorCollector,
    InvalidState,
    PermissionDenied,
    ValidationFailed,
)
from xiaoneng.org.models import Region
from xiaoneng.org.selectors import actor_scope

from .calendars import calendar_cache_clear, calendar_for_region
from .events import DeadlinesEvent
from .models import CalendarDay, CalendarYear, DayKind, Timer, TimerStatus

MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class CalendarLoadResult:
    year: int
    region_code: str | None
    holidays: int
    workdays: int
    closures: int
    timers_moved: int

    def __str__(self) -> str:
        where = self.region_code or _("全国")
        return _(
            "已载入%(year)d年%(where)s放假安排：节假日%(h)d天，调休上班%(w)d天，停止办公%(c)d天；"
            "重新计算后到期时间变化的计时器%(moved)d个。"
        ) % {
            "year": self.year,
            "where": where,
            "h": self.holidays,
            "w": self.workdays,
            "c": self.closures,
            "moved": self.timers_moved,
        }


def _parse_days(raw: Any, key: str, year: int, errors: FieldErrorCollector) -> dict[dt.date, str]:
    days: dict[dt.date, str] = {}
    if raw is None:
        return days
    if not isinstance(raw, list):
        errors.add(key, _("“%(key)s”应为列表。") % {"key": key})
        return days
    for i, entry in enumerate(raw):
        field = f"{key}[{i}]"
        if not isinstance(entry, dict):
            errors.add(field, _("每一项应为包含 date 和 name 的对象。"))
            continue
        try:
            day = dt.date.fromisoformat(str(entry.get("date", "")))
        except ValueError:
            errors.add(f"{field}.date", _("日期格式应为 YYYY-MM-DD。"))
            continue
        if day.year != year:
            errors.add(
                f"{field}.date",
                _("日期 %(day)s 不在 %(year)d 年内。") % {"day": day.isoformat(), "year": year},
            )
            continue
        if day in days:
            errors.add(f"{field}.date", _("日期 %(day)s 重复。") % {"day": day.isoformat()})
            continue
        name = str(entry.get("name") or "").strip()
        if not name:
            errors.add(f"{field}.name", _("请填写名称。"), code="required")
            continue
        days[day] = name[:64]
    return days


def calendar_schedule_validate(
    data: Any,
) -> tuple[int, Region | None, str, dict[str, dict[dt.date, str]]]:
    errors = FieldErrorCollector()
    if not isinstance(data, dict):
        raise ValidationFailed(_("放假安排文件应为 JSON 对象。"), field="file")
    year = data.get("year")
    if not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed(
            _("年份应为 %(min)d–%(max)d 之间的整数。") % {"min": MIN_YEAR, "max": MAX_YEAR},
            field="year",
        )
    region = None
    region_code = data.get("region")
    if region_code:
        region = Region.objects.filter(code=str(region_code)).first()
        if region is None:
            errors.add("region", _("区划代码“%(code)s”不存在。") % {"code": region_code})
    source = str(data.get("source") or "").strip()
    if not source and region is None:
        errors.add("source", _("请填写依据（如国务院办公厅通知文号）。"), code="required")
    kinds = {
        DayKind.HOLIDAY: _parse_days(data.get("holidays"), "holidays", year, errors),
        DayKind.WORKDAY: _parse_days(data.get("workdays"), "workdays", year, errors),
        DayKind.CLOSURE: _parse_days(data.get("closures"), "closures", year, errors),
    }
    seen: dict[dt.date, str] = {}
    for kind, days in kinds.items():
        for day in days:
            if day in seen:
                errors.add(
                    kind + "s", _("日期 %(day)s 同时出现在两个列表中。") % {"day": day.isoformat()}
                )
            seen[day] = kind
    for day in kinds[DayKind.WORKDAY]:
        if day.weekday() < 5:
            errors.add(
                "workdays", _("调休上班日 %(day)s 不是周末，无需调休。") % {"day": day.isoformat()}
            )
    if region is None and not kinds[DayKind.HOLIDAY]:
        errors.add("holidays", _("全国放假安排至少应包含一个节假日。"), code="required")
    if region is not None and not CalendarYear.objects.filter(year=year).exists():
        errors.add(
            "year", _("%(year)d年的全国放假安排尚未载入，请先载入全国安排。") % {"year": year}
        )
    errors.raise_if_any()
    return year, region, source, {str(k): v for k, v in kinds.items()}


@transaction.atomic
def calendar_load(*, actor: Any, data: Any) -> CalendarLoadResult:
    """Load (or replace) one year's schedule, nationally or for one region, and recompute
    the due and warning times of every open timer the change can affect."""
    if actor is not None and not actor_scope(actor).everything:
        raise PermissionDenied(_("只有平台管理员可以载入放假安排。"))
    year, region, source, kinds = calendar_schedule_validate(data)
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    CalendarDay.objects.filter(region=region, date__range=(start, end)).delete()
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(date=day, region=region, kind=kind, name=name)
            for kind, days in kinds.items()
            for day, name in sorted(days.items())
        ]
    )
    if region is None:
        CalendarYear.objects.update_or_create(
            year=year, defaults={"source": source, "loaded_at": timezone.now()}
        )
    else:
        CalendarYear.objects.filter(year=year).update(loaded_at=timezone.now())
    calendar_cache_clear()
    moved = timers_recompute(region=region, from_date=start)
    result = CalendarLoadResult(
        year=year,
        region_code=region.code if region else None,
        holidays=len(kinds[DayKind.HOLIDAY]),
        workdays=len(kinds[DayKind.WORKDAY]),
        closures=len(kinds[DayKind.CLOSURE]),
        timers_moved=moved,
    )
    audit_record(
        actor=actor,
        action=DeadlinesEvent.CALENDAR_LOADED,
        object_type="deadlines.calendaryear",
        object_id=year,
        region_code=region.code if region else "",
        payload={
            "year": year,
            "region": result.region_code,
            "source": source,
            "holidays": result.holidays,
            "workdays": result.workdays,
            "closures": result.closures,
            "timers_moved": moved,
        },
    )
    return result


def calendar_load_bytes(*, content: bytes, actor: Any) -> CalendarLoadResult:
    """Load a schedule uploaded as a UTF-8 JSON document (the admin page's upload)."""
    try:
        data = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(
            _("文件不是有效的 UTF-8 JSON：%(error)s") % {"error": exc}, field="file"
        ) from None
    return calendar_load(actor=actor, data=data)


def calendar_load_file(*, path: Path, actor: Any) -> CalendarLoadResult:
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise ValidationFailed(_("文件不存在：%(path)s") % {"path": path}, field="file") from None
    return calendar_load_bytes(content=content, actor=actor)


# --- Timers -------------------------------------------------------------------------------
#
# A ``Timer`` row holds the pure ``clock.Timer`` (``state_data``) and the absolute due and
# warning instants it yields under its region's calendar. Every change goes through the
# functions below: lock the row, apply the clock operation, store the new schedule, audit.
# A timer whose deadline falls in a year with no loaded schedule is stored as
# ``calendar_missing`` (no guessed due date); loading that year recomputes it.


def _clock_timer(timer: Timer) -> clock.Timer:
    return clock.Timer.from_dict(timer.state_data)


def _apply_schedule(timer: Timer, state: clock.Timer) -> None:
    """Store ``state`` on ``timer`` with its schedule (or the calendar-missing marker)."""
    timer.state_data = state.to_dict()
    timer.missing_year = None
    if state.completed_at is not None:
        timer.status = TimerStatus.DONE
        timer.completed_at = state.completed_at
        # Keep the final due/warn instants for reports ("done late by …").
        try:
            schedule = state.schedule(calendar_for_region(timer.region))
        except clock.NoCalendarData:
            return
        timer.due_at, timer.warn_at = schedule.due_at, schedule.warn_at
        return
    if state.is_paused:
        timer.status = TimerStatus.PAUSED
        timer.due_at = timer.warn_at = None
        return
    try:
        schedule = state.schedule(calendar_for_region(timer.region))
    except clock.NoCalendarData as exc:
        timer.status = TimerStatus.CALENDAR_MISSING
        timer.missing_year = exc.year
        timer.due_at = timer.warn_at = None
        return
    timer.status = TimerStatus.RUNNING
    timer.due_at, timer.warn_at = schedule.due_at, schedule.warn_at


_TIMER_FIELDS = ["state_data", "status", "due_at", "warn_at", "completed_at", "missing_year"]


def _clock_call(operation: Any, **kwargs: Any) -> clock.Timer:
    try:
        result: clock.Timer = operation(**kwargs)
    except clock.TimerError as exc:
        raise InvalidState(str(exc), code="timer_state") from None
    return result


def _timer_payload(timer: Timer, **extra: Any) -> dict[str, Any]:
    return {
        "kind": timer.kind,
        "subject": f"{timer.subject_type}:{timer.subject_id}",
        "status": timer.status,
        "due_at": timer.due_at.isoformat() if timer.due_at else None,
        "warn_at": timer.warn_at.isoformat() if timer.warn_at else None,
        **extra,
    }


def _audit_timer(actor: Any, action: DeadlinesEvent, timer: Timer, **extra: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="deadlines.timer",
        object_id=timer.pk,
        region_code=timer.region.code,
        payload=_timer_payload(timer, **extra),
    )


@transaction.atomic
def timer_start(
    *,
    kind: str,
    subject_type: str,
    subject_id: str | int,
    region: Region,
    limit: clock.Limit,
    at: dt.datetime | None = None,
    warn_ratio: float | None = None,
    actor: Any = None,
) -> Timer:
    """Start a timer of ``limit`` for a subject (a case, a step, an order…) at ``at``."""
    ratio = settings.XN_WARN_RATIO if warn_ratio is None else warn_ratio
    if not 0 < ratio <= 1:
        raise ValidationFailed(_("预警比例应在 0 到 1 之间。"), field="warn_ratio")
    start = at or timezone.now()
    state = clock.Timer.start(at=start, limit=limit, warn_ratio=ratio)
    timer = Timer(
        kind=kind,
        subject_type=subject_type,
        subject_id=str(subject_id),
        region=region,
        limit_value=limit.value,
        limit_unit=str(limit.unit),
        started_at=start,
    )
    _apply_schedule(timer, state)
    timer.save()
    _audit_timer(actor, DeadlinesEvent.TIMER_STARTED, timer, limit=str(limit))
    return timer


def _locked(timer: Timer) -> Timer:
    return Timer.objects.select_for_update().select_related("region").get(pk=timer.pk)


@transaction.atomic
def timer_pause(
    *,
    timer: Timer,
    reason: str,
    note: str = "",
    at: dt.datetime | None = None,
    actor: Any = None,
) -> Timer:
    """Stop the clock (a special procedure, a supplement of materials…); see Art. 45."""
    timer = _locked(timer)
    state = _clock_call(
        _clock_timer(timer).pause, at=at or timezone.now(), reason=reason, note=note
    )
    _apply_schedule(timer, state)
    timer.save(update_fields=[*_TIMER_FIELDS, "updated_at"])
    _audit_timer(actor, DeadlinesEvent.TIMER_PAUSED, timer, reason=reason)
    return timer


@transaction.atomic
def timer_resume(*, timer: Timer, at: dt.datetime | None = None, actor: Any = None) -> Timer:
    timer = _locked(timer)
    state = _clock_call(_clock_timer(timer).resume, at=at or timezone.now())
    _apply_schedule(timer, state)
    timer.save(update_fields=[*_TIMER_FIELDS, "updated_at"])
    _audit_timer(actor, DeadlinesEvent.TIMER_RESUMED, timer)
    return timer


@transaction.atomic
def timer_extend(
    *,
    timer: Timer,
    by: clock.Limit,
    reason: str = "",
    at: dt.datetime | None = None,
    actor: Any = None,
) -> Timer:
    """Add an approved extension (e.g. 10 working days, Art. 42) to the limit."""
    timer = _locked(timer)
    before = timer.due_at
    state = _clock_call(_clock_timer(timer).extend, by=by, at=at or timezone.now(), reason=reason)
    _apply_schedule(timer, state)
    timer.save(update_fields=[*_TIMER_FIELDS, "updated_at"])
    _audit_timer(
        actor,
        DeadlinesEvent.TIMER_EXTENDED,
        timer,
        extension=str(by),
        reason=reason,
        old_due_at=before.isoformat() if before else None,
    )
    return timer


@transaction.atomic
def timer_complete(*, timer: Timer, at: dt.datetime | None = None, actor: Any = None) -> Timer:
    timer = _locked(timer)
    state = _clock_call(_clock_timer(timer).complete, at=at or timezone.now())
    _apply_schedule(timer, state)
    timer.save(update_fields=[*_TIMER_FIELDS, "updated_at"])
    _audit_timer(actor, DeadlinesEvent.TIMER_COMPLETED, timer)
    return timer


def timers_recompute(*, region: Region | None, from_date: dt.date, batch_size: int = 2000) -> int:
    """Recompute open timers a calendar change can affect; returns how many moved.

    Affected: running timers of ``region``'s subtree (all regions for a national change)
    whose due time is on or after ``from_date``, and every timer still waiting for a
    missing year. Runs inside the caller's transaction.
    """
    tz = timezone.get_default_timezone()
    since = dt.datetime.combine(from_date, dt.time.min, tzinfo=tz)
    scope = Q(status=TimerStatus.RUNNING, due_at__gte=since) | Q(
        status=TimerStatus.CALENDAR_MISSING
    )
    rows = Timer.objects.filter(scope).select_related("region").order_by("pk")
    if region is not None:
        rows = rows.filter(region__path__startswith=region.path)
    moved = 0
    last_pk = 0
    while True:
        batch = list(rows.filter(pk__gt=last_pk).select_for_update(of=("self",))[:batch_size])
        if not batch:
            break
        changed = []
        for timer in batch:
            before = (timer.status, timer.due_at, timer.warn_at)
            _apply_schedule(timer, _clock_timer(timer))
            if (timer.status, timer.due_at, timer.warn_at) != before:
                changed.append(timer)
        Timer.objects.bulk_update(changed, _TIMER_FIELDS)
        moved += len(changed)
        last_pk = batch[-1].pk
    return moved
