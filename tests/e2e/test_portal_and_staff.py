"""End-to-end: public search and guide, staff log-in, language switch."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders

from xiaoneng.web.templatetags.web_tags import VENDOR_JS

pytestmark = pytest.mark.e2e


def test_search_by_pinyin_initials_and_open_the_guide(live_server, page, site, shot):
    page.goto(live_server.url + "/")
    shot(page, "portal-home-zh")
    assert page.locator("h1").first.inner_text() == "一网通办 · 办事不求人"
    assert page.locator("#audit-checkpoint").inner_text().startswith("今日审计检查点")

    page.fill("#home-q", "yyzz")
    page.press("#home-q", "Enter")
    page.wait_for_url(re.compile(r"/items/\?q=yyzz$"))
    shot(page, "search-results-zh")
    results = page.locator("#results .item-row h3 a")
    assert results.all_inner_texts() == ["营业执照核发"]
    assert page.locator(".result-meta").inner_text() == "共找到 1 个事项"

    results.first.click()
    page.wait_for_url(re.compile(r"/items/990100-SCJ-001/$"))
    shot(page, "guide-zh")
    assert page.locator("h1").inner_text() == "营业执照核发"
    assert page.locator("#promised-limit").inner_text() == "10个工作日"
    assert page.locator("#fee-summary").inner_text() == "不收费"
    assert page.locator("#materials tbody tr").count() == 2
    assert page.locator("#process .badge", has_text="并联办理").count() == 1
    assert page.locator("#materials a[download]").first.inner_text() == "下载表格"


def test_live_search_updates_results_without_reloading(live_server, page, site, shot):
    if not finders.find(VENDOR_JS["htmx"]):
        pytest.skip("htmx not vendored (run scripts/vendor_assets.py)")
    page.goto(live_server.url + "/items/")
    assert page.locator("#results .item-row").count() == 3
    page.evaluate("window.__sameDocument = true")

    page.fill("#id_q", "spjy")
    page.wait_for_function(
        "document.querySelectorAll('#results .item-row').length === 1", timeout=5_000
    )

    assert page.evaluate("window.__sameDocument") is True  # no full page load
    assert page.locator("#results .item-row h3 a").inner_text() == "食品经营许可"
    assert page.url.endswith("/items/?q=spjy&department=&topic=&item_type=")

    page.fill("#id_q", "不存在的事项")
    page.locator("#no-results").wait_for()
    assert page.locator("#no-results strong").inner_text() == "未找到相关事项"


def test_clerk_logs_in_and_sees_the_workbench(live_server, page, site, shot):
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "clerk_e2e")
    page.fill("#id_password", "wrong-password")
    page.click("button[type=submit]:has-text('登录')")
    assert page.locator(".alert-error").inner_text() == (
        "用户名或密码不正确，请重新输入（密码区分大小写）。"
    )
    shot(page, "login-error-zh")

    page.fill("#id_password", site["password"])
    page.click("button[type=submit]:has-text('登录')")
    page.wait_for_url(re.compile(r"/staff/$"))
    shot(page, "staff-home-zh")
    assert page.locator("h1").inner_text() == "工作台"
    assert page.locator("#panel-post dd").first.inner_text() == "示范市市场监督管理局"
    assert page.locator(".main-nav a").all_inner_texts() == [
        "工作台",
        "受理",
        "办件",
        "监察预警",  # the department explains its own alerts
        "督办",  # and answers the supervision orders sent to it
        "问责",
        "办事指南",
    ]

    page.click("button:has-text('退出')")
    page.wait_for_url(live_server.url + "/")
    assert page.locator(".header-tools a").all_inner_texts() == [
        "办事人登录 / 注册",
        "工作人员登录",
    ]


def test_switch_to_english_and_back(live_server, page, site, shot):
    page.goto(live_server.url + "/accounts/login/")
    shot(page, "login-zh")
    page.click("button:has-text('English')")
    page.wait_for_url(re.compile(r"/accounts/login/$"))
    shot(page, "login-en")
    assert page.locator("h1").inner_text() == "Staff log-in"

    page.goto(live_server.url + "/")
    shot(page, "portal-home-en")
    assert page.locator("h1").first.inner_text() == "One portal for every service"
    assert page.locator("#topics h2").inner_text() == "Browse by topic"

    page.goto(live_server.url + "/items/?q=yyzz")
    shot(page, "search-results-en")
    assert page.locator(".result-meta").inner_text() == "1 item found"
    page.goto(live_server.url + "/items/990100-SCJ-001/")
    shot(page, "guide-en")
    assert page.locator("#basis h2").inner_text() == "1. Item and legal basis"

    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "clerk_e2e")
    page.fill("#id_password", site["password"])
    page.click("#main form button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/$"))
    shot(page, "staff-home-en")
    assert page.locator("h1").inner_text() == "Workbench"

    page.click("button:has-text('中文')")
    page.wait_for_url(re.compile(r"/staff/$"))
    assert page.locator("h1").inner_text() == "工作台"


def test_phone_width_layout_has_no_horizontal_overflow(live_server, page, site, shot):
    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in [("/", "portal-home-phone"), ("/items/990100-SCJ-001/", "guide-phone")]:
        page.goto(live_server.url + path)
        shot(page, name)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow == 0, f"{path} overflows by {overflow}px"
