"""The one place the cases app sends notices to applicants (in-site message / SMS).

The in-site message is written in the action's own transaction
(:func:`~xiaoneng.notify.services.notify_message_add`): it appears exactly when the change
it reports commits, and costs one INSERT instead of a transaction of its own after the
commit. The SMS goes out after the commit (``notify_send``: the send, then one
autocommitted INSERT of its delivery record), so nothing is sent for a change that rolls
back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from xiaoneng.notify.services import notify_message_add, notify_send

if TYPE_CHECKING:
    from .models import Case


def progress_link(case: Case) -> str:
    return f"/progress/?number={case.number}"


def notify_applicant(*, case: Case, kind: str, subject: Any, body: Any) -> None:
    """The applicant's in-site message now (in the caller's transaction); the SMS to the
    case's mobile after commit."""
    subject, body, kind = str(subject), str(body), f"cases.{kind}"
    if case.applicant_user_id is not None:
        notify_message_add(
            user_id=case.applicant_user_id,
            kind=kind,
            subject=subject,
            body=body,
            link=progress_link(case),
        )
    mobile = case.mobile
    if mobile:
        transaction.on_commit(
            lambda: notify_send(mobile=mobile, kind=kind, subject=subject, body=body),
            robust=True,
        )
