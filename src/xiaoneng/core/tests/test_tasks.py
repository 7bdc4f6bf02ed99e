"""Database housekeeping: SQLite gets statistics, so the sweep reads the partial indexes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from xiaoneng.clock import Limit
from xiaoneng.core.tasks import database_analyze
from xiaoneng.deadlines import services as deadlines
from xiaoneng.deadlines.models import Timer, TimerStatus
from xiaoneng.org.tests.factories import region


@pytest.mark.django_db
def test_sqlite_statistics_make_the_sweep_read_the_partial_index():
    if connection.vendor != "sqlite":
        assert database_analyze() == "skipped"  # PostgreSQL's autovacuum analyzes
        return
    place = region()
    start = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    for n in range(30):
        deadlines.timer_start(
            kind="case.promised",
            subject_type="cases.case",
            subject_id=n,
            region=place,
            limit=Limit.parse("10个工作日"),
            at=start,
        )
    assert database_analyze() == "analyzed"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'deadlines_timer'")
        assert cursor.fetchone()[0] > 0
    crossed = Timer.objects.filter(status=TimerStatus.RUNNING, due_at__lte=start)
    plan = crossed.explain()
    assert "deadlines_timer_due_open" in plan, plan
