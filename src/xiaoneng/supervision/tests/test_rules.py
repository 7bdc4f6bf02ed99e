"""The supervision rules as pure functions: each rule with a case that breaks it and a near
miss that must not (no database)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from xiaoneng.clock import WorkCalendar
from xiaoneng.supervision import rules
from xiaoneng.supervision.rules import CaseFacts, FeeFacts, LimitFacts, StepFacts

CST = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=CST)


def step(position: int, state: str, started: str | None, done: str | None, intake: bool = False):
    return StepFacts(
        position=position,
        name=f"环节{position}",
        state=state,
        is_intake=intake,
        activated_at=at(started) if started else None,
        completed_at=at(done) if done else None,
    )


#: A granted case handled by the book: received, accepted, three steps in order, decided.
CLEAN = CaseFacts(
    case_id=7,
    number="330100202603020001",
    state="granted",
    department_id=3,
    region_id=1,
    agent_id=11,
    created_at=at("2026-03-02 10:00"),
    received_at=at("2026-03-02 10:00"),
    accepted_at=at("2026-03-02 11:00"),
    decided_at=at("2026-03-10 16:00"),
    decision="grant",
    decided_by_id=12,
    promised=LimitFacts(10, "working_days", at("2026-03-16 17:30")),
    statutory=LimitFacts(20, "working_days", at("2026-03-30 17:30")),
    steps=(
        step(1, "done", "2026-03-02 11:00", "2026-03-02 11:00", intake=True),
        step(2, "done", "2026-03-02 11:00", "2026-03-05 15:00"),
        step(3, "done", "2026-03-05 15:00", "2026-03-09 10:00"),
    ),
)


def fee(**kw):
    base = {
        "id": 5,
        "name": "工本费",
        "published": True,
        "has_basis": True,
        "unit_standard": Decimal("10.00"),
        "quantity": 2,
        "amount": Decimal("20.00"),
        "exempt": False,
        "exemption_allowed": False,
        "assessed_by_id": 13,
    }
    return FeeFacts(**{**base, **kw})


def codes(facts: CaseFacts) -> list[str]:
    return [f.rule for f in rules.case_findings(facts)]


def with_(**kw) -> CaseFacts:
    return dataclasses.replace(CLEAN, **kw)


def test_a_case_handled_by_the_book_breaks_no_rule():
    assert codes(CLEAN) == []
    assert codes(with_(fees=(fee(),))) == []


def test_every_rule_has_a_level_a_label_and_a_source():
    for code, rule in rules.RULES.items():
        assert rule.code == code
        assert rule.level in ("reminder", "yellow", "red")
        assert str(rule.label)
        assert rule.source
    assert set(rules.CASE_RULES) <= set(rules.RULES)
    assert set(rules.TIMER_KIND_RULES.values()) <= set(rules.RULES)
    assert rules.RULE_LABELS["case_overdue"] == rules.RULES["case_overdue"].label


# --------------------------------------------------------------------------- fees


def test_fee_from_an_item_not_published_for_the_case_is_red():
    found = rules.case_findings(with_(fees=(fee(published=False),)))
    assert [(f.rule, f.level, f.subject_type, f.subject_id) for f in found] == [
        ("fee_not_published", "red", "cases.casefee", "5")
    ]
    assert (found[0].department_id, found[0].staff_id) == (3, 13)
    assert codes(with_(fees=(fee(has_basis=False),))) == ["fee_not_published"]
    assert codes(with_(fees=(fee(),))) == []


def test_fee_at_another_amount_than_the_standard_is_yellow_even_with_a_reason():
    found = rules.case_findings(
        with_(fees=(fee(amount=Decimal("25.00"), deviation_reason="加急"),))
    )
    assert [(f.rule, f.level) for f in found] == [("fee_deviates", "yellow")]
    assert found[0].facts["standard"] == "20.00"
    assert found[0].facts["amount"] == "25.00"
    assert found[0].facts["reason"] == "加急"
    # near misses: the exact standard; an allowed exemption below it
    assert codes(with_(fees=(fee(amount=Decimal("20.00")),))) == []
    allowed = fee(exempt=True, exemption_allowed=True, amount=Decimal("0.00"))
    assert codes(with_(fees=(allowed,))) == []


def test_an_exemption_the_item_does_not_allow_or_above_the_standard_deviates():
    assert codes(with_(fees=(fee(exempt=True, amount=Decimal("0.00")),))) == ["fee_deviates"]
    above = fee(exempt=True, exemption_allowed=True, amount=Decimal("30.00"))
    assert codes(with_(fees=(above,))) == ["fee_deviates"]


# --------------------------------------------------------------------------- process


def test_a_step_done_while_an_earlier_step_never_started_is_skipped():
    facts = with_(
        steps=(
            step(1, "done", "2026-03-02 11:00", "2026-03-02 11:00", intake=True),
            step(2, "pending", None, None),
            step(3, "done", "2026-03-02 11:00", "2026-03-09 10:00"),
        )
    )
    found = rules.case_findings(facts)
    assert [(f.rule, f.level) for f in found] == [("step_out_of_order", "red")]
    assert {"step": 3, "skipped": [2]} in found[0].facts["problems"]


def test_a_step_started_before_the_previous_one_finished_is_out_of_order():
    facts = with_(
        steps=(
            step(2, "done", "2026-03-02 11:00", "2026-03-05 15:00"),
            step(3, "done", "2026-03-04 09:00", "2026-03-09 10:00"),
        )
    )
    assert codes(facts) == ["step_out_of_order"]
    # the same minute is in order
    facts = with_(
        steps=(
            step(2, "done", "2026-03-02 11:00", "2026-03-05 15:00"),
            step(3, "done", "2026-03-05 15:00", "2026-03-09 10:00"),
        )
    )
    assert codes(facts) == []


def test_a_decision_with_an_open_step_skips_it_unless_a_step_recommended_refusal():
    steps = (
        step(2, "done", "2026-03-02 11:00", "2026-03-05 15:00"),
        step(3, "active", "2026-03-05 15:00", None),
    )
    assert codes(with_(steps=steps)) == ["step_out_of_order"]
    skipped_by_law = (
        step(2, "done", "2026-03-02 11:00", "2026-03-05 15:00"),
        step(3, "pending", None, None),
    )
    assert codes(with_(steps=skipped_by_law, refusal_recommended=True)) == []
    # a renewal deemed granted (Art. 50) closes the open steps by law
    assert codes(with_(steps=steps, decision_deemed=True)) == []
    # a case still in process with its later steps waiting is fine
    assert codes(with_(steps=steps, decided_at=None, decision="", state="processing")) == []


def test_a_return_to_the_previous_step_is_not_out_of_order():
    # step 3 returned the case to step 2: step 2 runs again, step 3 waits (pending)
    steps = (
        step(2, "active", "2026-03-06 10:00", None),
        step(3, "pending", "2026-03-05 15:00", None),
    )
    assert codes(with_(steps=steps, decided_at=None, decision="", state="processing")) == []


def test_a_decision_dated_before_the_last_step_finished_is_out_of_order():
    assert codes(with_(decided_at=at("2026-03-08 10:00"))) == ["step_out_of_order"]


def test_a_decision_before_acceptance_or_without_one():
    found = rules.case_findings(with_(accepted_at=at("2026-03-11 09:00")))
    assert [(f.rule, f.level, f.staff_id) for f in found] == [
        ("decision_before_acceptance", "red", 12)
    ]
    assert codes(with_(accepted_at=None)) == ["decision_before_acceptance"]
    # on the spot: accepted and decided at the same instant
    spot = with_(
        accepted_at=at("2026-03-02 10:05"),
        decided_at=at("2026-03-02 10:05"),
        decided_on_the_spot=True,
        immediate_item=True,
        steps=(),
    )
    assert codes(spot) == []


def test_a_refusal_without_its_legal_basis():
    not_accepted = with_(
        state="not_accepted",
        accepted_at=None,
        decided_at=None,
        decision="",
        steps=(),
        completed_at=at("2026-03-03 10:00"),
    )
    found = rules.case_findings(dataclasses.replace(not_accepted, refusal_basis="  "))
    assert [(f.rule, f.level, f.staff_id) for f in found] == [("refusal_without_basis", "red", 11)]
    assert codes(dataclasses.replace(not_accepted, refusal_basis="行政许可法第三十二条")) == []
    refused = with_(state="rejected", decision="refuse", decision_legal_basis="")
    assert codes(refused) == ["refusal_without_basis"]
    assert codes(dataclasses.replace(refused, decision_legal_basis="《食品安全法》第35条")) == []


# --------------------------------------------------------------------------- timing


def test_more_than_one_supplement_notice():
    found = rules.case_findings(
        with_(supplement_notices=2, supplement_issued_at=at("2026-03-03 10:00"))
    )
    assert [(f.rule, f.level, f.staff_id) for f in found] == [("supplement_repeated", "yellow", 11)]
    assert found[0].facts["notices"] == 2
    assert codes(with_(supplement_notices=1, supplement_issued_at=at("2026-03-03 10:00"))) == []


def test_a_supplement_notice_after_the_five_working_days():
    due = at("2026-03-09 17:30")
    late = with_(
        supplement_notices=1,
        supplement_issued_at=at("2026-03-10 09:00"),
        supplement_issued_by_id=14,
        intake_due_at=due,
        accepted_at=at("2026-03-11 09:00"),
        decided_at=None,
        decision="",
        state="processing",
        steps=(),
    )
    found = rules.case_findings(late)
    assert [(f.rule, f.level, f.staff_id) for f in found] == [("supplement_late", "yellow", 14)]
    on_time = dataclasses.replace(late, supplement_issued_at=due)
    assert codes(on_time) == []


def test_a_decision_after_the_statutory_limit():
    found = rules.case_findings(with_(decided_at=at("2026-03-31 09:00")))
    assert [(f.rule, f.level, f.staff_id) for f in found] == [("closed_past_statutory", "red", 12)]
    assert codes(with_(decided_at=at("2026-03-30 17:30"))) == []


def test_a_promised_limit_longer_than_the_statutory_one():
    longer = with_(promised=LimitFacts(25, "working_days", at("2026-04-07 17:30")))
    found = rules.case_findings(longer)
    assert [(f.rule, f.level, f.staff_id) for f in found] == [
        ("promised_exceeds_statutory", "yellow", None)
    ]
    assert found[0].facts == {
        "number": CLEAN.number,
        "promised": "25 working_days",
        "statutory": "20 working_days",
    }
    assert codes(with_(promised=LimitFacts(20, "working_days", None))) == []
    # different units: compared by the due times of the two timers
    calendar_days = with_(promised=LimitFacts(30, "calendar_days", at("2026-04-01 17:30")))
    assert codes(calendar_days) == ["promised_exceeds_statutory"]
    calendar_days = with_(promised=LimitFacts(20, "calendar_days", at("2026-03-22 17:30")))
    assert codes(calendar_days) == []


def test_a_case_recorded_after_the_fact():
    backfilled = with_(
        created_at=at("2026-03-20 15:00"),
        received_at=at("2026-03-02 10:00"),
        accepted_at=at("2026-03-02 11:00"),
        decided_at=at("2026-03-20 15:12"),
        completed_at=at("2026-03-20 15:20"),
        agent_id=11,
        statutory=LimitFacts(20, "working_days", at("2026-03-30 17:30")),
        steps=(),
    )
    found = rules.case_findings(backfilled)
    assert [(f.rule, f.level, f.staff_id) for f in found] == [
        ("recorded_after_the_fact", "red", 11)
    ]
    assert set(found[0].facts["earlier"]) == {"received_at", "accepted_at"}
    # near misses: honest dates closed quickly; back-dated but handled over days
    quick = dataclasses.replace(
        backfilled, received_at=at("2026-03-20 15:00"), accepted_at=at("2026-03-20 15:01")
    )
    assert codes(quick) == []
    slow = dataclasses.replace(backfilled, completed_at=at("2026-03-23 10:00"))
    assert codes(slow) == []


# --------------------------------------------------------------------------- timer rules


@pytest.mark.parametrize(
    ("kind", "level", "code"),
    [
        ("case.promised", "reminder", "case_due_tomorrow"),
        ("case.promised", "yellow", "case_warning"),
        ("case.promised", "red", "case_overdue"),
        ("case.statutory", "red", "statutory_overdue"),
        ("case.task", "yellow", "step_warning"),
        ("case.task", "red", "step_overdue"),
        ("case.intake", "red", "intake_overdue"),
        ("case.special", "red", "special_overdue"),
        ("case.delivery", "red", "delivery_overdue"),
        ("supervision.order", "red", "order_overdue"),
        ("something.else", "red", "deadline_overdue"),
        ("something.else", "yellow", "deadline_warning"),
    ],
)
def test_the_rule_of_a_timer_alert_follows_the_timer_kind(kind, level, code):
    assert rules.timer_rule(kind, level) == code
    assert rules.RULES[code].level == level


def test_the_reminder_reaches_to_the_close_of_the_next_working_day():
    calendar = WorkCalendar.national([2026])
    utc = dt.UTC
    # Monday morning: up to Tuesday's close
    assert rules.reminder_cutoff(at("2026-03-02 10:00"), calendar) == at(
        "2026-03-03 17:30"
    ).astimezone(utc)
    # Friday: up to Monday's close (the weekend is not a working day)
    assert rules.reminder_cutoff(at("2026-03-06 16:00"), calendar) == at(
        "2026-03-09 17:30"
    ).astimezone(utc)
    # Saturday: Monday is the next working day too
    assert rules.reminder_cutoff(at("2026-03-07 12:00"), calendar) == at(
        "2026-03-09 17:30"
    ).astimezone(utc)
