"""Benchmark of xiaoneng.clock (issue 3): working-day arithmetic, due + warning datetimes
and a naive day-by-day loop over chinese_calendar.is_workday, on random (start, N) pairs
over 2025–2026. Prints figures; asserts nothing. Run: .venv/bin/python bench/clock.py"""

from __future__ import annotations

import os
import platform
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from xiaoneng.clock import Limit, LimitUnit, Timer, WorkCalendar, due_and_warn

PAIRS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
LOOP_SAMPLE = 20_000
TIMER_SAMPLE = 100_000
CHUNK = 50_000
SEED = 20260213


def naive_add(day: date, n: int) -> date:
    """The day-by-day loop a first implementation would write."""
    while n:
        day += timedelta(days=1)
        if chinese_calendar.is_workday(day):
            n -= 1
    return day


def main() -> None:
    rng = random.Random(SEED)
    tz = ZoneInfo("Asia/Shanghai")
    t0 = time.perf_counter()
    cal = WorkCalendar.national()
    build = time.perf_counter() - t0

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

    def timed(
        run: Callable[[int, int], None], count: int, chunk: int = CHUNK
    ) -> tuple[float, float]:
        """(ops/s over the whole run, ops/s of the fastest chunk of ``chunk`` items): the
        machine may be shared, so the best chunk shows the code's speed without the noise."""
        total, best = 0.0, float("inf")
        for lo in range(0, count, chunk):
            hi = min(lo + chunk, count)
            began = time.perf_counter()
            run(lo, hi)
            took = time.perf_counter() - began
            total += took
            best = min(best, took / (hi - lo))
        return count / total, 1 / best

    def run_add(lo: int, hi: int) -> None:
        for d, n in zip(days[lo:hi], ns[lo:hi], strict=True):
            add(d, n)

    def run_due(lo: int, hi: int) -> None:
        for s, lim in zip(starts[lo:hi], limits[lo:hi], strict=True):
            due_and_warn(cal, s, lim, 0.9)

    def run_due_utc(lo: int, hi: int) -> None:
        for s, lim in zip(starts_utc[lo:hi], limits[lo:hi], strict=True):
            due_and_warn(cal, s, lim, 0.9)

    def run_timer(lo: int, hi: int) -> None:
        for s, lim in zip(starts[lo:hi], limits[lo:hi], strict=True):
            Timer.start(at=s, limit=lim).schedule(cal)

    def run_paused(lo: int, hi: int) -> None:
        for timer in paused[lo:hi]:
            timer.schedule(cal)

    def run_loop(lo: int, hi: int) -> None:
        for d, n in zip(days[lo:hi], ns[lo:hi], strict=True):
            naive_add(d, n)

    sample = min(TIMER_SAMPLE, PAIRS)
    starts_utc = [s.astimezone(UTC) for s in starts[:sample]]
    paused = [
        Timer.start(at=s, limit=lim)
        .pause(at=s + timedelta(days=1), reason="supplement")
        .resume(at=s + timedelta(days=4))
        for s, lim in zip(starts[:sample], limits[:sample], strict=True)
    ]
    loop_n = min(LOOP_SAMPLE, PAIRS)

    add_rate, add_best = timed(run_add, PAIRS)
    due_rate, due_best = timed(run_due, PAIRS)
    utc_rate, utc_best = timed(run_due_utc, sample)
    timer_rate, timer_best = timed(run_timer, sample)
    paused_rate, paused_best = timed(run_paused, sample)
    loop_rate, loop_best = timed(run_loop, loop_n, 2_000)

    mismatches = sum(
        1 for d, n in zip(days[:loop_n], ns[:loop_n], strict=True) if add(d, n) != naive_add(d, n)
    )

    def line(label: str, whole: float, best: float, note: str = "") -> None:
        print(f"{label:<34}{whole:>12,.0f} ops/s   best chunk {best:>12,.0f}   {note}")

    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores,")
    print(f"load average {os.getloadavg()[0]:.2f}; {PAIRS:,} random (start, N) pairs, N 1..60")
    print(f"WorkCalendar.national() build (2004–2026): {build * 1000:.1f} ms")
    line("add_working_days", add_rate, add_best, "(goal ≥ 1,000,000)")
    line("due_and_warn, Beijing-time start", due_rate, due_best, "(goal ≥ 200,000)")
    line("due_and_warn, UTC start", utc_rate, utc_best, f"({sample:,} pairs)")
    line("Timer.start(...).schedule()", timer_rate, timer_best, f"({sample:,} pairs)")
    line("paused+resumed Timer.schedule()", paused_rate, paused_best, f"({sample:,} pairs)")
    line("naive loop over is_workday", loop_rate, loop_best, f"({loop_n:,} pairs)")
    print(f"ratio add_working_days / loop:    {add_rate / loop_rate:>12,.0f}×   (goal ≥ 300×)")
    print(f"ratio due_and_warn / loop:        {due_rate / loop_rate:>12,.0f}×")
    print(f"loop vs WorkCalendar mismatches:  {mismatches} of {loop_n:,}")


if __name__ == "__main__":
    main()
