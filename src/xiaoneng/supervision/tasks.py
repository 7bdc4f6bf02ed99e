"""Periodic task of the supervision app: a thin wrapper over the sweep (idempotent)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="xiaoneng.supervision.tasks.supervision_sweep", soft_time_limit=50, time_limit=60)
def supervision_sweep() -> int:
    """Raise the yellow and red alerts of the timers that crossed a threshold."""
    return services.supervision_sweep()


@shared_task(name="xiaoneng.supervision.tasks.alerts_notify", soft_time_limit=50, time_limit=60)
def alerts_notify() -> int:
    """Tell the responsible person and department head of each new alert, once."""
    return services.alerts_notify_pending()


@shared_task(
    name="xiaoneng.supervision.tasks.integrity_verify", soft_time_limit=1800, time_limit=1900
)
def integrity_verify(check_id: int) -> bool | None:
    """Verify the audit chain for a check started from the integrity page."""
    from .services.integrity import integrity_check_run

    return integrity_check_run(check_id=check_id).ok


@shared_task(
    name="xiaoneng.supervision.tasks.supervision_anomalies_sweep",
    soft_time_limit=3000,
    time_limit=3300,
)
def supervision_anomalies_sweep() -> int:
    """Nightly: run the anomaly rules on the cases changed since the last run."""
    return services.anomalies_sweep()


@shared_task(
    name="xiaoneng.supervision.tasks.orders_escalate_overdue", soft_time_limit=50, time_limit=60
)
def orders_escalate_overdue() -> int:
    """Escalate each overdue supervision order one level up, once."""
    return services.orders_escalate_overdue()


@shared_task(
    name="xiaoneng.supervision.tasks.accountability_bulletins_draft",
    soft_time_limit=50,
    time_limit=60,
)
def accountability_bulletins_draft() -> int:
    """Draft last month's accountability bulletin of each region, once (idempotent)."""
    return services.bulletins_draft_monthly()
