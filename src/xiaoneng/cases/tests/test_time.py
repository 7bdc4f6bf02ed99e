"""Time: special procedures pause the clock, extensions, deemed approval, green channel,
renewal (Art. 45, 42, 50), with exact dates under the 2026 national calendar."""

import datetime as dt

import pytest

from xiaoneng.audit.models import AuditEvent
from xiaoneng.cases import services
from xiaoneng.cases.models import Case, CaseTask, Licence
from xiaoneng.cases.selectors import task_inbox
from xiaoneng.clock import Limit, LimitUnit
from xiaoneng.core.errors import InvalidState, PermissionDenied, ValidationFailed
from xiaoneng.deadlines.models import Timer, TimerStatus

from . import factories
from .conftest import at, due

pytestmark = pytest.mark.django_db


def accepted(world, item=None, **kw):
    case = world.submit(item=item, **kw)
    return services.case_accept(case=case, actor=world.clerk.user)


def timer(pk):
    return Timer.objects.get(pk=pk)


def test_special_procedure_pauses_case_and_step_timers_and_tells_the_applicant(world, travel):
    case = accepted(world)
    assert case.promised_timer.due_at == at("2026-03-16 17:30")
    travel("2026-03-03 09:00")
    with pytest.raises(ValidationFailed) as exc:
        services.special_procedure_start(
            case=case, actor=world.approver_a.user, kind="expert_review", name="专家评审"
        )
    assert exc.value.field == "expected"
    record = services.special_procedure_start(
        case=case,
        actor=world.approver_a.user,
        kind="expert_review",
        name="专家评审",
        expected=Limit(10, LimitUnit.WORKING_DAYS),
    )
    assert (
        record.notice_text
        == "因需要进行专家评审，所需时间约10个工作日，该时间不计算在法定办理期限内。"
    )
    assert (record.expected_limit_value, record.expected_limit_unit) == (10, "working_days")
    assert due(record.timer) == at("2026-03-17 17:30")
    case.refresh_from_db()
    assert case.state == "suspended"
    assert timer(case.promised_timer_id).status == TimerStatus.PAUSED
    tasks = CaseTask.objects.filter(case=case, step__position=2)
    assert {timer(t.timer_id).status for t in tasks} == {TimerStatus.PAUSED}
    with pytest.raises(InvalidState):
        services.task_claim(task=tasks[0], actor=world.approver_a.user)
    with pytest.raises(PermissionDenied):
        services.special_procedure_end(record=record, actor=world.outsider.user)
    travel("2026-03-05 09:00")
    services.special_procedure_end(record=record, actor=world.approver_a.user, result="通过")
    case.refresh_from_db()
    assert case.state == "processing"
    # two whole working days (03-03, 03-04) were paused: due moves by exactly two
    assert timer(case.promised_timer_id).due_at == at("2026-03-18 17:30")
    assert timer(case.statutory_timer_id).due_at == at("2026-04-01 17:30")
    assert timer(tasks[0].timer_id).due_at == at("2026-03-09 17:30")
    assert timer(record.timer_id).status == TimerStatus.DONE
    with pytest.raises(InvalidState):
        services.special_procedure_end(record=record, actor=world.approver_a.user)


def test_item_special_procedure_that_counts_in_the_limit_does_not_pause(world):
    item = world.item_with(
        special_procedures=[
            {
                "name": "现场核查",
                "kind": "inspection",
                "pauses_clock": False,
                "limit": {"value": 3, "unit": "working_days"},
                "note": "",
            }
        ]
    )
    case = accepted(world, item)
    procedure = item.special_procedures.get()
    record = services.special_procedure_start(
        case=case, actor=world.approver_a.user, procedure=procedure
    )
    assert (record.name, record.expected_limit_value) == ("现场核查", 3)
    case.refresh_from_db()
    assert case.state == "processing"
    assert timer(case.promised_timer_id).status == TimerStatus.RUNNING


def test_extension_needs_the_head_and_adds_ten_working_days_once(world, travel):
    case = accepted(world)
    with pytest.raises(ValidationFailed):
        services.extension_request(case=case, actor=world.approver_a.user, reason="")
    request = services.extension_request(
        case=case, actor=world.approver_a.user, reason="需征求相关部门意见"
    )
    with pytest.raises(InvalidState):
        services.extension_request(case=case, actor=world.approver_a.user, reason="再次")
    for staff in (world.approver_a, world.chief):
        with pytest.raises(PermissionDenied):
            services.extension_approve(request=request, actor=staff.user)
    travel("2026-03-10 10:00")
    services.extension_approve(request=request, actor=world.head.user)
    request.refresh_from_db()
    assert (request.state, request.decided_by) == ("approved", world.head)
    assert timer(case.promised_timer_id).due_at == at("2026-03-30 17:30")
    # 03-30 + 10 working days, across Qingming (04-06 is a holiday)
    assert timer(case.statutory_timer_id).due_at == at("2026-04-14 17:30")
    with pytest.raises(InvalidState) as exc:
        services.extension_request(case=case, actor=world.approver_a.user, reason="再延")
    assert exc.value.code == "already_extended"
    assert AuditEvent.objects.filter(action="cases.extension_approved").count() == 1


def test_joint_cases_extend_by_fifteen_and_a_rejection_changes_no_timer(world):
    joint = world.item_with(
        case_type="joint",
        statutory_limit={"value": 45, "unit": "working_days"},
        promised_limit={"value": 30, "unit": "working_days"},
    )
    case = accepted(world, joint)
    request = services.extension_request(case=case, actor=world.approver_a.user, reason="联合审查")
    assert (request.limit_value, request.limit_unit) == (15, "working_days")
    before = timer(case.statutory_timer_id).due_at
    assert before == at("2026-05-08 17:30")
    services.extension_reject(request=request, actor=world.head.user, note="不符合延期条件")
    assert timer(case.statutory_timer_id).due_at == before
    second = services.extension_request(case=case, actor=world.approver_a.user, reason="再申请")
    services.extension_approve(request=second, actor=world.head.user)
    # 45 + 15 working days across the May Day holiday (05-01..05-05, 05-09 a make-up day)
    assert timer(case.statutory_timer_id).due_at == at("2026-05-28 17:30")


def test_deemed_approval_when_the_step_limit_passes(world, travel):
    item = world.item_with(deemed_approval=True)
    case = accepted(world, item)
    plain = accepted(world)
    services.task_claim(
        task=CaseTask.objects.get(case=case, step__position=2, position=2),
        actor=world.approver_b.user,
    )
    travel("2026-03-05 17:29")
    assert services.cases_deemed_approval() == 0
    travel("2026-03-05 17:31")
    assert services.cases_deemed_approval() == 3
    tasks = CaseTask.objects.filter(case=case, step__position=2)
    assert {(t.state, t.outcome) for t in tasks} == {("done", "deemed_approved")}
    case.refresh_from_db()
    assert case.current_step == 3
    last = CaseTask.objects.get(case=case, step__position=3)
    assert due(last.timer) == at("2026-03-09 17:30")
    assert set(
        CaseTask.objects.filter(case=plain, step__position=2).values_list("state", flat=True)
    ) == {"pending"}
    assert services.cases_deemed_approval() == 0


def test_green_channel_uses_the_shorter_limit_and_sorts_first(world, travel):
    item = world.item_with(green_channel_limit={"value": 5, "unit": "working_days"})
    normal = accepted(world, item)
    travel("2026-03-02 11:00")
    green = services.case_receive(
        actor=world.clerk.user,
        item=item,
        applicant=factories.enterprise(),
        is_green_channel=True,
    )
    green = services.case_accept(case=green, actor=world.clerk.user)
    assert due(green.promised_timer) == at("2026-03-09 17:30")
    assert normal.promised_timer.due_at == at("2026-03-16 17:30")
    inbox = [t.case_id for t in task_inbox(actor=world.approver_b.user)]
    assert inbox == [green.pk, normal.pk]


def _licensed(world, travel, valid_from, valid_until):
    case = world.submit(applicant=factories.person(serial=42))
    case = services.case_accept(case=case, actor=world.clerk.user)
    for step, pairs in [
        (
            2,
            [
                (world.lead, world.approver_a),
                (world.assist_b, world.approver_b),
                (world.assist_c, world.approver_c),
            ],
        ),
        (3, [(world.lead, world.approver_a)]),
    ]:
        for dept, staff in pairs:
            task = CaseTask.objects.get(case=case, step__position=step, department=dept)
            services.task_claim(task=task, actor=staff.user)
            services.task_approve(task=task, actor=staff.user)
    services.case_decide(case=case, actor=world.approver_a.user, outcome="grant", reasons="符合")
    return services.licence_issue(
        case=case,
        actor=world.approver_a.user,
        scope="食品销售",
        valid_from=valid_from,
        valid_until=valid_until,
    )


def test_renewal_must_come_thirty_days_early_and_is_deemed_granted_at_expiry(world, travel):
    licence = _licensed(world, travel, dt.date(2026, 3, 2), dt.date(2027, 3, 1))
    travel("2027-01-31 10:00")  # 29 days before expiry
    with pytest.raises(ValidationFailed) as exc:
        world.submit(applicant=factories.person(serial=42), renewal_of=licence)
    assert exc.value.code == "renewal_too_late"
    with pytest.raises(ValidationFailed) as exc:
        world.submit(applicant=factories.person(serial=43), renewal_of=licence)
    travel("2027-01-30 10:00")
    renewal = world.submit(applicant=factories.person(serial=42), renewal_of=licence)
    assert renewal.renewal_of == licence
    travel("2027-03-01 23:00")
    assert services.cases_deemed_renewal() == 0
    travel("2027-03-02 08:00")
    assert services.cases_deemed_renewal() == 1
    renewal.refresh_from_db()
    assert (renewal.state, renewal.decision) == ("completed", "grant")
    assert renewal.decision_record.deemed
    new = Licence.objects.get(case=renewal)
    assert (new.valid_from, new.valid_until, new.renewed_from) == (
        dt.date(2027, 3, 2),
        dt.date(2028, 3, 1),
        licence,
    )
    assert Timer.objects.filter(subject_id=str(renewal.pk)).exclude(status="done").count() == 0
    assert services.cases_deemed_renewal() == 0


def test_renewed_until_keeps_whole_years_and_otherwise_days():
    assert services.renewed_until(dt.date(2026, 3, 2), dt.date(2027, 3, 1)) == dt.date(2028, 3, 1)
    assert services.renewed_until(dt.date(2026, 1, 1), dt.date(2026, 1, 10)) == dt.date(2026, 1, 20)


def test_case_state_unchanged_when_a_special_procedure_is_refused(world):
    case = world.submit()
    with pytest.raises(InvalidState):
        services.special_procedure_start(
            case=case,
            actor=world.approver_a.user,
            kind="hearing",
            name="听证",
            expected=Limit(20, LimitUnit.WORKING_DAYS),
        )
    assert Case.objects.get(pk=case.pk).state == "received"


def test_periodic_jobs_are_scheduled_and_run_through_their_tasks(world, travel):
    from xiaoneng.cases import tasks
    from xiaoneng.schedule import periodic_jobs

    names = {job.name: job.task for job in periodic_jobs()}
    assert names["cases-auto-accept"] == "xiaoneng.cases.tasks.cases_auto_accept"
    assert names["cases-deemed-approval"] == "xiaoneng.cases.tasks.cases_deemed_approval"
    assert names["cases-deemed-renewal"] == "xiaoneng.cases.tasks.cases_deemed_renewal"
    assert names["cases-documents"] == "xiaoneng.cases.tasks.cases_documents_issue"
    world.submit()
    travel("2026-03-10 09:00")
    assert (tasks.cases_auto_accept(), tasks.cases_deemed_approval()) == (1, 0)
    assert tasks.cases_deemed_renewal() == 0


def test_green_channel_is_set_by_the_approval_office_before_acceptance(world):
    item = world.item_with(green_channel_limit={"value": 5, "unit": "working_days"})
    case = world.submit(item=item)
    with pytest.raises(PermissionDenied):
        services.case_green_channel_set(case=case, actor=world.clerk.user)
    case = services.case_green_channel_set(case=case, actor=world.office.user)
    assert case.is_green_channel
    case = services.case_accept(case=case, actor=world.clerk.user)
    assert due(case.promised_timer) == at("2026-03-09 17:30")
    with pytest.raises(InvalidState):
        services.case_green_channel_set(case=case, actor=world.office.user, on=False)
    assert Case.objects.get(pk=case.pk).is_green_channel
