"""The database refuses every change to the log except the sealer's one-time sealing."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from xiaoneng.audit import dbguard
from xiaoneng.audit.models import AuditCheckpoint, AuditEvent
from xiaoneng.audit.services import audit_seal

from .factories import events

pytestmark = pytest.mark.django_db


def test_triggers_are_installed_by_the_migrations():
    assert dbguard.installed(connection)


def test_orm_update_of_a_sealed_payload_is_refused():
    (event,) = events(1)
    audit_seal()
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(payload={"n": 99})
    event.refresh_from_db()
    assert event.payload == {"n": 1, "note": "审批"}


def test_save_of_a_sealed_event_is_refused():
    (event,) = events(1)
    audit_seal()
    event.refresh_from_db()
    event.action = "test.something_else"
    with pytest.raises(IntegrityError), transaction.atomic():
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.thing_done"


def test_resealing_a_sealed_event_is_refused():
    (event,) = events(1)
    audit_seal()
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(hash="f" * 64, seq=7)
    event.refresh_from_db()
    assert event.seq == 1


def test_editing_an_unsealed_event_is_refused():
    (event,) = events(1)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor_label="someone")
    # Sealing with a changed column at the same time is refused too.
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(
            seq=1, hash="a" * 64, sealed_at=timezone.now(), object_id="other"
        )
    event.refresh_from_db()
    assert (event.actor_label, event.object_id, event.seq) == ("", "1", None)


@pytest.mark.parametrize("sealed", [True, False])
def test_delete_is_refused(sealed):
    created = events(2)
    if sealed:
        audit_seal()
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=created[0].pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 2


def test_inserting_a_sealed_event_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.create(action="forged", seq=1, hash="a" * 64, sealed_at=timezone.now())
    assert AuditEvent.objects.count() == 0


def test_checkpoints_cannot_be_changed_or_deleted():
    events(3)
    audit_seal()
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditCheckpoint.objects.update(event_count=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditCheckpoint.objects.all().delete()
    assert list(AuditCheckpoint.objects.values_list("first_seq", "last_seq", "event_count")) == [
        (1, 3, 3)
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_truncate_is_refused_on_postgresql():
    events(1)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent CASCADE")
    assert AuditEvent.objects.count() == 1


def test_guard_lifted_puts_the_triggers_back(tamper):
    events(1)
    tamper("UPDATE audit_auditevent SET actor_label = %s", ["x"])
    assert AuditEvent.objects.get().actor_label == "x"
    assert dbguard.installed(connection)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.update(actor_label="y")


@pytest.mark.django_db(transaction=True)
def test_flush_still_empties_the_tables():
    """Test teardown (and ``manage flush``) must be able to wipe a database with events."""
    from django.core.management import call_command

    events(2)
    audit_seal()
    call_command("flush", interactive=False, verbosity=0)
    assert (AuditEvent.objects.count(), AuditCheckpoint.objects.count()) == (0, 0)
    assert dbguard.installed(connection)
    events(1)  # and the guard is still there for what comes after
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.all().delete()


def test_migrate_puts_back_triggers_a_table_rebuild_dropped():
    """SQLite rebuilds a table for many schema changes, dropping its triggers."""
    from django.apps import apps
    from django.db.models.signals import post_migrate

    dbguard.uninstall(connection)
    assert not dbguard.installed(connection)
    config = apps.get_app_config("audit")
    post_migrate.send(
        sender=config,
        app_config=config,
        verbosity=0,
        interactive=False,
        using="default",
        apps=apps,
        plan=[],
    )
    assert dbguard.installed(connection)
