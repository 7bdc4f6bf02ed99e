"""End-to-end: the supervision office follows an overdue step from the dashboard to a
supervision order the department answers.

A case accepted in March has a claimed review step that ran past its limit; the sweep
raises its red alert. The city supervisor sees it on the dashboard, opens the alert,
confirms it with a reason, issues a supervision order from the alert page; the
department's approver replies; the supervisor accepts the reply and the order is closed.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from browser import login, open_action

pytestmark = pytest.mark.e2e

CST = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def overdue(transactional_db: None, settings: Any, tmp_path: Path) -> dict[str, Any]:
    from django.apps import apps

    from xiaoneng.cases import services as case_services
    from xiaoneng.cases.models import CaseTask
    from xiaoneng.cases.tests.factories import world
    from xiaoneng.deadlines.calendars import calendar_cache_clear
    from xiaoneng.org.models import Role
    from xiaoneng.org.tests import factories as org_factories
    from xiaoneng.supervision.models import Alert
    from xiaoneng.supervision.services import supervision_sweep

    settings.MEDIA_ROOT = tmp_path / "media"
    seed = importlib.import_module("xiaoneng.deadlines.migrations.0002_builtin_calendar")
    seed.load_builtin(apps, None)
    calendar_cache_clear()

    # The case was received, accepted and its review claimed in March 2026 …
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=CST), tick=True):
        w = world()
        case = case_services.case_accept(case=w.submit(), actor=w.clerk.user)
        task = CaseTask.objects.get(case=case, step__position=2, department=w.lead)
        case_services.task_claim(task=task, actor=w.approver_a.user)
    # … and nobody acted since: today's sweep finds the step (and the case) overdue.
    supervision_sweep()
    alert = Alert.objects.get(subject_type="cases.casetask", subject_id=str(task.pk), level="red")
    city = w.lead.region
    jw = org_factories.department(name="示范市监察委员会", region_=city)
    supervisor = org_factories.staff([Role.SUPERVISOR], jw, username="supervisor_e2e")
    return {"world": w, "case": case, "alert": alert, "supervisor": supervisor}


def test_supervisor_confirms_an_overdue_step_and_the_department_answers_the_order(
    live_server, page, overdue, shot
):
    from xiaoneng.supervision.models import SupervisionOrder

    w, alert, supervisor = overdue["world"], overdue["alert"], overdue["supervisor"]

    # --- the dashboard shows the red case and the alert by rule
    login(page, live_server, supervisor.user)
    page.goto(f"{live_server.url}/staff/supervision/")
    shot(page, "supervision-dashboard")
    assert int(page.locator('[data-figure="red"]').inner_text()) >= 1
    assert "环节超时" in page.locator("#alerts-by-rule").inner_text()

    # --- the alert list leads to the step's alert
    page.goto(f"{live_server.url}/staff/supervision/alerts/?level=red")
    page.locator(f'a[href="/staff/supervision/alerts/{alert.pk}/"]').first.click()
    page.wait_for_url(re.compile(rf"/staff/supervision/alerts/{alert.pk}/$"))
    shot(page, "supervision-alert")
    assert page.locator("#alert-department").inner_text() == w.lead.name
    assert page.locator("#alert-staff").inner_text() == w.approver_a.user.full_name

    # --- confirmed with a reason (an empty reason is named first)
    panel = open_action(page, "confirm")
    panel.locator("button[type=submit]").click()
    assert "请填写确认理由。" in page.locator("#action-confirm .errorlist").inner_text()
    page.fill("#id_confirm-reason", "审查环节超期属实")
    page.locator("#action-confirm button[type=submit]").click()
    assert page.locator("#alert-state").inner_text() == "已确认"
    assert page.locator("#alert-reason").inner_text() == "审查环节超期属实"

    # --- a supervision order from the alert page
    page.click("#follow-order")
    page.wait_for_url(re.compile(r"/staff/supervision/orders/new/\?alert="))
    page.fill("#id_subject", "审查环节超期督办")
    page.fill("#id_requirements", "请于5个工作日内说明超期原因并办结。")
    shot(page, "supervision-order-new")
    page.locator("#order-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/supervision/orders/DB-"))
    order = SupervisionOrder.objects.get(alert=alert)
    assert page.locator("#order-number").inner_text() == order.number
    assert order.department_id == w.lead.pk

    # --- the department's approver replies
    login(page, live_server, w.approver_a.user)
    page.goto(f"{live_server.url}/staff/supervision/orders/{order.number}/")
    page.fill("#id_reply-text", "已查明原因，审查已于当日办结。")
    page.locator("#action-reply button[type=submit]").click()
    page.locator("#reply-1").wait_for()
    shot(page, "supervision-order-replied")

    # --- the supervisor accepts the reply: the order is closed
    login(page, live_server, supervisor.user)
    page.goto(f"{live_server.url}/staff/supervision/orders/{order.number}/")
    page.locator("#action-accept button[type=submit]").click()
    page.wait_for_load_state()
    order.refresh_from_db()
    assert order.state == "accepted"
    assert "action-accept" not in page.content()
