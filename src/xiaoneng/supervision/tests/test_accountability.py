"""Accountability (问责): record / revoke rules, scope, links, the rectification timer,
the A2 score effects of a hand-built month, and the bulletin (通报) with its PDF and Excel."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import subprocess
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from xiaoneng.audit.models import AuditEvent
from xiaoneng.core.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from xiaoneng.deadlines.models import TimerStatus
from xiaoneng.notify.models import Message
from xiaoneng.org.models import Department, Region, RegionLevel, Role, Staff
from xiaoneng.org.tests import factories as org
from xiaoneng.supervision import scoring
from xiaoneng.supervision.models import (
    AccountabilityAction,
    Alert,
    AlertLevel,
    AlertState,
    Bulletin,
)
from xiaoneng.supervision.selectors import accountability as selectors
from xiaoneng.supervision.services import accountability as services
from xiaoneng.supervision.services import supervision_sweep

CST = ZoneInfo("Asia/Shanghai")
_subject = itertools.count(1)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=CST)


@dataclass
class Org:
    city: Region
    county: Region
    other_city: Region  # a province outside the city
    market: Department  # city department
    water: Department  # county department
    far: Department  # department of another province
    supervisor: Staff  # city supervisor
    county_supervisor: Staff
    office: Staff  # city leadership office
    head: Staff  # head of market
    clerk: Staff  # market staff, no supervision role
    water_clerk: Staff


@pytest.fixture
def now():
    with time_machine.travel(at("2026-04-02 10:00"), tick=False) as traveller:
        yield traveller


@pytest.fixture
def o(db, now) -> Org:
    return make_org()


def make_org() -> Org:
    """A city with a county below it and a province outside; supervisors of both levels."""
    city = org.region()
    county = org.county(city=city)
    other_city = org.region(code="990000000000", name="邻省", level=RegionLevel.PROVINCE)
    market = org.department("示范市住房和城乡建设局", city)
    water = org.department("东湖县水利局", county)
    far = org.department("邻省交通运输厅", other_city)
    sup_dept = org.department("示范市纪委监委派驻纪检监察组", city)
    head = org.staff([Role.APPROVER], market, password=None)
    market.head = head
    market.save(update_fields=["head"])
    return Org(
        city=city,
        county=county,
        other_city=other_city,
        market=market,
        water=water,
        far=far,
        supervisor=org.staff([Role.SUPERVISOR], sup_dept, password=None),
        county_supervisor=org.staff(
            [Role.SUPERVISOR], org.department("东湖县效能办", county), password=None
        ),
        office=org.staff([Role.LEADERSHIP_OFFICE], sup_dept, password=None),
        head=head,
        clerk=org.staff([Role.CLERK], market, password=None),
        water_clerk=org.staff([Role.CLERK], water, password=None),
    )


def alert(
    department: Department,
    level: str = AlertLevel.RED,
    state: str = AlertState.CONFIRMED,
    raised_at: dt.datetime | None = None,
) -> Alert:
    return Alert.objects.create(
        rule="deadline_overdue",
        level=level,
        subject_type="cases.case",
        subject_id=str(next(_subject)),
        region=department.region,
        department=department,
        raised_at=raised_at or at("2026-03-10 09:00"),
        state=state,
    )


def record(o: Org, **kw) -> AccountabilityAction:
    data: dict[str, Any] = {
        "actor": o.supervisor.user,
        "kind": "efficiency_warning",
        "department": o.market,
        "reason": "办件超期未办结",
        "basis": "《示范市行政效能问责办法》第八条",
    }
    data.update(kw)
    return services.action_record(**data)


# --------------------------------------------------------------------------- record


def test_record_against_a_department_notifies_its_head_and_is_audited(
    o, django_capture_on_commit_callbacks
):
    red = alert(o.market)
    with django_capture_on_commit_callbacks(execute=True):
        action = record(o, kind="public_criticism", alert_ids=[red.pk])
    action.refresh_from_db()
    assert action.state == "recorded"
    assert action.department == o.market
    assert action.staff is None
    assert action.region == o.city
    assert action.decided_by == o.supervisor
    assert action.decided_on == dt.date(2026, 4, 2)
    assert action.effective_on == dt.date(2026, 4, 2)
    assert list(action.alerts.all()) == [red]
    message = Message.objects.get(recipient=o.head.user)
    assert message.kind == "supervision.accountability_recorded"
    assert "通报批评" in message.body
    assert message.link == f"/staff/supervision/accountability/{action.pk}/"
    event = AuditEvent.objects.get(action="supervision.accountability_recorded")
    assert event.object_id == str(action.pk)
    assert event.payload["alerts"] == [red.pk]
    assert event.region_code == o.city.code
    assert event.department_id == o.market.pk


def test_a_person_gets_the_action_and_the_head_is_told_too(o, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        action = record(
            o,
            kind="disciplinary_sanction",
            sanction_grade="demerit",
            staff=o.clerk,
            department=None,
        )
    assert action.department == o.market  # the person's department
    assert action.kind_label == "行政处分（记过）"
    assert set(Message.objects.values_list("recipient_id", flat=True)) == {
        o.clerk.user_id,
        o.head.user_id,
    }


@pytest.mark.parametrize(
    ("kw", "field", "code"),
    [
        ({"kind": "admonition"}, "staff", "required"),
        ({"kind": "disciplinary_sanction"}, "staff", "required"),
        ({"kind": "disciplinary_sanction", "staff": "clerk"}, "sanction_grade", "required"),
        ({"sanction_grade": "warning"}, "sanction_grade", "invalid"),
        ({"kind": "nonsense"}, "kind", "invalid"),
        ({"kind": ""}, "kind", "required"),
        ({"department": None}, "department", "required"),
        ({"staff": "water_clerk"}, "staff", "invalid"),
        ({"reason": " "}, "reason", "required"),
        ({"basis": ""}, "basis", "required"),
        ({"decided_on": dt.date(2026, 4, 3)}, "decided_on", "invalid"),
        (
            {"decided_on": dt.date(2026, 3, 5), "effective_on": dt.date(2026, 3, 4)},
            "effective_on",
            "invalid",
        ),
        ({"rectification_limit": "10个工作日"}, "rectification_limit", "invalid"),
        (
            {"kind": "ordered_rectification", "rectification_limit": "十天"},
            "rectification_limit",
            "invalid",
        ),
        ({"case_numbers": ["NO-SUCH-CASE"]}, "case_numbers", "not_found"),
    ],
)
def test_bad_input_names_the_field_and_records_nothing(o, kw, field, code):
    for key in ("staff",):
        if isinstance(kw.get(key), str):
            kw = {**kw, key: getattr(o, kw[key])}
    with pytest.raises(ValidationFailed) as info:
        record(o, **kw)
    assert (field, code) in [(e.field, e.code) for e in info.value.errors]
    assert AccountabilityAction.objects.count() == 0
    assert not AuditEvent.objects.filter(action="supervision.accountability_recorded").exists()


def test_only_confirmed_alerts_of_the_target_department_in_scope_are_a_basis(o):
    open_ = alert(o.market, state=AlertState.OPEN)
    explained = alert(o.market, state=AlertState.EXPLAINED)
    dismissed = alert(o.market, state=AlertState.DISMISSED)
    other_dept = alert(o.water)
    out_of_scope = alert(o.far)
    with pytest.raises(ValidationFailed) as info:
        record(
            o,
            alert_ids=[open_.pk, explained.pk, dismissed.pk, other_dept.pk, out_of_scope.pk],
        )
    assert [(e.field, e.code) for e in info.value.errors] == [
        ("alert_ids", "alert_not_confirmed"),
        ("alert_ids", "alert_not_confirmed"),
        ("alert_ids", "alert_not_confirmed"),
        ("alert_ids", "alert_other_department"),
        ("alert_ids", "not_found"),
    ]
    assert "尚未确认" in info.value.errors[0].message
    assert AccountabilityAction.objects.count() == 0


def test_a_county_supervisor_acts_in_their_county_only(o):
    with pytest.raises(PermissionDenied):
        record(o, actor=o.county_supervisor.user)
    action = record(o, actor=o.county_supervisor.user, department=o.water)
    assert action.region == o.county
    # the city supervisor reaches the county below
    assert record(o, department=o.water).region == o.county
    with pytest.raises(PermissionDenied):
        record(o, department=o.far)
    with pytest.raises(PermissionDenied):
        record(o, actor=o.clerk.user)
    with pytest.raises(PermissionDenied):
        record(o, actor=o.head.user)
    assert AccountabilityAction.objects.count() == 2


def test_the_leadership_office_may_record(o):
    assert record(o, actor=o.office.user).decided_by == o.office


def test_cases_the_actor_sees_are_linked_by_number(o):
    from xiaoneng.cases.tests.factories import world

    w = world()
    case = w.submit()
    action = record(o, department=w.lead, case_numbers=[case.number, f" {case.number} "])
    assert list(action.cases.all()) == [case]
    with pytest.raises(ValidationFailed) as info:
        record(o, actor=o.county_supervisor.user, department=o.water, case_numbers=[case.number])
    assert info.value.errors[0].field == "case_numbers"


# --------------------------------------------------------------------------- rectification


def test_ordered_rectification_runs_a_timer_that_the_sweep_watches(o):
    action = record(o, kind="ordered_rectification", rectification_limit="10个工作日")
    timer = action.rectification_timer
    assert timer is not None
    assert timer.due_at is not None
    assert (timer.kind, timer.subject_type, timer.subject_id) == (
        "accountability_rectification",
        "supervision.accountabilityaction",
        str(action.pk),
    )
    # from Thu 2 April 2026: 3, 7, 8, 9, 10, 13, 14, 15, 16, 17 April (4–6 April: 清明)
    assert timer.due_at.astimezone(CST) == at("2026-04-17 17:30")
    assert supervision_sweep(now=timer.due_at + dt.timedelta(minutes=1)) >= 1
    red = Alert.objects.get(timer=timer, level="red")
    assert red.subject_id == str(action.pk)
    # the department (and person) ordered to rectify answer for it
    assert (red.rule, red.department_id, red.staff_id) == (
        "rectification_overdue",
        action.department_id,
        action.staff_id,
    )
    done = services.action_rectification_done(
        actor=o.supervisor.user, action=action, note="已整改并报告"
    )
    timer.refresh_from_db()
    assert timer.status == TimerStatus.DONE
    assert done.rectified_at is not None
    with pytest.raises(InvalidState):
        services.action_rectification_done(actor=o.supervisor.user, action=action, note="再次")


def test_ordered_rectification_defaults_to_15_working_days(o):
    timer = record(o, kind="ordered_rectification").rectification_timer
    assert timer is not None
    assert (timer.limit_value, timer.limit_unit) == (15, "working_days")


# --------------------------------------------------------------------------- revoke


def test_revoke_keeps_the_record_and_ends_the_rectification_timer(
    o, django_capture_on_commit_callbacks
):
    action = record(o, kind="ordered_rectification")
    with pytest.raises(ValidationFailed) as info:
        services.action_revoke(actor=o.supervisor.user, action=action, reason=" ")
    assert info.value.field == "reason"
    with pytest.raises(NotFound):
        services.action_revoke(actor=o.county_supervisor.user, action=action, reason="误记")
    with pytest.raises(PermissionDenied):
        services.action_revoke(actor=o.head.user, action=action, reason="误记")
    action.refresh_from_db()
    assert action.state == "recorded"
    with django_capture_on_commit_callbacks(execute=True):
        revoked = services.action_revoke(actor=o.office.user, action=action.pk, reason="事实有误")
    revoked.refresh_from_db()
    assert (revoked.state, revoked.revoke_reason, revoked.revoked_by) == (
        "revoked",
        "事实有误",
        o.office,
    )
    assert revoked.rectification_timer is not None
    assert revoked.rectification_timer.status == TimerStatus.DONE
    assert AccountabilityAction.objects.filter(pk=action.pk).exists()
    assert Message.objects.filter(
        recipient=o.head.user, kind="supervision.accountability_revoked"
    ).exists()
    with pytest.raises(InvalidState):
        services.action_revoke(actor=o.supervisor.user, action=action, reason="再撤")
    assert AuditEvent.objects.filter(action="supervision.accountability_revoked").count() == 1


# --------------------------------------------------------------------------- who sees what


def test_action_list_scope(o):
    city_action = record(o, kind="admonition", staff=o.clerk)
    county_action = record(o, actor=o.county_supervisor.user, department=o.water)

    def seen(staff: Staff) -> set[int]:
        return set(selectors.action_list(actor=staff.user).values_list("pk", flat=True))

    assert seen(o.supervisor) == {city_action.pk, county_action.pk}
    assert seen(o.office) == {city_action.pk, county_action.pk}
    assert seen(o.county_supervisor) == {county_action.pk}
    assert seen(o.head) == {city_action.pk}  # head of the department
    assert seen(o.clerk) == {city_action.pk}  # the person
    assert seen(o.water_clerk) == set()
    assert list(selectors.action_list(actor=None)) == []
    with pytest.raises(NotFound):
        selectors.action_get(actor=o.county_supervisor.user, pk=city_action.pk)


# --------------------------------------------------------------------------- scoring


def test_score_effects_of_a_hand_built_month(o):
    m = o.market
    yellow = alert(m, AlertLevel.YELLOW, AlertState.OPEN, at("2026-03-03 10:00"))
    red = alert(m, AlertLevel.RED, AlertState.CONFIRMED, at("2026-03-05 10:00"))
    r1, r2, r3 = (alert(m, "reminder", AlertState.OPEN, at(f"2026-03-1{d} 10:00")) for d in "012")
    r4 = alert(m, "reminder", AlertState.OPEN, at("2026-03-16 10:00"))
    r5 = alert(m, "reminder", AlertState.OPEN, at("2026-03-17 10:00"))
    yellow2 = alert(m, AlertLevel.YELLOW, AlertState.EXPLAINED, at("2026-03-20 10:00"))
    alert(m, "reminder", AlertState.OPEN, at("2026-03-23 10:00"))  # r6: a new run of one
    alert(m, AlertLevel.RED, AlertState.DISMISSED, at("2026-03-24 10:00"))  # judged unfounded
    alert(m, AlertLevel.RED, AlertState.CONFIRMED, at("2026-02-28 23:59"))  # February
    alert(m, AlertLevel.RED, AlertState.CONFIRMED, at("2026-04-01 00:00"))  # April
    late = alert(m, AlertLevel.YELLOW, AlertState.CONFIRMED, at("2026-03-31 23:30"))  # 15:30 UTC
    alert(o.water, AlertLevel.RED)  # another department
    sanction = record(
        o, kind="disciplinary_sanction", sanction_grade="demerit", staff=o.clerk,
        decided_on=dt.date(2026, 3, 15),
    )  # fmt: skip
    revoked = record(
        o, kind="disciplinary_sanction", sanction_grade="expulsion", staff=o.clerk,
        decided_on=dt.date(2026, 3, 16),
    )  # fmt: skip
    services.action_revoke(actor=o.supervisor.user, action=revoked, reason="复核撤销")
    record(o, kind="disqualified_from_awards", decided_on=dt.date(2026, 3, 18))
    record(o, kind="disqualified_from_awards", staff=o.head, decided_on=dt.date(2026, 3, 18))
    record(o, kind="efficiency_warning", decided_on=dt.date(2026, 3, 19))  # no points
    record(o, kind="disciplinary_sanction", sanction_grade="warning", staff=o.clerk)  # April

    effects = selectors.score_effects(
        department=m, period_start=dt.date(2026, 3, 1), period_end=dt.date(2026, 3, 31)
    )
    lines = [(ln.rule, ln.points, ln.on, ln.alert_ids, ln.action_id) for ln in effects.lines]
    assert lines == [
        ("yellow_alert", -5, dt.date(2026, 3, 3), (yellow.pk,), None),
        ("red_alert", -10, dt.date(2026, 3, 5), (red.pk,), None),
        ("three_warnings_in_a_row", -3, dt.date(2026, 3, 12), (r1.pk, r2.pk, r3.pk), None),
        ("disciplinary_sanction", -15, dt.date(2026, 3, 15), (), sanction.pk),
        ("yellow_alert", -5, dt.date(2026, 3, 20), (yellow2.pk,), None),
        ("yellow_alert", -5, dt.date(2026, 3, 31), (late.pk,), None),
    ]  # fmt: skip
    # r4, r5 (2 reminders), then a yellow: the second run never reaches 3
    assert not any(r4.pk in ln.alert_ids or r5.pk in ln.alert_ids for ln in effects.lines)
    assert effects.total == -43
    assert effects.by_indicator() == {"time_limits": -28, "legal_liability": -15}
    assert effects.disqualified is True
    assert effects.disqualified_staff_ids == frozenset({o.head.pk})


def _fact(i: int, level: str, minute: int) -> scoring.AlertFact:
    return scoring.AlertFact(id=i, level=level, raised_at=at(f"2026-05-04 10:{minute:02d}"))


def test_scoring_runs_of_reminders_and_sanction_grades():
    six = [_fact(i, "reminder", i) for i in range(1, 7)]
    effects = scoring.score_effects_compute(
        department_id=1,
        period_start=dt.date(2026, 5, 1),
        period_end=dt.date(2026, 5, 31),
        alerts=six,
        actions=[
            scoring.ActionFact(
                id=10 + n,
                kind="disciplinary_sanction",
                decided_on=dt.date(2026, 5, 6),
                sanction_grade=grade,
            )
            for n, grade in enumerate(scoring.SANCTION_POINTS)
        ],
        tz=CST,
    )
    assert [line.alert_ids for line in effects.lines if line.rule == "three_warnings_in_a_row"] == [
        (1, 2, 3),
        (4, 5, 6),
    ]
    assert [line.points for line in effects.lines if line.rule == "disciplinary_sanction"] == [
        -10,
        -15,
        -20,
        -30,
        -40,
        -50,
    ]
    assert effects.total == -6 - 165


# --------------------------------------------------------------------------- bulletins


def _pdf_text(data: bytes) -> str:
    result = subprocess.run(
        ["/usr/bin/pdftotext", "-raw", "-", "-"], input=data, capture_output=True, check=True
    )
    return result.stdout.decode()


def test_bulletin_lists_exactly_the_period_and_freezes_it(o, now):
    march = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
    first = record(o, kind="public_criticism", decided_on=dt.date(2026, 3, 1))
    county = record(
        o,
        actor=o.county_supervisor.user,
        department=o.water,
        kind="ordered_rectification",
        decided_on=dt.date(2026, 3, 31),
    )
    sanction = record(
        o,
        kind="disciplinary_sanction",
        sanction_grade="major_demerit",
        staff=o.clerk,
        decided_on=dt.date(2026, 3, 20),
    )
    record(o, decided_on=dt.date(2026, 2, 28))  # February
    record(o, decided_on=dt.date(2026, 4, 1))  # April
    gone = record(o, decided_on=dt.date(2026, 3, 10))
    services.action_revoke(actor=o.supervisor.user, action=gone, reason="误记")
    far_supervisor = org.staff([Role.SUPERVISOR], o.far, password=None)
    record(o, actor=far_supervisor.user, department=o.far, decided_on=dt.date(2026, 3, 9))
    with pytest.raises(PermissionDenied):
        services.bulletin_issue(
            actor=o.county_supervisor.user,
            region=o.city,
            period_start=march[0],
            period_end=march[1],
        )
    bulletin = services.bulletin_issue(
        actor=o.office.user, region=o.city, period_start=march[0], period_end=march[1]
    )
    assert bulletin.state == "issued"
    assert bulletin.number == "2026年第1期"
    assert bulletin.title == "示范市2026年3月行政效能问责情况通报"
    assert bulletin.issuer_name == "示范市纪委监委派驻纪检监察组"
    assert [e["action_id"] for e in bulletin.entries] == [first.pk, sanction.pk, county.pk]
    assert set(bulletin.actions.values_list("pk", flat=True)) == {first.pk, sanction.pk, county.pk}
    assert bulletin.entries[1]["kind_label"] == "行政处分"
    assert bulletin.entries[1]["sanction_label"] == "记大过"
    assert bulletin.entries[1]["person"] == str(o.clerk)
    # frozen: a later revocation and renaming change nothing in the issued bulletin
    services.action_revoke(actor=o.supervisor.user, action=first, reason="复核")
    Department.objects.filter(pk=o.market.pk).update(name="示范市住建局（更名）")
    bulletin.refresh_from_db()
    frozen = selectors.bulletin_entries(bulletin)
    assert [e["action_id"] for e in frozen] == [first.pk, sanction.pk, county.pk]
    assert frozen[0]["department"] == "示范市住房和城乡建设局"
    # once per period; the next one takes the next number
    with pytest.raises(InvalidState):
        services.bulletin_issue(
            actor=o.supervisor.user, region=o.city, period_start=march[0], period_end=march[1]
        )
    feb = services.bulletin_issue(
        actor=o.supervisor.user,
        region=o.city,
        period_start=dt.date(2026, 2, 1),
        period_end=dt.date(2026, 2, 28),
    )
    assert feb.number == "2026年第2期"
    assert len(feb.entries) == 1
    # the county's own bulletin lists the county's action only
    county_bulletin = services.bulletin_issue(
        actor=o.county_supervisor.user, region=o.county, period_start=march[0], period_end=march[1]
    )
    assert county_bulletin.number == "2026年第1期"
    assert [e["action_id"] for e in county_bulletin.entries] == [county.pk]
    assert AuditEvent.objects.filter(action="supervision.bulletin_issued").count() == 3


def test_bulletin_period_errors(o):
    with pytest.raises(ValidationFailed) as info:
        services.bulletin_issue(
            actor=o.office.user,
            region=o.city,
            period_start=dt.date(2026, 3, 31),
            period_end=dt.date(2026, 3, 1),
        )
    assert info.value.field == "period_end"
    with pytest.raises(ValidationFailed) as info:
        services.bulletin_issue(
            actor=o.office.user,
            region=o.city,
            period_start=dt.date(2026, 4, 1),
            period_end=dt.date(2026, 4, 30),
        )
    assert "尚未结束" in str(info.value.message)
    assert Bulletin.objects.count() == 0


def test_bulletin_pdf_and_excel(o):
    record(
        o,
        kind="public_criticism",
        decided_on=dt.date(2026, 3, 2),
        reason="受理后超期5个工作日未办结",
    )
    record(
        o,
        kind="disciplinary_sanction",
        sanction_grade="warning",
        staff=o.clerk,
        decided_on=dt.date(2026, 3, 9),
    )
    bulletin = services.bulletin_issue(
        actor=o.office.user,
        region=o.city,
        period_start=dt.date(2026, 3, 1),
        period_end=dt.date(2026, 3, 31),
    )
    text = _pdf_text(selectors.bulletin_pdf(bulletin))
    flat = "".join(text.split())
    assert "示范市2026年3月行政效能问责情况通报" in flat
    assert "2026年第1期" in flat
    assert "本期共作出问责决定2起，其中通报批评1起、行政处分1起。" in flat
    assert "受理后超期5个工作日未办结" in flat
    assert f"示范市住房和城乡建设局{o.clerk}" in flat
    assert "行政处分（警告）" in flat
    assert "2026年4月2日" in flat
    book = load_workbook(io.BytesIO(selectors.bulletin_xlsx(bulletin)))
    sheet = book["问责通报"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:7] == (
        "序号",
        "问责编号",
        "被问责单位",
        "被问责人",
        "职务",
        "问责方式",
        "处分等级",
    )
    assert rows[1][0] == 1
    assert rows[1][2:4] == ("示范市住房和城乡建设局", None)
    assert rows[1][5] == "通报批评"
    assert rows[1][9] == dt.datetime(2026, 3, 2)
    assert rows[2][3] == str(o.clerk)
    assert rows[2][5:7] == ("行政处分", "警告")
    assert len(rows) == 3


def test_bulletin_visibility(o):
    bulletin = services.bulletin_issue(
        actor=o.office.user,
        region=o.city,
        period_start=dt.date(2026, 3, 1),
        period_end=dt.date(2026, 3, 31),
    )
    draft = services.bulletin_draft(
        actor=o.office.user,
        region=o.city,
        period_start=dt.date(2026, 2, 1),
        period_end=dt.date(2026, 2, 28),
    )

    def seen(staff: Staff) -> set[int]:
        return set(selectors.bulletin_list(actor=staff.user).values_list("pk", flat=True))

    assert seen(o.supervisor) == {bulletin.pk, draft.pk}
    assert seen(o.clerk) == {bulletin.pk}  # circulated to the city's units, drafts are not
    assert seen(o.water_clerk) == {bulletin.pk}  # and to the county below
    assert seen(o.county_supervisor) == {bulletin.pk}
    far_clerk = org.staff([Role.CLERK], o.far, password=None)
    assert seen(far_clerk) == set()


def test_monthly_job_drafts_last_months_bulletin_once(o):
    record(o, decided_on=dt.date(2026, 3, 4))
    assert services.bulletins_draft_monthly(today=dt.date(2026, 4, 1)) == 2  # city and county
    assert services.bulletins_draft_monthly(today=dt.date(2026, 4, 2)) == 0
    draft = Bulletin.objects.get(region=o.city)
    assert (draft.state, draft.period_start, draft.period_end, draft.number) == (
        "draft",
        dt.date(2026, 3, 1),
        dt.date(2026, 3, 31),
        "",
    )
    assert len(selectors.bulletin_entries(draft)) == 1  # live while a draft
    issued = services.bulletin_issue(
        actor=o.office.user,
        region=o.city,
        period_start=draft.period_start,
        period_end=draft.period_end,
    )
    assert issued.pk == draft.pk
    assert issued.number == "2026年第1期"
    assert "草稿" not in _pdf_text(selectors.bulletin_pdf(issued))


def test_the_monthly_draft_runs_through_its_periodic_task(o):
    from xiaoneng.schedule import _resolve, periodic_jobs

    job = next(j for j in periodic_jobs() if j.name == "supervision-bulletins-draft")
    assert job.task == "xiaoneng.supervision.tasks.accountability_bulletins_draft"
    with time_machine.travel(at("2026-05-01 00:30"), tick=False):
        assert _resolve(job.task)() == 2
        assert _resolve(job.task)() == 0
    assert sorted(Bulletin.objects.values_list("region__code", "period_start", "period_end")) == [
        (o.city.code, dt.date(2026, 4, 1), dt.date(2026, 4, 30)),
        (o.county.code, dt.date(2026, 4, 1), dt.date(2026, 4, 30)),
    ]
