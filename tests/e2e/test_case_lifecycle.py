"""End-to-end: one case's whole life through the pages, in a real browser.

An applicant applies online with a material; the clerk issues the one supplement notice;
the applicant uploads the missing file and completes it; the clerk accepts; a parallel
step is claimed and approved by approvers of two departments; a special procedure pauses
the clock and ends; the decision grants and the licence is issued; the applicant sees the
licence and the public progress page says 已办结.

Users are logged in by handing the browser a session cookie (``client.force_login``): the
SMS log-in has its own tests.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
from browser import login, open_action
from django.contrib.staticfiles import finders

from xiaoneng.web.templatetags.web_tags import VENDOR_JS

pytestmark = pytest.mark.e2e

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _task(name: str, department: Any, days: int, lead: bool = True) -> dict[str, Any]:
    return {
        "name": name,
        "department": department.credit_code,
        "is_lead": lead,
        "limit": {"value": days, "unit": "working_days"},
    }


@pytest.fixture
def hall(transactional_db: None, settings: Any, tmp_path: Path) -> dict[str, Any]:
    """Two departments, a clerk, two approvers, an applicant and an item whose middle step
    runs in parallel across both departments."""
    from django.apps import apps

    from xiaoneng.catalog.tests import factories as catalog_factories
    from xiaoneng.deadlines.calendars import calendar_cache_clear
    from xiaoneng.org.models import Role
    from xiaoneng.org.tests import factories as org_factories

    settings.MEDIA_ROOT = tmp_path / "media"
    # a transactional test flushes the tables: put the built-in national calendar back
    seed = importlib.import_module("xiaoneng.deadlines.migrations.0002_builtin_calendar")
    seed.load_builtin(apps, None)
    calendar_cache_clear()

    city = org_factories.region()
    market = org_factories.department(name="示范市市场监督管理局", region_=city)
    fire = org_factories.department(name="示范市消防救援支队", region_=city)
    item = catalog_factories.published_item(
        market,
        code="990100-SCJ-101",
        name="食品经营许可证核发",
        process=[
            {"name": "受理", "tasks": [_task("窗口受理", market, 1)]},
            {
                "name": "联合审查",
                "tasks": [
                    _task("食品安全审查", market, 3, True),
                    _task("消防安全审查", fire, 3, False),
                ],
            },
            {"name": "审批决定", "tasks": [_task("审批决定", market, 2)]},
        ],
    )
    sample = tmp_path / "申请书.pdf"
    sample.write_bytes(PDF)
    return {
        "item": item,
        "market": market,
        "fire": fire,
        "clerk": org_factories.staff([Role.CLERK], market, username="clerk_lc"),
        "approver_a": org_factories.staff([Role.APPROVER], market, username="approver_a_lc"),
        "approver_b": org_factories.staff([Role.APPROVER], fire, username="approver_b_lc"),
        "applicant": org_factories.applicant(real_name="王小明"),
        "pdf": sample,
    }


def task_card(page: Any, case: Any, step: int, department: Any) -> Any:
    from xiaoneng.cases.models import CaseTask

    task = CaseTask.objects.get(case=case, step__position=step, department=department)
    return page.locator(f"#task-{task.pk}")


def test_a_case_from_online_application_to_licence(live_server, page, hall, shot):
    from xiaoneng.cases.models import Case

    item, applicant = hall["item"], hall["applicant"]

    # --- the applicant applies online from the service guide
    login(page, live_server, applicant.user)
    page.goto(f"{live_server.url}/items/{item.code}/")
    page.click("#apply-online")
    page.wait_for_url(re.compile(rf"/me/apply/{item.code}/$"))
    page.fill("#id_project_name", "示范便利店")
    page.fill("#id_address", "示范市东湖路1号")
    material = item.materials.get()
    shot(page, "cases-apply")
    page.click("#submit-apply")  # nothing attached: the required material is named
    assert page.locator(f"#row-material_{material.pk} .errorlist").inner_text() == (
        "缺少必要材料“食品经营许可申请书”。"
    )
    page.set_input_files(f"#id_material_{material.pk}", str(hall["pdf"]))
    shot(page, "cases-apply-error")
    page.click("#submit-apply")
    page.wait_for_url(re.compile(r"/me/cases/[\d-]+/$"))
    case = Case.objects.get()
    assert page.locator("#case-number").inner_text() == case.number
    assert page.locator(".page-head .badge").inner_text() == "已收件"

    # --- the clerk issues the one supplement notice
    login(page, live_server, hall["clerk"].user)
    if finders.find(VENDOR_JS["htmx"]):  # the home page loads the counts with htmx
        page.goto(f"{live_server.url}/staff/")
        assert page.locator("#count-intake .stat").inner_text() == "1"
        shot(page, "cases-staff-home")
    page.goto(f"{live_server.url}/staff/cases/intake/")
    assert case.number in page.locator("#intake-queue").inner_text()
    shot(page, "cases-intake")
    page.click(f"text={case.number}")
    panel = open_action(page, "supplement_notice")
    panel.locator("input[type=checkbox]").first.check()
    panel.locator("textarea").first.fill("营业场所平面图须标明尺寸")
    panel.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.number}/$"))
    assert page.locator(".page-head .badge").first.inner_text() == "待补正"

    # --- the applicant supplements both items and completes
    login(page, live_server, applicant.user)
    page.goto(f"{live_server.url}/me/cases/{case.number}/")
    for index in range(2):
        row = page.locator("#supplement .material-row").nth(index)
        row.locator("input[type=file]").set_input_files(str(hall["pdf"]))
        row.locator("button[type=submit]").click()
        page.wait_for_url(re.compile(rf"/me/cases/{case.number}/$"))
    assert page.locator("#supplement .badge-green").count() == 2
    page.click("#supplement-complete")
    page.wait_for_url(re.compile(rf"/me/cases/{case.number}/$"))
    assert page.locator(".page-head .badge").inner_text() == "已收件"

    # --- the clerk accepts
    login(page, live_server, hall["clerk"].user)
    page.goto(f"{live_server.url}/staff/cases/{case.number}/")
    open_action(page, "accept").locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.number}/$"))
    assert page.locator(".page-head .badge").first.inner_text() == "办理中"

    # --- the parallel step: one approver of each department claims and approves
    case.refresh_from_db()
    for who, department, opinion in (
        ("approver_b", hall["fire"], "消防设施符合要求"),
        ("approver_a", hall["market"], "食品安全条件符合要求"),
    ):
        login(page, live_server, hall[who].user)
        page.goto(f"{live_server.url}/staff/cases/inbox/")
        assert case.number in page.locator("#inbox-table").inner_text()
        if who == "approver_a":
            shot(page, "cases-inbox")
        page.locator("#inbox-table a", has_text=case.number).first.click()
        card = task_card(page, case, 2, department)
        card.get_by_role("button", name="签收").click()
        card = task_card(page, case, 2, department)
        card.locator("textarea").fill(opinion)
        card.get_by_role("button", name="同意").click()
        page.wait_for_url(re.compile(rf"/staff/cases/{case.number}/$"))
        assert task_card(page, case, 2, department).get_attribute("data-state") == "done"
    assert page.locator("#step-2").get_attribute("data-state") == "done"
    assert page.locator("#step-3").get_attribute("data-state") == "active"

    # --- a special procedure pauses the clock, then ends
    panel = open_action(page, "special_start")
    panel.locator("select[name=special_start-kind]").select_option("expert_review")
    panel.locator("input[name=special_start-name]").fill("专家评审")
    panel.locator("input[name=special_start-expected_days]").fill("5")
    panel.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.number}/$"))
    assert page.locator(".page-head .badge").first.inner_text() == "特别程序中"
    assert page.locator("#time [data-state=paused]").count() >= 1
    shot(page, "cases-case-paused")
    panel = open_action(page, "special_end")
    panel.locator("input").last.fill("评审通过")
    panel.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.number}/$"))
    assert page.locator(".page-head .badge").first.inner_text() == "办理中"

    # --- the last step, the decision and the licence
    card = task_card(page, case, 3, hall["market"])
    card.get_by_role("button", name="签收").click()
    task_card(page, case, 3, hall["market"]).get_by_role("button", name="同意").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.number}/$"))
    assert page.locator(".page-head .badge").first.inner_text() == "待决定"
    panel = open_action(page, "decide")
    panel.locator("input[value=grant]").check()
    panel.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.number}/$"))
    panel = open_action(page, "licence_issue")
    panel.locator("textarea").fill("预包装食品（含冷藏冷冻食品）销售")
    panel.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/staff/cases/{case.number}/$"))
    assert page.locator(".page-head .badge").first.inner_text() == "已办结"
    shot(page, "cases-case-page")

    # --- the applicant sees the licence; the public progress page says 已办结
    case.refresh_from_db()
    login(page, live_server, applicant.user)
    page.goto(f"{live_server.url}/me/cases/{case.number}/")
    assert page.locator("#licence-number").inner_text() == case.licence.number
    shot(page, "cases-my-case")
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/progress/?n={case.number}&c={case.query_code}")
    assert page.locator("#progress-state").inner_text() == "已办结"
    assert page.locator("#steps li").count() == 3
    assert "王小明" not in page.content()
    shot(page, "cases-progress")
