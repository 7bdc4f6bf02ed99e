"""Deadline arithmetic: one engine for plain limits and for timers with pauses and
extensions.

Time is measured on a *coordinate* in whole seconds:

* working units (working days, working hours): office seconds, ``WorkCalendar._w``;
* elapsed units (calendar days, hours, minutes): UTC epoch seconds.

A pause is an interval on that coordinate; ``f(x) = x − paused time before x`` is the time
that counts. The budget is spent from the *origin*:

* working days: the close of the start's local day (the start day is not counted), so N
  working days end at the close of the N-th working day after it;
* working hours / hours / minutes: the start itself;
* calendar days: the close of the start's local day; the due instant is then moved to the
  close of a working day (the same day if it is a working day and the instant is not past
  its close, otherwise the next working day).

The due instant is the earliest instant at which ``f`` reaches ``f(origin) + budget``; the
warning instant is where ``warn_ratio`` of the total has been used. A zero budget is due
at the start itself. Results are aware datetimes in the calendar's time zone.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from .calendar import WorkCalendar, epoch_seconds, require_aware
from .errors import NoCalendarData, TimerError
from .limits import Limit, LimitUnit

_SECONDS: Final = {
    LimitUnit.CALENDAR_DAYS: 86400,
    LimitUnit.WORKING_HOURS: 3600,
    LimitUnit.HOURS: 3600,
    LimitUnit.MINUTES: 60,
}


def limit_seconds(calendar: WorkCalendar, limit: Limit) -> int:
    """The budget of a limit in seconds of its own coordinate (office seconds for working
    units: one working day = office_close − office_open)."""
    if limit.unit is LimitUnit.WORKING_DAYS:
        return limit.value * calendar.seconds_per_day
    return limit.value * _SECONDS[limit.unit]


_ts = epoch_seconds
_WORKING_DAYS: Final = LimitUnit.WORKING_DAYS


def _close_of_start_day(calendar: WorkCalendar, start_ts: int, working: bool) -> int:
    """Coordinate of the close of the start's local day."""
    if working:
        i = calendar._day_of_ts(start_ts)
        return calendar._cum[i + 1]
    local = datetime.fromtimestamp(start_ts, calendar._tzinfo).date()
    return _ts(datetime.combine(local, calendar._office_close, calendar._tzinfo))


def _round_to_close(calendar: WorkCalendar, ts: int) -> tuple[int, int]:
    """(day index, close) of the first working day whose close is at or after ``ts``."""
    i = calendar._day_of_ts(ts)
    if calendar._flag[i] and ts <= calendar._close[i]:
        return i, calendar._close[i]
    k = calendar._cnt[i + 1]
    if k >= calendar._nwd:
        raise NoCalendarData(date.fromordinal(calendar._hi).year + 1)
    j = calendar._wd[k] - calendar._lo
    if calendar._gaps:
        calendar._check_span(i, j)
    return j, calendar._close[j]


def _counted(pauses: Sequence[tuple[int, int | None]], x: int) -> int:
    """f(x): the coordinate minus the paused time before x."""
    paused = 0
    for a, b in pauses:
        if a >= x:
            break
        end = x if b is None or b > x else b
        paused += end - a
    return x - paused


def _f_inv(pauses: Sequence[tuple[int, int | None]], target: int) -> int:
    """The earliest coordinate x with f(x) == target."""
    acc = 0
    for a, b in pauses:
        if b is None or a - acc >= target:
            break
        acc += b - a
    return target + acc


@dataclass(frozen=True)
class Plan:
    """Everything a timer's numbers follow from, on one coordinate (seconds)."""

    working: bool
    start_ts: int
    budget: int
    origin_x: int  # coordinate the budget is counted from
    used_origin_x: int  # coordinate "used" is measured from (never before the start)
    pauses: tuple[tuple[int, int | None], ...]  # coordinate intervals; None = still open
    due_ts: int | None
    warn_ts: int | None
    total: int

    def fixed(self) -> tuple[int, int]:
        """(due, warn) epoch seconds; a paused plan has none."""
        if self.due_ts is None or self.warn_ts is None:
            raise TimerError(
                "计时暂停中，恢复后才有到期时间。", "The timer is paused; it has no due time."
            )
        return self.due_ts, self.warn_ts

    def coord(self, calendar: WorkCalendar, ts: int) -> int:
        return calendar._w(ts) if self.working else ts

    def used_at(self, calendar: WorkCalendar, ts: int) -> int:
        if ts <= self.start_ts:
            return 0
        x = self.coord(calendar, ts)
        used = _counted(self.pauses, x) - _counted(self.pauses, self.used_origin_x)
        return used if used > 0 else 0

    def paused_added(self, a: int, b: int) -> int:
        """Counted time a closed pause [a, b] (coordinates) took out after counting began."""
        lo = a if a > self.used_origin_x else self.used_origin_x
        return b - lo if b > lo else 0


def make_plan(
    calendar: WorkCalendar,
    *,
    start: datetime,
    base_unit: LimitUnit,
    budget: int,
    pauses: Sequence[tuple[datetime, datetime | None]] = (),
    warn_ratio: float = 0.9,
) -> Plan:
    """The schedule of a timer (see the module docstring)."""
    start_ts = _ts(start)
    working = base_unit.counts_working_time
    coord = calendar._w if working else int
    c_pauses: tuple[tuple[int, int | None], ...] = tuple(
        (coord(_ts(a)), None if b is None else coord(_ts(b))) for a, b in pauses
    )
    is_open = bool(c_pauses) and c_pauses[-1][1] is None

    def f(x: int) -> int:
        return _counted(c_pauses, x)

    c_start = coord(start_ts)
    if budget == 0:
        origin = c_start
    elif base_unit in (LimitUnit.WORKING_DAYS, LimitUnit.CALENDAR_DAYS):
        origin = _close_of_start_day(calendar, start_ts, working)
    else:
        origin = c_start
    origin_f = f(origin)
    used_origin = max(origin, c_start)
    used_origin_f = f(used_origin)
    if is_open:
        total = origin_f + budget - used_origin_f
        return Plan(working, start_ts, budget, origin, used_origin, c_pauses, None, None, total)
    if budget == 0:
        return Plan(working, start_ts, 0, origin, used_origin, c_pauses, start_ts, start_ts, 0)
    x_due = _f_inv(c_pauses, origin_f + budget)
    if working:
        k, due_ts = calendar._w_inv(x_due)
        if calendar._gaps:
            calendar._check_span(calendar._day_of_ts(start_ts), k)
        due_ts = max(due_ts, start_ts)
        total = budget
    else:
        due_ts = max(x_due, start_ts)
        if base_unit is LimitUnit.CALENDAR_DAYS:
            due_ts = _round_to_close(calendar, due_ts)[1]
        total = f(due_ts) - used_origin_f
    # A calendar-day limit warns at its share of the N days themselves, not of the slack a
    # move to the next working day adds: otherwise a pause that does not move the due time
    # would eat that slack and pull the warning earlier.
    warn_budget = budget if base_unit is LimitUnit.CALENDAR_DAYS else total
    x_warn = _f_inv(c_pauses, used_origin_f + round(warn_budget * warn_ratio))
    warn_ts = max(calendar._w_inv(x_warn)[1] if working else x_warn, start_ts)
    warn_ts = min(warn_ts, due_ts)
    return Plan(working, start_ts, budget, origin, used_origin, c_pauses, due_ts, warn_ts, total)


def due_at(calendar: WorkCalendar, start: datetime, limit: Limit) -> datetime:
    """When ``limit`` started at ``start`` is due (DOMAIN.md A2; see the module docstring)."""
    return due_and_warn(calendar, start, limit)[0]


def due_and_warn(
    calendar: WorkCalendar, start: datetime, limit: Limit, warn_ratio: float = 0.9
) -> tuple[datetime, datetime]:
    """(due, warning) of a fresh timer — the fast path of ``Timer.start(...).schedule()``."""
    value = limit.value
    if limit.unit is _WORKING_DAYS and value > 0:
        cal = calendar
        if start.tzinfo is cal._tzinfo:  # the wall date is the local date
            i = start.toordinal() - cal._lo
            if i < 0 or i >= cal._n or not cal._covered[i]:
                raise NoCalendarData(start.year)
        else:
            i = cal._day_of_ts(epoch_seconds(start))
        if cal._uniform:
            # Every working day has the same office seconds: whole days are index steps
            # in the working-day arrays, the rest is an offset from that day's opening.
            first = cal._cnt[i + 1]  # number of the first working day after the start day
            last = first + value - 1
            if last >= cal._nwd or cal._gaps:
                cal._check_span(i + 1, cal._wd[last] - cal._lo if last < cal._nwd else cal._n)
            spd = cal._spd
            q, r = divmod(round(value * spd * warn_ratio), spd)
            if r:
                step = cal._td[r]
                if step is None:
                    step = cal._td[r] = timedelta(seconds=r)
                return cal._wd_close_dt[last], cal._wd_open_dt[first + q] + step
            if q:
                return cal._wd_close_dt[last], cal._wd_close_dt[first + q - 1]
            # a vanishing warn_ratio: warn at the start
            return cal._wd_close_dt[last], start.astimezone(cal._tzinfo)
        origin = cal._cum[i + 1]
        budget = limit.value * cal._spd
        cum = cal._cum
        x = origin + budget
        k = bisect_left(cum, x) - 1
        if k >= cal._n:
            raise NoCalendarData(date.fromordinal(cal._hi).year + 1)
        if cal._gaps:
            cal._check_span(i, k)
        due = cal._local(k, cal._open[k] + x - cum[k])
        part = round(budget * warn_ratio)
        if part <= 0:  # a vanishing warn_ratio: warn at the start
            return due, start.astimezone(cal._tzinfo)
        x = origin + part
        k = bisect_left(cum, x) - 1
        return due, cal._local(k, cal._open[k] + x - cum[k])
    require_aware(start, "开始时间")
    plan = make_plan(
        calendar,
        start=start,
        base_unit=limit.unit,
        budget=limit_seconds(calendar, limit),
        warn_ratio=warn_ratio,
    )
    due_ts, warn_ts = plan.fixed()
    return to_datetime(calendar, due_ts), to_datetime(calendar, warn_ts)


def to_datetime(calendar: WorkCalendar, ts: int) -> datetime:
    return datetime.fromtimestamp(ts, calendar._tzinfo)
