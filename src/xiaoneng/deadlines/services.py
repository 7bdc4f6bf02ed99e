"""Writes of the deadlines app: loading calendars and running persisted timers."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng import clock
from xiaoneng.audit.services import audit_record, audit_record_many
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
_T = TypeVar("_T")


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


def _timer_audit(actor: Any, action: DeadlinesEvent, timer: Timer, **extra: Any) -> dict[str, Any]:
    return {
        "actor": actor,
        "action": action,
        "object_type": "deadlines.timer",
        "object_id": timer.pk,
        "region_code": timer.region.code,
        "payload": _timer_payload(timer, **extra),
    }


def _audit_timer(actor: Any, action: DeadlinesEvent, timer: Timer, **extra: Any) -> None:
    audit_record(**_timer_audit(actor, action, timer, **extra))


def _joins_caller(service: Callable[..., _T]) -> Callable[..., _T]:
    """Run ``service`` in the caller's transaction when there is one, else in its own.

    Nested in a caller's ``transaction.atomic`` the service adds no SAVEPOINT: it checks
    everything before it writes, so an error it raises leaves nothing behind and the
    caller's transaction usable; any error after its writes must roll the caller back
    (a database error does so by itself).
    """

    @functools.wraps(service)
    def wrapper(*args: Any, **kwargs: Any) -> _T:
        if transaction.get_connection().in_atomic_block:
            return service(*args, **kwargs)
        with transaction.atomic():
            return service(*args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class TimerSpec:
    """One timer to start with :func:`timers_start`."""

    kind: str
    subject_type: str
    subject_id: str | int
    region: Region
    limit: clock.Limit


@_joins_caller
def timers_start(
    *,
    specs: Sequence[TimerSpec],
    at: dt.datetime | None = None,
    warn_ratio: float | None = None,
    actor: Any = None,
) -> list[Timer]:
    """Start several timers at ``at`` (one INSERT, one audit INSERT), in ``specs`` order."""
    ratio = settings.XN_WARN_RATIO if warn_ratio is None else warn_ratio
    if not 0 < ratio <= 1:
        raise ValidationFailed(_("预警比例应在 0 到 1 之间。"), field="warn_ratio")
    start = at or timezone.now()
    timers: list[Timer] = []
    for spec in specs:
        state = clock.Timer.start(at=start, limit=spec.limit, warn_ratio=ratio)
        timer = Timer(
            kind=spec.kind,
            subject_type=spec.subject_type,
            subject_id=str(spec.subject_id),
            region=spec.region,
            limit_value=spec.limit.value,
            limit_unit=str(spec.limit.unit),
            started_at=start,
        )
        _apply_schedule(timer, state)
        timers.append(timer)
    if not timers:
        return timers
    if len(timers) == 1:
        timers[0].save(force_insert=True)
    else:
        Timer.objects.bulk_create(timers)
    audit_record_many(
        records=[
            _timer_audit(actor, DeadlinesEvent.TIMER_STARTED, timer, limit=str(spec.limit))
            for timer, spec in zip(timers, specs, strict=True)
        ]
    )
    return timers


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
    spec = TimerSpec(kind, subject_type, subject_id, region, limit)
    return timers_start(specs=[spec], at=at, warn_ratio=warn_ratio, actor=actor)[0]


def _timer_pks(timers: Iterable[Timer | int]) -> list[int]:
    return [t.pk if isinstance(t, Timer) else int(t) for t in timers]


def _locked_many(timers: Iterable[Timer | int]) -> list[Timer]:
    """Lock the timers (one SELECT … FOR UPDATE, in id order: no deadlock between two
    callers locking overlapping sets); in the order given, each once."""
    pks = list(dict.fromkeys(_timer_pks(timers)))
    if not pks:
        return []
    rows = (
        Timer.objects.select_for_update(of=("self",))
        .select_related("region")
        .filter(pk__in=pks)
        .order_by("pk")
    )
    found = {timer.pk: timer for timer in rows}
    missing = [pk for pk in pks if pk not in found]
    if missing:
        raise Timer.DoesNotExist(f"timers {missing} do not exist")
    return [found[pk] for pk in pks]


def _change(
    timers: list[Timer],
    states: list[clock.Timer],
    *,
    actor: Any,
    action: DeadlinesEvent,
    extras: list[dict[str, Any]],
) -> list[Timer]:
    """Store the new clock states (one UPDATE) and audit each timer (one INSERT)."""
    now = timezone.now()
    for timer, state in zip(timers, states, strict=True):
        _apply_schedule(timer, state)
        timer.updated_at = now
        timer.version += 1
    if len(timers) == 1:
        timers[0].save(update_fields=[*_TIMER_FIELDS, "version", "updated_at"])
    elif timers:
        Timer.objects.bulk_update(timers, [*_TIMER_FIELDS, "version", "updated_at"])
    audit_record_many(
        records=[
            _timer_audit(actor, action, timer, **extra)
            for timer, extra in zip(timers, extras, strict=True)
        ]
    )
    return timers


@_joins_caller
def timers_pause(
    *,
    timers: Sequence[Timer | int],
    reason: str,
    note: str = "",
    at: dt.datetime | None = None,
    actor: Any = None,
) -> list[Timer]:
    """Stop several clocks (a special procedure, a supplement of materials…); Art. 45."""
    locked = _locked_many(timers)
    when = at or timezone.now()
    states = [_clock_call(_clock_timer(t).pause, at=when, reason=reason, note=note) for t in locked]
    extras = [{"reason": reason} for _t in locked]
    return _change(locked, states, actor=actor, action=DeadlinesEvent.TIMER_PAUSED, extras=extras)


def timer_pause(
    *,
    timer: Timer,
    reason: str,
    note: str = "",
    at: dt.datetime | None = None,
    actor: Any = None,
) -> Timer:
    """Stop the clock (a special procedure, a supplement of materials…); see Art. 45."""
    return timers_pause(timers=[timer], reason=reason, note=note, at=at, actor=actor)[0]


@_joins_caller
def timers_resume(
    *, timers: Sequence[Timer | int], at: dt.datetime | None = None, actor: Any = None
) -> list[Timer]:
    locked = _locked_many(timers)
    when = at or timezone.now()
    states = [_clock_call(_clock_timer(t).resume, at=when) for t in locked]
    return _change(
        locked,
        states,
        actor=actor,
        action=DeadlinesEvent.TIMER_RESUMED,
        extras=[{} for _t in locked],
    )


def timer_resume(*, timer: Timer, at: dt.datetime | None = None, actor: Any = None) -> Timer:
    return timers_resume(timers=[timer], at=at, actor=actor)[0]


@_joins_caller
def timers_extend(
    *,
    timers: Sequence[Timer | int],
    by: clock.Limit,
    reason: str = "",
    at: dt.datetime | None = None,
    actor: Any = None,
) -> list[Timer]:
    """Add an approved extension (e.g. 10 working days, Art. 42) to several limits."""
    locked = _locked_many(timers)
    when = at or timezone.now()
    befores = [t.due_at for t in locked]
    states = [_clock_call(_clock_timer(t).extend, by=by, at=when, reason=reason) for t in locked]
    extras = [
        {
            "extension": str(by),
            "reason": reason,
            "old_due_at": before.isoformat() if before else None,
        }
        for before in befores
    ]
    return _change(locked, states, actor=actor, action=DeadlinesEvent.TIMER_EXTENDED, extras=extras)


def timer_extend(
    *,
    timer: Timer,
    by: clock.Limit,
    reason: str = "",
    at: dt.datetime | None = None,
    actor: Any = None,
) -> Timer:
    """Add an approved extension (e.g. 10 working days, Art. 42) to the limit."""
    return timers_extend(timers=[timer], by=by, reason=reason, at=at, actor=actor)[0]


@_joins_caller
def timers_complete(
    *,
    timers: Sequence[Timer | int],
    at: dt.datetime | None = None,
    actor: Any = None,
    skip_done: bool = False,
    unlocked: bool = False,
    region: Region | None = None,
) -> list[Timer]:
    """Complete several timers (one lock, one UPDATE, one audit INSERT); returns those
    completed. ``skip_done``: timers already done are left alone instead of refused.

    ``unlocked``: ``timers`` are instances the caller has read in its transaction (e.g.
    with the row that owns them): they are not locked and read again; each UPDATE holds
    only if the timer's version is still the one read, and a timer changed since is
    locked and completed afresh. ``region``: the timers' region, if the caller has it.
    """
    if unlocked:
        read = [t for t in timers if isinstance(t, Timer)]
        if len(read) == len(timers):
            return _complete_read(read, at=at, actor=actor, skip_done=skip_done, region=region)
    locked = _locked_many(timers)
    if skip_done:
        locked = [t for t in locked if t.status != TimerStatus.DONE]
    when = at or timezone.now()
    states = [_clock_call(_clock_timer(t).complete, at=when) for t in locked]
    return _change(
        locked,
        states,
        actor=actor,
        action=DeadlinesEvent.TIMER_COMPLETED,
        extras=[{} for _t in locked],
    )


def _complete_read(
    timers: list[Timer],
    *,
    at: dt.datetime | None,
    actor: Any,
    skip_done: bool,
    region: Region | None,
) -> list[Timer]:
    """:func:`timers_complete` of timers read without a lock (optimistic, by version)."""
    if skip_done:
        timers = [t for t in timers if t.status != TimerStatus.DONE]
    when = at or timezone.now()
    states = [_clock_call(_clock_timer(t).complete, at=when) for t in timers]  # may refuse
    now = timezone.now()
    done: list[Timer] = []
    changed: list[int] = []
    for timer, state in zip(timers, states, strict=True):
        if region is not None and timer.region_id == region.pk:
            timer.region = region
        _apply_schedule(timer, state)
        seen = timer.version
        timer.version, timer.updated_at = seen + 1, now
        values = {field: getattr(timer, field) for field in _TIMER_FIELDS}
        if Timer.objects.filter(pk=timer.pk, version=seen).update(
            **values, version=seen + 1, updated_at=now
        ):
            done.append(timer)
        else:
            changed.append(timer.pk)
    audit_record_many(
        records=[_timer_audit(actor, DeadlinesEvent.TIMER_COMPLETED, t) for t in done]
    )
    if changed:  # someone changed them since they were read: the locking way
        done += timers_complete(timers=changed, at=at, actor=actor, skip_done=skip_done)
    return done


def timer_complete(*, timer: Timer, at: dt.datetime | None = None, actor: Any = None) -> Timer:
    return timers_complete(timers=[timer], at=at, actor=actor)[0]


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
                timer.version += 1
                changed.append(timer)
        Timer.objects.bulk_update(changed, [*_TIMER_FIELDS, "version"])
        moved += len(changed)
        last_pk = batch[-1].pk
    return moved
