"""The deadline sweep: each reminder, yellow and red alert of a running timer once.

The rule of each alert follows the timer's kind (§5.1: case overdue 超期, step overdue
环节超时, intake/supplement overdue, special procedure 暂停超时, delivery, supervision order;
see :func:`xiaoneng.supervision.rules.timer_rule`). Each alert carries who answers for it —
the case, the responsible department and staff member — resolved per batch with one query
per subject type (cases, tasks, special procedures), never per alert.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from xiaoneng.audit.services import audit_record
from xiaoneng.cases import rules as case_rules
from xiaoneng.cases.models import Case, CaseTask, SpecialProcedureRecord
from xiaoneng.clock import ClockError
from xiaoneng.deadlines.calendars import calendar_for_region
from xiaoneng.deadlines.models import Timer, TimerStatus

from ..models import (
    AccountabilityAction,
    Alert,
    AlertLevel,
    AlertState,
    SupervisionOrder,
    SweepRun,
)
from ..rules import (
    CASE_SUBJECT,
    ORDER_SUBJECT,
    REMINDER_KINDS,
    SPECIAL_SUBJECT,
    TASK_SUBJECT,
    reminder_cutoff,
    timer_rule,
)
from .accountability import RECTIFICATION_SUBJECT

__all__ = ["FULL_SWEEP_EVERY", "SAFETY_MARGIN", "supervision_sweep"]

#: How far before the last sweep's watermark a sweep still looks (see the sweep).
SAFETY_MARGIN = dt.timedelta(days=2)
#: How often a sweep ignores the watermark and looks at every crossed running timer.
FULL_SWEEP_EVERY = dt.timedelta(hours=1)


#: (case, department, staff) answering for an alert on a timer's subject.
Responsible = tuple[int | None, int | None, int | None]
_Row = tuple[int, str, str, str, int]  # timer pk, kind, subject type, subject id, region


def _ids(values: Iterable[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


def _responsible(rows: list[_Row]) -> dict[tuple[str, str], Responsible]:
    """Who answers for each subject of ``rows``: at most five queries for a whole batch.

    * a case's own limits: the case's department; the first-inquiry clerk for the intake
      limit, the assignee of the current step's lead task for the promised and statutory
      limits (when claimed), the decider for the licence delivery;
    * a step (task) limit: the task's department and assignee;
    * a special procedure: the case's department and whoever started it;
    * a supervision order's reply: the department it was sent to (and its case, if any);
    * an ordered rectification (责令限期整改): the department and person it was ordered on.
    """
    wanted: dict[str, set[str]] = defaultdict(set)
    for _pk, _kind, subject_type, subject_id, _region in rows:
        wanted[subject_type].add(subject_id)
    out: dict[tuple[str, str], Responsible] = {}
    case_ids = _ids(wanted.get(CASE_SUBJECT, ()))
    if case_ids:
        leads = dict(
            CaseTask.objects.filter(
                case_id__in=case_ids,
                is_lead=True,
                state__in=case_rules.OPEN_TASK_STATES,
                assignee__isnull=False,
            ).values_list("case_id", "assignee_id")
        )
        for pk, department_id, agent_id, decided_by in Case.objects.filter(
            pk__in=case_ids
        ).values_list("pk", "department_id", "agent_id", "decision_record__decided_by"):
            out[(CASE_SUBJECT, str(pk))] = (pk, department_id, leads.get(pk))
            out[("intake", str(pk))] = (pk, department_id, agent_id)
            out[("delivery", str(pk))] = (pk, department_id, decided_by)
    task_ids = _ids(wanted.get(TASK_SUBJECT, ()))
    for pk, case_id, department_id, assignee_id in CaseTask.objects.filter(
        pk__in=task_ids
    ).values_list("pk", "case_id", "department_id", "assignee_id"):
        out[(TASK_SUBJECT, str(pk))] = (case_id, department_id, assignee_id)
    special_ids = _ids(wanted.get(SPECIAL_SUBJECT, ()))
    for pk, case_id, department_id, started_by in SpecialProcedureRecord.objects.filter(
        pk__in=special_ids
    ).values_list("pk", "case_id", "case__department_id", "started_by_id"):
        out[(SPECIAL_SUBJECT, str(pk))] = (case_id, department_id, started_by)
    order_ids = _ids(wanted.get(ORDER_SUBJECT, ()))
    for pk, case_id, department_id in SupervisionOrder.objects.filter(pk__in=order_ids).values_list(
        "pk", "case_id", "department_id"
    ):
        out[(ORDER_SUBJECT, str(pk))] = (case_id, department_id, None)
    rectification_ids = _ids(wanted.get(RECTIFICATION_SUBJECT, ()))
    for pk, department_id, staff_id in AccountabilityAction.objects.filter(
        pk__in=rectification_ids
    ).values_list("pk", "department_id", "staff_id"):
        out[(RECTIFICATION_SUBJECT, str(pk))] = (None, department_id, staff_id)
    return out


def _who(
    found: dict[tuple[str, str], Responsible], kind: str, subject_type: str, subject_id: str
) -> Responsible:
    if subject_type == CASE_SUBJECT and kind == case_rules.TIMER_INTAKE:
        return found.get(("intake", subject_id), (None, None, None))
    if subject_type == CASE_SUBJECT and kind == case_rules.TIMER_DELIVERY:
        return found.get(("delivery", subject_id), (None, None, None))
    return found.get((subject_type, subject_id), (None, None, None))


_ALERT_INSERT = (
    "INSERT INTO {table} (timer_id, rule, subject_type, subject_id, region_id, case_id,"
    " department_id, staff_id, facts, level, raised_at, sweep_id, state, explanation,"
    " handling_reason, version)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '', '', 1)"
    " ON CONFLICT DO NOTHING"
)


def _alerts_insert(
    rows: list[tuple[Any, ...]], *, level: str, raised_at: dt.datetime, run: SweepRun
) -> None:
    """Insert one page of timer alerts (``rows``: timer, rule, subject type and id, region,
    case, department, staff, facts as JSON) — skipping any a concurrent sweep inserted.

    Hand-written (one ``executemany``, both SQLite and PostgreSQL accept ``ON CONFLICT DO
    NOTHING``) rather than ``bulk_create``: building and adapting 10,000 model instances
    of 22 fields took 3 of the 4 seconds of a 1 % sweep over 1 M timers (cProfile,
    bench/supervision.py). The columns without a value here are nullable.
    """
    at = connection.ops.adapt_datetimefield_value(raised_at)
    tail = (level, at, run.pk, AlertState.OPEN)
    with connection.cursor() as cursor:
        cursor.executemany(
            _ALERT_INSERT.format(table=connection.ops.quote_name(Alert._meta.db_table)),
            [row + tail for row in rows],
        )


def _insert(
    timers: QuerySet[Timer],
    *,
    level: str,
    order_by: str,
    now: dt.datetime,
    run: SweepRun,
    batch_size: int,
) -> int:
    """Insert the missing ``level`` alerts of ``timers`` in batches; how many are ours.

    The timers are read in pages along the index (keyset: after the last ``(order_by,
    pk)``), and each page's existing alerts are looked up by ``timer_id IN (…)`` on the
    unique index. Not an anti-join: right after a burst of alerts the planner's statistics
    of the alert table are stale and it chose a nested loop over all of them (1.7 s for
    5,000 timers at 10,000 alerts, bench/supervision.py); these two queries have one plan.
    """
    qs = timers.order_by(order_by, "pk").values_list(
        "pk", order_by, "kind", "subject_type", "subject_id", "region_id"
    )
    page = qs
    while True:
        batch = list(page[:batch_size])
        if not batch:
            break
        have = set(
            Alert.objects.filter(timer_id__in=[r[0] for r in batch], level=level).values_list(
                "timer_id", flat=True
            )
        )
        rows: list[_Row] = [
            (pk, kind, subject_type, subject_id, region_id)
            for pk, _at, kind, subject_type, subject_id, region_id in batch
            if pk not in have
        ]
        if rows:
            found = _responsible(rows)
            _alerts_insert(
                [
                    (
                        pk,
                        timer_rule(kind, level),
                        subject_type,
                        subject_id,
                        region_id,
                        *_who(found, kind, subject_type, subject_id),
                        json.dumps({"kind": kind}),
                    )
                    for pk, kind, subject_type, subject_id, region_id in rows
                ],
                level=level,
                raised_at=now,
                run=run,
            )
        if len(batch) < batch_size:
            break
        last_pk, last_at = batch[-1][0], batch[-1][1]
        page = qs.filter(**{f"{order_by}__gte": last_at}).exclude(
            **{order_by: last_at, "pk__lte": last_pk}
        )
    # Rows a concurrent sweep inserted first were skipped (ON CONFLICT): count ours.
    return Alert.objects.filter(sweep=run, level=level).count()


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
    return _insert(timers, level=level, order_by=field, now=now, run=run, batch_size=batch_size)


def _raise_reminders(*, now: dt.datetime, run: SweepRun, batch_size: int) -> int:
    """Reminders (§5.1 提示): running promised timers due by the close of the next working
    day — a range on the indexed ``due_at`` (``now`` < due ≤ cutoff), whose length is a day
    or two of deadlines however many cases are open. The cutoff uses the national calendar
    (a region's own closure days shift it by at most a day); without a loaded calendar for
    the next working day it falls back to 24 hours."""
    try:
        cutoff = reminder_cutoff(now, calendar_for_region(None))
    except ClockError:
        cutoff = now + dt.timedelta(days=1)
    timers = Timer.objects.filter(
        status=TimerStatus.RUNNING,
        due_at__gt=now,
        due_at__lte=cutoff,
        kind__in=REMINDER_KINDS,
    )
    return _insert(
        timers,
        level=AlertLevel.REMINDER,
        order_by="due_at",
        now=now,
        run=run,
        batch_size=batch_size,
    )


def supervision_sweep(*, now: dt.datetime | None = None, batch_size: int = 5000) -> int:
    """Raise each yellow (``warn_at`` passed), red (``due_at`` passed) and reminder (a
    promised deadline by the close of the next working day) alert once.

    Per level, one range query over the partial index of running timers (``due_at`` /
    ``warn_at`` where ``status='running'``), read in keyset pages, each page's existing alerts
    looked up on the unique index, the missing ones inserted with
    ``bulk_create(ignore_conflicts=True)``: a rerun or a second worker adds nothing, and the
    unique constraint ``(timer, level)`` settles the race between two workers.

    Cost: the range starts at the previous sweep's watermark (its ``now``) minus
    :data:`SAFETY_MARGIN`, so each minute only the timers that crossed a threshold since
    (plus two days of already alerted ones, skipped by the look-up on the unique index)
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
        reminders = _raise_reminders(now=now, run=run, batch_size=batch_size)
        run.save(update_fields=["red", "yellow"])
        audit_record(
            actor=None,
            action="supervision.sweep",
            object_type="supervision.sweeprun",
            object_id=run.pk,
            payload={
                "yellow": run.yellow,
                "red": run.red,
                "reminder": reminders,
                "swept_until": now.isoformat(),
                "since": since.isoformat() if since else None,
                "full": full,
            },
        )
    return run.yellow + run.red + reminders
