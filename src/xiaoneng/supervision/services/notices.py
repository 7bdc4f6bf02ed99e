"""The one way the supervision services send a notice: queued after the commit.

Each notice goes to :func:`xiaoneng.notify.tasks.notify_deliver` once the writing
transaction commits (never from inside it, and never for a rolled-back change), one
callback per notice registered ``robust``: a broker that refuses one notice neither
undoes the committed change nor loses the others. In the embedded default Celery runs the
task eagerly, in-process.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import transaction

from xiaoneng.notify.tasks import notify_deliver

__all__ = ["notify_after_commit"]


def notify_after_commit(
    *,
    user_id: int | None,
    kind: str,
    subject: Any,
    body: Any,
    link: str = "",
    mobile: str | None = None,
) -> None:
    """Queue one notice (an in-site message to ``user_id``, an SMS to ``mobile``) for
    delivery after the current transaction commits. ``subject`` and ``body`` may be lazy
    translations: they are rendered now, in the writer's language."""
    transaction.on_commit(
        functools.partial(
            notify_deliver.delay,
            user_id=user_id,
            mobile=mobile or None,
            kind=kind,
            subject=str(subject),
            body=str(body),
            link=link,
        ),
        robust=True,
    )
