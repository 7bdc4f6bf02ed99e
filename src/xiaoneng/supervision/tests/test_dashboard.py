"""The live dashboard: its figures equal direct counts of the cases, scoped to the region."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from xiaoneng.cases import services as cases
from xiaoneng.cases.models import Case, CaseState, CaseTask
from xiaoneng.cases.tests import factories
from xiaoneng.catalog.tests import factories as catalog_factories
from xiaoneng.deadlines import services as deadlines
from xiaoneng.deadlines.models import TimerStatus
from xiaoneng.org.models import Role
from xiaoneng.org.tests import factories as org_factories
from xiaoneng.supervision.models import (
    Alert,
    AlertLevel,
    AlertState,
    CaseDayStat,
    CaseOpenStat,
)
from xiaoneng.supervision.selectors.dashboard import (
    DrillFilters,
    dashboard_alert_drill,
    dashboard_drill,
    dashboard_get,
)
from xiaoneng.supervision.stats import CLOSED_STATES, dashboard_stats_rebuild

CST = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db(transaction=False)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=CST)


def _approve_all(world, case: Case) -> None:
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
            cases.task_claim(task=task, actor=staff.user)
            cases.task_approve(task=task, actor=staff.user)


def _snapshot() -> tuple[set, set]:
    days = set(
        CaseDayStat.objects.values_list(
            "region_id",
            "department_id",
            "day",
            "received",
            "accepted",
            "closed",
            "decided",
            "on_time",
            "early",
        )
    )
    opened = set(
        CaseOpenStat.objects.filter(open__gt=0).values_list("region_id", "department_id", "open")
    )
    return days, opened


@pytest.fixture
def scene(travel, django_capture_on_commit_callbacks):
    """Cases of the city's market bureau over two weeks (the stats subscriber runs)."""
    travel("2026-03-02 10:00")
    with django_capture_on_commit_callbacks(execute=True):
        world = factories.world()
        supervisor = org_factories.staff([Role.SUPERVISOR], world.other, password=None)
        n = iter(range(100, 200))

        def submit() -> Case:
            return world.submit(applicant=factories.person(serial=next(n)))

        # day 1: five cases; four accepted, one refused
        c_red, c_yellow, c_paused, c_decided, c_refused = (submit() for _ in range(5))
        for case in (c_red, c_yellow, c_paused, c_decided):
            cases.case_accept(case=case, actor=world.clerk.user)
        cases.case_refuse(
            case=c_refused,
            actor=world.clerk.user,
            reason="不属于本机关职权",
            legal_basis="第三十二条",
        )
        # day 2: the decided case is decided and its licence issued (on time, early)
        travel("2026-03-03 10:00")
        _approve_all(world, c_decided)
        cases.case_decide(case=c_decided, actor=world.approver_a.user, outcome="grant")
        cases.licence_issue(case=c_decided, actor=world.approver_a.user, scope="食品销售")
        paused_timer = Case.objects.get(pk=c_paused.pk).promised_timer
        assert paused_timer is not None
        deadlines.timer_pause(
            timer=paused_timer, reason="special_procedure", actor=world.approver_a.user
        )
        # day 12 (10 working days after 3-02): a new case, one withdrawn the same day
        travel("2026-03-16 10:00")
        submit()
        withdrawn = submit()
        cases.case_withdraw(case=withdrawn, actor=world.applicant)
    return {
        "world": world,
        "supervisor": supervisor,
        "red": c_red,
        "yellow": c_yellow,
        "paused": c_paused,
        "decided": c_decided,
        "refused": c_refused,
        "withdrawn": withdrawn,
    }


def _direct_counts(now: dt.datetime) -> dict[str, int]:
    open_cases = Case.objects.exclude(state__in=CLOSED_STATES)
    running = Q(promised_timer__status=TimerStatus.RUNNING)
    return {
        "open": open_cases.count(),
        "red": open_cases.filter(running, promised_timer__due_at__lte=now).count(),
        "yellow": open_cases.filter(
            running, promised_timer__warn_at__lte=now, promised_timer__due_at__gt=now
        ).count(),
        "paused": open_cases.filter(promised_timer__status=TimerStatus.PAUSED).count(),
    }


def test_the_figures_equal_direct_counts_of_the_cases(scene, travel):
    # 2026-03-16 is the 10th working day after 03-02: the promised limit (10 working days)
    # ends at 17:30 today, so at 16:00 the running ones are yellow, tomorrow red.
    travel("2026-03-16 16:00")
    board = dashboard_get(actor=scene["supervisor"].user)
    now = timezone.now()
    direct = _direct_counts(now)
    assert board.open == direct["open"] == 4  # red, yellow, paused, the new one
    assert board.states == {"normal": 1, "yellow": 2, "red": 0, "paused": 1}
    assert board.states["yellow"] == direct["yellow"]
    assert board.states["paused"] == direct["paused"]
    travel("2026-03-17 10:00")
    board = dashboard_get(actor=scene["supervisor"].user)
    direct = _direct_counts(timezone.now())
    assert board.states == {"normal": 1, "yellow": 0, "red": 2, "paused": 1}
    assert (board.states["red"], board.open) == (direct["red"], direct["open"])
    # flows (per local day) and the 30-day rates
    by_day = {row["day"]: row for row in board.trend}
    assert (by_day[dt.date(2026, 3, 2)]["received"], by_day[dt.date(2026, 3, 2)]["accepted"]) == (
        5,
        4,
    )
    assert by_day[dt.date(2026, 3, 2)]["closed"] == 1  # the refused one
    assert by_day[dt.date(2026, 3, 3)]["closed"] == 1  # the licence issued
    assert by_day[dt.date(2026, 3, 16)]["received"] == 2
    assert by_day[dt.date(2026, 3, 16)]["closed"] == 1  # the withdrawn one
    assert board.period_counts["received"] == Case.objects.count() == 7
    assert (board.period_counts["decided"], board.on_time_rate, board.early_rate) == (
        1,
        100.0,
        100.0,
    )
    assert board.today_counts["received"] == 0
    assert [d.name for d in board.departments] == [scene["world"].lead.name]


def test_the_subscriber_and_the_rebuild_give_the_same_counters(scene):
    kept = _snapshot()
    assert kept[1] == {(scene["world"].lead.region_id, scene["world"].lead.pk, 4)}
    dashboard_stats_rebuild()
    assert _snapshot() == kept


def test_each_figure_drills_down_to_its_cases(scene, travel):
    travel("2026-03-17 10:00")
    user = scene["supervisor"].user
    board = dashboard_get(actor=user)

    def drill(kind: str, **kw) -> set[int]:
        return set(
            dashboard_drill(actor=user, filters=DrillFilters(kind=kind, **kw)).values_list(
                "pk", flat=True
            )
        )

    assert drill("red") == {scene["red"].pk, scene["yellow"].pk}
    assert drill("paused") == {scene["paused"].pk}
    assert len(drill("open")) == board.open
    assert len(drill("normal")) == board.states["normal"] == 1
    march2 = dt.date(2026, 3, 2)
    assert len(drill("received", first_day=march2, last_day=march2)) == 5
    assert len(drill("accepted", first_day=march2, last_day=march2)) == 4
    assert drill("closed", first_day=march2, last_day=march2) == {scene["refused"].pk}
    month = {"first_day": board.first_day, "last_day": board.today}
    assert drill("on_time", **month) == drill("early", **month) == {scene["decided"].pk}
    assert drill("late", **month) == set()
    dept = scene["world"].lead.pk
    assert len(drill("red", department_id=dept)) == 2
    assert drill("red", department_id=scene["world"].other.pk) == set()


def test_alerts_are_counted_by_rule_and_by_department(scene, travel):
    from xiaoneng.supervision.services import supervision_sweep

    travel("2026-03-17 10:00")
    supervision_sweep()
    user = scene["supervisor"].user
    board = dashboard_get(actor=user)
    alerts = Alert.objects.filter(state=AlertState.OPEN)
    by_rule = {(a["rule"], a["level"]): a["n"] for a in board.alerts_by_rule}
    for (rule, level), n in by_rule.items():
        assert alerts.filter(rule=rule, level=level).count() == n
        assert dashboard_alert_drill(actor=user, rule=rule, level=level).count() == n
    assert sum(by_rule.values()) == alerts.count() == board.alerts_total
    red = alerts.filter(level=AlertLevel.RED)
    assert red.count() >= 2  # both running promised timers are past due
    lead = scene["world"].lead.pk
    by_dept = {a["department_id"]: a["n"] for a in board.alerts_by_department}
    assert sum(by_dept.values()) == alerts.count()
    assert dashboard_alert_drill(actor=user, department_id=lead).count() == by_dept[lead]


def test_a_county_supervisor_sees_only_the_county(
    scene, travel, django_capture_on_commit_callbacks
):
    world = scene["world"]
    county = org_factories.county(city=world.lead.region)
    with django_capture_on_commit_callbacks(execute=True):
        county_dept = org_factories.department("东湖县市场监督管理局", county)
        county_supervisor = org_factories.staff([Role.SUPERVISOR], county_dept, password=None)
        item = catalog_factories.published_item(
            county_dept,
            **{
                **world._item_data(),
                "process": [
                    {"name": "受理", "tasks": [factories._task("窗口受理", county_dept, 1)]},
                    {"name": "审批决定", "tasks": [factories._task("审批决定", county_dept, 2)]},
                ],
            },
        )
        county_case = world.submit(item=item, applicant=factories.person(serial=300))
    county_case.refresh_from_db()
    travel("2026-03-17 10:00")
    county_board = dashboard_get(actor=county_supervisor.user)
    city_board = dashboard_get(actor=scene["supervisor"].user)
    assert county_case.region_id == county.pk
    assert county_board.open == 1
    assert [d.department_id for d in county_board.departments] == [county_dept.pk]
    assert county_board.period_counts["received"] == 1
    assert city_board.open == 5  # the city's subtree holds the county
    assert (county_board.states["red"], county_board.states["yellow"]) == (0, 0)
    assert dashboard_drill(actor=county_supervisor.user, filters=DrillFilters("red")).count() == 0
    assert (
        dashboard_drill(actor=county_supervisor.user, filters=DrillFilters("open")).count()
        == county_board.open
    )
    assert city_board.states["red"] == 2


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    page = client.get(reverse("supervision:dashboard"))
    assert page.status_code == 302
    assert "/login/" in page["Location"]
    assert client.get("/api/v1/supervision/dashboard").status_code == 401


def test_department_staff_cannot_open_the_dashboard(scene, client):
    clerk = scene["world"].clerk.user
    client.force_login(clerk)
    assert client.get(reverse("supervision:dashboard")).status_code == 403
    assert client.get(reverse("supervision:drill") + "?kind=red").status_code == 403
    response = client.get("/api/v1/supervision/dashboard")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_the_page_the_panel_and_the_api_show_the_figures(scene, client, travel):
    travel("2026-03-17 10:00")
    client.force_login(scene["supervisor"].user)
    page = client.get(reverse("supervision:dashboard"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-figure="red">2<' in html
    assert 'data-figure="paused">1<' in html
    assert 'hx-trigger="every 30s"' in html
    assert "?kind=red&amp;department=" in html or "?kind=red&department=" in html
    panel = client.get(reverse("supervision:dashboard_panel"))
    assert 'id="dashboard-panel"' in panel.content.decode()
    assert "<html" not in panel.content.decode()
    drill = client.get(reverse("supervision:drill") + "?kind=red")
    assert drill.status_code == 200
    assert scene["red"].number in drill.content.decode()
    assert scene["paused"].number not in drill.content.decode()
    assert client.get(reverse("supervision:drill") + "?kind=nonsense").status_code == 400
    data = client.get("/api/v1/supervision/dashboard").json()
    assert (data["open"], data["states"]) == (
        4,
        {"normal": 1, "yellow": 0, "red": 2, "paused": 1},
    )
    assert data["on_time_rate"] == 100.0
    assert len(data["trend"]) == 30


def test_the_rebuild_counts_cases_loaded_without_events(scene):
    CaseDayStat.objects.all().delete()
    CaseOpenStat.objects.all().delete()
    dashboard_stats_rebuild()
    assert CaseOpenStat.objects.get().open == Case.objects.exclude(state__in=CLOSED_STATES).count()
    assert sum(CaseDayStat.objects.values_list("received", flat=True)) == Case.objects.count()
    assert Case.objects.filter(state=CaseState.WITHDRAWN).count() == 1
