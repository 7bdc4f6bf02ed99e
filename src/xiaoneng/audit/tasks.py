"""Periodic tasks of the audit app: thin wrappers over the services.

Celery tasks (workers and beat in production); the in-process scheduler of
``xiaoneng run`` calls the same objects directly, which runs them synchronously.
"""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="xiaoneng.audit.tasks.audit_seal", soft_time_limit=240, time_limit=300)
def audit_seal() -> int:
    return services.audit_seal()


@shared_task(name="xiaoneng.audit.tasks.audit_redeliver", soft_time_limit=540, time_limit=600)
def audit_redeliver() -> int:
    return services.audit_redeliver()


@shared_task(name="xiaoneng.audit.tasks.audit_deliver", soft_time_limit=120, time_limit=180)
def audit_deliver(event_id: int, name: str) -> bool:
    """A background subscriber's work on one event (queued after the event committed)."""
    return services.audit_deliver(event_id=event_id, name=name)
