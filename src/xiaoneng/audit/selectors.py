"""Reads of the audit app.

Audit sits below org, so it cannot work out an actor's scope itself: the caller (a higher
app) turns the actor's scope into ``region_codes`` / ``department_ids`` (see
``xiaoneng.org.selectors.actor_scope``) and this selector applies them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import AuditCheckpoint, AuditEvent


def audit_event_list(
    *,
    actor: Any,
    region_codes: Sequence[str] | None = None,
    department_ids: Sequence[int] | None = None,
    action: str | Sequence[str] | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    actor_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Events newest first, limited to the caller's scope, then filtered.

    Scope: ``region_codes`` (the actor's region subtree, for platform admins and
    supervisors) and/or ``department_ids`` (their departments, for everyone else). When both
    are given an event in either is visible; ``None`` for both means unrestricted (system
    callers and the platform admin); an empty list means nothing. An anonymous actor sees
    nothing.
    """
    events = AuditEvent.objects.order_by("-occurred_at", "-id")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        return events.none()
    if region_codes is not None or department_ids is not None:
        scope = Q(pk__in=[])
        if region_codes:
            scope |= Q(region_code__in=list(region_codes))
        if department_ids:
            scope |= Q(department_id__in=list(department_ids))
        events = events.filter(scope)
    if isinstance(action, str) and action:
        events = events.filter(action=action)
    elif action:
        events = events.filter(action__in=list(action))
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id not in (None, ""):
        events = events.filter(object_id=str(object_id))
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lt=until)
    return events


def _local_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def audit_daily_checkpoint(day: dt.date) -> AuditCheckpoint | None:
    """The last checkpoint sealed on ``day`` (local time): the head published for that day."""
    start, end = _local_day_bounds(day)
    return (
        AuditCheckpoint.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by("-last_seq")
        .first()
    )


@dataclass(frozen=True)
class DailyCheckpoint:
    day: dt.date
    checkpoint: AuditCheckpoint
    events_sealed: int  # sealed that day
    batches: int  # checkpoints written that day


def audit_checkpoints_by_day(limit: int = 30) -> list[DailyCheckpoint]:
    """Each day's last checkpoint, newest day first, for the days that sealed anything."""
    zone = timezone.get_default_timezone()
    days = list(
        AuditCheckpoint.objects.annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day")
        .annotate(last_seq=Max("last_seq"), events=Sum("event_count"), batches=Count("id"))
        .order_by("-day")[:limit]
    )
    heads = AuditCheckpoint.objects.in_bulk([d["last_seq"] for d in days], field_name="last_seq")
    return [
        DailyCheckpoint(
            day=d["day"],
            checkpoint=heads[d["last_seq"]],
            events_sealed=d["events"],
            batches=d["batches"],
        )
        for d in days
    ]
