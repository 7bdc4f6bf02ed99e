"""The timer engine against a minute-by-minute reference simulation (slow but obvious)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from xiaoneng.clock import Limit, LimitUnit, Timer

from .helpers import NATIONAL, TZ

OPEN, CLOSE = time(9, 0), time(17, 30)
MINUTE = timedelta(minutes=1)


def reference_due(
    start: datetime, limit: Limit, pauses: list[tuple[datetime, datetime]], extra: int
) -> datetime:
    """Walk minute by minute; a minute counts if it lies in office hours of a working day,
    outside every pause, and (for working days) after the start's local day."""
    per_unit = 510 if limit.unit is LimitUnit.WORKING_DAYS else 60
    budget = (limit.value + extra) * per_unit
    if budget == 0:
        return start
    if limit.unit is LimitUnit.WORKING_DAYS:
        t = datetime.combine(start.date() + timedelta(days=1), time(0), TZ)
    else:
        t = start
    counted = 0
    while True:
        local = t.astimezone(TZ)
        working = (
            NATIONAL.is_workday(local.date())
            and OPEN <= local.time() < CLOSE
            and not any(a <= t < b for a, b in pauses)
        )
        if working:
            counted += 1
            if counted == budget:
                return t + MINUTE
        t += MINUTE


minute_starts = st.builds(
    lambda o, m: datetime.combine(date.fromordinal(o), time(0), TZ) + timedelta(minutes=m),
    st.integers(date(2025, 1, 1).toordinal(), date(2026, 11, 30).toordinal()),
    st.integers(0, 24 * 60 - 1),
)


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(
    minute_starts,
    st.integers(0, 3),
    st.sampled_from([LimitUnit.WORKING_DAYS, LimitUnit.WORKING_HOURS]),
    st.lists(st.tuples(st.integers(0, 3 * 24 * 60), st.integers(1, 3 * 24 * 60)), max_size=2),
    st.integers(0, 2),
)
def test_engine_matches_minute_by_minute_reference(
    start: datetime,
    value: int,
    unit: LimitUnit,
    gaps: list[tuple[int, int]],
    extra: int,
) -> None:
    limit = Limit(value, unit)
    timer = Timer.start(at=start, limit=limit)
    pauses: list[tuple[datetime, datetime]] = []
    cursor = start
    for wait, length in gaps:
        begin = cursor + timedelta(minutes=wait)
        end = begin + timedelta(minutes=length)
        timer = timer.pause(at=begin, reason="other").resume(at=end)
        pauses.append((begin, end))
        cursor = end
    if extra:
        timer = timer.extend(by=Limit(extra, unit), at=cursor)
    expected = reference_due(start, limit, pauses, extra)
    assert timer.schedule(NATIONAL).due_at == expected
