"""Housekeeping of the database itself (no domain rules)."""

from __future__ import annotations

from celery import shared_task
from django.db import connection


@shared_task(name="xiaoneng.core.tasks.database_analyze", soft_time_limit=240, time_limit=300)
def database_analyze() -> str:
    """Refresh SQLite's planner statistics (``ANALYZE``, bounded by ``analysis_limit``).

    Without statistics SQLite prefers the ``(status, region)`` index to the partial
    indexes of running timers and the sweep scans every running timer; with them it reads
    only the crossed range (bench/README.md, supervision). The embedded scheduler runs this
    at start and hourly. PostgreSQL's autovacuum keeps its own statistics: nothing to do.
    """
    if connection.vendor != "sqlite":
        return "skipped"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit = 1000")
        cursor.execute("ANALYZE")
    return "analyzed"
