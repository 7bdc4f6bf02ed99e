from __future__ import annotations

import pytest
from django.urls import reverse

from xiaoneng.audit.models import AuditCheckpoint, AuditEvent
from xiaoneng.audit.services import audit_seal

from .factories import events

pytestmark = pytest.mark.django_db


def test_the_admin_shows_events_and_checkpoints_but_changes_nothing(admin_client):
    (event,) = events(1)
    audit_seal()
    checkpoint = AuditCheckpoint.objects.get()

    response = admin_client.get(reverse("admin:audit_auditevent_changelist"))
    assert response.status_code == 200
    assert "delete_selected" not in response.content.decode()
    assert admin_client.get(reverse("admin:audit_auditcheckpoint_changelist")).status_code == 200

    assert admin_client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    change = reverse("admin:audit_auditevent_change", args=[event.pk])
    page = admin_client.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.post(change, {"action": "forged"}).status_code == 403
    assert (
        admin_client.post(
            reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert (
        admin_client.post(
            reverse("admin:audit_auditcheckpoint_delete", args=[checkpoint.pk]), {"post": "yes"}
        ).status_code
        == 403
    )

    event.refresh_from_db()
    assert (event.action, event.seq) == ("test.thing_done", 1)
    assert AuditCheckpoint.objects.count() == 1
    assert AuditEvent.objects.count() == 1
