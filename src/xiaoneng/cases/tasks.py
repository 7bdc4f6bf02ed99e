"""Periodic tasks of the cases app: thin, idempotent wrappers over the services.

Celery tasks (workers and beat in production); the in-process scheduler of
``xiaoneng run`` calls the same objects directly. Each sweep selects a batch of due rows
(indexed timer ``due_at``) and transitions each in its own short transaction, re-checking
the row under its lock, so a rerun or a concurrent worker does nothing twice.
"""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="xiaoneng.cases.tasks.cases_auto_accept", soft_time_limit=240, time_limit=300)
def cases_auto_accept() -> int:
    """Art. 32: no intake decision within 5 working days ⇒ accepted as of receipt."""
    return services.cases_auto_accept()


@shared_task(name="xiaoneng.cases.tasks.cases_deemed_approval", soft_time_limit=240, time_limit=300)
def cases_deemed_approval() -> int:
    """Items with deemed approval: open tasks past their step limit are approved."""
    return services.cases_deemed_approval()


@shared_task(name="xiaoneng.cases.tasks.cases_deemed_renewal", soft_time_limit=240, time_limit=300)
def cases_deemed_renewal() -> int:
    """Art. 50: renewals undecided when the licence expires are deemed granted."""
    return services.cases_deemed_renewal()


@shared_task(name="xiaoneng.cases.tasks.cases_documents_issue", soft_time_limit=240, time_limit=300)
def cases_documents_issue() -> int:
    """Notices of recent case events that have none yet (rendering off the request path,
    or a catch-up after a failed after-commit step)."""
    from . import documents

    return documents.documents_issue_pending()
