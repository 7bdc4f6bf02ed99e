"""Verification of the audit chain started from the supervision office's page.

A run is an :class:`~xiaoneng.supervision.models.IntegrityCheck` row: created by
:func:`integrity_check_start` (the button), filled by :func:`integrity_check_run` in the
task ``integrity_verify`` enqueued after commit. With a broker the verification runs on a
worker (a few million events take minutes; the page polls until the row is finished); in
the embedded default (eager tasks, a small chain) it runs right after the request's commit.
Verification itself only reads (:func:`xiaoneng.audit.services.audit_verify`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.audit.services import audit_record, audit_verify
from xiaoneng.core.errors import Conflict

from ..models import IntegrityCheck
from ..selectors.integrity import integrity_require

__all__ = ["STALE_AFTER", "integrity_check_run", "integrity_check_start"]

#: A run unfinished after this long died with its worker (the task's time limit is 32 min).
STALE_AFTER = dt.timedelta(hours=1)


def integrity_check_start(*, actor: Any) -> IntegrityCheck:
    """Record a verification request and enqueue it (one running at a time)."""
    from ..tasks import integrity_verify

    staff_id = integrity_require(actor)
    with transaction.atomic():
        stale = timezone.now() - STALE_AFTER
        running = (
            IntegrityCheck.objects.select_for_update()
            .filter(ok__isnull=True, requested_at__gt=stale)
            .first()
        )
        if running is not None:
            raise Conflict(_("已有一次审计链核验正在进行，请稍后查看结果。"), code="check_running")
        check = IntegrityCheck.objects.create(requested_by_id=staff_id)
        audit_record(
            actor=actor,
            action="supervision.integrity_check_requested",
            obj=check,
            payload={"check": check.pk},
        )
        transaction.on_commit(lambda: integrity_verify.delay(check.pk))
    return check


def integrity_check_run(*, check_id: int) -> IntegrityCheck:
    """Verify the whole chain and store the finding (idempotent: a finished run is kept)."""
    check = IntegrityCheck.objects.get(pk=check_id)
    if check.ok is not None:
        return check
    report = audit_verify()
    with transaction.atomic():
        check = IntegrityCheck.objects.select_for_update().get(pk=check_id)
        if check.ok is not None:
            return check
        check.ok = report.ok
        check.events_checked = report.events_checked
        check.checkpoints_checked = report.checkpoints_checked
        check.unsealed = report.unsealed
        check.first_broken_seq = report.first_broken_seq
        check.problem = report.problem
        check.message = report.summary()
        check.finished_at = timezone.now()
        check.save()
        audit_record(
            actor=None,
            action="supervision.integrity_checked",
            obj=check,
            payload={
                "ok": report.ok,
                "problem": report.problem,
                "first_broken_seq": report.first_broken_seq,
                "events_checked": report.events_checked,
            },
        )
    return check
