"""Anomaly rules on real cases: raised after the case event that breaks them (the audit
subscriber, after commit) or by the nightly sweep, once; and the §5.1 timer rules of the
deadline sweep (reminder, warning, overdue per timer kind) with who answers for them.

Several rules guard against what the cases services refuse (a decision before acceptance,
a second supplement notice…): those cases are made with the services and then changed the
way a write that bypasses them would (an admin edit, an import, SQL) — the supervision
exists precisely for that.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from xiaoneng.audit.models import AuditEvent
from xiaoneng.audit.services import audit_dispatch
from xiaoneng.cases import fees, services
from xiaoneng.cases.models import Case, CaseFee, SupplementNotice
from xiaoneng.cases.services import SupplementItemSpec
from xiaoneng.cases.tests.factories import FEES as CASE_FEES
from xiaoneng.cases.tests.factories import World, person
from xiaoneng.cases.tests.factories import world as make_world
from xiaoneng.cases.tests.test_workflow import accepted, do, finish_process, task_of
from xiaoneng.catalog.models import Fee, Item
from xiaoneng.supervision import tasks
from xiaoneng.supervision.models import Alert
from xiaoneng.supervision.services import (
    anomalies_check_case,
    anomalies_check_cases,
    anomalies_sweep,
    supervision_sweep,
)

pytestmark = pytest.mark.django_db

CST = ZoneInfo("Asia/Shanghai")

FEES = CASE_FEES[:1]  # the standard fee (with an exemption)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=CST)


def iso(text: str) -> str:
    """How the alert facts store a time: ISO 8601 in UTC."""
    return at(text).astimezone(dt.UTC).isoformat()


@pytest.fixture
def world(travel) -> World:
    travel("2026-03-02 10:00")  # a Monday
    return make_world()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``committed(fn, **kw)``: a service and its after-commit work (the subscribers)."""

    def run(fn, **kw):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kw)

    return run


def rule_alerts(case=None) -> list[tuple[str, str]]:
    rows = Alert.objects.filter(timer__isnull=True)
    if case is not None:
        rows = rows.filter(case=case)
    return sorted(rows.values_list("rule", "level"))


def decide(world: World, case: Case, **kw):
    return services.case_decide(
        case=case, actor=world.approver_a.user, outcome="grant", reasons="符合条件", **kw
    )


# --------------------------------------------------------------------------- clean


def test_a_case_handled_by_the_book_raises_nothing(world, travel, committed):
    case = committed(world.submit)
    travel("2026-03-03 09:30")
    case = committed(services.case_accept, case=case, actor=world.clerk.user)
    travel("2026-03-04 10:00")
    case = finish_process(world, case)
    committed(decide, world=world, case=case)
    assert rule_alerts() == []
    assert anomalies_sweep() == 0
    event = AuditEvent.objects.get(action="supervision.anomalies_sweep")
    assert (event.payload["cases"], event.payload["alerts"], event.payload["full"]) == (1, 0, True)


# --------------------------------------------------------------------------- fees


def test_a_fee_off_the_standard_is_flagged_after_the_assessment(world, committed):
    case = accepted(world, item=world.item_with(fees=FEES))
    item_fee = Fee.objects.get(item=case.item)
    committed(
        fees.case_fee_assess,
        case=case,
        actor=world.clerk.user,
        fee=item_fee,
        amount="80.00",
        deviation_reason="加急制证",
    )
    alert = Alert.objects.get(timer__isnull=True)
    row = CaseFee.objects.get(case=case)
    assert (alert.rule, alert.level, alert.subject_type, alert.subject_id) == (
        "fee_deviates",
        "yellow",
        "cases.casefee",
        str(row.pk),
    )
    assert (alert.case, alert.department, alert.staff, alert.region) == (
        case,
        world.lead,
        world.clerk,
        case.region,
    )
    assert alert.facts == {
        "number": case.number,
        "fee": row.pk,
        "name": "证书工本费",
        "standard": "50.00",
        "amount": "80.00",
        "exempt": False,
        "reason": "加急制证",
    }
    # a second fee at the standard adds nothing; a rerun neither
    committed(fees.case_fee_assess, case=case, actor=world.clerk.user, fee=item_fee)
    assert anomalies_check_case(case=case) == 0
    assert rule_alerts() == [("fee_deviates", "yellow")]


def test_a_fee_moved_to_an_item_it_was_not_published_for_is_red_in_the_nightly_sweep(
    world, committed
):
    case = accepted(world, item=world.item_with(fees=FEES))
    committed(
        fees.case_fee_assess,
        case=case,
        actor=world.clerk.user,
        fee=Fee.objects.get(item=case.item),
    )
    assert rule_alerts() == []
    other = world.item_with(fees=FEES)
    CaseFee.objects.filter(case=case).update(fee=Fee.objects.get(item=other))  # bypasses
    assert anomalies_sweep() == 1
    assert rule_alerts(case) == [("fee_not_published", "red")]
    assert anomalies_sweep(full=True) == 0


# --------------------------------------------------------------------------- process


def test_a_decision_while_a_step_is_still_open_is_a_skipped_step(world, committed):
    case = accepted(world)
    do(task_of(case, 2, world.lead), world.approver_a)
    # the case pushed to the decision behind the process's back
    Case.objects.filter(pk=case.pk).update(state="pending_decision")
    committed(decide, world=world, case=case)
    alert = Alert.objects.get(timer__isnull=True)
    assert (alert.rule, alert.level, alert.department, alert.staff) == (
        "step_out_of_order",
        "red",
        world.lead,
        world.approver_a,
    )
    assert alert.facts["problems"][0]["open_steps"] == [2, 3]


def test_a_decision_dated_before_the_acceptance(world, travel, committed):
    case = finish_process(world, accepted(world))
    Case.objects.filter(pk=case.pk).update(accepted_at=at("2026-03-05 10:00"))
    travel("2026-03-03 10:00")
    committed(decide, world=world, case=case)
    assert rule_alerts(case) == [("decision_before_acceptance", "red")]


def test_a_refusal_whose_legal_basis_was_erased_is_found_by_the_nightly_sweep(world, committed):
    case = committed(world.submit)
    committed(
        services.case_refuse,
        case=case,
        actor=world.clerk.user,
        reason="不属于本机关职权范围",
        legal_basis="《行政许可法》第三十二条",
    )
    assert anomalies_sweep() == 0  # the first run is full: every case, nothing wrong
    Case.objects.filter(pk=case.pk).update(refusal_basis="")
    # the next nightly run looks only at cases with events since: this one had none
    assert anomalies_sweep(now=dt.datetime.now(tz=CST) + dt.timedelta(days=1)) == 0
    last = AuditEvent.objects.filter(action="supervision.anomalies_sweep").order_by("-id")[0]
    assert (last.payload["cases"], last.payload["full"]) == (0, False)
    # the weekly full run catches the edit that left no event
    assert anomalies_sweep(now=dt.datetime.now(tz=CST) + dt.timedelta(days=8)) == 1
    alert = Alert.objects.get(timer__isnull=True)
    assert (alert.rule, alert.level, alert.staff) == ("refusal_without_basis", "red", None)


# --------------------------------------------------------------------------- timing


def test_a_second_supplement_notice_breaks_the_one_time_notice(world, committed):
    case = committed(
        services.case_receive, actor=world.clerk.user, item=world.item, applicant=person()
    )
    missing = [SupplementItemSpec(description="营业执照复印件")]
    committed(services.supplement_notice_issue, case=case, actor=world.clerk.user, items=missing)
    committed(services.supplement_complete, case=case, actor=world.clerk.user)
    assert rule_alerts() == []
    SupplementNotice.objects.filter(case=case).delete()  # the first notice made to vanish
    committed(services.supplement_notice_issue, case=case, actor=world.clerk.user, items=missing)
    alert = Alert.objects.get(timer__isnull=True)
    assert (alert.rule, alert.level, alert.staff, alert.facts["notices"]) == (
        "supplement_repeated",
        "yellow",
        world.clerk,
        2,
    )


def test_a_supplement_notice_later_than_five_working_days_after_receipt(world, committed):
    case = committed(
        services.case_receive, actor=world.clerk.user, item=world.item, applicant=person()
    )
    # the paper application arrived on 3 February and was entered only now
    Case.objects.filter(pk=case.pk).update(received_at=at("2026-02-03 10:00"))
    missing = [SupplementItemSpec(description="营业执照复印件")]
    committed(services.supplement_notice_issue, case=case, actor=world.clerk.user, items=missing)
    alert = Alert.objects.get(timer__isnull=True)
    assert (alert.rule, alert.level, alert.staff) == ("supplement_late", "yellow", world.clerk)
    # 5 working days after Tue 3 February: Tue 10 February, close of day
    assert alert.facts["due_at"] == iso("2026-02-10 17:30")


def test_a_supplement_notice_on_the_fifth_working_day_is_in_time(world, travel, committed):
    case = committed(
        services.case_receive, actor=world.clerk.user, item=world.item, applicant=person()
    )
    travel("2026-03-09 17:00")
    missing = [SupplementItemSpec(description="营业执照复印件")]
    committed(services.supplement_notice_issue, case=case, actor=world.clerk.user, items=missing)
    assert rule_alerts() == []


def test_a_decision_after_the_statutory_limit(world, travel, committed):
    case = finish_process(world, accepted(world))
    travel("2026-03-30 17:30")  # the 20th working day's close: still in time
    assert anomalies_check_case(case=case) == 0
    travel("2026-03-31 09:00")
    committed(decide, world=world, case=case)
    alert = Alert.objects.get(timer__isnull=True)
    assert (alert.rule, alert.level, alert.staff) == (
        "closed_past_statutory",
        "red",
        world.approver_a,
    )
    assert alert.facts["statutory_due"] == iso("2026-03-30 17:30")


def test_a_decision_on_the_last_day_of_the_statutory_limit_is_in_time(world, travel, committed):
    case = finish_process(world, accepted(world))
    travel("2026-03-30 17:00")
    committed(decide, world=world, case=case)
    assert rule_alerts() == []


def test_a_promised_limit_longer_than_the_statutory_one_is_flagged_at_acceptance(world, committed):
    case = committed(world.submit)
    Item.objects.filter(pk=case.item_id).update(promised_limit_value=25)  # an admin edit
    committed(services.case_accept, case=case, actor=world.clerk.user)
    alert = Alert.objects.get(timer__isnull=True)
    assert (alert.rule, alert.level, alert.department, alert.staff) == (
        "promised_exceeds_statutory",
        "yellow",
        world.lead,
        None,
    )
    assert (alert.facts["promised"], alert.facts["statutory"]) == (
        "25 working_days",
        "20 working_days",
    )


def test_a_case_recorded_after_the_fact(world, travel, committed):
    travel("2026-03-20 15:00")
    case = committed(
        services.case_receive, actor=world.clerk.user, item=world.item, applicant=person()
    )
    # entered with the date the paper file says it was received
    Case.objects.filter(pk=case.pk).update(received_at=at("2026-03-02 10:00"))
    committed(services.case_accept, case=case, actor=world.clerk.user)
    travel("2026-03-20 15:10")
    case = finish_process(world, case)
    committed(decide, world=world, case=case)
    alert = Alert.objects.get(timer__isnull=True)
    assert (alert.rule, alert.level, alert.staff) == (
        "recorded_after_the_fact",
        "red",
        world.clerk,
    )
    assert alert.facts["earlier"] == {"received_at": iso("2026-03-02 10:00")}


def test_a_redelivered_event_and_a_rerun_add_nothing(world, committed):
    case = accepted(world, item=world.item_with(fees=FEES))
    committed(
        fees.case_fee_assess,
        case=case,
        actor=world.clerk.user,
        fee=Fee.objects.get(item=case.item),
        amount="1.00",
        deviation_reason="按旧标准",
    )
    event = AuditEvent.objects.get(action="cases.fee_assessed")
    assert audit_dispatch(event_id=event.pk) == 0  # delivered once already
    assert anomalies_check_case(case=case) == 0
    assert anomalies_sweep() == 0
    assert rule_alerts() == [("fee_deviates", "yellow")]


def test_the_nightly_task_is_scheduled_and_runs_the_sweep(world, committed):
    from xiaoneng.schedule import periodic_jobs

    jobs = {job.name: (job.task, job.every_seconds) for job in periodic_jobs()}
    assert jobs["supervision-anomalies"] == (
        "xiaoneng.supervision.tasks.supervision_anomalies_sweep",
        86400,
    )
    case = committed(world.submit)
    committed(
        services.case_refuse, case=case, actor=world.clerk.user, reason="不符", legal_basis="x"
    )
    Case.objects.filter(pk=case.pk).update(refusal_basis=" ")
    assert tasks.supervision_anomalies_sweep() == 1
    assert tasks.supervision_anomalies_sweep() == 0


# --------------------------------------------------------------------------- §5.1 timer rules


def timer_alerts() -> list[tuple[str, str, str]]:
    return sorted(
        Alert.objects.filter(timer__isnull=False).values_list("rule", "level", "timer__kind")
    )


def test_the_reminder_comes_one_working_day_before_the_promised_deadline(world, travel):
    case = accepted(world)  # promised: 10 working days → Mon 16 March 17:30
    assert case.promised_timer.due_at == at("2026-03-16 17:30")
    task = task_of(case, 2, world.lead)
    services.task_claim(task=task, actor=world.approver_a.user)
    # Thursday: the deadline is more than a working day away (and every step is overdue)
    supervision_sweep(now=at("2026-03-12 10:00"))
    assert ("case_due_tomorrow", "reminder", "case.promised") not in timer_alerts()
    # Friday: Monday's close is the next working day's
    with time_machine.travel(at("2026-03-13 10:00"), tick=False):
        supervision_sweep(now=at("2026-03-13 10:00"))
    reminder = Alert.objects.get(level="reminder")
    assert (reminder.rule, reminder.case, reminder.department, reminder.staff) == (
        "case_due_tomorrow",
        case,
        world.lead,
        world.approver_a,  # the assignee of the current step's lead task
    )
    assert supervision_sweep(now=at("2026-03-13 10:01")) == 0


def test_each_timer_kind_has_its_own_overdue_rule_and_responsible(world, travel):
    case = accepted(world)
    b_task = task_of(case, 2, world.assist_b)
    services.task_claim(task=b_task, actor=world.approver_b.user)
    # step timers (3 working days → Thu 5 March) pass their warning, then their due time
    supervision_sweep(now=at("2026-03-05 17:00"))
    assert timer_alerts() == [("step_warning", "yellow", "case.task")] * 3
    supervision_sweep(now=at("2026-03-06 09:00"))
    red = Alert.objects.filter(level="red", timer__kind="case.task")
    assert set(red.values_list("rule", "department", "staff")) == {
        ("step_overdue", world.assist_b.pk, world.approver_b.pk),
        ("step_overdue", world.assist_c.pk, None),
        ("step_overdue", world.lead.pk, None),
    }
    assert set(red.values_list("case", flat=True)) == {case.pk}
    assert [a.facts for a in red] == [{"kind": "case.task"}] * 3
    # the case's promised limit (Mon 16 March) and statutory limit (Mon 30 March)
    supervision_sweep(now=at("2026-03-17 09:00"))
    promised = Alert.objects.get(level="red", timer__kind="case.promised")
    assert (promised.rule, promised.case, promised.department) == (
        "case_overdue",
        case,
        world.lead,
    )
    supervision_sweep(now=at("2026-03-31 09:00"))
    statutory = Alert.objects.get(level="red", timer__kind="case.statutory")
    assert statutory.rule == "statutory_overdue"
    assert supervision_sweep(now=at("2026-03-31 09:01")) == 0


def test_intake_and_special_procedure_overdue(world, travel):
    received = services.case_receive(actor=world.clerk.user, item=world.item, applicant=person())
    supervision_sweep(now=at("2026-03-09 18:00"))  # 5 working days after Mon 2 March
    intake = Alert.objects.get(level="red", timer__kind="case.intake")
    assert (intake.rule, intake.case, intake.department, intake.staff) == (
        "intake_overdue",
        received,
        world.lead,
        world.clerk,  # the first-inquiry clerk who received it
    )
    case = accepted(world)
    from xiaoneng.clock import Limit, LimitUnit

    record = services.special_procedure_start(
        case=case,
        actor=world.approver_a.user,
        kind="expert_review",
        name="专家评审",
        expected=Limit(5, LimitUnit.WORKING_DAYS),
    )
    supervision_sweep(now=at("2026-03-10 09:00"))
    special = Alert.objects.get(level="red", timer__kind="case.special")
    assert (special.rule, special.case, special.department, special.staff) == (
        "special_overdue",
        case,
        world.lead,
        world.approver_a,
    )
    assert special.subject_id == str(record.pk)
    # the paused case and step timers raise nothing meanwhile
    assert not Alert.objects.filter(case=case, timer__kind="case.promised").exists()


def test_the_cli_still_prints_the_number_of_new_alerts(world, capsys):
    from xiaoneng import cli

    accepted(world)
    with time_machine.travel(at("2026-03-06 09:00"), tick=False):
        assert cli.main(["supervise", "--once"]) == 0
    # three step timers red (their yellow never seen: past due it is red)
    assert capsys.readouterr().out == "new alerts: 3\n"


def test_a_reduced_fee_under_an_allowed_exemption_raises_nothing(world, committed):
    case = accepted(world, item=world.item_with(fees=FEES))
    committed(
        fees.case_fee_assess,
        case=case,
        actor=world.clerk.user,
        fee=Fee.objects.get(item=case.item),
        exempt=True,
        exemption_basis="小微企业",
        amount=Decimal("10.00"),
    )
    assert rule_alerts() == []  # a reduced fee under an allowed exemption is fine


def test_checking_costs_four_queries_for_one_case_or_a_batch(world, django_assert_num_queries):
    paid = world.item_with(fees=FEES)
    cases = [finish_process(world, accepted(world, item=paid)) for _ in range(3)]
    for case in cases:
        fees.case_fee_assess(case=case, actor=world.clerk.user, fee=Fee.objects.get(item=paid))
    # the case with its decision, notice and limits; steps; fees; notice events
    with django_assert_num_queries(4):
        assert anomalies_check_case(case=cases[0]) == 0
    with django_assert_num_queries(4):
        assert anomalies_check_cases(case_ids=[c.pk for c in cases]) == 0


def test_the_sweep_resolves_responsibility_without_a_query_per_alert(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def sweep_queries(now: dt.datetime) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            raised = supervision_sweep(now=now)
        return raised, len(captured.captured_queries)

    accepted(world)
    assert supervision_sweep(now=at("2026-03-02 11:00")) == 0  # warm the calendar cache
    one = sweep_queries(at("2026-03-06 09:00"))  # 3 step timers red
    for _ in range(3):
        accepted(world)
    # a later full sweep (an hour on) over three more cases: 9 more alerts, same statements
    three = sweep_queries(at("2026-03-06 10:00"))
    assert (one[0], three[0]) == (3, 9)
    assert three[1] == one[1]


def test_an_unanswered_supervision_order_is_red_for_its_department():
    from xiaoneng.supervision.tests.test_orders import issue, make_org

    o = make_org()
    order = issue(o)
    assert order.timer is not None
    assert order.timer.due_at is not None
    supervision_sweep(now=order.timer.due_at + dt.timedelta(minutes=1))
    red = Alert.objects.get(timer=order.timer, level="red")
    assert (red.rule, red.department, red.case, red.staff) == (
        "order_overdue",
        o.market,
        None,
        None,
    )
