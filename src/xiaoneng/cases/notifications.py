"""The one place the cases app sends notices to applicants (SMS / in-site message).

``xiaoneng.notify.services.notify_send`` is called after the writing transaction commits.
If the notify app has no such function (an older tree), notices are skipped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import transaction

if TYPE_CHECKING:
    from .models import Case

_notify_send: Callable[..., None] | None
try:
    from xiaoneng.notify.services import notify_send as _notify_send
except ImportError:  # pragma: no cover - the notify app predates notify_send
    _notify_send = None


def progress_link(case: Case) -> str:
    return f"/progress/?number={case.number}"


def notify_applicant(*, case: Case, kind: str, subject: Any, body: Any) -> None:
    """Queue a notice to the case's applicant (account and mobile) after commit."""
    send = _notify_send
    if send is None:
        return
    kwargs = {
        "user_id": case.applicant_user_id,
        "mobile": case.mobile or None,
        "kind": f"cases.{kind}",
        "subject": str(subject),
        "body": str(body),
        "link": progress_link(case),
    }
    transaction.on_commit(lambda: send(**kwargs), robust=True)
