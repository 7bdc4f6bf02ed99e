"""Hypothesis properties of the clock over 2025–2026."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import chinese_calendar
from hypothesis import given, settings
from hypothesis import strategies as st

from xiaoneng.clock import Limit, LimitUnit, Timer, due_and_warn, due_at

from .helpers import NATIONAL, TZ

FIRST = date(2025, 1, 1).toordinal()
LAST = date(2026, 8, 31).toordinal()  # so that 60 working days stay inside 2026

days = st.integers(FIRST, LAST).map(date.fromordinal)
starts = st.builds(
    lambda o, minute: (
        datetime.combine(date.fromordinal(o), datetime.min.time(), TZ) + timedelta(minutes=minute)
    ),
    st.integers(FIRST, LAST),
    st.integers(0, 24 * 60 - 1),
)
units = st.sampled_from(list(LimitUnit))
limits = st.builds(Limit, st.integers(0, 60), units)
positive_limits = st.builds(Limit, st.integers(1, 60), units)

# per test, not a global profile: other apps' property tests keep their own settings
# Derandomized so CI runs the same examples every time (a red run must be reproducible).
clock_settings = settings(max_examples=200, deadline=None, database=None, derandomize=True)


@clock_settings
@given(days, st.integers(1, 60))
def test_add_then_count_round_trips(day: date, n: int) -> None:
    result = NATIONAL.add_working_days(day, n)
    assert NATIONAL.is_workday(result)
    assert NATIONAL.count_working_days(day, result) == n
    assert NATIONAL.count_working_days(day, result - timedelta(days=1)) == n - 1


@clock_settings
@given(days, st.integers(1, 20))
def test_add_agrees_with_a_day_by_day_loop(day: date, n: int) -> None:
    probe, left = day, n
    while left:
        probe += timedelta(days=1)
        if chinese_calendar.is_workday(probe):
            left -= 1
    assert NATIONAL.add_working_days(day, n) == probe


@clock_settings
@given(starts, limits)
def test_due_is_monotonic_in_the_limit(start: datetime, limit: Limit) -> None:
    longer = Limit(limit.value + 1, limit.unit)
    assert due_at(NATIONAL, start, limit) <= due_at(NATIONAL, start, longer)
    assert due_at(NATIONAL, start, limit) >= start


@clock_settings
@given(starts, starts, limits)
def test_due_is_monotonic_in_the_start(a: datetime, b: datetime, limit: Limit) -> None:
    early, late = min(a, b), max(a, b)
    assert due_at(NATIONAL, early, limit) <= due_at(NATIONAL, late, limit)


@clock_settings
@given(starts, positive_limits, st.floats(0.05, 1.0))
def test_warning_is_between_start_and_due(start: datetime, limit: Limit, ratio: float) -> None:
    due, warn = due_and_warn(NATIONAL, start, limit, ratio)
    assert start <= warn <= due
    assert Timer.start(at=start, limit=limit, warn_ratio=ratio).schedule(NATIONAL).due_at == due


@clock_settings
@given(starts, positive_limits, st.integers(0, 20 * 24 * 60), st.integers(0, 20 * 24 * 60))
def test_pausing_never_makes_the_deadline_earlier(
    start: datetime, limit: Limit, after: int, length: int
) -> None:
    timer = Timer.start(at=start, limit=limit)
    plain = timer.schedule(NATIONAL)
    begin = start + timedelta(minutes=after)
    paused = timer.pause(at=begin, reason="special_procedure").resume(
        at=begin + timedelta(minutes=length)
    )
    schedule = paused.schedule(NATIONAL)
    assert plain.due_at is not None
    assert schedule.due_at is not None
    assert schedule.due_at >= plain.due_at
    assert plain.warn_at is not None
    assert schedule.warn_at is not None
    assert schedule.warn_at >= plain.warn_at


@clock_settings
@given(
    starts,
    positive_limits,
    st.integers(0, 10 * 24 * 60),
    st.integers(0, 5 * 24 * 60),
    st.integers(0, 40 * 24 * 60),
)
def test_used_plus_remaining_is_the_total_while_running(
    start: datetime, limit: Limit, after: int, length: int, later: int
) -> None:
    begin = start + timedelta(minutes=after)
    end = begin + timedelta(minutes=length)
    timer = Timer.start(at=start, limit=limit).pause(at=begin, reason="supplement").resume(at=end)
    now = end + timedelta(minutes=later)
    status = timer.status(NATIONAL, now)
    assert status.used + status.remaining == status.limit_total
    assert status.used >= timedelta(0)
    due = timer.schedule(NATIONAL).due_at
    assert due is not None
    at_due = timer.status(NATIONAL, due)
    if limit.unit.counts_working_time or limit.unit in (LimitUnit.HOURS, LimitUnit.MINUTES):
        assert at_due.remaining == timedelta(0)
    assert at_due.used == at_due.limit_total
    if limit.unit is LimitUnit.WORKING_DAYS:
        assert status.limit_total == timedelta(minutes=510 * limit.value)


@clock_settings
@given(
    starts,
    limits,
    st.integers(0, 3 * 24 * 60),
    st.booleans(),
    st.integers(1, 10),
    st.sampled_from(["special_procedure", "supplement", "other"]),
)
def test_serialisation_round_trips(
    start: datetime, limit: Limit, after: int, resume: bool, extra: int, reason: str
) -> None:
    timer = Timer.start(at=start, limit=limit)
    unit = LimitUnit.WORKING_DAYS if limit.unit.counts_working_time else LimitUnit.HOURS
    timer = timer.extend(by=Limit(extra, unit), at=start + timedelta(minutes=after))
    timer = timer.pause(at=start + timedelta(minutes=after + 5), reason=reason, note="备注")
    if resume:
        timer = timer.resume(at=start + timedelta(minutes=after + 90))
    again = Timer.from_dict(json.loads(json.dumps(timer.to_dict())))
    assert again == timer
    assert again.schedule(NATIONAL) == timer.schedule(NATIONAL)


@clock_settings
@given(starts, limits, st.floats(0.05, 1.0), st.booleans())
def test_fast_path_agrees_with_the_general_engine(
    start: datetime, limit: Limit, ratio: float, utc: bool
) -> None:
    if utc:
        start = start.astimezone(UTC)
    plan = Timer.start(at=start, limit=limit, warn_ratio=ratio).plan(NATIONAL)
    due_ts, warn_ts = plan.fixed()
    due, warn = due_and_warn(NATIONAL, start, limit, ratio)
    assert (int(due.timestamp()), int(warn.timestamp())) == (due_ts, warn_ts)
    assert due.tzinfo is TZ
