"""Background jobs of notify: thin wrappers over the services.

``notify_deliver`` lets a writing service hand a notice to a worker after its commit
(``transaction.on_commit(lambda: notify_deliver.delay(...))``) so an SMS gateway's latency
stays out of the request; in the embedded default Celery runs it eagerly, in-process.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from . import services


@shared_task(name="xiaoneng.notify.tasks.notify_deliver", ignore_result=True)
def notify_deliver(
    *,
    user_id: int | None = None,
    mobile: str | None = None,
    kind: str,
    subject: str,
    body: str,
    link: str = "",
    email: str | None = None,
) -> None:
    services.notify_send(
        user_id=user_id,
        mobile=mobile,
        kind=kind,
        subject=subject,
        body=body,
        link=link,
        email=email,
    )


@shared_task(name="xiaoneng.notify.tasks.notify_deliver_many", ignore_result=True)
def notify_deliver_many(*, notices: list[dict[str, Any]]) -> None:
    """Several notices in one task (a writer with many after one commit): each notice a
    dict of :func:`notify_deliver`'s arguments."""
    services.notify_send_many(notices=notices)


@shared_task(name="xiaoneng.notify.tasks.verification_code_purge", soft_time_limit=240)
def verification_code_purge() -> int:
    return services.verification_code_purge()
