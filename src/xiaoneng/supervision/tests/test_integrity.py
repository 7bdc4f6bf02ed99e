"""Audit integrity: the supervision office verifies the chain from the UI and sees the first
broken link; department staff can neither verify nor edit or delete history by any path."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import DatabaseError, IntegrityError, transaction
from django.urls import reverse

from xiaoneng.audit.chain import CHAIN_FIELDS, ChainRow, link_hash
from xiaoneng.audit.dbguard import guard_lifted
from xiaoneng.audit.models import AuditCheckpoint, AuditEvent
from xiaoneng.audit.services import audit_record, audit_seal
from xiaoneng.core.errors import Conflict, PermissionDenied
from xiaoneng.org.models import Role
from xiaoneng.org.tests import factories as org_factories
from xiaoneng.supervision.models import IntegrityCheck
from xiaoneng.supervision.services.integrity import integrity_check_run, integrity_check_start

pytestmark = pytest.mark.django_db


def _events(first: int, last: int) -> None:
    for i in range(first, last + 1):
        audit_record(
            actor=None,
            action="test.thing_done",
            object_type="test.thing",
            object_id=str(i),
            payload={"n": i},
        )


@pytest.fixture
def chain():
    """Ten sealed events in two checkpoints (1–5, 6–10)."""
    _events(1, 5)
    audit_seal()
    _events(6, 10)
    audit_seal()


@pytest.fixture
def supervisor():
    return org_factories.staff([Role.SUPERVISOR], password=None)


@pytest.fixture
def clerk():
    return org_factories.staff([Role.CLERK, Role.APPROVER], password=None)


def _seal_all() -> None:
    """Seal what the fixtures wrote (staff creation records events too)."""
    audit_seal()


def _verify_from_page(client, user, django_capture_on_commit_callbacks) -> str:
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("supervision:integrity_verify"))
    assert response.status_code == 302
    page = client.get(reverse("supervision:integrity"))
    assert page.status_code == 200
    return page.content.decode()


def test_an_intact_chain_is_reported_intact(
    chain, supervisor, client, django_capture_on_commit_callbacks
):
    _seal_all()
    html = _verify_from_page(client, supervisor.user, django_capture_on_commit_callbacks)
    check = IntegrityCheck.objects.get()
    assert (check.ok, check.problem, check.first_broken_seq) == (True, "", None)
    assert check.events_checked == AuditEvent.objects.filter(seq__isnull=False).count()
    assert check.requested_by == supervisor
    assert "审计链完整" in html
    assert 'id="broken-link"' not in html
    assert 'id="checkpoints"' in html
    head = AuditCheckpoint.objects.order_by("-last_seq").first()
    assert head is not None
    assert head.head_hash in html
    # the request and the finding are audit events themselves
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"supervision.integrity_check_requested", "supervision.integrity_checked"} <= actions


def _seq_of(object_id: str) -> int:
    seq = AuditEvent.objects.get(object_type="test.thing", object_id=object_id).seq
    assert seq is not None
    return seq


def test_an_edited_event_is_shown_as_the_broken_link(
    chain, supervisor, client, django_capture_on_commit_callbacks
):
    _seal_all()
    seq = _seq_of("4")
    with guard_lifted():
        AuditEvent.objects.filter(seq=seq).update(payload={"n": 4, "note": "已批准"})
    html = _verify_from_page(client, supervisor.user, django_capture_on_commit_callbacks)
    check = IntegrityCheck.objects.get()
    assert (check.ok, check.problem, check.first_broken_seq) == (False, "edited", seq)
    assert "审计链已断裂" in html
    assert f"第 {seq} 号事件在封存后被修改：其内容与哈希不符。" in html
    assert 'class="broken"' in html
    assert html.count('class="broken"') == 1
    assert "不一致" in html  # its content no longer gives its hash


def test_a_deleted_event_is_reported(chain, supervisor, client, django_capture_on_commit_callbacks):
    _seal_all()
    seq = _seq_of("7")
    with guard_lifted():
        AuditEvent.objects.filter(seq=seq).delete()
    html = _verify_from_page(client, supervisor.user, django_capture_on_commit_callbacks)
    check = IntegrityCheck.objects.get()
    assert (check.ok, check.problem, check.first_broken_seq) == (False, "deleted", seq)
    assert f"第 {seq} 号事件在封存后被删除。" in html


def test_an_inserted_event_is_reported(
    chain, supervisor, client, django_capture_on_commit_callbacks
):
    _seal_all()
    seq = _seq_of("6")
    with guard_lifted():
        later = AuditEvent.objects.filter(seq__gte=seq).values_list("seq", flat=True)
        for s in sorted((s for s in later if s is not None), reverse=True):
            AuditEvent.objects.filter(seq=s).update(seq=s + 1)
        prev = AuditEvent.objects.get(seq=seq - 1)
        forged = AuditEvent.objects.create(
            action="test.thing_done", object_type="test.thing", object_id="forged"
        )
        row = ChainRow._make(AuditEvent.objects.values_list(*CHAIN_FIELDS).get(pk=forged.pk))
        AuditEvent.objects.filter(pk=forged.pk).update(
            seq=seq,
            prev_hash=prev.hash,
            hash=link_hash(prev.hash, row, seq),
            sealed_at=prev.sealed_at,
        )
    html = _verify_from_page(client, supervisor.user, django_capture_on_commit_callbacks)
    check = IntegrityCheck.objects.get()
    assert (check.ok, check.problem, check.first_broken_seq) == (False, "inserted", seq)
    assert f"第 {seq} 号位置插入了不属于原链的事件。" in html
    assert "test.thing#forged" in html


def test_one_verification_at_a_time_and_a_finished_run_is_kept(chain, supervisor):
    check = integrity_check_start(actor=supervisor.user)  # on_commit not run: still pending
    with pytest.raises(Conflict):
        integrity_check_start(actor=supervisor.user)
    done = integrity_check_run(check_id=check.pk)
    assert done.ok is True
    assert integrity_check_run(check_id=check.pk).finished_at == done.finished_at


def test_department_staff_can_neither_verify_nor_see_the_page(chain, clerk, client):
    with pytest.raises(PermissionDenied):
        integrity_check_start(actor=clerk.user)
    client.force_login(clerk.user)
    assert client.get(reverse("supervision:integrity")).status_code == 403
    assert client.post(reverse("supervision:integrity_verify")).status_code == 403
    assert IntegrityCheck.objects.count() == 0


def test_no_path_lets_department_staff_edit_or_delete_history(chain, clerk, client):
    event = AuditEvent.objects.filter(seq__isnull=False).order_by("seq").first()
    assert event is not None
    before = (AuditEvent.objects.count(), event.payload, event.hash)

    # 1. the admin: even with every permission on the audit models and admin access, the
    #    audit admin is read-only
    user = clerk.user
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="audit"))
    client.force_login(user)
    change = reverse("admin:audit_auditevent_change", args=[event.pk])
    assert client.post(change, {"action": "forged"}).status_code == 403
    delete = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    checkpoint = AuditCheckpoint.objects.first()
    assert checkpoint is not None
    cp_delete = reverse("admin:audit_auditcheckpoint_delete", args=[checkpoint.pk])
    assert client.post(cp_delete, {"post": "yes"}).status_code == 403

    # 2. the API: no operation on audit history other than reading
    schema = client.get("/api/openapi.json").json()
    for path, operations in schema["paths"].items():
        if "audit" in path or "history" in path or "integrity" in path:
            assert set(operations) <= {"get", "parameters"}, path

    # 3. the database: UPDATE and DELETE are refused by triggers, whoever connects
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(payload={"forged": True})
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditCheckpoint.objects.all().delete()

    event.refresh_from_db()
    assert (AuditEvent.objects.count(), event.payload, event.hash) == before
