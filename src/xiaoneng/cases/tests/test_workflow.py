"""The process: parallel steps, claiming, A/B backup, returns (and what they mean inside a
parallel step), refusal recommendations, decision and licence, and the lost race."""

import pytest
from django.db import connection

from xiaoneng.audit.models import AuditEvent
from xiaoneng.cases import services
from xiaoneng.cases.models import Case, CaseStep, CaseTask, Licence
from xiaoneng.clock import Limit, LimitUnit
from xiaoneng.core.errors import Conflict, InvalidState, PermissionDenied, ValidationFailed
from xiaoneng.core.testing import race
from xiaoneng.deadlines.models import Timer, TimerStatus
from xiaoneng.org import services as org_services

from . import factories
from .conftest import at

pytestmark = pytest.mark.django_db


def accepted(world, item=None):
    case = world.submit(item=item)
    return services.case_accept(case=case, actor=world.clerk.user)


def task_of(case, step, department):
    return CaseTask.objects.get(case=case, step__position=step, department=department)


def do(task, staff, action="approve", **kw):
    services.task_claim(task=task, actor=staff.user)
    return getattr(services, f"task_{action}")(task=task, actor=staff.user, **kw)


def states(case, step):
    return list(
        CaseTask.objects.filter(case=case, step__position=step)
        .order_by("position")
        .values_list("state", flat=True)
    )


def test_parallel_step_completes_when_all_departments_are_done(world, travel):
    case = accepted(world)
    travel("2026-03-03 10:00")
    do(task_of(case, 2, world.assist_b), world.approver_b)
    do(task_of(case, 2, world.lead), world.approver_a)
    assert states(case, 2) == ["done", "done", "pending"]
    assert CaseStep.objects.get(case=case, position=3).state == "pending"
    travel("2026-03-04 15:00")
    do(task_of(case, 2, world.assist_c), world.approver_c)
    assert CaseStep.objects.get(case=case, position=2).completed_at == at("2026-03-04 15:00")
    last = task_of(case, 3, world.lead)
    assert (last.state, last.timer.due_at) == ("pending", at("2026-03-06 17:30"))
    case.refresh_from_db()
    assert (case.state, case.current_step) == ("processing", 3)
    do(last, world.approver_a)
    case.refresh_from_db()
    assert (case.state, case.current_step) == ("pending_decision", 0)
    done = Timer.objects.filter(kind="case.task").values_list("status", flat=True)
    assert set(done) == {TimerStatus.DONE}


def test_claims_belong_to_one_approver_of_the_department(world):
    case = accepted(world)
    task = task_of(case, 2, world.lead)
    with pytest.raises(PermissionDenied):
        services.task_claim(task=task, actor=world.approver_b.user)
    with pytest.raises(InvalidState) as exc:
        services.task_approve(task=task, actor=world.approver_a.user)
    assert exc.value.code == "task_not_claimed"
    services.task_claim(task=task, actor=world.approver_a.user)
    with pytest.raises(Conflict) as lost:
        services.task_claim(task=task, actor=world.approver_a2.user)
    assert (
        str(lost.value.message)
        == f"该任务已由{world.approver_a.user}签收，不能签收；请刷新待办列表。"
    )
    with pytest.raises(Conflict):
        services.task_approve(task=task, actor=world.approver_a2.user)
    task.refresh_from_db()
    assert (task.state, task.assignee) == ("claimed", world.approver_a)
    with pytest.raises(Conflict) as stale:
        services.task_approve(task=task, actor=world.approver_a.user, expected_version=1)
    assert stale.value.code == "stale_version"


def test_b_backup_acts_while_a_is_absent(world):
    org_services.backup_pair_set(actor=None, primary=world.approver_a, backup=world.approver_a2)
    case = accepted(world)
    task = task_of(case, 2, world.lead)
    services.task_claim(task=task, actor=world.approver_a.user)
    with pytest.raises(Conflict):
        services.task_approve(task=task, actor=world.approver_a2.user)
    org_services.staff_set_absent(actor=None, staff_id=world.approver_a.pk, absent=True)
    from xiaoneng.cases.selectors import task_inbox

    assert task in list(task_inbox(actor=world.approver_a2.user))
    with pytest.raises(Conflict):
        services.task_approve(task=task, actor=world.head.user)
    services.task_approve(task=task, actor=world.approver_a2.user, opinion="同意（代A岗）")
    task.refresh_from_db()
    assert (task.state, task.assignee) == ("done", world.approver_a2)
    event = AuditEvent.objects.get(action="cases.task_approved")
    assert event.payload["on_behalf_of"] == world.approver_a.pk


def three_step_item(world):
    return world.item_with(
        process=[
            {"name": "初审", "tasks": [factories._task("初审", world.lead, 2)]},
            world._item_data()["process"][1],
            world._item_data()["process"][2],
        ]
    )


def test_return_inside_a_parallel_step_keeps_finished_tasks_and_rearms_timers(world, travel):
    case = accepted(world, three_step_item(world))
    assert (case.current_step, states(case, 1)) == (1, ["pending"])
    do(task_of(case, 1, world.lead), world.approver_a)
    travel("2026-03-03 10:00")
    do(task_of(case, 2, world.assist_b), world.approver_b)
    services.task_claim(task=task_of(case, 2, world.assist_c), actor=world.approver_c.user)
    lead = task_of(case, 2, world.lead)
    services.task_claim(task=lead, actor=world.approver_a.user)
    with pytest.raises(ValidationFailed):
        services.task_return(task=lead, actor=world.approver_a.user, reason=" ")
    travel("2026-03-04 10:00")
    services.task_return(task=lead, actor=world.approver_a.user, reason="初审意见不完整")
    # B finished before the return: stays done; C (open) is withdrawn with the lead.
    assert states(case, 2) == ["returned", "done", "returned"]
    first = task_of(case, 1, world.lead)
    assert (first.state, first.round, first.assignee) == ("reopened", 2, None)
    assert first.timer.due_at == at("2026-03-06 17:30")  # fresh: 2 working days from 03-04
    case.refresh_from_db()
    assert case.current_step == 1
    assert [s.state for s in CaseStep.objects.filter(case=case)] == ["active", "pending", "pending"]
    assert Timer.objects.get(pk=task_of(case, 2, world.assist_c).timer_id).status == "done"
    event = AuditEvent.objects.get(action="cases.task_returned")
    assert (event.payload["from_step"], event.payload["to_step"]) == (2, 1)
    assert event.payload["reason"] == "初审意见不完整"

    travel("2026-03-05 10:00")
    do(first, world.approver_a)
    # step 2 is re-armed: the returned tasks reopen with fresh timers, B stays done
    assert states(case, 2) == ["reopened", "done", "reopened"]
    rearmed = task_of(case, 2, world.assist_c)
    assert (rearmed.round, rearmed.timer.due_at) == (2, at("2026-03-10 17:30"))
    # only the lead department may reopen B's finished task
    b_task = task_of(case, 2, world.assist_b)
    with pytest.raises(PermissionDenied):
        services.task_reopen(task=b_task, actor=world.approver_c.user, reason="请复核")
    services.task_reopen(task=b_task, actor=world.approver_a.user, reason="消防意见需按新图纸复核")
    assert states(case, 2) == ["reopened", "reopened", "reopened"]
    for dept, staff in [
        (world.lead, world.approver_a),
        (world.assist_b, world.approver_b),
        (world.assist_c, world.approver_c),
    ]:
        do(task_of(case, 2, dept), staff)
    case.refresh_from_db()
    assert case.current_step == 3


def test_first_process_step_cannot_be_returned(world):
    case = accepted(world)
    lead = task_of(case, 2, world.lead)
    services.task_claim(task=lead, actor=world.approver_a.user)
    with pytest.raises(InvalidState) as exc:
        services.task_return(task=lead, actor=world.approver_a.user, reason="退回")
    assert exc.value.code == "no_previous_step"
    lead.refresh_from_db()
    assert lead.state == "claimed"


def test_refusal_recommendation_skips_to_the_decision(world):
    case = accepted(world)
    with pytest.raises(ValidationFailed):
        do(task_of(case, 2, world.assist_b), world.approver_b, "recommend_refusal", opinion="")
    services.task_recommend_refusal(
        task=task_of(case, 2, world.assist_b), actor=world.approver_b.user, opinion="消防不合格"
    )
    do(task_of(case, 2, world.lead), world.approver_a)
    do(task_of(case, 2, world.assist_c), world.approver_c)
    case.refresh_from_db()
    assert (case.state, case.refusal_recommended) == ("pending_decision", True)
    assert CaseStep.objects.get(case=case, position=3).state == "pending"


def finish_process(world, case):
    for dept, staff in [
        (world.lead, world.approver_a),
        (world.assist_b, world.approver_b),
        (world.assist_c, world.approver_c),
    ]:
        do(task_of(case, 2, dept), staff)
    do(task_of(case, 3, world.lead), world.approver_a)
    case.refresh_from_db()
    return case


def test_decision_and_licence_within_the_delivery_timer(world, travel):
    case = finish_process(world, accepted(world))
    with pytest.raises(PermissionDenied):
        services.case_decide(case=case, actor=world.approver_b.user, outcome="grant")
    with pytest.raises(ValidationFailed) as exc:
        services.case_decide(case=case, actor=world.approver_a.user, outcome="refuse")
    assert {e.field for e in exc.value.errors} == {"reasons", "legal_basis"}
    travel("2026-03-05 16:00")
    services.case_decide(
        case=case, actor=world.approver_a.user, outcome="grant", reasons="符合条件"
    )
    case.refresh_from_db()
    assert (case.state, case.decision, case.decided_at) == (
        "granted",
        "grant",
        at("2026-03-05 16:00"),
    )
    assert {case.promised_timer.status, case.statutory_timer.status} == {"done"}
    assert case.delivery_timer.due_at == at("2026-03-19 17:30")
    with pytest.raises(ValidationFailed):
        services.licence_issue(case=case, actor=world.approver_a.user, scope="")
    import datetime as dt

    licence = services.licence_issue(
        case=case,
        actor=world.approver_a.user,
        scope="预包装食品（含冷藏冷冻食品）销售",
        valid_from=dt.date(2026, 3, 6),
        valid_until=dt.date(2031, 3, 5),
    )
    assert licence.number == "L990100-20260305-000001"
    assert (licence.holder_name, licence.holder_id_number) == (case.applicant_name, case.id_number)
    case.refresh_from_db()
    assert case.state == "completed"
    assert Timer.objects.get(pk=case.delivery_timer_id).status == "done"
    with pytest.raises(InvalidState):
        services.licence_issue(case=case, actor=world.approver_a.user, scope="x")
    assert Licence.objects.count() == 1


def test_refusal_decision_needs_reasons_and_ends_the_case(world):
    case = finish_process(world, accepted(world))
    services.case_decide(
        case=case,
        actor=world.approver_a.user,
        outcome="refuse",
        reasons="经营场所不符合要求",
        legal_basis="《食品经营许可管理办法》第十一条",
    )
    case.refresh_from_db()
    assert (case.state, case.delivery_timer) == ("rejected", None)


# --------------------------------------------------------------------------- concurrency

pg_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")


@pg_only
@pytest.mark.django_db(transaction=True)
def test_two_approvers_claiming_one_task_at_once_exactly_one_wins(world):
    case = accepted(world)
    task = task_of(case, 2, world.lead)
    users = [world.approver_a.user, world.approver_a2.user]
    results = race([lambda u=u: services.task_claim(task=task.pk, actor=u) for u in users])
    wins = [r for r in results if isinstance(r, CaseTask)]
    losses = [r for r in results if isinstance(r, Conflict)]
    assert (len(wins), len(losses)) == (1, 1)
    assert "签收" in str(losses[0].message)
    task.refresh_from_db()
    assert task.assignee_id == wins[0].assignee_id
    assert AuditEvent.objects.filter(action="cases.task_claimed").count() == 1


@pg_only
@pytest.mark.django_db(transaction=True)
def test_parallel_approvals_at_once_still_complete_the_step(world):
    case = accepted(world)
    pairs = [
        (task_of(case, 2, world.lead), world.approver_a),
        (task_of(case, 2, world.assist_b), world.approver_b),
        (task_of(case, 2, world.assist_c), world.approver_c),
    ]
    for task, staff in pairs:
        services.task_claim(task=task, actor=staff.user)
    results = race(
        [lambda t=t, s=s: services.task_approve(task=t.pk, actor=s.user) for t, s in pairs]
    )
    assert all(isinstance(r, CaseTask) for r in results)
    assert Case.objects.get(pk=case.pk).current_step == 3


@pg_only
@pytest.mark.django_db(transaction=True)
def test_case_numbers_are_unique_under_concurrent_submissions(world):
    results = race(
        [lambda n=n: world.submit(applicant=factories.person(serial=n)) for n in range(6)]
    )
    numbers = sorted(r.number for r in results)
    assert numbers == [f"990100-20260302-{n:06d}" for n in range(1, 7)]


@pg_only
@pytest.mark.django_db(transaction=True)
def test_a_double_submit_racing_itself_makes_one_case(world):
    def submit():
        return world.submit(applicant=factories.person(serial=9), idempotency_key="dbl-1")

    results = race([submit, submit, submit])
    assert all(isinstance(r, Case) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Case.objects.count() == 1


def test_dispatch_to_an_absent_a_goes_to_the_b_backup(world):
    org_services.backup_pair_set(actor=None, primary=world.approver_a, backup=world.approver_a2)
    org_services.staff_set_absent(actor=None, staff_id=world.approver_a.pk, absent=True)
    case = accepted(world)
    task = task_of(case, 2, world.lead)
    with pytest.raises(ValidationFailed) as exc:
        services.task_claim(task=task, actor=world.head.user, assignee=world.approver_b)
    assert exc.value.field == "assignee"
    task = services.task_claim(task=task, actor=world.head.user, assignee=world.approver_a)
    assert (task.state, task.assignee) == ("claimed", world.approver_a2)
    event = AuditEvent.objects.get(action="cases.task_claimed")
    assert (event.payload["routed_from"], event.payload["assigned_by"]) == (
        world.approver_a.pk,
        world.head.pk,
    )


def test_a_later_steps_task_cannot_be_claimed_before_its_step_starts(world):
    from xiaoneng.cases.selectors import task_actions, task_inbox

    case = accepted(world)
    later = task_of(case, 3, world.lead)
    assert later.id not in [t.id for t in task_inbox(actor=world.approver_a.user)]
    assert task_actions(actor=world.approver_a.user, task=later) == frozenset()
    with pytest.raises(InvalidState) as exc:
        services.task_claim(task=later, actor=world.approver_a.user)
    assert exc.value.code == "step_not_active"
    assert "尚未开始" in str(exc.value.message)
    later.refresh_from_db()
    assert (later.state, later.assignee_id) == ("pending", None)
    case.refresh_from_db()
    assert (case.state, case.current_step) == ("processing", 2)
    # The parallel step's own tasks are in the inbox and can be claimed.
    current = task_of(case, 2, world.lead)
    assert current.id in [t.id for t in task_inbox(actor=world.approver_a.user)]
    assert "claim" in task_actions(actor=world.approver_a.user, task=current)


def test_an_unknown_special_procedure_kind_is_refused(world):
    case = accepted(world)
    with pytest.raises(ValidationFailed) as exc:
        services.special_procedure_start(
            case=case,
            actor=world.approver_a.user,
            kind="séance",
            name="通灵",
            expected=Limit(5, LimitUnit.WORKING_DAYS),
        )
    assert "kind" in {e.field for e in exc.value.errors}
