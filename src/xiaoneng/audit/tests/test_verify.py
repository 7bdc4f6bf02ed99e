"""audit_verify finds the first broken link, whatever was done to the rows."""

from __future__ import annotations

import datetime as dt
import importlib
import json

import pytest
import time_machine
from django.utils import timezone, translation

from xiaoneng.audit.chain import CHAIN_FIELDS, ChainRow, link_hash
from xiaoneng.audit.dbguard import guard_lifted
from xiaoneng.audit.models import AuditCheckpoint, AuditEvent
from xiaoneng.audit.selectors import audit_daily_checkpoint
from xiaoneng.audit.services import audit_seal, audit_verify

from .factories import events

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    """Ten sealed events in two checkpoints (1–5, 6–10)."""
    events(5)
    audit_seal()
    events(5)
    audit_seal()
    return list(AuditEvent.objects.order_by("seq"))


def _row(event_id: int) -> ChainRow:
    return ChainRow._make(AuditEvent.objects.values_list(*CHAIN_FIELDS).get(pk=event_id))


def _rehash_from(seq: int) -> None:
    """What a careful forger does: recompute every hash from ``seq`` on."""
    prev = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else "0" * 64
    with guard_lifted():
        for event in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
            assert event.seq is not None
            digest = link_hash(prev, _row(event.pk), event.seq)
            AuditEvent.objects.filter(pk=event.pk).update(prev_hash=prev, hash=digest)
            prev = digest


def _renumber(from_seq: int, delta: int) -> None:
    seqs = AuditEvent.objects.filter(seq__gte=from_seq).values_list("seq", flat=True)
    order = sorted((s for s in seqs if s is not None), reverse=delta > 0)
    with guard_lifted():
        for seq in order:
            AuditEvent.objects.filter(seq=seq).update(seq=seq + delta)


def test_an_intact_chain_verifies(chain):
    report = audit_verify()
    assert (report.ok, report.events_checked, report.checkpoints_checked) == (True, 10, 2)
    assert (report.first_broken_seq, report.problem) == (None, "")
    assert report.summary() == (
        "审计链完整：已校验 10 个事件、2 个检查点。\n"
        "Audit chain intact: 10 events and 2 checkpoints verified."
    )


def test_an_empty_log_verifies():
    report = audit_verify()
    assert (report.ok, report.events_checked, report.checkpoints_checked) == (True, 0, 0)


def test_unsealed_events_are_counted_not_checked(chain):
    events(2)
    report = audit_verify()
    assert (report.ok, report.events_checked, report.unsealed) == (True, 10, 2)
    assert report.summary().splitlines()[0] == (
        "审计链完整：已校验 10 个事件、2 个检查点。 另有 2 个事件尚未封存。"
    )


def test_an_edited_payload_is_found(chain):
    with guard_lifted():
        AuditEvent.objects.filter(seq=4).update(payload={"n": 4, "note": "已批准"})
    report = audit_verify()
    assert (report.ok, report.problem, report.first_broken_seq) == (False, "edited", 4)
    assert report.events_checked == 3
    assert report.message == "第 4 号事件在封存后被修改：其内容与哈希不符。"
    assert report.summary().splitlines()[1] == (
        "Audit chain BROKEN: event #4 was edited after sealing:"
        " its content no longer matches its hash."
    )


def test_the_message_follows_the_active_language(chain):
    with guard_lifted():
        AuditEvent.objects.filter(seq=2).delete()
    report = audit_verify()
    with translation.override("en"):
        assert report.message == "Event #2 was deleted after sealing."
    assert report.message == "第 2 号事件在封存后被删除。"


def test_an_edit_with_a_recomputed_hash_is_found(chain):
    with guard_lifted():
        AuditEvent.objects.filter(seq=7).update(occurred_at=timezone.now() - dt.timedelta(days=3))
    event = AuditEvent.objects.get(seq=7)
    with guard_lifted():
        AuditEvent.objects.filter(seq=7).update(hash=link_hash(event.prev_hash, _row(event.pk), 7))
    report = audit_verify()
    assert (report.ok, report.problem, report.first_broken_seq) == (False, "edited", 7)


def test_a_deleted_event_is_found(chain):
    with guard_lifted():
        AuditEvent.objects.filter(seq=3).delete()
    report = audit_verify()
    assert (report.ok, report.problem, report.first_broken_seq) == (False, "deleted", 3)
    assert report.message == "第 3 号事件在封存后被删除。"


def test_a_deletion_hidden_by_renumbering_is_found(chain):
    with guard_lifted():
        AuditEvent.objects.filter(seq=3).delete()
    _renumber(4, -1)
    report = audit_verify()
    assert (report.ok, report.problem, report.first_broken_seq) == (False, "deleted", 3)


def test_deleting_the_newest_event_is_found(chain):
    with guard_lifted():
        AuditEvent.objects.filter(seq=10).delete()
    report = audit_verify()
    assert (report.ok, report.problem, report.first_broken_seq) == (False, "deleted", 10)


def test_an_event_inserted_in_the_middle_is_found(chain):
    _renumber(6, +1)
    prev = AuditEvent.objects.get(seq=5)
    with guard_lifted():
        forged = AuditEvent.objects.create(
            action="test.thing_done", object_type="test.thing", object_id="forged"
        )
        AuditEvent.objects.filter(pk=forged.pk).update(
            seq=6,
            prev_hash=prev.hash,
            hash=link_hash(prev.hash, _row(forged.pk), 6),
            sealed_at=prev.sealed_at,
        )
    report = audit_verify()
    assert (report.ok, report.problem, report.first_broken_seq) == (False, "inserted", 6)
    assert report.message == "第 6 号位置插入了不属于原链的事件。"


def test_an_event_appended_after_the_last_checkpoint_is_found(chain):
    head = AuditEvent.objects.get(seq=10)
    with guard_lifted():
        forged = AuditEvent.objects.create(action="test.thing_done", object_id="forged")
        AuditEvent.objects.filter(pk=forged.pk).update(
            seq=11,
            prev_hash=head.hash,
            hash=link_hash(head.hash, _row(forged.pk), 11),
            sealed_at=head.sealed_at,
        )
    report = audit_verify()
    assert (report.ok, report.problem, report.first_broken_seq) == (False, "inserted", 11)


def test_an_event_placed_before_the_chain_is_found(chain):
    with guard_lifted():
        forged = AuditEvent.objects.create(action="test.thing_done", object_id="forged")
        AuditEvent.objects.filter(pk=forged.pk).update(
            seq=0, hash="a" * 64, sealed_at=timezone.now()
        )
    report = audit_verify()
    assert (report.ok, report.problem, report.first_broken_seq) == (False, "inserted", 0)


def test_a_rewrite_that_keeps_the_checkpoints_is_found(chain):
    with guard_lifted():
        AuditEvent.objects.filter(seq=2).update(actor_label="nobody")
    _rehash_from(2)
    report = audit_verify()
    assert (report.ok, report.problem, report.first_broken_seq) == (False, "checkpoint_mismatch", 1)
    assert report.message == "检查点（第 1 号起）与事件链不符：链头哈希不同"


def test_a_tampered_checkpoint_is_found(chain):
    with guard_lifted():
        AuditCheckpoint.objects.filter(first_seq=6).update(event_count=4)
    report = audit_verify()
    assert (report.ok, report.problem, report.first_broken_seq) == (False, "checkpoint_mismatch", 6)
    assert report.checkpoints_checked == 1


def test_a_whole_chain_rewrite_is_found_against_the_published_head(tmp_path):
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)):
        events(4)
        audit_seal()
    day = dt.date(2026, 3, 2)
    published_head = audit_daily_checkpoint(day)
    assert published_head is not None
    published = {day: published_head.head_hash}
    assert audit_verify(published_heads=published).ok

    # The forger edits event 2, recomputes every hash and writes fresh checkpoints.
    with guard_lifted():
        AuditEvent.objects.filter(seq=2).update(payload={"n": 2, "note": "已撤回"})
        AuditCheckpoint.objects.all().delete()
    _rehash_from(2)
    last = AuditEvent.objects.get(seq=4)
    assert last.sealed_at is not None
    with guard_lifted():
        AuditCheckpoint.objects.create(
            first_seq=1, last_seq=4, event_count=4, head_hash=last.hash, created_at=last.sealed_at
        )
    assert audit_verify().ok  # internally consistent again…
    report = audit_verify(published_heads=published)  # …but not with what was published
    assert (report.ok, report.problem, report.first_broken_seq) == (
        False,
        "published_mismatch",
        None,
    )
    assert report.message == (
        f"2026-03-02 公布的链头哈希 {published[day]} 已不在检查点中：审计链被整体改写。"
    )
    # The same check from the command line, with the heads copied off the portal.
    main = importlib.import_module("xiaoneng.cli").main
    heads = tmp_path / "published.json"
    heads.write_text(json.dumps({"2026-03-02": published[day]}), encoding="utf-8")
    assert main(["audit", "verify", "--published", str(heads)]) == 1
    assert main(["audit", "verify"]) == 0


def test_cli_audit_verify_exits_non_zero_on_a_broken_chain(chain, capsys):
    # The CLI sits above every layer; imported by name so audit's layer stays clean.
    main = importlib.import_module("xiaoneng.cli").main
    assert main(["audit", "verify"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "审计链完整：已校验 10 个事件、2 个检查点。"
    with guard_lifted():
        AuditEvent.objects.filter(seq=5).update(object_id="999")
    assert main(["audit", "verify"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "第 5 号事件在封存后被修改：其内容与哈希不符。",
        "Audit chain BROKEN: event #5 was edited after sealing:"
        " its content no longer matches its hash.",
    ]
