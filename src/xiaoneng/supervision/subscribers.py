"""Subscriptions of the supervision app to the case events (run after the commit).

:func:`register` is called from ``SupervisionConfig.ready``: after every case event that
can break an anomaly rule (:data:`~xiaoneng.supervision.services.anomalies.ANOMALY_EVENTS`)
the case is checked again (:func:`~xiaoneng.supervision.services.anomalies_check_case`).
The check is idempotent (each rule alert exists once), so the audit app's redelivery sweep
may call it again; the nightly ``anomalies_sweep`` catches anything both missed. It runs as
a background subscriber: with a Celery broker it leaves the request for a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xiaoneng.audit.registry import audit_registry

if TYPE_CHECKING:
    from xiaoneng.audit.models import AuditEvent

ANOMALIES_SUBSCRIBER = "supervision.anomalies"


def anomalies_on_case_event(event: AuditEvent) -> None:
    """Check the event's case against every anomaly rule."""
    from .services.anomalies import anomalies_check_case

    if str(event.object_id).isdigit():
        anomalies_check_case(case=int(event.object_id))


def register() -> None:
    """Subscribe the anomaly check to the case events (once)."""
    from .services.anomalies import ANOMALY_EVENTS

    if any(
        s.name == ANOMALIES_SUBSCRIBER
        for action in ANOMALY_EVENTS
        for s in audit_registry.subscriptions_for(action)
    ):
        return
    audit_registry.subscribe(*ANOMALY_EVENTS, name=ANOMALIES_SUBSCRIBER, background=True)(
        anomalies_on_case_event
    )
