"""Production mode: a real Celery worker on Redis runs the periodic jobs against PostgreSQL.

Run by `.ci/run` through `make test-celery` (marker ``production``): the worker is a separate
process started with the production settings (``XN_DATABASE_URL``, ``XN_REDIS_URL``) and
pointed at this test's database, so the test sees exactly what the worker committed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from xiaoneng.audit.models import AuditCheckpoint, AuditEvent
from xiaoneng.audit.services import audit_record

pytestmark = [pytest.mark.production, pytest.mark.django_db(transaction=True)]

REDIS_URL = os.environ.get("XN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def worker(tmp_path: Path):
    if connection.vendor != "postgresql":
        pytest.skip("production mode runs on PostgreSQL (set XN_DATABASE_URL)")
    from celery import current_app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    # This process sends to Redis too (XN_REDIS_URL is set by `make test-celery`); tasks it
    # queues by default (background subscribers) go to this test's own queue.
    previous_queue = current_app.conf.task_default_queue
    current_app.conf.task_default_queue = queue
    env = {
        **os.environ,
        "XN_DATABASE_URL": _database_url(),
        "XN_REDIS_URL": REDIS_URL,
        "XN_SECRET_KEY": "ci-only-secret",
        "XN_DATA_DIR": str(tmp_path),
    }
    log = (tmp_path / "worker.log").open("w")
    proc = subprocess.Popen(  # noqa: S603 - our own venv's celery, fixed arguments
        [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "xiaoneng",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--loglevel=INFO",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield queue
    finally:
        current_app.conf.task_default_queue = previous_queue
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _send(task: str, queue: str) -> None:
    """Enqueue ``task`` on Redis the way celery beat does (by name)."""
    from celery import Celery

    producer = Celery("xiaoneng-test", broker=REDIS_URL)
    producer.send_task(task, queue=queue)


def _wait_for(check, seconds: float = 90) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return False


def test_the_worker_seals_the_audit_chain_on_redis(worker: str):
    event = audit_record(actor=None, action="test.production_event", payload={"n": 1})
    assert AuditEvent.objects.get(pk=event.pk).sealed_at is None
    _send("xiaoneng.audit.tasks.audit_seal", worker)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        event.refresh_from_db()
        if event.sealed_at is not None:
            break
        time.sleep(0.5)
    assert event.sealed_at is not None, "the worker did not seal the event within 90 s"
    assert event.seq is not None
    checkpoint = AuditCheckpoint.objects.get(first_seq__lte=event.seq, last_seq__gte=event.seq)
    assert checkpoint.event_count >= 1


def test_case_notices_are_rendered_by_the_worker_not_in_the_request(worker: str):
    from xiaoneng.cases.models import CaseDocument
    from xiaoneng.cases.tests.factories import world as make_world

    assert not settings.CELERY_TASK_ALWAYS_EAGER  # production mode: a broker is configured
    case = make_world().submit()  # commits; the receipt notice is queued for the worker
    assert not CaseDocument.objects.filter(case=case).exists()  # not rendered in-process
    assert _wait_for(lambda: CaseDocument.objects.filter(case=case, kind="receipt").exists()), (
        "the worker did not issue the receipt notice within 90 s"
    )
    receipt = CaseDocument.objects.get(case=case, kind="receipt")
    assert receipt.number.startswith(case.number)


@pytest.fixture
def beat_worker(tmp_path: Path):
    """A worker with an embedded beat (``-B``): the periodic jobs of ``xiaoneng.schedule``
    are sent by celery beat through Redis exactly as in production, the sweep every 2 s."""
    if connection.vendor != "postgresql":
        pytest.skip("production mode runs on PostgreSQL (set XN_DATABASE_URL)")
    queue = f"beat-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "XN_DATABASE_URL": _database_url(),
        "XN_REDIS_URL": REDIS_URL,
        "XN_SECRET_KEY": "ci-only-secret",
        "XN_DATA_DIR": str(tmp_path),
        "XN_SUPERVISION_SWEEP_SECONDS": "2",
        # beat sends to the default queue: this test's own, so no other consumer takes it
        "XN_CELERY_DEFAULT_QUEUE": queue,
    }
    log = (tmp_path / "beat-worker.log").open("w")
    proc = subprocess.Popen(  # noqa: S603 - our own venv's celery, fixed arguments
        [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "xiaoneng",
            "worker",
            "-B",
            "--schedule",
            str(tmp_path / "celerybeat-schedule"),
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--loglevel=INFO",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield tmp_path / "beat-worker.log"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_celery_beat_runs_the_supervision_sweep(beat_worker: Path):
    import datetime as dt

    from django.utils import timezone

    from xiaoneng.clock import Limit
    from xiaoneng.deadlines.services import timer_start
    from xiaoneng.org.tests.factories import region
    from xiaoneng.supervision.models import Alert, SweepRun

    # A timer started three weeks ago with a one-day limit is overdue: the next sweep that
    # beat triggers raises its red alert (and only one, however many sweeps follow).
    timer = timer_start(
        kind="case.promised",
        subject_type="cases.case",
        subject_id="1",
        region=region(),
        limit=Limit.parse("1 calendar days"),
        at=timezone.now() - dt.timedelta(days=21),
    )
    assert _wait_for(lambda: Alert.objects.filter(timer=timer, level="red").exists()), (
        "celery beat did not run the sweep within 90 s:\n" + beat_worker.read_text()[-3000:]
    )
    assert _wait_for(lambda: SweepRun.objects.count() >= 2, seconds=30)
    assert Alert.objects.filter(timer=timer, level="red").count() == 1
