"""Scoped reads: who sees which case, inboxes by urgency, history, public progress."""

import dataclasses

import pytest
from django.contrib.auth.models import AnonymousUser

from xiaoneng.cases import selectors, services
from xiaoneng.cases.models import CaseTask
from xiaoneng.core.errors import NotFound
from xiaoneng.org.models import Role
from xiaoneng.org.tests import factories as org_factories

from . import factories
from .conftest import at, due

pytestmark = pytest.mark.django_db


def numbers(qs):
    return sorted(c.number for c in qs)


def test_case_list_scope_matrix(world):
    mine = world.submit()
    other_applicant = factories.applicant_user()
    theirs = world.submit(actor=other_applicant, applicant=factories.person(serial=5))
    services.case_accept(case=mine, actor=world.clerk.user)
    assert numbers(selectors.case_list(actor=world.applicant)) == [mine.number]
    assert numbers(selectors.case_list(actor=other_applicant)) == [theirs.number]
    assert numbers(selectors.case_list(actor=world.clerk.user)) == [mine.number, theirs.number]
    # assisting department: only the case that has reached its task
    assert numbers(selectors.case_list(actor=world.approver_b.user)) == [mine.number]
    assert numbers(selectors.case_list(actor=world.outsider.user)) == []
    assert numbers(selectors.case_list(actor=world.office.user)) == [mine.number, theirs.number]
    assert numbers(selectors.case_list(actor=AnonymousUser())) == []
    assert numbers(selectors.case_list(actor=None)) == []
    county = org_factories.county()
    far = org_factories.staff(
        [Role.SUPERVISOR], org_factories.department(region_=county), password=None
    )
    assert numbers(selectors.case_list(actor=far.user)) == []


def test_case_list_filters(world):
    a = world.submit()
    b = world.submit(applicant=factories.person(serial=3))
    services.case_accept(case=a, actor=world.clerk.user)
    clerk = world.clerk.user
    assert numbers(selectors.case_list(actor=clerk, filters={"state": "received"})) == [b.number]
    assert numbers(selectors.case_list(actor=clerk, filters={"number": b.number[-6:]})) == [
        b.number
    ]
    assert numbers(selectors.case_list(actor=clerk, filters={"item_code": "nope"})) == []


def test_case_get_hides_cases_out_of_scope(world):
    case = world.submit()
    assert selectors.case_get(actor=world.applicant, number=case.number) == case
    with pytest.raises(NotFound):
        selectors.case_get(actor=world.outsider.user, number=case.number)
    with pytest.raises(NotFound):
        selectors.case_get(actor=factories.applicant_user(), number=case.number)


def test_task_inbox_green_channel_first_then_nearest_due(world, travel):
    first = services.case_accept(case=world.submit(), actor=world.clerk.user)
    travel("2026-03-03 10:00")
    later = services.case_accept(
        case=world.submit(applicant=factories.person(serial=2)), actor=world.clerk.user
    )
    travel("2026-03-04 10:00")
    green = services.case_receive(
        actor=world.clerk.user,
        item=world.item,
        applicant=factories.person(serial=3),
        is_green_channel=True,
    )
    green = services.case_accept(case=green, actor=world.clerk.user)
    inbox = list(selectors.task_inbox(actor=world.approver_c.user))
    assert [t.case_id for t in inbox] == [green.pk, first.pk, later.pk]
    assert [due(t.timer) for t in inbox] == [
        at("2026-03-09 17:30"),
        at("2026-03-05 17:30"),
        at("2026-03-06 17:30"),
    ]
    assert list(selectors.task_inbox(actor=world.outsider.user)) == []
    assert list(selectors.task_inbox(actor=world.applicant)) == []
    task = CaseTask.objects.get(case=first, department=world.assist_c)
    services.task_claim(task=task, actor=world.approver_c.user)
    other_c = org_factories.staff([Role.APPROVER], world.assist_c, password=None)
    assert task not in list(selectors.task_inbox(actor=other_c.user))
    assert task in list(selectors.task_inbox(actor=world.approver_c.user))


def test_intake_queue(world):
    case = world.submit()
    assert list(selectors.intake_queue(actor=world.clerk.user)) == [case]
    assert list(selectors.intake_queue(actor=world.approver_a.user)) == []


def test_case_history_comes_from_the_audit_log(world):
    case = world.submit()
    services.case_accept(case=case, actor=world.clerk.user)
    history = selectors.case_history(actor=world.applicant, case=case)
    assert [e.action for e in history] == ["cases.case_submitted", "cases.case_accepted"]
    assert "李四" not in str([e.payload for e in history])
    with pytest.raises(NotFound):
        selectors.case_history(actor=world.outsider.user, case=case)


def test_public_progress_needs_the_query_code_and_shows_no_personal_data(world):
    case = services.case_accept(case=world.submit(), actor=world.clerk.user)
    with pytest.raises(NotFound):
        selectors.progress_public(number=case.number, query_code="WRONG123")
    with pytest.raises(NotFound):
        selectors.progress_public(number="nope", query_code=case.query_code)
    progress = selectors.progress_public(
        number=case.number, query_code=case.query_code.lower(), now=at("2026-03-03 10:00")
    )
    assert (progress.state, progress.state_label, progress.item_name) == (
        "processing",
        "办理中",
        "食品经营许可证核发",
    )
    assert [(s.name, s.state) for s in progress.steps] == [
        ("受理", "done"),
        ("联合审查", "active"),
        ("审批决定", "pending"),
    ]
    assert due(progress.promised) == at("2026-03-16 17:30")
    names = {f.name for f in dataclasses.fields(progress)}
    assert not names & {"applicant_name", "id_number", "mobile", "query_code"}
    text = repr(progress)
    assert case.id_number not in text
    assert "李四" not in text


def test_case_times_and_actions(world):
    case = services.case_accept(case=world.submit(), actor=world.clerk.user)
    times = selectors.case_times(
        actor=world.applicant, number=case.number, now=at("2026-03-03 10:00")
    )
    assert due(times.promised) == at("2026-03-16 17:30")
    assert due(times.statutory) == at("2026-03-30 17:30")
    assert [t.name for t, _ in times.tasks] == ["主办审查", "消防审查", "环保审查"]
    assert selectors.case_actions(actor=world.applicant, case=case) == {"withdraw"}
    assert "extension_request" in selectors.case_actions(actor=world.approver_a.user, case=case)
    assert selectors.case_actions(actor=world.outsider.user, case=case) == frozenset()


def test_task_actions_follow_state_department_and_assignee(world):
    case = services.case_accept(case=world.submit(), actor=world.clerk.user)
    lead = CaseTask.objects.get(case=case, department=world.lead, step__position=2)
    b_task = CaseTask.objects.get(case=case, department=world.assist_b)
    assert selectors.task_actions(actor=world.approver_a.user, task=lead) == {"claim"}
    assert selectors.task_actions(actor=world.approver_b.user, task=lead) == frozenset()
    assert selectors.task_actions(actor=world.clerk.user, task=lead) == frozenset()
    services.task_claim(task=lead, actor=world.approver_a.user)
    lead.refresh_from_db()
    assert selectors.task_actions(actor=world.approver_a.user, task=lead) == {
        "approve",
        "recommend_refusal",
    }
    assert selectors.task_actions(actor=world.approver_a2.user, task=lead) == frozenset()
    services.task_claim(task=b_task, actor=world.approver_b.user)
    services.task_approve(task=b_task, actor=world.approver_b.user)
    b_task.refresh_from_db()
    assert selectors.task_actions(actor=world.approver_a.user, task=b_task) == {"reopen"}
    assert selectors.task_actions(actor=world.approver_b.user, task=b_task) == frozenset()


def test_steps_and_materials_of_a_visible_case_only(world):
    case = services.case_accept(case=world.submit(), actor=world.clerk.user)
    steps = selectors.case_steps(actor=world.applicant, number=case.number)
    assert [(s.position, s.state_label, s.completed_at) for s in steps] == [
        (1, "已完成", at("2026-03-02 10:00")),
        (2, "办理中", None),
        (3, "未开始", None),
    ]
    material = case.materials.get()
    got = selectors.case_material_get(
        actor=world.clerk.user, number=case.number, material_id=material.pk
    )
    assert got.file.read() == factories.PDF
    with pytest.raises(NotFound):
        selectors.case_material_get(
            actor=world.outsider.user, number=case.number, material_id=material.pk
        )
    with pytest.raises(NotFound):
        selectors.case_material_get(actor=world.applicant, number=case.number, material_id=0)


def test_applicant_identity_is_masked_outside_the_implementing_department(world):
    case = services.case_accept(case=world.submit(), actor=world.clerk.user)
    full = selectors.case_applicant(actor=world.clerk.user, case=case)
    assert (full.id_number, full.mobile, full.masked) == (case.id_number, "13800138000", False)
    assert selectors.case_applicant(actor=world.applicant, case=case).masked is False
    other = selectors.case_applicant(actor=world.approver_b.user, case=case)
    assert other.id_number == case.id_number[:6] + "********" + case.id_number[-4:]
    assert (other.mobile, other.masked, other.name) == ("138****8000", True, "李四")
    with pytest.raises(NotFound):
        selectors.case_applicant(actor=world.outsider.user, case=case)
