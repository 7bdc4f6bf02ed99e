"""Benchmark of the supervision sweep (issue 5, point 1): N open timers (default 100,000)
bulk-inserted into a throwaway database (bench_supervision_<name> on XN_DATABASE_URL's
PostgreSQL server, or bench-supervision.sqlite3 under XN_DATA_DIR), then times the sweep
with no timer crossing a threshold, with 1 % crossing, and a naive Python loop over every
open timer. Prints figures; asserts nothing.
Run: .venv/bin/python bench/supervision.py [TIMERS]"""

from __future__ import annotations

import datetime as dt
import os
import platform
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")

import django

django.setup()

from django.db import connection  # noqa: E402

from xiaoneng.deadlines.models import Timer, TimerStatus  # noqa: E402
from xiaoneng.org.services import region_create  # noqa: E402
from xiaoneng.supervision.models import Alert  # noqa: E402
from xiaoneng.supervision.services import supervision_sweep  # noqa: E402

TIMERS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
T0 = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def timed(label: str, func, *args, **kwargs):
    t = time.perf_counter()
    result = func(*args, **kwargs)
    elapsed = time.perf_counter() - t
    print(f"  {label:<46} {elapsed * 1000:9.1f} ms   result {result}")
    return elapsed, result


def seed(region_id: int) -> None:
    rng = random.Random(5)
    rows = []
    for i in range(TIMERS):
        due = T0 + dt.timedelta(minutes=rng.randint(60 * 24 * 3, 60 * 24 * 40))
        rows.append(
            Timer(
                kind="case",
                subject_type="cases.case",
                subject_id=str(i),
                region_id=region_id,
                limit_value=20,
                limit_unit="working_days",
                status=TimerStatus.RUNNING,
                started_at=T0 - dt.timedelta(days=1),
                due_at=due,
                warn_at=due - dt.timedelta(days=2 if i % 2 else 1),
            )
        )
    Timer.objects.bulk_create(rows, batch_size=5000)


def cross_one_percent(at: dt.datetime) -> int:
    """1 % of the timers cross a threshold just before ``at``: half warn, half due."""
    pks = list(Timer.objects.order_by("pk").values_list("pk", flat=True)[::100])
    warn, due = pks[::2], pks[1::2]
    Timer.objects.filter(pk__in=warn).update(
        warn_at=at - dt.timedelta(seconds=30), due_at=at + dt.timedelta(days=3)
    )
    Timer.objects.filter(pk__in=due).update(
        warn_at=at - dt.timedelta(days=1), due_at=at - dt.timedelta(seconds=30)
    )
    return len(pks)


def naive(now: dt.datetime) -> int:
    """What the sweep replaces: read every open timer and decide in Python."""
    alerted = set(Alert.objects.values_list("timer_id", "level"))
    new = 0
    for pk, warn_at, due_at in (
        Timer.objects.filter(status=TimerStatus.RUNNING)
        .values_list("pk", "warn_at", "due_at")
        .iterator(chunk_size=5000)
    ):
        if due_at is not None and due_at <= now:
            new += (pk, "red") not in alerted
        elif warn_at is not None and warn_at <= now:
            new += (pk, "yellow") not in alerted
    return new


def main() -> None:
    old_name = connection.settings_dict["NAME"]
    test = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test["NAME"] = str(Path(old_name).with_name("bench-supervision.sqlite3"))
    else:
        test["NAME"] = f"bench_supervision_{old_name}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        region = region_create(actor=None, code="990100000000", name="示范市", level="city")
        t = time.perf_counter()
        seed(region.pk)
        print(
            f"supervision bench — {connection.vendor}, Python {platform.python_version()}, "
            f"load {os.getloadavg()[0]:.1f}"
        )
        print(f"  seeded {TIMERS:,} running timers in {time.perf_counter() - t:.1f} s")
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        timed("full sweep, no crossing (first sweep)", supervision_sweep, now=T0)
        none, _ = timed("sweep, no crossing (watermark)", supervision_sweep, now=T0 + MINUTE)
        crossing = cross_one_percent(T0 + 2 * MINUTE)
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE deadlines_timer")
        naive_t, naive_n = timed(
            f"naive loop over all open timers ({crossing:,} crossing)", naive, T0 + 2 * MINUTE
        )
        one, n = timed(
            f"sweep, 1 % crossing ({crossing:,})", supervision_sweep, now=T0 + 2 * MINUTE
        )
        timed("sweep again, nothing new (watermark)", supervision_sweep, now=T0 + 3 * MINUTE)
        timed("full sweep an hour later, nothing new", supervision_sweep, now=T0 + 62 * MINUTE)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(
        f"  naive / sweep (1 % crossing): {naive_t / one:,.1f}×; "
        f"naive / sweep (no crossing): {naive_t / none:,.1f}×; "
        f"both found {naive_n} = {n}"
    )


if __name__ == "__main__":
    main()
