"""Benchmark of the supervision sweep and the live dashboard (issue 5, points 1 and 6).

In a throwaway database (bench_supervision_<name> on XN_DATABASE_URL's PostgreSQL server, or
bench-supervision.sqlite3 under XN_DATA_DIR) it bulk-inserts, with one INSERT … SELECT per
table (generate_series on PostgreSQL, a recursive CTE on SQLite — not through the services),
N open cases each with a running promised timer (default 1,000,000 on PostgreSQL, 100,000 on
SQLite) plus N/5 cases decided in the last 30 days, in a city with two counties, ten
departments and twenty windows. Then, in one run:

* the sweep with no timer crossing a threshold (first, full; then from the watermark);
* 1 % of the open timers cross (half yellow, half red), the naive version (load every open
  timer and decide in Python, then write the alerts it found the way the sweep does; rolled
  back) and the sweep, and their ratios (also against the naive check alone);
* the dashboard counters rebuilt from the cases (what a bulk load needs), then the dashboard
  of the city supervisor (all cases) and of a county supervisor: the selector, each of its
  queries, the HTML page and the API through Django's test client.

Prints figures; asserts nothing. Run: .venv/bin/python bench/supervision.py [OPEN_CASES]"""

from __future__ import annotations

import datetime as dt
import logging
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")

import django

django.setup()

import time_machine  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from xiaoneng.audit.registry import audit_registry  # noqa: E402
from xiaoneng.catalog.tests import factories as catalog_factories  # noqa: E402
from xiaoneng.deadlines.models import Timer, TimerStatus  # noqa: E402
from xiaoneng.org import services as org_services  # noqa: E402
from xiaoneng.org.models import Role  # noqa: E402
from xiaoneng.org.tests import factories as org_factories  # noqa: E402
from xiaoneng.supervision.models import Alert, SweepRun  # noqa: E402
from xiaoneng.supervision.selectors.dashboard import dashboard_get  # noqa: E402
from xiaoneng.supervision.services import alerts as alert_services  # noqa: E402
from xiaoneng.supervision.services import supervision_sweep, timer_alerts_raise  # noqa: E402
from xiaoneng.supervision.stats import dashboard_stats_rebuild  # noqa: E402

PG = connection.vendor == "postgresql"
OPEN = int(sys.argv[1]) if len(sys.argv) > 1 else (1_000_000 if PG else 100_000)
CLOSED = OPEN // 5
T0 = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
MINUTE = dt.timedelta(minutes=1)
DAY = 1440  # minutes


def timed(label: str, func, *args, **kwargs):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    result = func(*args, **kwargs)
    elapsed = time.perf_counter() - t
    shown = result if isinstance(result, int | str) else type(result).__name__
    print(f"  {label:<58} {elapsed * 1000:9.1f} ms   {shown}")
    return elapsed, result


def setup_org() -> dict[str, Any]:
    """A city and two counties, ten departments, twenty windows with a clerk each."""
    city = org_factories.region()
    counties = [
        org_factories.county("990121000000", "东湖县", city),
        org_factories.county("990122000000", "西山县", city),
    ]
    regions = [city] * 4 + [counties[0]] * 3 + [counties[1]] * 3
    departments = [org_factories.department(f"测试局{i}", r) for i, r in enumerate(regions)]
    clerks = []
    for i in range(20):
        dept = departments[i % 10]
        clerk = org_factories.staff([Role.CLERK], dept, password=None)
        org_services.window_create(
            actor=None,
            region=dept.region,
            code=f"W{i:02d}",
            name=f"综合窗口{i}",
            departments=[dept],
            staff=[clerk],
        )
        clerks.append(clerk)
    return {
        "item": catalog_factories.published_item(departments[0]),
        "departments": departments,
        "clerks": clerks,
        "city_supervisor": org_factories.staff([Role.SUPERVISOR], departments[0]),
        "county_supervisor": org_factories.staff([Role.SUPERVISOR], departments[4]),
    }


def _pick(index_sql: str, values: list[int]) -> str:
    whens = " ".join(f"WHEN {i} THEN {v}" for i, v in enumerate(values))
    return f"(CASE {index_sql} {whens} END)"


def _at(minutes_sql: str) -> str:
    """T0 plus an integer number of minutes, as SQL of the vendor."""
    if PG:
        return f"(TIMESTAMPTZ '{T0.isoformat()}' + ({minutes_sql}) * INTERVAL '1 minute')"
    return f"datetime('{T0:%Y-%m-%d %H:%M:%S}', printf('%+d minutes', {minutes_sql}))"


def _series(n: int) -> tuple[str, str]:
    if PG:
        return "", f"FROM generate_series(CAST(1 AS bigint), {n}) AS s(g)"
    return (
        f"WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {n}) ",  # noqa: S608
        "FROM s",
    )


def seed(org: dict[str, Any]) -> None:
    """OPEN processing cases with running promised timers, CLOSED decided ones (done timers).

    Open: received in the last 60 days, due 3–40 days after T0, warning 1–2 days before.
    Decided: in the last 29 days; 10 % late, 30 % on time but not early, 60 % early.
    """
    depts = org["departments"]
    dept_sql = _pick("g % 10", [d.pk for d in depts])
    region_sql = _pick("g % 10", [d.region_id for d in depts])
    agent_sql = _pick("g % 20", [c.pk for c in org["clerks"]])
    n = OPEN + CLOSED
    is_open = f"g <= {OPEN}"
    decided = f"(-((g * 7919) % (29 * {DAY})))"
    due_open = f"(3 * {DAY} + (g * 7919) % (37 * {DAY}))"
    due_closed = (
        f"({decided} + CASE WHEN g % 10 = 0 THEN -{DAY} WHEN g % 10 < 4 THEN {DAY // 2}"
        f" ELSE 2 * {DAY} END)"
    )
    due = f"(CASE WHEN {is_open} THEN {due_open} ELSE {due_closed} END)"
    warn = f"({due} - (1 + g % 2) * {DAY})"
    received = (
        f"(CASE WHEN {is_open} THEN -((g * 104729) % (60 * {DAY})) ELSE {decided} - 5 * {DAY} END)"
    )
    accepted = f"({received} + 60)"
    json = "CAST('{}' AS jsonb)" if PG else "'{}'"
    prefix, source = _series(n)
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO deadlines_timer (id, kind, subject_type, subject_id, region_id,"
            f" limit_value, limit_unit, status, started_at, due_at, warn_at, completed_at,"
            f" state_data, version, created_at, updated_at) {prefix}"
            f"SELECT g, 'case.promised', 'cases.case', CAST(g AS TEXT), {region_sql}, 20,"
            f" 'working_days', CASE WHEN {is_open} THEN 'running' ELSE 'done' END,"
            f" {_at(accepted)}, {_at(due)}, {_at(warn)},"
            f" CASE WHEN {is_open} THEN NULL ELSE {_at(decided)} END,"
            f" {json}, 1, {_at('0')}, {_at('0')} {source}"
        )
        cur.execute(
            f"INSERT INTO cases_case (id, created_at, updated_at, number, query_code, item_id,"
            f" region_id, department_id, channel, state, applicant_kind, applicant_name,"
            f" id_type, id_number, mobile, agent_id, form_data, is_green_channel, received_at,"
            f" accepted_at, auto_accepted, decided_at, completed_at, decision, refusal_reason,"
            f" refusal_basis, refusal_recommended, current_step, idempotency_key, version,"
            f" promised_timer_id) {prefix}"
            f"SELECT g, {_at('0')}, {_at('0')}, 'B' || CAST(g AS TEXT), 'Q', {org['item'].pk},"
            f" {region_sql}, {dept_sql}, 'window',"
            f" CASE WHEN {is_open} THEN 'processing' ELSE 'completed' END, 'person', '张三',"
            f" 'resident_id', '110101199003074258', '', {agent_sql}, {json}, FALSE,"
            f" {_at(received)}, {_at(accepted)}, FALSE,"
            f" CASE WHEN {is_open} THEN NULL ELSE {_at(decided)} END,"
            f" CASE WHEN {is_open} THEN NULL ELSE {_at(decided)} END,"
            f" CASE WHEN {is_open} THEN '' ELSE 'grant' END, '', '', FALSE, 2, '', 1, g"
            f" {source}"
        )
        if PG:
            for table in ("deadlines_timer", "cases_case"):
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                cur.execute(f"SELECT setval({sequence}, max(id)) FROM {table}")  # noqa: S608


def cross_one_percent(at: dt.datetime) -> int:
    """1 % of the open timers cross a threshold just before ``at``: half warn, half due."""
    pks = list(
        Timer.objects.filter(status=TimerStatus.RUNNING)
        .order_by("pk")
        .values_list("pk", flat=True)[::100]
    )
    # spread over the ten departments (consecutive pks belong to different ones)
    pks = [pk + i % 10 for i, pk in enumerate(pks)]
    warn, due = pks[::2], pks[1::2]
    Timer.objects.filter(pk__in=warn).update(
        warn_at=at - dt.timedelta(seconds=30), due_at=at + dt.timedelta(days=3)
    )
    Timer.objects.filter(pk__in=due).update(
        warn_at=at - dt.timedelta(days=1), due_at=at - dt.timedelta(seconds=30)
    )
    return len(pks)


def rolled_back(func):  # type: ignore[no-untyped-def]
    """``func`` run in a transaction that is rolled back."""

    def run(*args, **kwargs):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            result = func(*args, **kwargs)
            transaction.set_rollback(True)
        return result

    return run


def naive_check(now: dt.datetime) -> list[list[tuple[Any, ...]]]:
    """What the sweep replaces: read every open timer and decide in Python. Returns the
    new (red, yellow) alerts' timer rows."""
    alerted = set(Alert.objects.values_list("timer_id", "level"))
    red: list[tuple[Any, ...]] = []
    yellow: list[tuple[Any, ...]] = []
    for pk, kind, subject_type, subject_id, region_id, warn_at, due_at in (
        Timer.objects.filter(status=TimerStatus.RUNNING)
        .values_list("pk", "kind", "subject_type", "subject_id", "region_id", "warn_at", "due_at")
        .iterator(chunk_size=5000)
    ):
        row = (pk, kind, subject_type, subject_id, region_id)
        if due_at is not None and due_at <= now:
            if (pk, "red") not in alerted:
                red.append(row)
        elif warn_at is not None and warn_at <= now and (pk, "yellow") not in alerted:
            yellow.append(row)
    return [red, yellow]


def naive(now: dt.datetime) -> tuple[int, float]:
    """The naive version of the sweep's whole job: the check above, then the same alerts
    written the way the sweep writes them (``timer_alerts_raise``: one look-up of who
    answers and one INSERT per 5,000) — so the two differ only in how they find the
    crossed timers. Rolled back, for the sweep to raise them again. Returns the number of
    alerts and the seconds of the check alone."""
    with transaction.atomic():
        t = time.perf_counter()
        red, yellow = naive_check(now)
        checked = time.perf_counter() - t
        run = SweepRun.objects.create(swept_until=now)
        n = 0
        for level, rows in (("red", red), ("yellow", yellow)):
            for start in range(0, len(rows), 5000):
                n += timer_alerts_raise(rows[start : start + 5000], level=level, now=now, run=run)
        transaction.set_rollback(True)
    return n, checked


def analyze() -> None:
    if PG:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")


def dashboard_figures(org: dict[str, Any], now: dt.datetime, label: str) -> None:
    """The selector (best of 5, with its queries), the page and the API (best of 5)."""
    for who in ("city_supervisor", "county_supervisor"):
        user = org[who].user
        runs = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as queries:
                t = time.perf_counter()
                board = dashboard_get(actor=user, now=now)
                runs.append(time.perf_counter() - t)
        print(
            f"  dashboard_get, {who.replace('_', ' ')} ({label}): best {min(runs) * 1000:.1f} ms,"
            f" median {statistics.median(runs) * 1000:.1f} ms, {len(queries)} queries;"
            f" open {board.open:,}, states {board.states}, alerts {board.alerts_total:,}"
        )
        slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:3]
        for q in slowest:
            print(f"      {float(q['time']) * 1000:7.1f} ms  {q['sql'][:110]}")
        client = Client()
        client.force_login(user)
        with time_machine.travel(now, tick=False):
            for path in ("/staff/supervision/", "/api/v1/supervision/dashboard"):
                runs = []
                for _ in range(5):
                    t = time.perf_counter()
                    response = client.get(path)
                    runs.append(time.perf_counter() - t)
                median = statistics.median(runs) * 1000
                print(
                    f"    GET {path:<34} best {min(runs) * 1000:7.1f} ms,"
                    f" median {median:7.1f} ms  (HTTP {response.status_code})"
                )


def main() -> None:
    logging.disable(logging.WARNING)  # the notifier's "nobody to tell" lines
    old_name = connection.settings_dict["NAME"]
    test = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test["NAME"] = str(Path(old_name).with_name("bench-supervision.sqlite3"))
    else:
        test["NAME"] = f"bench_supervision_{old_name}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        # The notification of new alerts subscribes to the sweep's event as a background
        # task (a worker in production; inline after commit with eager tasks): timed apart.
        audit_registry.unsubscribe(alert_services.NOTIFY_SUBSCRIBER)
        with time_machine.travel(T0 - dt.timedelta(days=90), tick=False):
            org = setup_org()
        print(
            f"supervision bench — {connection.vendor}, Python {platform.python_version()}, "
            f"load {os.getloadavg()[0]:.1f}"
        )
        t = time.perf_counter()
        seed(org)
        print(
            f"  seeded {OPEN:,} open cases with running timers + {CLOSED:,} decided cases"
            f" in {time.perf_counter() - t:.1f} s"
        )
        analyze()
        timed("dashboard counters rebuilt from the cases (day rows)", dashboard_stats_rebuild)
        analyze()
        timed("full sweep, no crossing (first sweep)", supervision_sweep, now=T0)
        none, _ = timed("sweep, no crossing (watermark)", supervision_sweep, now=T0 + MINUTE)
        dashboard_figures(org, T0 + MINUTE, "no crossing")
        crossing = cross_one_percent(T0 + 2 * MINUTE)
        analyze()
        # first the sweep on caches nothing has warmed for it (rolled back): the naive
        # version below writes its alerts the sweep's way, which warms the case rows and
        # the alert indexes for the sweep that follows it
        cold, _ = timed(
            "sweep, 1 % crossing, before the naive version (rolled back)",
            rolled_back(supervision_sweep),
            now=T0 + 2 * MINUTE,
        )
        naive_t, (naive_n, check_t) = timed(
            f"naive version: every open timer checked in Python ({crossing:,} crossing)"
            " + the same alert writing",
            naive,
            T0 + 2 * MINUTE,
        )
        print(f"    of which the check alone (read and decide in Python) {check_t * 1000:,.1f} ms")
        one, n = timed(
            f"sweep, 1 % crossing ({crossing:,})", supervision_sweep, now=T0 + 2 * MINUTE
        )
        timed(
            "notification of the new alerts (background task)", alert_services.alerts_notify_pending
        )
        timed("sweep again, nothing new (watermark)", supervision_sweep, now=T0 + 3 * MINUTE)
        timed("full sweep an hour later, nothing new", supervision_sweep, now=T0 + 62 * MINUTE)
        dashboard_figures(org, T0 + 3 * MINUTE, "1 % crossed")
        print(
            f"  naive / sweep (1 % crossing): {naive_t / one:,.1f}× (the check alone:"
            f" {check_t / one:,.1f}×); against the sweep before the naive version:"
            f" {naive_t / cold:,.1f}× ({check_t / cold:,.1f}×);"
            f" naive check / sweep (no crossing): {check_t / none:,.1f}×; "
            f"both found {naive_n} = {n}; load {os.getloadavg()[0]:.1f}"
        )
    finally:
        if os.environ.get("XN_BENCH_KEEP"):  # keep the data to EXPLAIN queries by hand
            print(f"  kept database {connection.settings_dict['NAME']}")
        else:
            connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
