from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser

from xiaoneng.audit.selectors import (
    audit_checkpoints_by_day,
    audit_daily_checkpoint,
    audit_event_list,
)
from xiaoneng.audit.services import audit_record, audit_seal

pytestmark = pytest.mark.django_db

CITY, COUNTY_A, COUNTY_B = "990100000000", "990121000000", "990122000000"


@pytest.fixture
def scoped_events(clerk):
    def rec(object_id: str, region: str, dept: int | None, action: str = "test.done"):
        return audit_record(
            actor=clerk, action=action, object_id=object_id, region_code=region, department_id=dept
        )

    with time_machine.travel(dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC), tick=False):
        rec("a1", COUNTY_A, 11)
    with time_machine.travel(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC), tick=False):
        rec("a2", COUNTY_A, 12, action="test.other")
    with time_machine.travel(dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC), tick=False):
        rec("b1", COUNTY_B, 21)
    with time_machine.travel(dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC), tick=False):
        rec("c1", CITY, None)


def _ids(qs) -> list[str]:
    return [e.object_id for e in qs]


def test_scope_by_region_subtree_department_or_nothing(clerk, scoped_events):
    assert _ids(audit_event_list(actor=clerk)) == ["c1", "b1", "a2", "a1"]
    assert _ids(audit_event_list(actor=clerk, region_codes=[COUNTY_A])) == ["a2", "a1"]
    assert _ids(audit_event_list(actor=clerk, department_ids=[21])) == ["b1"]
    assert _ids(audit_event_list(actor=clerk, region_codes=[CITY], department_ids=[11])) == [
        "c1",
        "a1",
    ]
    assert _ids(audit_event_list(actor=clerk, department_ids=[])) == []
    assert _ids(audit_event_list(actor=AnonymousUser())) == []


def test_filters_apply_inside_the_scope(clerk, scoped_events):
    in_a = {"actor": clerk, "region_codes": [COUNTY_A]}
    assert _ids(audit_event_list(**in_a, action="test.other")) == ["a2"]
    assert _ids(audit_event_list(**in_a, action=["test.done", "test.x"])) == ["a1"]
    assert _ids(audit_event_list(actor=clerk, object_id="b1", region_codes=[COUNTY_A])) == []
    assert _ids(audit_event_list(actor=clerk, actor_id=clerk.pk, object_id="b1")) == ["b1"]
    assert _ids(
        audit_event_list(
            actor=clerk,
            since=dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC),
            until=dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC),
        )
    ) == ["b1", "a2"]


def _seal_at(when: dt.datetime, n: int = 1) -> None:
    with time_machine.travel(when, tick=False):
        for _ in range(n):
            audit_record(actor=None, action="test.done")
        audit_seal()


def test_the_daily_checkpoint_is_the_last_of_the_local_day():
    _seal_at(dt.datetime(2026, 3, 1, 3, 0, tzinfo=dt.UTC), 2)  # 11:00 on 1 March, Beijing
    _seal_at(dt.datetime(2026, 3, 1, 15, 30, tzinfo=dt.UTC))  # 23:30 on 1 March
    _seal_at(dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC), 3)  # 00:30 on 2 March
    first = audit_daily_checkpoint(dt.date(2026, 3, 1))
    second = audit_daily_checkpoint(dt.date(2026, 3, 2))
    assert first is not None
    assert second is not None
    assert (first.first_seq, first.last_seq) == (3, 3)
    assert (second.first_seq, second.last_seq) == (4, 6)
    assert audit_daily_checkpoint(dt.date(2026, 3, 3)) is None

    days = audit_checkpoints_by_day()
    assert [(d.day, d.checkpoint.last_seq, d.events_sealed, d.batches) for d in days] == [
        (dt.date(2026, 3, 2), 6, 3, 1),
        (dt.date(2026, 3, 1), 3, 3, 2),
    ]
    assert [d.day for d in audit_checkpoints_by_day(limit=1)] == [dt.date(2026, 3, 2)]
