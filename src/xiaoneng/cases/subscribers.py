"""Subscriptions of the cases app to its own audit events (run after the commit).

:func:`register` is called from ``CasesConfig.ready``: the written notices of a case are
issued when the event that calls for them has committed (``documents``). Rendering a PDF
costs some 10–40 ms of CPU in the after-commit step of the request; with the setting
``XN_CASE_DOCUMENTS_AFTER_COMMIT = False`` the subscriber is not registered and
:func:`~xiaoneng.cases.documents.documents_issue_pending` (a periodic job) issues them.
"""

from __future__ import annotations

from django.conf import settings

from xiaoneng.audit.registry import audit_registry

from .documents import EVENT_KINDS, document_issue_for_event

DOCUMENTS_SUBSCRIBER = "cases.documents"


def register() -> None:
    """Subscribe the document issuer to every case event that issues a notice (once)."""
    if not getattr(settings, "XN_CASE_DOCUMENTS_AFTER_COMMIT", True):
        return
    if DOCUMENTS_SUBSCRIBER in {
        s.name for action in EVENT_KINDS for s in audit_registry.subscriptions_for(action)
    }:
        return
    # Rendering a PDF is slow: with a Celery broker it runs on a worker, not in the request.
    audit_registry.subscribe(*EVENT_KINDS, name=DOCUMENTS_SUBSCRIBER, background=True)(
        document_issue_for_event
    )
