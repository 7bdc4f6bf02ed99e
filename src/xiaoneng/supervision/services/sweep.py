"""The deadline sweep: each yellow and red alert of a running timer once."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from xiaoneng.audit.services import audit_record
from xiaoneng.deadlines.models import Timer, TimerStatus

from ..models import Alert, AlertLevel, SweepRun
from ..rules import TIMER_RULES

__all__ = ["FULL_SWEEP_EVERY", "SAFETY_MARGIN", "supervision_sweep"]

#: How far before the last sweep's watermark a sweep still looks (see the sweep).
SAFETY_MARGIN = dt.timedelta(days=2)
#: How often a sweep ignores the watermark and looks at every crossed running timer.
FULL_SWEEP_EVERY = dt.timedelta(hours=1)


def _raise_level(
    *,
    level: str,
    field: str,
    now: dt.datetime,
    since: dt.datetime | None,
    run: SweepRun,
    batch_size: int,
) -> int:
    """Insert the missing ``level`` alerts of running timers whose ``field`` is ≤ ``now``."""
    crossed = {f"{field}__lte": now}
    if since is not None:
        crossed[f"{field}__gt"] = since
    timers = Timer.objects.filter(status=TimerStatus.RUNNING, **crossed)
    if level == AlertLevel.YELLOW:
        timers = timers.filter(due_at__gt=now)  # past due it is red, not yellow
    qs = (
        timers.filter(~Exists(Alert.objects.filter(timer=OuterRef("pk"), level=level)))
        .order_by(field, "pk")
        .values_list("pk", "subject_type", "subject_id", "region_id")
    )
    # Each batch's alerts exist once bulk_create returns (ours, or a concurrent sweep's that
    # the insert waited for), so NOT EXISTS drops them from the next batch.
    while True:
        rows = list(qs[:batch_size])
        if not rows:
            break
        Alert.objects.bulk_create(
            [
                Alert(
                    timer_id=pk,
                    level=level,
                    rule=TIMER_RULES[level],
                    subject_type=subject_type,
                    subject_id=subject_id,
                    region_id=region_id,
                    raised_at=now,
                    sweep=run,
                )
                for pk, subject_type, subject_id, region_id in rows
            ],
            ignore_conflicts=True,
        )
        if len(rows) < batch_size:
            break
    # Rows a concurrent sweep inserted first were skipped (ignore_conflicts): count ours.
    return Alert.objects.filter(sweep=run, level=level).count()


def supervision_sweep(*, now: dt.datetime | None = None, batch_size: int = 5000) -> int:
    """Raise each yellow (``warn_at`` passed) and red (``due_at`` passed) alert once.

    Per level, one range query over the partial index of running timers (``due_at`` /
    ``warn_at`` where ``status='running'``) with ``NOT EXISTS`` on the alerts, inserted with
    ``bulk_create(ignore_conflicts=True)``: a rerun or a second worker adds nothing, and the
    unique constraint ``(timer, level)`` settles the race between two workers.

    Cost: the range starts at the previous sweep's watermark (its ``now``) minus
    :data:`SAFETY_MARGIN`, so each minute only the timers that crossed a threshold since
    (plus two days of already alerted ones, skipped by the anti-join on the unique index)
    are read — not every overdue timer ever. The margin covers a sweep that ran late or
    was interrupted, clock skew between workers, and a due time moved slightly into the
    past (a calendar correction). What it cannot cover — a timer started with a back-dated
    ``at`` whose thresholds are already older than the margin, or a larger calendar
    correction — is caught by a full sweep (no lower bound; its cost follows the number of
    crossed running timers, still not the open ones) at least every
    :data:`FULL_SWEEP_EVERY`; the very first sweep is full too.
    Returns the number of alerts this sweep raised.
    """
    now = now or timezone.now()
    with transaction.atomic():
        runs = SweepRun.objects.order_by("-swept_until").values_list("swept_until", flat=True)
        watermark = runs.first()
        last_full = runs.filter(full=True).first()
        full = last_full is None or now - last_full >= FULL_SWEEP_EVERY
        since = None if full or watermark is None else watermark - SAFETY_MARGIN
        run = SweepRun.objects.create(swept_until=now, full=full)
        run.red = _raise_level(
            level=AlertLevel.RED,
            field="due_at",
            now=now,
            since=since,
            run=run,
            batch_size=batch_size,
        )
        run.yellow = _raise_level(
            level=AlertLevel.YELLOW,
            field="warn_at",
            now=now,
            since=since,
            run=run,
            batch_size=batch_size,
        )
        run.save(update_fields=["red", "yellow"])
        audit_record(
            actor=None,
            action="supervision.sweep",
            object_type="supervision.sweeprun",
            object_id=run.pk,
            payload={
                "yellow": run.yellow,
                "red": run.red,
                "swept_until": now.isoformat(),
                "since": since.isoformat() if since else None,
                "full": full,
            },
        )
    return run.yellow + run.red
