"""The supervision services' one way to send a notice: queued after the commit."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.utils.translation import gettext_lazy

from xiaoneng.notify.models import Message
from xiaoneng.org.models import Role
from xiaoneng.org.tests import factories as org
from xiaoneng.supervision.services.notices import notify_after_commit

pytestmark = pytest.mark.django_db


def _failing_write(user_id: int) -> None:
    with transaction.atomic():
        notify_after_commit(user_id=user_id, kind="supervision.order", subject="撤回", body="")
        raise RuntimeError("the write failed")


def test_a_notice_arrives_after_the_commit_and_never_for_a_rolled_back_change(
    django_capture_on_commit_callbacks,
):
    region = org.region("990100000000", "示范市")
    head = org.staff([Role.APPROVER], org.department("示范市市场监督管理局", region))
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            _failing_write(head.user_id)
        with transaction.atomic():
            notify_after_commit(
                user_id=head.user_id,
                kind="supervision.order",
                subject=gettext_lazy("督办单"),
                body="请于3日内回复。",
                link="/staff/supervision/orders/DB1/",
            )
            assert not Message.objects.exists()  # nothing inside the transaction
    assert list(Message.objects.values_list("recipient_id", "kind", "subject", "body", "link")) == [
        (
            head.user_id,
            "supervision.order",
            "督办单",
            "请于3日内回复。",
            "/staff/supervision/orders/DB1/",
        )
    ]
