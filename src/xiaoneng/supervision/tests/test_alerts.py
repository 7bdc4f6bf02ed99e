"""Alerts: who is told (once), who may explain, confirm or dismiss, what is kept, who sees what.

Alerts of the notification tests come from the real sweep over real case timers; the
handling and scope tests create alert rows directly (they are about handling, not raising).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xiaoneng.audit.models import AuditEvent
from xiaoneng.cases import services as case_services
from xiaoneng.cases.models import Case, CaseTask
from xiaoneng.cases.tests.factories import World
from xiaoneng.cases.tests.factories import world as make_world
from xiaoneng.core.errors import (
    Conflict,
    InvalidState,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from xiaoneng.core.testing import race
from xiaoneng.notify import backends
from xiaoneng.notify.models import Delivery, Message
from xiaoneng.org.models import Department, Region, Role, Staff
from xiaoneng.org.tests import factories as org
from xiaoneng.supervision import tasks
from xiaoneng.supervision.models import Alert, AlertState
from xiaoneng.supervision.selectors import alerts as selectors
from xiaoneng.supervision.services import alerts as services
from xiaoneng.supervision.services import supervision_sweep

CST = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=CST)  # a Monday


@pytest.fixture
def clock():
    """Beijing time stands still at ``START``; ``clock.move_to(t)`` moves it."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


# --------------------------------------------------------------------------- a region tree


@dataclass
class Land:
    city: Region
    east: Region  # 东湖县
    west: Region  # 西山县
    city_dept: Department
    east_dept: Department
    west_dept: Department
    east_head: Staff
    east_clerk: Staff
    west_clerk: Staff
    city_supervisor: Staff
    east_supervisor: Staff
    west_supervisor: Staff
    west_leader: Staff


def land() -> Land:
    city = org.region()
    east = org.county("990121000000", "东湖县", city)
    west = org.county("990122000000", "西山县", city)
    city_dept = org.department("示范市自然资源局", city)
    east_dept = org.department("东湖县市场监督管理局", east)
    west_dept = org.department("西山县市场监督管理局", west)
    east_head = org.staff([Role.APPROVER], east_dept)
    east_dept.head = east_head
    east_dept.save(update_fields=["head"])
    return Land(
        city=city,
        east=east,
        west=west,
        city_dept=city_dept,
        east_dept=east_dept,
        west_dept=west_dept,
        east_head=east_head,
        east_clerk=org.staff([Role.CLERK], east_dept),
        west_clerk=org.staff([Role.CLERK], west_dept),
        city_supervisor=org.staff([Role.SUPERVISOR], org.department("示范市效能监察室", city)),
        east_supervisor=org.staff([Role.SUPERVISOR], org.department("东湖县效能监察室", east)),
        west_supervisor=org.staff([Role.SUPERVISOR], org.department("西山县效能监察室", west)),
        west_leader=org.staff([Role.LEADERSHIP_OFFICE], org.department("西山县效能办", west)),
    )


def make_alert(
    department: Department,
    *,
    staff: Staff | None = None,
    level: str = "red",
    rule: str = "deadline_overdue",
    subject_id: str | None = None,
    raised_at: dt.datetime = START,
    **extra,
) -> Alert:
    return Alert.objects.create(
        rule=rule,
        level=level,
        subject_type="test.subject",
        subject_id=subject_id or f"{department.pk}-{Alert.objects.count() + 1}",
        region=department.region,
        department=department,
        staff=staff,
        facts={"超期": "2个工作日"},
        raised_at=raised_at,
        notified_at=extra.pop("notified_at", raised_at),
        **extra,
    )


def visible(staff: Staff, **filters) -> set[int]:
    return set(selectors.alert_list(actor=staff.user, filters=filters).values_list("pk", flat=True))


# --------------------------------------------------------------------------- notification


def accepted_case(w: World) -> tuple[Case, CaseTask, CaseTask]:
    """A case in its joint review step: the lead task claimed by approver A, the fire
    brigade's task unclaimed."""
    case = case_services.case_accept(case=w.submit(), actor=w.clerk.user)
    lead = CaseTask.objects.get(case=case, step__position=2, department=w.lead)
    fire = CaseTask.objects.get(case=case, step__position=2, department=w.assist_b)
    case_services.task_claim(task=lead, actor=w.approver_a.user)
    lead.refresh_from_db()
    fire.refresh_from_db()
    return case, lead, fire


def inbox(staff: Staff) -> list[tuple[str, str, str]]:
    return list(
        Message.objects.filter(recipient_id=staff.user_id)
        .order_by("id")
        .values_list("subject", "body", "link")
    )


@pytest.mark.django_db
def test_sweep_alerts_name_the_task_department_and_person_and_reach_them_and_the_head(
    clock, django_capture_on_commit_callbacks
):
    w = make_world()
    w.assist_b.head = w.approver_b
    w.assist_b.save(update_fields=["head"])
    case, lead, fire = accepted_case(w)
    assert lead.timer is not None
    assert lead.timer.warn_at is not None
    clock.move_to(lead.timer.warn_at)

    # The sweep's event wakes the notifier right after the commit.
    with django_capture_on_commit_callbacks(execute=True):
        raised = supervision_sweep()

    assert raised == 3  # the three review tasks of the joint step
    on_lead = Alert.objects.get(subject_type="cases.casetask", subject_id=str(lead.pk))
    on_fire = Alert.objects.get(subject_type="cases.casetask", subject_id=str(fire.pk))
    assert (on_lead.level, on_lead.case_id, on_lead.department_id, on_lead.staff_id) == (
        "yellow",
        case.pk,
        w.lead.pk,
        w.approver_a.pk,
    )
    assert (on_fire.department_id, on_fire.staff_id) == (w.assist_b.pk, None)
    assert on_lead.notified_at == lead.timer.warn_at
    # The person and the department head, one message each about this alert.
    [(subject, body, link)] = inbox(w.approver_a)
    assert subject.startswith("【黄牌预警】")
    assert f"办件 {case.number} 的“主办审查”环节（环节时限）" in body
    assert "责任部门：示范市市场监督管理局" in body
    assert f"责任人：{w.approver_a.user.full_name}" in body
    assert "产生时间：" + lead.timer.warn_at.astimezone(CST).strftime("%Y-%m-%d %H:%M") in body
    assert link == f"/staff/supervision/alerts/{on_lead.pk}/"
    assert [m[2] for m in inbox(w.head)] == [link]
    # Nobody claimed the fire brigade's task: only its head hears of it.
    assert [m[2] for m in inbox(w.approver_b)] == [f"/staff/supervision/alerts/{on_fire.pk}/"]
    event = AuditEvent.objects.get(action=services.ALERT_NOTIFIED, object_id=str(on_lead.pk))
    assert event.payload["recipients"] == [w.approver_a.pk, w.head.pk]
    assert event.department_id == w.lead.pk


@pytest.mark.django_db
def test_each_alert_is_told_once_however_often_the_job_runs(
    clock, django_capture_on_commit_callbacks
):
    w = make_world()
    _case, lead, _fire = accepted_case(w)
    assert lead.timer is not None
    assert lead.timer.due_at is not None
    clock.move_to(lead.timer.due_at + dt.timedelta(minutes=1))
    assert supervision_sweep() == 3  # red (past due) for each review task
    before = Message.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.alerts_notify() == 3
        assert tasks.alerts_notify() == 0
        assert services.alerts_notify_pending(limit=1) == 0

    # approver A (lead task) + the head of the lead department; the assisting departments
    # have no head and nobody claimed their tasks: nobody to tell, still marked once.
    assert Message.objects.count() - before == 2
    assert inbox(w.approver_a)[0][0].startswith("【红牌纠错】")
    assert not Alert.objects.filter(notified_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action=services.ALERT_NOTIFIED).count() == 3


@pytest.mark.django_db
def test_batches_notify_every_pending_alert(clock, django_capture_on_commit_callbacks):
    w = make_world()
    accepted_case(w)
    accepted_case(w)
    timer = CaseTask.objects.filter(state="claimed").first().timer  # type: ignore[union-attr]
    assert timer is not None
    assert timer.due_at is not None
    clock.move_to(timer.due_at + dt.timedelta(minutes=1))
    assert supervision_sweep() == 6
    with django_capture_on_commit_callbacks(execute=True):
        assert services.alerts_notify_pending(limit=4) == 6
    assert inbox(w.head)[0][2].startswith("/staff/supervision/alerts/")
    assert len(inbox(w.head)) == 2  # one per lead task, the two assisting ones have no head


@pytest.mark.django_db
def test_an_intake_alert_is_the_receiving_clerks_and_its_department_heads(
    clock, django_capture_on_commit_callbacks
):
    w = make_world()
    case = case_services.case_receive(
        actor=w.clerk.user,
        item=w.item,
        applicant=case_services.ApplicantInfo(
            kind="person", name="王五", id_number=org.resident_id(), mobile="13800138001"
        ),
        materials=[],
    )
    assert case.intake_timer is not None
    assert case.intake_timer.due_at is not None
    clock.move_to(case.intake_timer.due_at + dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        supervision_sweep()
    alert = Alert.objects.get(subject_type="cases.case", subject_id=str(case.pk), level="red")
    assert (alert.case_id, alert.department_id, alert.staff_id) == (case.pk, w.lead.pk, w.clerk.pk)
    assert len(inbox(w.clerk)) == 1
    subjects = selectors.alert_subjects([alert])
    assert subjects[alert.pk].label == f"办件 {case.number}（受理时限）"
    assert subjects[alert.pk].case_number == case.number


@pytest.mark.django_db
def test_an_alert_that_names_only_a_case_goes_to_the_cases_department(
    clock, django_capture_on_commit_callbacks
):
    w = make_world()
    case = w.submit()
    alert = Alert.objects.create(
        rule="fee_deviates",
        level="yellow",
        subject_type="cases.case",
        subject_id=str(case.pk),
        region=case.region,
        case=case,
        raised_at=START,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.alerts_notify_pending() == 1
    alert.refresh_from_db()
    assert (alert.department_id, alert.staff_id, alert.notified_at) == (w.lead.pk, None, START)
    [(_subject, body, _link)] = inbox(w.head)
    assert body.startswith(f"监察预警：办件 {case.number}，")
    assert "责任人：未确定" in body


@pytest.mark.django_db
def test_messages_commit_with_the_mark_and_the_sms_follow_with_bounded_statements(
    clock, django_capture_on_commit_callbacks
):
    g = land()
    for person, number in ((g.east_clerk, "13800138011"), (g.east_head, "13800138012")):
        person.user.mobile = number
        person.user.save(update_fields=["mobile"])
    backends.outbox.clear()

    def notify(n: int) -> tuple[int, int]:
        """Notify n new alerts; how many statements that took, how many callbacks queued."""
        for i in range(n):
            make_alert(g.east_dept, staff=g.east_clerk, subject_id=f"n{n}-{i}", notified_at=None)
        with django_capture_on_commit_callbacks() as callbacks:
            with CaptureQueriesContext(connection) as queries:
                assert services.alerts_notify_pending() == n
            # The in-site messages are written with the mark; the SMS wait for the commit.
            assert len(inbox(g.east_clerk)) == len(inbox(g.east_head)) == sent + n
            assert len(backends.outbox) == 2 * sent
        for callback in callbacks:
            callback()
        return len(queries), len(callbacks)

    sent = 0
    few = notify(3)
    sent = 3
    many = notify(60)
    assert few[0] == many[0]  # the same statements for 3 alerts and for 60
    assert (few[1], many[1]) == (1, 2)  # the SMS go in tasks of 100

    subject, body, link = inbox(g.east_clerk)[-1]
    assert link == f"/staff/supervision/alerts/{Alert.objects.latest('pk').pk}/"
    assert "责任人：" + g.east_clerk.user.full_name in body
    sms = [(item.to, item.text) for item in backends.outbox]
    assert len(sms) == 126
    assert sms[-2:] == [
        ("13800138011", f"{subject}：{body}"),
        ("13800138012", f"{subject}：{body}"),
    ]
    assert Delivery.objects.filter(status="sent").count() == 126
    assert not Alert.objects.filter(notified_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_notifiers_tell_each_alert_once():
    if connection.vendor != "postgresql":
        pytest.skip("parallel transactions need PostgreSQL")
    g = land()
    for i in range(60):
        make_alert(g.east_dept, staff=g.east_clerk, subject_id=f"c{i}", notified_at=None)
    done = race([lambda: services.alerts_notify_pending(limit=10)] * 2)
    assert sum(done) == 60
    assert len(inbox(g.east_clerk)) == 60
    assert len(inbox(g.east_head)) == 60
    assert AuditEvent.objects.filter(action=services.ALERT_NOTIFIED).count() == 60


# --------------------------------------------------------------------------- explain


@pytest.mark.django_db
def test_the_responsible_department_explains_an_open_alert(clock):
    g = land()
    alert = make_alert(g.east_dept, staff=g.east_clerk)

    done = services.alert_explain(
        actor=g.east_clerk.user, alert=alert, text="  申请人补交材料延误，已电话催办。 "
    )

    done.refresh_from_db()
    assert (done.state, done.explanation, done.explained_by_id, done.version) == (
        AlertState.EXPLAINED,
        "申请人补交材料延误，已电话催办。",
        g.east_clerk.pk,
        2,
    )
    assert done.explained_at == START
    event = AuditEvent.objects.get(action=services.ALERT_EXPLAINED)
    assert (event.object_type, event.object_id, event.actor_id) == (
        "supervision.alert",
        str(alert.pk),
        g.east_clerk.user_id,
    )
    assert event.payload == {
        "from": "open",
        "to": "explained",
        "text": "申请人补交材料延误，已电话催办。",
    }
    assert (event.region_code, event.department_id) == (g.east.code, g.east_dept.pk)


@pytest.mark.django_db
def test_an_explanation_is_required_once_and_only_from_the_department(clock):
    g = land()
    alert = make_alert(g.east_dept)

    with pytest.raises(ValidationFailed) as empty:
        services.alert_explain(actor=g.east_clerk.user, alert=alert, text="   ")
    assert (empty.value.field, str(empty.value.message)) == ("text", "请填写情况说明。")
    with pytest.raises(PermissionDenied) as supervisor:
        services.alert_explain(actor=g.east_supervisor.user, alert=alert, text="代为说明")
    assert str(supervisor.value.message) == "只有责任部门的工作人员可以对预警作出情况说明。"
    with pytest.raises(NotFound) as other_county:
        services.alert_explain(actor=g.west_clerk.user, alert=alert, text="不是我们的")
    assert str(other_county.value.message) == "预警不存在或无权查看。"
    with pytest.raises(ValidationFailed) as long:
        services.alert_explain(actor=g.east_clerk.user, alert=alert, text="长" * 2001)
    assert long.value.code == "too_long"
    alert.refresh_from_db()
    assert (alert.state, alert.explanation, alert.version) == ("open", "", 1)
    assert not AuditEvent.objects.filter(action=services.ALERT_EXPLAINED).exists()

    services.alert_explain(actor=g.east_clerk.user, alert=alert, text="第一次说明")
    with pytest.raises(InvalidState) as again:
        services.alert_explain(actor=g.east_head.user, alert=alert, text="第二次说明")
    assert str(again.value.message) == "该预警当前为“已说明”，不能再作说明。"
    alert.refresh_from_db()
    assert alert.explanation == "第一次说明"


# --------------------------------------------------------------------------- confirm / dismiss


@pytest.mark.django_db
def test_a_county_supervisor_confirms_an_explained_alert_and_the_reason_is_kept(
    clock, django_capture_on_commit_callbacks
):
    g = land()
    alert = make_alert(g.east_dept, staff=g.east_clerk)
    services.alert_explain(actor=g.east_clerk.user, alert=alert, text="系统故障")

    with django_capture_on_commit_callbacks(execute=True):
        services.alert_confirm(
            actor=g.east_supervisor.user,
            alert=alert,
            reason="经核查系统运行正常，超期属实。",
            expected_version=2,
        )

    alert.refresh_from_db()
    assert (alert.state, alert.handled_by_id, alert.handling_reason, alert.version) == (
        AlertState.CONFIRMED,
        g.east_supervisor.pk,
        "经核查系统运行正常，超期属实。",
        3,
    )
    assert alert.handled_at == START
    assert alert.explanation == "系统故障"  # the department's account stays beside the outcome
    event = AuditEvent.objects.get(action=services.ALERT_CONFIRMED)
    assert event.payload == {
        "from": "explained",
        "to": "confirmed",
        "reason": "经核查系统运行正常，超期属实。",
    }
    assert event.actor_id == g.east_supervisor.user_id
    # The clerk and the department head learn the outcome.
    for person in (g.east_clerk, g.east_head):
        [(subject, body, _link)] = inbox(person)
        assert subject == "【红牌纠错】超过办理时限"
        assert body.startswith("预警已确认：")
        assert body.endswith("理由：经核查系统运行正常，超期属实。")


@pytest.mark.django_db
def test_a_supervisor_dismisses_an_open_alert_and_the_outcome_is_final(clock):
    g = land()
    alert = make_alert(g.east_dept)

    services.alert_dismiss(actor=g.city_supervisor.user, alert=alert, reason="法定节假日调整")

    alert.refresh_from_db()
    assert (alert.state, alert.handling_reason, alert.handled_by_id) == (
        AlertState.DISMISSED,
        "法定节假日调整",
        g.city_supervisor.pk,
    )
    for act in (services.alert_confirm, services.alert_dismiss):
        with pytest.raises(InvalidState) as final:
            act(actor=g.east_supervisor.user, alert=alert, reason="改判")
        assert str(final.value.message) == "该预警已处理（已撤销），处理结果不能再更改。"
    with pytest.raises(InvalidState):
        services.alert_explain(actor=g.east_clerk.user, alert=alert, text="迟到的说明")
    alert.refresh_from_db()
    assert (alert.state, alert.handling_reason, alert.version) == ("dismissed", "法定节假日调整", 2)
    assert AuditEvent.objects.filter(action=services.ALERT_DISMISSED).count() == 1


@pytest.mark.django_db
def test_confirming_needs_a_reason_a_supervisor_of_the_region_and_the_current_version(clock):
    g = land()
    alert = make_alert(g.east_dept)

    with pytest.raises(ValidationFailed) as no_reason:
        services.alert_confirm(actor=g.east_supervisor.user, alert=alert, reason="")
    assert (no_reason.value.field, str(no_reason.value.message)) == ("reason", "请填写确认理由。")
    with pytest.raises(ValidationFailed) as no_dismiss_reason:
        services.alert_dismiss(actor=g.east_supervisor.user, alert=alert, reason=" ")
    assert str(no_dismiss_reason.value.message) == "请填写撤销理由。"
    with pytest.raises(NotFound):  # another county's supervisor does not even see it
        services.alert_confirm(actor=g.west_supervisor.user, alert=alert, reason="越权")
    with pytest.raises(PermissionDenied) as clerk:  # the department sees it but may not judge
        services.alert_confirm(actor=g.east_head.user, alert=alert, reason="自己确认")
    assert str(clerk.value.message) == "只有预警所在区划的效能监察人员可以确认预警。"
    with pytest.raises(Conflict) as stale:
        services.alert_dismiss(
            actor=g.east_supervisor.user, alert=alert, reason="理由", expected_version=7
        )
    assert stale.value.code == "stale_version"
    alert.refresh_from_db()
    assert (alert.state, alert.handled_by_id, alert.handling_reason, alert.version) == (
        "open",
        None,
        "",
        1,
    )
    assert not AuditEvent.objects.filter(
        action__in=[services.ALERT_CONFIRMED, services.ALERT_DISMISSED]
    ).exists()


# --------------------------------------------------------------------------- scope


@pytest.mark.django_db
def test_a_county_supervisor_sees_only_their_county(clock):
    g = land()
    east = make_alert(g.east_dept)
    west = make_alert(g.west_dept)
    city = make_alert(g.city_dept)

    assert visible(g.east_supervisor) == {east.pk}
    assert visible(g.west_supervisor) == {west.pk}
    assert visible(g.west_leader) == {west.pk}
    assert visible(g.city_supervisor) == {east.pk, west.pk, city.pk}
    assert selectors.alert_get(actor=g.east_supervisor.user, pk=east.pk) == east
    with pytest.raises(NotFound):
        selectors.alert_get(actor=g.east_supervisor.user, pk=west.pk)
    assert selectors.alert_actions(actor=g.east_supervisor.user, alert=east) == {
        "confirm",
        "dismiss",
        "order",  # a supervision order may follow a standing alert
    }
    assert selectors.alert_actions(actor=g.west_leader.user, alert=west) == frozenset()


@pytest.mark.django_db
def test_a_department_sees_only_its_own_alerts_and_outsiders_none(clock):
    g = land()
    east = make_alert(g.east_dept)
    make_alert(g.west_dept)
    other_east = org.staff([Role.CLERK], org.department("东湖县税务局", g.east))
    applicant = org.applicant()

    assert visible(g.east_clerk) == {east.pk}
    assert visible(g.east_head) == {east.pk}
    assert visible(other_east) == set()
    assert not selectors.alert_list(actor=applicant.user).exists()
    assert selectors.alert_actions(actor=g.east_clerk.user, alert=east) == {"explain"}


@pytest.mark.django_db
def test_filters_by_state_level_rule_department_and_day(clock):
    g = land()
    red = make_alert(g.east_dept, level="red")
    yellow = make_alert(g.east_dept, level="yellow", rule="deadline_warning")
    old = make_alert(g.west_dept, raised_at=START - dt.timedelta(days=3))
    services.alert_explain(actor=g.east_clerk.user, alert=red, text="说明")
    boss = g.city_supervisor

    assert visible(boss, level="yellow") == {yellow.pk}
    assert visible(boss, level=["yellow", "red"], department=g.east_dept.pk) == {
        red.pk,
        yellow.pk,
    }
    assert visible(boss, rule="deadline_warning") == {yellow.pk}
    assert visible(boss, state="explained") == {red.pk}
    assert visible(boss, raised_until=dt.date(2026, 2, 27)) == {old.pk}
    assert visible(boss, raised_from=dt.date(2026, 3, 2), raised_until=dt.date(2026, 3, 2)) == {
        red.pk,
        yellow.pk,
    }


def test_rule_labels_are_chinese_and_unknown_codes_stay_readable():
    assert selectors.rule_label("deadline_overdue") == "超过办理时限"
    assert selectors.rule_label("no_such_rule") == "no_such_rule"


@pytest.mark.django_db
def test_the_notifier_runs_every_minute_and_after_each_sweep():
    from xiaoneng.audit.registry import audit_registry
    from xiaoneng.schedule import periodic_jobs

    jobs = {job.name: (job.task, job.every_seconds) for job in periodic_jobs()}
    assert jobs["supervision-alerts-notify"] == ("xiaoneng.supervision.tasks.alerts_notify", 60)
    sub = audit_registry.subscription("supervision.sweep", services.NOTIFY_SUBSCRIBER)
    assert sub is not None
    assert sub.background
