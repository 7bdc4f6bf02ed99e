"""Writes of the audit app: recording events, sealing the chain, delivering to subscribers."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from .chain import CHAIN_FIELDS, GENESIS_HASH, ChainRow, link_hash
from .models import AuditCheckpoint, AuditDelivery, AuditEvent
from .registry import audit_registry
from .verify import VerifyReport, audit_verify

__all__ = [
    "VerifyReport",
    "audit_batch",
    "audit_dispatch",
    "audit_record",
    "audit_record_many",
    "audit_redeliver",
    "audit_seal",
    "audit_verify",
]

logger = logging.getLogger(__name__)

SEAL_BATCH_SIZE = 5000
# One sealer at a time on PostgreSQL: a transaction-scoped advisory lock ("XNAUDIT").
_SEAL_LOCK_KEY = 0x584E_4155_4449_54
_SEAL_UPDATE = (
    "UPDATE audit_auditevent SET seq = %s, prev_hash = %s, hash = %s, sealed_at = %s"
    " WHERE id = %s AND seq IS NULL"
)
REDELIVER_AFTER = dt.timedelta(minutes=1)
REDELIVER_LOOKBACK = dt.timedelta(days=7)


class _Actor(Protocol):
    pk: Any

    def get_username(self) -> str: ...


def _object_ref(obj: Any) -> tuple[str, str]:
    if obj is None:
        return "", ""
    meta = getattr(obj, "_meta", None)
    object_type = meta.label_lower if meta is not None else type(obj).__name__.lower()
    return object_type, str(obj.pk)


# Events queued by an open ``audit_batch`` block (None: write at once).
_pending: ContextVar[list[AuditEvent] | None] = ContextVar("xn_audit_pending", default=None)


def _event(
    *,
    actor: _Actor | None,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    payload: dict[str, Any] | None = None,
    region_code: str = "",
    department_id: int | None = None,
) -> AuditEvent:
    if obj is not None:
        object_type, object_id = _object_ref(obj)
    actor_id = actor.pk if actor is not None and getattr(actor, "pk", None) else None
    return AuditEvent(
        actor_id=actor_id,
        actor_label=actor.get_username() if actor_id is not None and actor is not None else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        region_code=region_code,
        department_id=department_id,
        payload=payload or {},
    )


def _write(events: list[AuditEvent]) -> None:
    """Insert ``events`` (one statement) and queue their subscribers after commit."""
    if not events:
        return
    if len(events) == 1:
        events[0].save(force_insert=True)
    else:
        AuditEvent.objects.bulk_create(events)
    for event in events:
        if audit_registry.subscriptions_for(event.action):
            # What a subscriber would read back from the database (tuples become lists…).
            event.payload = json.loads(json.dumps(event.payload))
            transaction.on_commit(functools.partial(_dispatch_committed, event), robust=True)


def audit_record(
    *,
    actor: _Actor | None,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    payload: dict[str, Any] | None = None,
    region_code: str = "",
    department_id: int | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction; subscribers run after it commits.

    ``payload`` holds ids and old/new values, never copies of personal data. Inside an
    :func:`audit_batch` block the event is queued (no ``pk`` yet) and inserted, with the
    block's other events, when the block ends.
    """
    event = _event(
        actor=actor,
        action=action,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        payload=payload,
        region_code=region_code,
        department_id=department_id,
    )
    pending = _pending.get()
    if pending is not None:
        pending.append(event)
    else:
        _write([event])
    return event


def audit_record_many(*, records: Iterable[Mapping[str, Any]]) -> list[AuditEvent]:
    """Append several events (each a mapping of :func:`audit_record`'s arguments) with
    one INSERT, in order; queued instead inside an :func:`audit_batch` block."""
    events = [_event(**record) for record in records]
    pending = _pending.get()
    if pending is not None:
        pending.extend(events)
    else:
        _write(events)
    return events


@contextmanager
def audit_batch() -> Iterator[None]:
    """Collect the events recorded in the block and insert them with one statement when
    it ends without an error (use it inside the writing transaction: the events still
    commit or roll back with it). Nested blocks join the outermost one. Events recorded
    in the block have no ``pk`` until it ends; nothing in the block may read them back.
    """
    if _pending.get() is not None:
        yield
        return
    events: list[AuditEvent] = []
    token = _pending.set(events)
    try:
        yield
    finally:
        _pending.reset(token)
    _write(events)


def audit_dispatch(*, event_id: int) -> int:
    """Run every subscriber of the event that has not handled it yet; return how many ran."""
    event = AuditEvent.objects.get(pk=event_id)
    delivered = set(
        AuditDelivery.objects.filter(event_id=event_id).values_list("subscriber", flat=True)
    )
    return _run_subscribers(event, delivered)


def _dispatch_committed(event: AuditEvent) -> int:
    """After-commit delivery of an event this process has just written: no subscriber can
    have handled it yet (the redelivery sweep leaves events alone for a minute), so neither
    the event nor its deliveries are read back; the delivery row's unique constraint still
    stops a second delivery (the handler's work is then rolled back).

    Background subscribers go to a Celery worker when a broker is configured."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        queued = _enqueue_background(event)
        return _run_subscribers(event, queued)
    return _run_subscribers(event, set())


def _enqueue_background(event: AuditEvent) -> set[str]:
    """Send each background subscriber of ``event`` to the workers; the names sent."""
    from celery import current_app

    sent: set[str] = set()
    for sub in audit_registry.subscriptions_for(event.action):
        if not sub.background:
            continue
        try:
            current_app.send_task(
                "xiaoneng.audit.tasks.audit_deliver",
                kwargs={"event_id": event.pk, "name": sub.name},
            )
        except Exception:
            # The broker is down: run it here rather than lose it (the sweep is the backstop).
            logger.exception("could not queue subscriber %s for event %s", sub.name, event.pk)
            continue
        sent.add(sub.name)
    return sent


def audit_deliver(*, event_id: int, name: str) -> bool:
    """Run one subscriber on one event unless it has already handled it (the worker side
    of a background subscription); whether it ran."""
    event = AuditEvent.objects.filter(pk=event_id).first()
    if event is None:
        logger.warning("event %s to deliver to %s does not exist", event_id, name)
        return False
    if audit_registry.subscription(event.action, name) is None:
        logger.warning("no subscriber %s for %s", name, event.action)
        return False
    if AuditDelivery.objects.filter(event_id=event_id, subscriber=name).exists():
        return False
    others = {s.name for s in audit_registry.subscriptions_for(event.action)} - {name}
    return _run_subscribers(event, others) == 1


def _run_subscribers(event: AuditEvent, delivered: set[str]) -> int:
    ran = 0
    for sub in audit_registry.subscriptions_for(event.action):
        if sub.name in delivered:
            continue
        try:
            with transaction.atomic():
                sub.handler(event)
                AuditDelivery.objects.create(event_id=event.pk, subscriber=sub.name)
        except IntegrityError:
            # Another worker delivered it concurrently: its handler's work stands.
            logger.info("event %s already delivered to %s", event.pk, sub.name)
            continue
        except Exception:
            # One failing subscriber must not stop the others; its work was rolled back and
            # the redelivery sweep calls it again (no delivery row was written).
            logger.exception("subscriber %s failed on event %s", sub.name, event.pk)
            continue
        ran += 1
    return ran


def _lock_chain_head() -> None:
    """Serialise sealers (never writers). SQLite's IMMEDIATE transactions already do."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SEAL_LOCK_KEY])


def _seal_batch(limit: int) -> int:
    with transaction.atomic():
        _lock_chain_head()
        head = (
            AuditCheckpoint.objects.order_by("-last_seq")
            .values_list("last_seq", "head_hash")
            .first()
        )
        seq, prev = head if head is not None else (0, GENESIS_HASH)
        rows = [
            ChainRow._make(values)
            for values in AuditEvent.objects.filter(seq__isnull=True)
            .order_by("id")
            .values_list(*CHAIN_FIELDS)[:limit]
        ]
        if not rows:
            return 0
        now = timezone.now()
        sealed_at = connection.ops.adapt_datetimefield_value(now)
        first_seq = seq + 1
        updates: list[tuple[Any, ...]] = []
        for row in rows:
            seq += 1
            digest = link_hash(prev, row, seq)
            updates.append((seq, prev, digest, sealed_at, row.id))
            prev = digest
        with connection.cursor() as cursor:
            cursor.executemany(_SEAL_UPDATE, updates)
        AuditCheckpoint.objects.create(
            first_seq=first_seq,
            last_seq=seq,
            event_count=len(rows),
            head_hash=prev,
            created_at=now,
        )
        return len(rows)


def audit_seal(*, batch_size: int = SEAL_BATCH_SIZE, max_batches: int = 200) -> int:
    """Chain the committed, unsealed events in id order; return how many were sealed.

    Each batch is one short transaction holding the chain-head lock: it gives the events
    the next ``seq`` numbers and their hashes and records one checkpoint. Writers insert
    unsealed rows and never take that lock. Safe to run concurrently and repeatedly.
    """
    total = 0
    for _ in range(max_batches):
        sealed = _seal_batch(batch_size)
        total += sealed
        if sealed < batch_size:
            break
    return total


def audit_redeliver(
    *,
    older_than: dt.timedelta = REDELIVER_AFTER,
    lookback: dt.timedelta = REDELIVER_LOOKBACK,
    limit: int = 1000,
) -> int:
    """Run subscribers on recent events they have no delivery row for; return how many ran.

    Catches what a crash between commit and dispatch missed (events older than
    ``older_than``, so the normal after-commit dispatch is not raced), and retries handlers
    that failed. Events older than ``lookback`` are left alone, so a newly registered
    subscriber is not fed the whole history.
    """
    now = timezone.now()
    pending: set[int] = set()
    for action in sorted(audit_registry.actions()):
        for sub in audit_registry.subscriptions_for(action):
            delivered = AuditDelivery.objects.filter(event_id=OuterRef("pk"), subscriber=sub.name)
            pending.update(
                AuditEvent.objects.filter(
                    action=action,
                    occurred_at__lt=now - older_than,
                    occurred_at__gte=now - lookback,
                )
                .exclude(Exists(delivered))
                .order_by("id")
                .values_list("id", flat=True)[:limit]
            )
    ran = 0
    for event_id in sorted(pending):
        ran += audit_dispatch(event_id=event_id)
    return ran
