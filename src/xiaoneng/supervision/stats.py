"""Upkeep of the dashboard counters (:mod:`xiaoneng.supervision.models.dashboard`).

Two ways, which give the same rows:

* :func:`on_case_event`, an audit subscriber of the case events that change a counted
  figure. The registry runs it in one transaction with the event's delivery row, so an
  event counts exactly once however often it is redelivered; each change is an
  ``UPDATE … SET n = n + 1`` (no read-modify-write).
* :func:`dashboard_stats_rebuild`, which recounts everything from the cases with a few
  ``GROUP BY`` queries: after a bulk load (the benchmark), after restoring a backup, or to
  repair counters by hand. Run it while no case events are being delivered.

Definitions (the drill-down lists of :mod:`xiaoneng.supervision.selectors.dashboard` use
the same ones, so a figure and its list always agree):

* received / accepted: the case's ``received_at`` / ``accepted_at`` local day;
* closed (办结): the case reached an end state (not accepted, refused, completed,
  withdrawn), on the local day of ``completed_at``;
* decided: a decision was made (``decided_at``), on time if at or before the promised due
  time and early (提前办结) if before the promised timer's warning time — i.e. with more
  than 10 % of the promised time left; a decision on the spot (no promised timer) is both.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from xiaoneng.audit.models import AuditEvent
from xiaoneng.audit.registry import audit_registry
from xiaoneng.cases.events import CaseEvent
from xiaoneng.cases.models import Case, CaseState

from .models import CaseDayStat, CaseOpenStat

__all__ = [
    "CLOSED_STATES",
    "DAY_FIELDS",
    "STATS_SUBSCRIBER",
    "dashboard_stats_rebuild",
    "decided_q",
    "early_q",
    "on_case_event",
    "on_time_q",
    "register",
]

logger = logging.getLogger(__name__)

STATS_SUBSCRIBER = "supervision.dashboard_stats"

#: End states of a case: it no longer counts as open.
CLOSED_STATES = frozenset(
    {CaseState.NOT_ACCEPTED, CaseState.REJECTED, CaseState.COMPLETED, CaseState.WITHDRAWN}
)
DAY_FIELDS = ("received", "accepted", "closed", "decided", "on_time", "early")

_RECEIVING = {CaseEvent.SUBMITTED, CaseEvent.RECEIVED}
_ACCEPTING = {CaseEvent.ACCEPTED, CaseEvent.AUTO_ACCEPTED}
_CLOSING = {CaseEvent.NOT_ACCEPTED, CaseEvent.WITHDRAWN, CaseEvent.LICENCE_ISSUED}
_DECIDING = {CaseEvent.DECIDED, CaseEvent.DEEMED_RENEWED}
EVENTS = tuple(sorted(_RECEIVING | _ACCEPTING | _CLOSING | _DECIDING))


def decided_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}decided_at__isnull": False})


def on_time_q(prefix: str = "") -> Q:
    """Among decided cases: decided at or before the promised due time (or on the spot)."""
    return Q(**{f"{prefix}promised_timer__isnull": True}) | Q(
        **{f"{prefix}decided_at__lte": F(f"{prefix}promised_timer__due_at")}
    )


def early_q(prefix: str = "") -> Q:
    """Among decided cases: decided before the promised warning time (or on the spot)."""
    return Q(**{f"{prefix}promised_timer__isnull": True}) | Q(
        **{f"{prefix}decided_at__lt": F(f"{prefix}promised_timer__warn_at")}
    )


def _add(model: type[models.Model], key: dict[str, Any], deltas: dict[str, int]) -> None:
    """Add ``deltas`` to the counters of ``model``'s row ``key``, creating it at the deltas
    if missing: one ``UPDATE`` with ``F()``; an ``INSERT`` when no row matched; a second
    ``UPDATE`` if a concurrent writer inserted it first (the unique key decides)."""
    manager = model._default_manager
    changes = {k: F(k) + v for k, v in deltas.items()}
    if manager.filter(**key).update(**changes):
        return
    try:
        with transaction.atomic():
            manager.create(**key, **deltas)
    except IntegrityError:  # created concurrently: add to it
        manager.filter(**key).update(**changes)


def _bump_day(region_id: int, department_id: int, day: dt.date, **deltas: int) -> None:
    deltas = {k: int(v) for k, v in deltas.items() if v}  # bools counted as 0 / 1
    if deltas:
        key = {"region_id": region_id, "department_id": department_id, "day": day}
        _add(CaseDayStat, key, deltas)


def _bump_open(region_id: int, department_id: int, delta: int) -> None:
    _add(CaseOpenStat, {"region_id": region_id, "department_id": department_id}, {"open": delta})


def _day(at: dt.datetime) -> dt.date:
    return timezone.localdate(at)


def _was_accepted(event: AuditEvent) -> bool:
    """A deemed renewal sets the acceptance date of a case never accepted (Art. 50)."""
    return AuditEvent.objects.filter(
        object_type=event.object_type,
        object_id=event.object_id,
        action__in=sorted(_ACCEPTING),
        id__lt=event.pk,
    ).exists()


def on_case_event(event: AuditEvent) -> None:
    """Count what ``event`` changed (idempotent through the registry's delivery row)."""
    case = (
        Case.objects.select_related("promised_timer")
        .only(
            "region_id",
            "department_id",
            "received_at",
            "accepted_at",
            "decided_at",
            "completed_at",
            "promised_timer__due_at",
            "promised_timer__warn_at",
        )
        .filter(pk=int(event.object_id))
        .first()
    )
    if case is None:
        return
    region, department = case.region_id, case.department_id
    action = event.action
    payload = event.payload or {}
    if action in _RECEIVING:
        _bump_day(region, department, _day(case.received_at), received=1)
        _bump_open(region, department, +1)
    if (
        action in _ACCEPTING
        or payload.get("on_the_spot")
        or (action == CaseEvent.DEEMED_RENEWED and not _was_accepted(event))
    ) and case.accepted_at:
        _bump_day(region, department, _day(case.accepted_at), accepted=1)
    if action in _DECIDING and case.decided_at is not None:
        timer = case.promised_timer
        decided_at = case.decided_at
        on_time = timer is None or (timer.due_at is not None and decided_at <= timer.due_at)
        early = timer is None or (timer.warn_at is not None and decided_at < timer.warn_at)
        _bump_day(region, department, _day(decided_at), decided=1, on_time=on_time, early=early)
    closes = action in _CLOSING or (action in _DECIDING and payload.get("state") in CLOSED_STATES)
    if closes and case.completed_at is not None:
        _bump_day(region, department, _day(case.completed_at), closed=1)
        _bump_open(region, department, -1)


def register() -> None:
    """Subscribe :func:`on_case_event` (called once from the app's ``ready``).

    In the background: with a broker a worker counts the event, so the counters cost the
    applicant's and the clerk's requests nothing (they added 22 statements and 4 commits to
    a case's life in the request, bench/README.md "cases"); eager in the embedded default.
    """
    audit_registry.subscribe(*EVENTS, name=STATS_SUBSCRIBER, background=True)(on_case_event)


def _count_by_day(
    rows: dict[tuple[int, int, dt.date], dict[str, int]],
    qs: Any,
    field: str,
    counts: dict[str, Any],
) -> None:
    tz = timezone.get_current_timezone()
    grouped = (
        qs.annotate(stat_day=TruncDate(field, tzinfo=tz))
        .values("region_id", "department_id", "stat_day")
        .annotate(**counts)
        .order_by()
    )
    for row in grouped:
        key = (row["region_id"], row["department_id"], row["stat_day"])
        for name in counts:
            rows[key][name] += row[name]


def dashboard_stats_rebuild(*, batch_size: int = 5000) -> int:
    """Recount every counter from the cases (set-based; a few seconds per million cases).

    Returns the number of day rows written.
    """
    rows: dict[tuple[int, int, dt.date], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(DAY_FIELDS, 0)
    )
    cases = Case.objects.all()
    _count_by_day(rows, cases, "received_at", {"received": Count("pk")})
    _count_by_day(
        rows, cases.filter(accepted_at__isnull=False), "accepted_at", {"accepted": Count("pk")}
    )
    _count_by_day(
        rows,
        cases.filter(completed_at__isnull=False, state__in=CLOSED_STATES),
        "completed_at",
        {"closed": Count("pk")},
    )
    _count_by_day(
        rows,
        cases.filter(decided_q()),
        "decided_at",
        {
            "decided": Count("pk"),
            "on_time": Count("pk", filter=on_time_q()),
            "early": Count("pk", filter=early_q()),
        },
    )
    open_rows = (
        cases.exclude(state__in=CLOSED_STATES)
        .values("region_id", "department_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    with transaction.atomic():
        CaseDayStat.objects.all().delete()
        CaseOpenStat.objects.all().delete()
        CaseDayStat.objects.bulk_create(
            (
                CaseDayStat(region_id=r, department_id=d, day=day, **counts)
                for (r, d, day), counts in rows.items()
            ),
            batch_size=batch_size,
        )
        CaseOpenStat.objects.bulk_create(
            CaseOpenStat(region_id=o["region_id"], department_id=o["department_id"], open=o["n"])
            for o in open_rows
        )
    return len(rows)
