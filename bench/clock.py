"""Benchmark of xiaoneng.clock (issue 3): working-day arithmetic, due + warning datetimes
and a naive day-by-day loop over chinese_calendar.is_workday, on random (start, N) pairs
over 2025–2026. Prints figures; asserts nothing. Run: .venv/bin/python bench/clock.py"""

from __future__ import annotations

import platform
import random
import sys
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from xiaoneng.clock import Limit, LimitUnit, Timer, WorkCalendar, due_and_warn

PAIRS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
LOOP_SAMPLE = 20_000
TIMER_SAMPLE = 100_000
SEED = 20260213


def naive_add(day: date, n: int) -> date:
    """The day-by-day loop a first implementation would write."""
    while n:
        day += timedelta(days=1)
        if chinese_calendar.is_workday(day):
            n -= 1
    return day


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def main() -> None:
    rng = random.Random(SEED)
    tz = ZoneInfo("Asia/Shanghai")
    t0 = time.perf_counter()
    cal = WorkCalendar.national()
    build = time.perf_counter() - t0
    cal = WorkCalendar.national(years=[2025, 2026, *range(2004, 2025)])

    first = date(2025, 1, 1).toordinal()
    # Starts early enough that 60 working days stay inside 2026 (the last year with data).
    last = date(2026, 9, 15).toordinal()
    days = [date.fromordinal(rng.randint(first, last)) for _ in range(PAIRS)]
    ns = [rng.randint(1, 60) for _ in range(PAIRS)]
    minutes = [rng.randint(0, 24 * 60 - 1) for _ in range(PAIRS)]
    starts = [
        datetime(d.year, d.month, d.day, m // 60, m % 60, tzinfo=tz)
        for d, m in zip(days, minutes, strict=True)
    ]
    limits_by_n = {n: Limit(n, LimitUnit.WORKING_DAYS) for n in range(1, 61)}
    limits = [limits_by_n[n] for n in ns]

    add = cal.add_working_days
    t0 = time.perf_counter()
    for d, n in zip(days, ns, strict=True):
        add(d, n)
    t_add = time.perf_counter() - t0

    t0 = time.perf_counter()
    for s, lim in zip(starts, limits, strict=True):
        due_and_warn(cal, s, lim, 0.9)
    t_due = time.perf_counter() - t0

    sample = min(TIMER_SAMPLE, PAIRS)
    t0 = time.perf_counter()
    for s, lim in zip(starts[:sample], limits[:sample], strict=True):
        Timer.start(at=s, limit=lim).schedule(cal)
    t_timer = time.perf_counter() - t0

    paused = [
        Timer.start(at=s, limit=lim)
        .pause(at=s + timedelta(days=1), reason="supplement")
        .resume(at=s + timedelta(days=4))
        for s, lim in zip(starts[:sample], limits[:sample], strict=True)
    ]
    t0 = time.perf_counter()
    for timer in paused:
        timer.schedule(cal)
    t_paused = time.perf_counter() - t0

    loop_n = min(LOOP_SAMPLE, PAIRS)
    t0 = time.perf_counter()
    for d, n in zip(days[:loop_n], ns[:loop_n], strict=True):
        naive_add(d, n)
    t_loop = time.perf_counter() - t0

    mismatches = sum(
        1 for d, n in zip(days[:loop_n], ns[:loop_n], strict=True) if add(d, n) != naive_add(d, n)
    )

    add_rate = rate(PAIRS, t_add)
    due_rate = rate(PAIRS, t_due)
    loop_rate = rate(loop_n, t_loop)
    print(f"python {platform.python_version()} on {platform.machine()}, {PAIRS:,} pairs")
    print(f"WorkCalendar.national() build (2004–2026): {build * 1000:.1f} ms")
    print(f"add_working_days:                 {add_rate:>12,.0f} ops/s (goal ≥ 1,000,000)")
    print(f"due_and_warn (working days):      {due_rate:>12,.0f} ops/s (goal ≥ 200,000)")
    print(f"Timer.start().schedule():         {rate(sample, t_timer):>12,.0f} ops/s ({sample:,})")
    print(f"paused+resumed Timer.schedule():  {rate(sample, t_paused):>12,.0f} ops/s ({sample:,})")
    print(f"naive loop over is_workday:       {loop_rate:>12,.0f} ops/s ({loop_n:,} pairs)")
    print(f"ratio add_working_days / loop:    {add_rate / loop_rate:>12,.0f}× (goal ≥ 300×)")
    print(f"ratio due_and_warn / loop:        {due_rate / loop_rate:>12,.0f}×")
    print(f"loop vs WorkCalendar mismatches:  {mismatches} of {loop_n:,}")


if __name__ == "__main__":
    main()
