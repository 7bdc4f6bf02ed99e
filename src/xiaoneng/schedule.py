"""The one table of periodic jobs.

Celery beat reads it in production (see ``celery.py``); ``xiaoneng run`` starts
:class:`InProcessScheduler`, which calls the same task functions in a background thread.
Each entry names a Celery task by its dotted path, so this module imports no app.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: str  # dotted path of a Celery task function
    every_seconds: float


def periodic_jobs() -> list[PeriodicJob]:
    return [
        PeriodicJob(
            "audit-seal", "xiaoneng.audit.tasks.audit_seal", settings.XN_AUDIT_SEAL_SECONDS
        ),
        PeriodicJob("database-analyze", "xiaoneng.core.tasks.database_analyze", 3600),
        PeriodicJob("audit-redeliver", "xiaoneng.audit.tasks.audit_redeliver", 600),
        PeriodicJob("notify-code-purge", "xiaoneng.notify.tasks.verification_code_purge", 3600),
        PeriodicJob("cases-auto-accept", "xiaoneng.cases.tasks.cases_auto_accept", 300),
        PeriodicJob("cases-deemed-approval", "xiaoneng.cases.tasks.cases_deemed_approval", 300),
        PeriodicJob("cases-deemed-renewal", "xiaoneng.cases.tasks.cases_deemed_renewal", 3600),
        PeriodicJob("cases-documents", "xiaoneng.cases.tasks.cases_documents_issue", 60),
        PeriodicJob(
            "supervision-sweep",
            "xiaoneng.supervision.tasks.supervision_sweep",
            settings.XN_SUPERVISION_SWEEP_SECONDS,
        ),
        PeriodicJob("supervision-alerts-notify", "xiaoneng.supervision.tasks.alerts_notify", 60),
        PeriodicJob(
            "supervision-bulletins-draft",
            "xiaoneng.supervision.tasks.accountability_bulletins_draft",
            3600,
        ),
        PeriodicJob(
            "supervision-anomalies", "xiaoneng.supervision.tasks.supervision_anomalies_sweep", 86400
        ),
        PeriodicJob(
            "supervision-orders-escalate", "xiaoneng.supervision.tasks.orders_escalate_overdue", 300
        ),
    ]


def beat_schedule() -> dict[str, dict[str, Any]]:
    return {job.name: {"task": job.task, "schedule": job.every_seconds} for job in periodic_jobs()}


def _resolve(dotted: str) -> Any:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


class InProcessScheduler(threading.Thread):
    """Runs every periodic job on its interval in one daemon thread (embedded mode)."""

    def __init__(self, jobs: list[PeriodicJob] | None = None, tick: float = 1.0) -> None:
        super().__init__(name="xiaoneng-scheduler", daemon=True)
        self.jobs = jobs if jobs is not None else periodic_jobs()
        self.tick = tick
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()

    def run_due(self, last_run: dict[str, float], now: float) -> None:
        for job in self.jobs:
            if now - last_run.get(job.name, 0.0) < job.every_seconds:
                continue
            last_run[job.name] = now
            try:
                close_old_connections()
                _resolve(job.task)()
            except Exception:  # a failing job must not stop the others; it is logged
                logger.exception("periodic job %s failed", job.name)
            finally:
                close_old_connections()

    def run(self) -> None:
        last_run: dict[str, float] = {}
        while not self._stop_event.is_set():
            self.run_due(last_run, time.monotonic())
            self._stop_event.wait(self.tick)
