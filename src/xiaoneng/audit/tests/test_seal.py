"""audit_seal: consecutive chain positions, hashes over the immutable fields, checkpoints."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading

import pytest
import time_machine
from django.db import connection, connections, transaction

from xiaoneng import schedule
from xiaoneng.audit.chain import GENESIS_HASH
from xiaoneng.audit.models import AuditCheckpoint, AuditEvent
from xiaoneng.audit.services import audit_record, audit_seal, audit_verify

from .factories import events

pytestmark = pytest.mark.django_db


def test_first_event_hash_is_sha256_of_genesis_and_canonical_json(clerk):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 30, 0, 123456, tzinfo=dt.UTC), tick=False):
        event = audit_record(
            actor=clerk,
            action="org.department_created",
            object_type="org.department",
            object_id=17,
            payload={"name": "市场监管局", "a": [1, 2.5, None]},
            region_code="990100000000",
            department_id=17,
        )
        assert audit_seal() == 1
    event.refresh_from_db()
    canonical = (
        f'{{"action":"org.department_created","actor_id":{clerk.pk},"actor_label":"clerk01",'
        f'"department_id":17,"id":{event.pk},"object_id":"17","object_type":"org.department",'
        '"occurred_at":"2026-03-02T09:30:00.123456Z",'
        '"payload":{"a":[1,2.5,null],"name":"市场监管局"},'
        '"region_code":"990100000000","seq":1}'
    )
    assert json.loads(canonical)["payload"]["name"] == "市场监管局"
    expected = hashlib.sha256(f"{GENESIS_HASH}\n{canonical}".encode()).hexdigest()
    assert (event.seq, event.prev_hash, event.hash) == (1, GENESIS_HASH, expected)
    assert event.sealed_at == dt.datetime(2026, 3, 2, 9, 30, 0, 123456, tzinfo=dt.UTC)


def test_seals_in_id_order_with_one_checkpoint_per_batch():
    created = events(5)
    assert audit_seal(batch_size=2) == 5
    chain = list(AuditEvent.objects.order_by("seq").values_list("id", "seq", "prev_hash", "hash"))
    assert [(c[0], c[1]) for c in chain] == [(e.pk, i) for i, e in enumerate(created, 1)]
    assert [c[2] for c in chain] == [GENESIS_HASH] + [c[3] for c in chain[:-1]]
    assert list(
        AuditCheckpoint.objects.values_list("first_seq", "last_seq", "event_count", "head_hash")
    ) == [(1, 2, 2, chain[1][3]), (3, 4, 2, chain[3][3]), (5, 5, 1, chain[4][3])]


def test_sealing_again_is_a_no_op_and_the_next_batch_continues_the_chain():
    events(3)
    assert audit_seal() == 3
    assert audit_seal() == 0
    assert AuditCheckpoint.objects.count() == 1
    head = AuditEvent.objects.get(seq=3).hash
    (later,) = events(1, action="test.later")
    assert audit_seal() == 1
    later.refresh_from_db()
    assert (later.seq, later.prev_hash) == (4, head)
    assert list(AuditCheckpoint.objects.values_list("first_seq", "last_seq")) == [(1, 3), (4, 4)]
    assert audit_verify().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_sealers_never_give_a_seq_twice():
    events(300)
    results: list[int] = []
    errors: list[BaseException] = []

    def seal() -> None:
        try:
            results.append(audit_seal(batch_size=7))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=seal) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(results) == 300
    seqs = sorted(s for s in AuditEvent.objects.values_list("seq", flat=True) if s is not None)
    assert seqs == list(range(1, 301))
    assert sum(AuditCheckpoint.objects.values_list("event_count", flat=True)) == 300
    report = audit_verify()
    assert (report.ok, report.events_checked) == (True, 300)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer anyway")
@pytest.mark.django_db(transaction=True)
def test_writers_do_not_wait_for_a_sealer_holding_the_chain_head():
    from xiaoneng.audit.services import _lock_chain_head

    holding, release = threading.Event(), threading.Event()

    def slow_sealer() -> None:
        try:
            with transaction.atomic():
                _lock_chain_head()
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    sealer = threading.Thread(target=slow_sealer)
    sealer.start()
    try:
        assert holding.wait(10)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 2000")
            audit_record(actor=None, action="test.written_while_sealing")
        assert AuditEvent.objects.filter(action="test.written_while_sealing").count() == 1
    finally:
        release.set()
        sealer.join(10)


def test_the_scheduled_task_path_seals():
    """The scheduler and celery beat call the task by its dotted path."""
    task = schedule._resolve("xiaoneng.audit.tasks.audit_seal")
    assert task.name == "xiaoneng.audit.tasks.audit_seal"
    events(2)
    assert task() == 2
    assert task() == 0
