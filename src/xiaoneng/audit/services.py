"""Writes of the audit app: recording events, sealing the chain, delivering to subscribers."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from django.db import IntegrityError, transaction

from .models import AuditDelivery, AuditEvent
from .registry import audit_registry

logger = logging.getLogger(__name__)


class _Actor(Protocol):
    pk: Any

    def get_username(self) -> str: ...


def _object_ref(obj: Any) -> tuple[str, str]:
    if obj is None:
        return "", ""
    meta = getattr(obj, "_meta", None)
    object_type = meta.label_lower if meta is not None else type(obj).__name__.lower()
    return object_type, str(obj.pk)


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

    ``payload`` holds ids and old/new values, never copies of personal data.
    """
    if obj is not None:
        object_type, object_id = _object_ref(obj)
    actor_id = actor.pk if actor is not None and getattr(actor, "pk", None) else None
    event = AuditEvent.objects.create(
        actor_id=actor_id,
        actor_label=actor.get_username() if actor_id is not None and actor is not None else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        region_code=region_code,
        department_id=department_id,
        payload=payload or {},
    )
    if audit_registry.subscriptions_for(action):
        transaction.on_commit(lambda: audit_dispatch(event_id=event.pk), robust=True)
    return event


def audit_dispatch(*, event_id: int) -> int:
    """Run every subscriber of the event that has not handled it yet; return how many ran."""
    event = AuditEvent.objects.get(pk=event_id)
    delivered = set(
        AuditDelivery.objects.filter(event_id=event_id).values_list("subscriber", flat=True)
    )
    ran = 0
    for sub in audit_registry.subscriptions_for(event.action):
        if sub.name in delivered:
            continue
        try:
            with transaction.atomic():
                sub.handler(event)
                AuditDelivery.objects.create(event_id=event_id, subscriber=sub.name)
        except IntegrityError:
            # Another worker delivered it concurrently: its handler's work stands.
            logger.info("event %s already delivered to %s", event_id, sub.name)
            continue
        ran += 1
    return ran
