"""Supervision orders (督办单): issue → reply → accept / return, overdue → sweep and
escalation one level up, scope and errors, and the PDFs."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from xiaoneng.audit.models import AuditEvent
from xiaoneng.clock import Limit
from xiaoneng.core.errors import Conflict, InvalidState, PermissionDenied, ValidationFailed
from xiaoneng.deadlines.models import Timer, TimerStatus
from xiaoneng.notify.models import Message
from xiaoneng.org.models import Department, Region, Role, Staff
from xiaoneng.org.tests import factories as org
from xiaoneng.supervision import selectors
from xiaoneng.supervision.models import Alert, OrderReply, OrderState, SupervisionOrder
from xiaoneng.supervision.services import (
    order_accept,
    order_issue,
    order_reply,
    order_return,
    orders_escalate_overdue,
    supervision_sweep,
)

CST = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=CST)  # a Monday
DUE = dt.datetime(2026, 3, 9, 17, 30, tzinfo=CST)  # 5 working days later, close of office


def local(value: dt.datetime | None) -> dt.datetime:
    assert value is not None
    return value.astimezone(CST)


PDFTOTEXT = shutil.which("pdftotext")


def pdf_text(path: str) -> str:
    """The text a reader extracts (poppler's pdftotext), without layout spaces."""
    if PDFTOTEXT is None:
        pytest.fail("need poppler-utils (pdftotext) to check the PDF text")
    out = subprocess.run([PDFTOTEXT, "-layout", path, "-"], capture_output=True, check=True)  # noqa: S603
    return "".join(out.stdout.decode("utf-8").split())  # CJK text without layout spaces


@dataclass
class Org:
    city: Region
    county: Region
    county_b: Region
    city_office: Department
    county_office: Department
    market: Department  # the county department that gets the orders
    other_dept: Department  # a county-B department
    city_supervisor: Staff
    supervisor: Staff  # county supervisor
    supervisor_b: Staff  # county-B supervisor
    head: Staff  # market's head
    clerk: Staff  # market's clerk
    outsider: Staff  # other county-B department's staff


def make_org() -> Org:
    city = org.region("990100000000", "示范市")
    county = org.county("990121000000", "东湖县", city)
    county_b = org.county("990122000000", "西山县", city)
    city_office = org.department("示范市效能监察室", city)
    county_office = org.department("东湖县效能监察室", county)
    county_b_office = org.department("西山县效能监察室", county_b)
    market = org.department("东湖县市场监督管理局", county)
    other_dept = org.department("西山县交通运输局", county_b)
    head = org.staff([Role.APPROVER], market)
    market.head = head
    market.save(update_fields=["head"])
    return Org(
        city=city,
        county=county,
        county_b=county_b,
        city_office=city_office,
        county_office=county_office,
        market=market,
        other_dept=other_dept,
        city_supervisor=org.staff([Role.SUPERVISOR], city_office),
        supervisor=org.staff([Role.SUPERVISOR], county_office),
        supervisor_b=org.staff([Role.SUPERVISOR], county_b_office),
        head=head,
        clerk=org.staff([Role.CLERK], market),
        outsider=org.staff([Role.CLERK], other_dept),
    )


@pytest.fixture
def o(db) -> Org:
    return make_org()


def issue(o: Org, **kw: Any) -> SupervisionOrder:
    args: dict[str, Any] = {
        "actor": o.supervisor.user,
        "target_kind": "department",
        "department": o.market,
        "subject": "窗口受理超时未作出决定",
        "requirements": "立即核查超时原因，整改并书面回复。",
        "at": START,
    }
    args.update(kw)
    return order_issue(**args)


# --------------------------------------------------------------------------- the happy path


def test_issue_reply_accept(o, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = issue(o)
    order.refresh_from_db()
    assert order.number == "DB-990121-20260302-0001"
    assert order.state == OrderState.ISSUED
    assert (order.department, order.region, order.issued_by) == (o.market, o.county, o.supervisor)
    assert (order.limit_value, order.limit_unit) == (5, "working_days")
    timer = order.timer
    assert timer is not None
    assert (timer.kind, timer.subject_type, timer.subject_id) == (
        "supervision.order",
        "supervision.order",
        str(order.pk),
    )
    assert timer.status == TimerStatus.RUNNING
    assert local(timer.due_at) == DUE
    # the department head is told, with a link to the order
    message = Message.objects.get(recipient=o.head.user)
    assert order.number in message.body
    assert message.link == f"/staff/supervision/orders/{order.number}/"
    assert AuditEvent.objects.filter(
        action="supervision.order_issued", object_id=str(order.pk)
    ).exists()

    replied_at = dt.datetime(2026, 3, 4, 15, 0, tzinfo=CST)
    with django_capture_on_commit_callbacks(execute=True):
        reply = order_reply(
            actor=o.clerk.user,
            order=order,
            text="已核查并整改完毕",
            expected_version=1,
            at=replied_at,
        )
    order.refresh_from_db()
    timer.refresh_from_db()
    assert order.state == OrderState.REPLIED
    assert order.version == 2
    assert timer.status == TimerStatus.DONE
    assert local(timer.completed_at) == replied_at
    assert (reply.seq, reply.late, reply.replied_by) == (1, False, o.clerk)
    assert reply.number == f"{order.number}-HF01"
    assert Message.objects.filter(recipient=o.supervisor.user, link__contains=order.number).exists()

    order_accept(actor=o.supervisor.user, order=order, note="整改到位", expected_version=2)
    order.refresh_from_db()
    reply.refresh_from_db()
    assert order.state == OrderState.ACCEPTED
    assert order.closed_at is not None
    assert (reply.review, reply.review_note, reply.reviewed_by) == (
        "accepted",
        "整改到位",
        o.supervisor,
    )
    actions = list(
        AuditEvent.objects.filter(object_type="supervision.order", object_id=str(order.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "supervision.order_issued",
        "supervision.order_replied",
        "supervision.order_accepted",
    ]


def test_numbers_count_per_region_and_day(o):
    first = issue(o)
    second = issue(o, subject="第二件")
    next_day = issue(o, at=START + dt.timedelta(days=1))
    city = issue(o, actor=o.city_supervisor.user, department=o.city_office)
    assert [first.number, second.number, next_day.number, city.number] == [
        "DB-990121-20260302-0001",
        "DB-990121-20260302-0002",
        "DB-990121-20260303-0001",
        "DB-990100-20260302-0001",
    ]


def test_pdfs_name_the_order_and_the_department(o):
    order = issue(o)
    text = pdf_text(order.file.path)
    assert "督办通知书" in text
    assert order.number in text
    assert "东湖县市场监督管理局" in text
    assert "东湖县效能监察室" in text  # the issuer, with its seal
    assert "2026年3月9日前" in text
    reply = order_reply(actor=o.head.user, order=order, text="已整改。", at=START)
    text = pdf_text(reply.file.path)
    assert "督办回复" in text
    assert order.number in text
    assert f"{order.number}-HF01" in text
    assert "东湖县市场监督管理局" in text
    assert Path(order.file.path).read_bytes().startswith(b"%PDF")


def test_return_rearms_a_new_deadline_and_the_department_replies_again(o):
    order = issue(o)
    first_timer = order.timer
    assert first_timer is not None
    order_reply(actor=o.clerk.user, order=order, text="已处理", at=START + dt.timedelta(hours=2))
    returned_at = dt.datetime(2026, 3, 3, 10, 0, tzinfo=CST)
    order_return(
        actor=o.supervisor.user,
        order=order,
        reason="未说明超时原因",
        limit=Limit.parse("3 working days"),
        at=returned_at,
    )
    order.refresh_from_db()
    assert order.state == OrderState.RETURNED
    assert (order.limit_value, order.limit_unit) == (3, "working_days")
    assert order.timer is not None
    assert order.timer_id != first_timer.pk
    assert order.timer.status == TimerStatus.RUNNING
    assert local(order.timer.due_at) == dt.datetime(2026, 3, 6, 17, 30, tzinfo=CST)
    first_timer.refresh_from_db()
    assert first_timer.status == TimerStatus.DONE
    assert OrderReply.objects.get(order=order, seq=1).review == "returned"

    late_at = dt.datetime(2026, 3, 9, 9, 30, tzinfo=CST)
    reply = order_reply(actor=o.clerk.user, order=order, text="补充说明超时原因", at=late_at)
    assert (reply.seq, reply.late) == (2, True)
    order.refresh_from_db()
    assert order.state == OrderState.REPLIED


def test_order_on_an_alert_takes_the_alert_department(o):
    alert = Alert.objects.create(
        rule="fee_anomaly",
        level="yellow",
        subject_type="org.department",
        subject_id=str(o.market.pk),
        region=o.county,
        department=o.market,
        raised_at=START,
    )
    order = issue(o, target_kind="alert", alert=alert, department=None)
    assert (order.alert, order.department, order.case) == (alert, o.market, None)
    with pytest.raises(Conflict) as exc1:
        issue(o, target_kind="alert", alert=alert, department=None)
    assert str(exc1.value) == f"该预警已有未办结的督办单{order.number}。"


# --------------------------------------------------------------------------- overdue


def test_overdue_order_is_alerted_by_the_sweep_and_escalated_once_one_level_up(o):
    alert = Alert.objects.create(
        rule="fee_anomaly",
        level="yellow",
        subject_type="org.department",
        subject_id=str(o.market.pk),
        region=o.county,
        department=o.market,
        raised_at=START,
    )
    order = issue(o, target_kind="alert", alert=alert, department=None)
    assert order.timer is not None
    timer = order.timer
    due = local(timer.due_at)
    assert due == DUE
    assert orders_escalate_overdue(now=due - dt.timedelta(minutes=1)) == 0

    after = due + dt.timedelta(minutes=1)
    supervision_sweep(now=after)
    red = Alert.objects.get(timer=timer, level="red")
    assert (red.subject_type, red.subject_id, red.region) == (
        "supervision.order",
        str(order.pk),
        o.county,
    )

    assert orders_escalate_overdue(now=after) == 1
    up = Alert.objects.get(rule="order_escalated")
    assert (up.level, up.timer, up.subject_type, up.subject_id) == (
        "red",
        None,
        "supervision.order",
        str(order.pk),
    )
    assert (up.region, up.department, up.escalated_from) == (o.city, o.city_office, alert)
    assert up.facts["order"] == order.number
    order.refresh_from_db()
    assert order.escalated_at == after
    # reruns add nothing
    assert orders_escalate_overdue(now=after + dt.timedelta(hours=1)) == 0
    SupervisionOrder.objects.filter(pk=order.pk).update(escalated_at=None)
    # even with the mark lost, the unique constraint keeps the alert single
    assert orders_escalate_overdue(now=after + dt.timedelta(hours=2)) == 0
    assert Alert.objects.filter(rule="order_escalated").count() == 1
    # the city supervisor sees the escalation's order; a late reply is still possible
    assert selectors.order_get(actor=o.city_supervisor.user, number=order.number) == order
    reply = order_reply(actor=o.clerk.user, order=order, text="迟复", at=after)
    assert reply.late is True


def test_the_list_filter_and_a_loaded_order_share_one_overdue_rule(o):
    late = issue(o, subject="未回复")
    replied = issue(o, subject="已回复")
    order_reply(actor=o.clerk.user, order=replied, text="已办", at=START)
    before, after = DUE - dt.timedelta(minutes=1), DUE + dt.timedelta(minutes=1)
    actor = o.supervisor.user
    assert list(selectors.order_list(actor=actor, overdue=True, now=before)) == []
    assert list(selectors.order_list(actor=actor, overdue=True, now=after)) == [late]
    loaded = {x.subject: x for x in selectors.order_list(actor=actor)}
    assert selectors.order_is_overdue(loaded["未回复"], now=before) is False
    assert selectors.order_is_overdue(loaded["未回复"], now=after) is True
    assert selectors.order_is_overdue(loaded["已回复"], now=after) is False
    assert [selectors.order_awaiting_reply(loaded[k]) for k in ("未回复", "已回复")] == [
        True,
        False,
    ]


def test_replied_and_accepted_orders_never_escalate(o):
    replied = issue(o)
    order_reply(actor=o.clerk.user, order=replied, text="已办", at=START)
    issue(o, subject="未回复")
    assert orders_escalate_overdue(now=DUE + dt.timedelta(days=1)) == 1
    assert list(
        Alert.objects.filter(rule="order_escalated").values_list("facts__order", flat=True)
    ) == ["DB-990121-20260302-0002"]


def test_an_order_of_the_root_region_escalates_to_its_own_region(o):
    order = issue(o, actor=o.city_supervisor.user, department=o.city_office)
    assert orders_escalate_overdue(now=DUE + dt.timedelta(minutes=1)) == 1
    up = Alert.objects.get(rule="order_escalated", subject_id=str(order.pk))
    assert (up.region, up.department) == (o.city, o.city_office)


# --------------------------------------------------------------------------- scope and errors


def test_only_supervisors_in_scope_issue(o):
    with pytest.raises(PermissionDenied) as exc2:
        issue(o, actor=o.head.user)
    assert str(exc2.value) == "只有效能监察人员可以下发和审核督办单。"
    with pytest.raises(PermissionDenied) as exc3:
        issue(o, actor=o.supervisor_b.user)
    assert str(exc3.value) == "部门“东湖县市场监督管理局”不在您的监察范围内。"
    with pytest.raises(PermissionDenied):
        issue(o, department=o.city_office)  # a county supervisor cannot order the city
    assert SupervisionOrder.objects.count() == 0
    assert Timer.objects.filter(kind="supervision.order").count() == 0


def test_bad_input_names_every_field(o):
    with pytest.raises(ValidationFailed) as exc4:
        issue(o, subject=" ", requirements="", target_kind="nobody")
    fields = {e.field: e.message for e in exc4.value.errors}
    assert fields == {
        "subject": "请填写督办事项。",
        "requirements": "请填写督办要求。",
        "target_kind": "督办对象类型无效（预警、办件或部门）。",
    }
    with pytest.raises(ValidationFailed) as exc5:
        issue(o, department=None)
    assert (exc5.value.field, str(exc5.value)) == ("department", "请选择督办的责任部门。")
    with pytest.raises(ValidationFailed) as exc6:
        issue(o, limit=Limit.parse("61 working days"))
    assert exc6.value.field == "limit_value"
    with pytest.raises(ValidationFailed) as exc7:
        issue(o, target_kind="case", case=None)
    assert exc7.value.field == "case"
    assert SupervisionOrder.objects.count() == 0


def test_reply_and_review_check_who_and_when(o):
    order = issue(o)
    with pytest.raises(PermissionDenied) as exc8:
        order_reply(actor=o.outsider.user, order=order, text="x")
    assert str(exc8.value) == "只有责任部门“东湖县市场监督管理局”的工作人员可以回复该督办单。"
    with pytest.raises(ValidationFailed) as exc9:
        order_reply(actor=o.clerk.user, order=order, text="  ")
    assert (exc9.value.field, str(exc9.value)) == ("text", "请填写办理情况。")
    with pytest.raises(InvalidState) as exc10:
        order_accept(actor=o.supervisor.user, order=order)
    assert str(exc10.value) == f"督办单{order.number}当前状态为“待回复”，不能审核通过。"
    with pytest.raises(Conflict) as exc11:
        order_reply(actor=o.clerk.user, order=order, text="x", expected_version=7)
    assert exc11.value.code == "stale_version"
    order.refresh_from_db()
    assert (order.state, order.version, order.replies.count()) == (OrderState.ISSUED, 1, 0)

    order_reply(actor=o.clerk.user, order=order, text="已办", at=START)
    with pytest.raises(InvalidState):
        order_reply(actor=o.clerk.user, order=order, text="again")
    with pytest.raises(PermissionDenied):
        order_accept(actor=o.supervisor_b.user, order=order)
    with pytest.raises(ValidationFailed) as exc12:
        order_return(actor=o.supervisor.user, order=order, reason="")
    assert exc12.value.field == "reason"
    # the city supervisor (one level up) may review the county's orders
    order_accept(actor=o.city_supervisor.user, order=order)
    order.refresh_from_db()
    assert order.state == OrderState.ACCEPTED


def test_who_sees_which_orders(o):
    mine = issue(o)
    theirs = issue(o, actor=o.supervisor_b.user, department=o.other_dept)

    def numbers(staff: Staff) -> set[str]:
        return set(selectors.order_list(actor=staff.user).values_list("number", flat=True))

    assert numbers(o.supervisor) == {mine.number}
    assert numbers(o.supervisor_b) == {theirs.number}
    assert numbers(o.city_supervisor) == {mine.number, theirs.number}
    assert numbers(o.clerk) == {mine.number}
    assert numbers(o.outsider) == {theirs.number}
    assert selectors.order_list(actor=None).count() == 0
    assert selectors.order_actions(actor=o.clerk.user, order=mine) == {"reply"}
    assert selectors.order_actions(actor=o.supervisor.user, order=mine) == set()
    assert set(
        selectors.order_list(actor=o.city_supervisor.user, overdue=True, now=DUE).values_list(
            "number", flat=True
        )
    ) == {mine.number, theirs.number}
    assert selectors.order_list(actor=o.city_supervisor.user, overdue=True, now=START).count() == 0


def test_the_periodic_job_escalates_through_its_task(o):
    from xiaoneng.schedule import periodic_jobs
    from xiaoneng.supervision import tasks

    job = next(j for j in periodic_jobs() if j.name == "supervision-orders-escalate")
    assert job.task == "xiaoneng.supervision.tasks.orders_escalate_overdue"
    issue(o, at=START - dt.timedelta(days=30))  # long overdue by now
    assert tasks.orders_escalate_overdue() == 1
    assert tasks.orders_escalate_overdue() == 0
    assert Alert.objects.filter(rule="order_escalated", region=o.city).count() == 1


def test_escalation_queries_do_not_grow_with_the_number_of_orders(o):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    issue(o)
    with CaptureQueriesContext(connection) as one:
        assert orders_escalate_overdue(now=DUE + dt.timedelta(minutes=1)) == 1
    for n in range(5):
        issue(o, subject=f"第{n}件", at=START + dt.timedelta(days=1))
    with CaptureQueriesContext(connection) as five:
        assert orders_escalate_overdue(now=DUE + dt.timedelta(days=3)) == 5
    assert len(five.captured_queries) == len(one.captured_queries)


@pytest.mark.parametrize("state", list(OrderState.values))
@pytest.mark.parametrize("action", ["reply", "accept", "return"])
def test_every_state_and_action(state, action):
    from xiaoneng.supervision.services.orders import _check_transition

    allowed = {
        ("issued", "reply"): "replied",
        ("returned", "reply"): "replied",
        ("replied", "accept"): "accepted",
        ("replied", "return"): "returned",
    }
    order = SupervisionOrder(number="DB-1", state=state)
    if (state, action) in allowed:
        assert _check_transition(order, action) == allowed[(state, action)]
    else:
        with pytest.raises(InvalidState) as exc:
            _check_transition(order, action)
        assert exc.value.code == "order_state"
