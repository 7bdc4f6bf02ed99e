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
from collections.abc import Iterable, Iterator
from itertools import islice
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
    RECTIFICATION_SUBJECT,
    REMINDER_KINDS,
    SPECIAL_SUBJECT,
    TASK_SUBJECT,
    reminder_cutoff,
    timer_rule,
)

__all__ = ["FULL_SWEEP_EVERY", "SAFETY_MARGIN", "supervision_sweep", "timer_alerts_raise"]

#: How far before the last sweep's watermark a sweep still looks (see the sweep).
SAFETY_MARGIN = dt.timedelta(days=2)
#: How often a sweep ignores the watermark and looks at every crossed running timer.
FULL_SWEEP_EVERY = dt.timedelta(hours=1)


#: (case, department, staff) answering for an alert on a timer's subject.
Responsible = tuple[int | None, int | None, int | None]
_Row = tuple[int, str, str, str, int]  # timer pk, kind, subject type, subject id, region


def _ids(values: Iterable[str]) -> set[int]:
    # a set, not a list: Django walks a list value element by element looking for
    # expressions (30,000 calls for a 1 % sweep); ``__any`` takes the set as one array
    return {int(v) for v in values if v.isdigit()}


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
    case_kinds: set[str] = set()
    for _pk, kind, subject_type, subject_id, _region in rows:
        wanted[subject_type].add(subject_id)
        if subject_type == CASE_SUBJECT:
            case_kinds.add(kind)
    out: dict[tuple[str, str], Responsible] = {}
    case_ids = _ids(wanted.get(CASE_SUBJECT, ()))
    if case_ids:
        # only what the page's kinds need: the lead assignee for the promised and
        # statutory limits, the decider for the licence delivery
        leads: dict[int, int] = {}
        if case_kinds - {case_rules.TIMER_INTAKE, case_rules.TIMER_DELIVERY}:
            leads = dict(
                CaseTask.objects.filter(
                    case_id__any=case_ids,
                    is_lead=True,
                    state__in=case_rules.OPEN_TASK_STATES,
                    assignee__isnull=False,
                ).values_list("case_id", "assignee_id")
            )
        columns = ["pk", "department_id", "agent_id"]
        if case_rules.TIMER_DELIVERY in case_kinds:
            columns.append("decision_record__decided_by")
        for pk, department_id, agent_id, *decided_by in Case.objects.filter(
            pk__any=case_ids
        ).values_list(*columns):
            out[(CASE_SUBJECT, str(pk))] = (pk, department_id, leads.get(pk))
            out[("intake", str(pk))] = (pk, department_id, agent_id)
            out[("delivery", str(pk))] = (pk, department_id, decided_by[0] if decided_by else None)
    task_ids = _ids(wanted.get(TASK_SUBJECT, ()))
    for pk, case_id, department_id, assignee_id in CaseTask.objects.filter(
        pk__any=task_ids
    ).values_list("pk", "case_id", "department_id", "assignee_id"):
        out[(TASK_SUBJECT, str(pk))] = (case_id, department_id, assignee_id)
    special_ids = _ids(wanted.get(SPECIAL_SUBJECT, ()))
    for pk, case_id, department_id, started_by in SpecialProcedureRecord.objects.filter(
        pk__any=special_ids
    ).values_list("pk", "case_id", "case__department_id", "started_by_id"):
        out[(SPECIAL_SUBJECT, str(pk))] = (case_id, department_id, started_by)
    order_ids = _ids(wanted.get(ORDER_SUBJECT, ()))
    for pk, case_id, department_id in SupervisionOrder.objects.filter(
        pk__any=order_ids
    ).values_list("pk", "case_id", "department_id"):
        out[(ORDER_SUBJECT, str(pk))] = (case_id, department_id, None)
    rectification_ids = _ids(wanted.get(RECTIFICATION_SUBJECT, ()))
    for pk, department_id, staff_id in AccountabilityAction.objects.filter(
        pk__any=rectification_ids
    ).values_list("pk", "department_id", "staff_id"):
        out[(RECTIFICATION_SUBJECT, str(pk))] = (None, department_id, staff_id)
    return out


def _pages(rows: Iterable[_Row], size: int) -> Iterator[list[_Row]]:
    it = iter(rows)
    while page := list(islice(it, size)):
        yield page


def _who(
    found: dict[tuple[str, str], Responsible], kind: str, subject_type: str, subject_id: str
) -> Responsible:
    if subject_type == CASE_SUBJECT and kind == case_rules.TIMER_INTAKE:
        return found.get(("intake", subject_id), (None, None, None))
    if subject_type == CASE_SUBJECT and kind == case_rules.TIMER_DELIVERY:
        return found.get(("delivery", subject_id), (None, None, None))
    return found.get((subject_type, subject_id), (None, None, None))


#: One page of alerts in one statement: the rows travel as one JSON array parameter of
#: arrays (timer, rule, subject type, subject id, region, case, department, staff, facts).
_ALERT_INSERT = {
    "postgresql": (
        "INSERT INTO {table} ({columns}) SELECT (e->>0)::bigint, e->>1, e->>2, e->>3,"
        " (e->>4)::bigint, (e->>5)::bigint, (e->>6)::bigint, (e->>7)::bigint, e->8,"
        " %s, %s, %s, %s, '', '', 1 FROM jsonb_array_elements(%s::jsonb) AS e"
        " ON CONFLICT DO NOTHING"
    ),
    "sqlite": (
        "INSERT INTO {table} ({columns}) SELECT json_extract(value, '$[0]'),"
        " json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'),"
        " json_extract(value, '$[4]'), json_extract(value, '$[5]'), json_extract(value, '$[6]'),"
        " json_extract(value, '$[7]'), json_extract(value, '$[8]'), %s, %s, %s, %s, '', '', 1"
        " FROM json_each(%s) WHERE true ON CONFLICT DO NOTHING"
    ),
}
_ALERT_COLUMNS = (
    "timer_id, rule, subject_type, subject_id, region_id, case_id, department_id, staff_id,"
    " facts, level, raised_at, sweep_id, state, explanation, handling_reason, version"
)


def _alerts_insert(
    rows: list[list[Any]], *, level: str, raised_at: dt.datetime, run: SweepRun
) -> int:
    """Insert one page of timer alerts (``rows``: timer, rule, subject type and id, region,
    case, department, staff, facts) — skipping any a concurrent sweep inserted — and return
    how many this call inserted (the statement's row count).

    One hand-written ``INSERT … SELECT`` from a JSON array parameter per page (``ON CONFLICT
    DO NOTHING``: both databases), not ``bulk_create`` or an ``executemany``: over 1 M
    timers with 1 % crossing, building and adapting 10,000 model instances of 22 fields
    took 3 of a sweep's 4 seconds, and an ``executemany`` of 5,000 rows ≈ 0.45 s in the
    server (a statement per row) plus 0.15 s here quoting 65,000 parameters; one JSON
    string is encoded and quoted in C (cProfile, bench/supervision.py). The columns
    without a value here are nullable.
    """
    sql = _ALERT_INSERT[connection.vendor].format(
        table=connection.ops.quote_name(Alert._meta.db_table), columns=_ALERT_COLUMNS
    )
    at = connection.ops.adapt_datetimefield_value(raised_at)
    with connection.cursor() as cursor:
        cursor.execute(sql, [level, at, run.pk, AlertState.OPEN, json.dumps(rows)])
        return max(cursor.rowcount, 0)


def timer_alerts_raise(rows: list[_Row], *, level: str, now: dt.datetime, run: SweepRun) -> int:
    """Raise the missing ``level`` alerts of one page of timers (``rows``: pk, kind,
    subject type, subject id, region) and return how many this call inserted.

    The page's existing alerts are looked up by ``timer_id = ANY(…)`` on the unique index
    (not an anti-join: right after a burst of alerts the planner's statistics of the alert
    table are stale and it chose a nested loop over all of them — 1.7 s for 5,000 timers
    at 10,000 alerts, bench/supervision.py); who answers for the rest is resolved for the
    whole page, and they are inserted in one statement. Rows a concurrent sweep inserted
    first are skipped (``ON CONFLICT``) and not counted. (bench/supervision.py's naive
    version writes what it finds with this too: the two differ only in how they find it.)
    """
    have = set(
        Alert.objects.filter(timer_id__any={r[0] for r in rows}, level=level).values_list(
            "timer_id", flat=True
        )
    )
    todo = [r for r in rows if r[0] not in have]
    if not todo:
        return 0
    found = _responsible(todo)
    return _alerts_insert(
        [
            [
                pk,
                timer_rule(kind, level),
                subject_type,
                subject_id,
                region_id,
                *_who(found, kind, subject_type, subject_id),
                {"kind": kind},
            ]
            for pk, kind, subject_type, subject_id, region_id in todo
        ],
        level=level,
        raised_at=now,
        run=run,
    )


def _insert(
    timers: QuerySet[Timer], *, level: str, now: dt.datetime, run: SweepRun, batch_size: int
) -> int:
    """Raise the missing ``level`` alerts of ``timers`` page by page; how many are ours.

    The crossed timers stream from one query over the partial index (a server-side cursor
    on PostgreSQL: no page query of its own, no ordering, no timestamps to convert)."""
    rows = timers.values_list("pk", "kind", "subject_type", "subject_id", "region_id")
    return sum(
        timer_alerts_raise(page, level=level, now=now, run=run)
        for page in _pages(rows.iterator(chunk_size=batch_size), batch_size)
    )


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
    return _insert(timers, level=level, now=now, run=run, batch_size=batch_size)


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
        now=now,
        run=run,
        batch_size=batch_size,
    )


def supervision_sweep(*, now: dt.datetime | None = None, batch_size: int = 5000) -> int:
    """Raise each yellow (``warn_at`` passed), red (``due_at`` passed) and reminder (a
    promised deadline by the close of the next working day) alert once.

    Per level, one range query over the partial index of running timers (``due_at`` /
    ``warn_at`` where ``status='running'``), streamed in pages; each page's existing alerts
    are looked up on the unique index and the missing ones inserted in one statement with
    ``ON CONFLICT DO NOTHING``: a rerun or a second worker adds nothing, and the unique
    constraint ``(timer, level)`` settles the race between two workers.

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
        if connection.vendor == "postgresql":
            # The timers stream through a server-side cursor, which PostgreSQL plans for
            # the first 10 % of rows by default: with the estimate of "due before now"
            # high it chose a sequential scan of every timer (≈ 300 ms at 1 M) over the
            # partial index. The sweep reads each cursor to its end: plan for all of it.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
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
