"""Public portal pages: home, catalogue browse and search, the service guide, checkpoints."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from xiaoneng.audit.models import AuditCheckpoint
from xiaoneng.audit.services import audit_seal
from xiaoneng.org.tests import factories as org_factories
from xiaoneng.portal import views as portal_views

from .builders import published_item, topic

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def market(db):
    city = org_factories.region()
    return org_factories.department(name="示范市市场监督管理局", region_=city)


@pytest.fixture
def licence(market, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    t = topic(code="market-entry", name="市场准入")
    item = published_item(
        code="990100-MS-001",
        name="营业执照核发",
        department=market,
        topics=[t],
        with_children=True,
    )
    return item


def test_home_shows_search_topics_departments_and_empty_checkpoint(client, licence):
    response = client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'action="/items/"' in html
    assert '<a href="/items/?topic=market-entry">市场准入<span class="count">1 项</span>' in html
    assert f'<a href="/items/?department={licence.department_id}">示范市市场监督管理局' in html
    assert "今日暂无检查点" in html


def test_browse_lists_published_items_only(client, licence, market):
    published_item(code="990100-MS-002", name="食品经营许可", department=market)
    published_item(code="990100-MS-003", name="草稿事项", department=market, state="draft")

    html = client.get("/items/").content.decode()

    assert "共找到 2 个事项" in html
    assert '<a href="/items/990100-MS-001/">营业执照核发</a>' in html
    assert "食品经营许可" in html
    assert "草稿事项" not in html


def test_search_by_pinyin_initials_finds_the_business_licence(client, licence, market):
    published_item(code="990100-MS-002", name="食品经营许可", department=market)

    html = client.get("/items/", {"q": "yyzz"}).content.decode()

    assert "共找到 1 个事项" in html
    assert "营业执照核发" in html
    assert "食品经营许可" not in html


def test_search_by_chinese_text(client, licence):
    html = client.get("/items/", {"q": "执照"}).content.decode()

    assert "共找到 1 个事项" in html


def test_htmx_search_returns_only_the_results_fragment(client, licence):
    response = client.get("/items/", {"q": "yyzz"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert "<html" not in html
    assert "营业执照核发" in html
    assert "HX-Request" in response["Vary"]


def test_filter_by_department_and_topic(client, licence, market):
    other = org_factories.department(name="示范市卫生健康委员会")
    published_item(code="990100-WJ-001", name="医疗机构执业登记", department=other)

    by_dept = client.get("/items/", {"department": other.pk}).content.decode()
    by_topic = client.get("/items/", {"topic": "market-entry"}).content.decode()

    assert "医疗机构执业登记" in by_dept
    assert "营业执照核发" not in by_dept
    assert "营业执照核发" in by_topic
    assert "医疗机构执业登记" not in by_topic


def test_no_match_shows_the_empty_state(client, licence):
    html = client.get("/items/", {"q": "不存在的事项"}).content.decode()

    assert "未找到相关事项" in html


def test_unknown_department_is_a_named_error(client, licence):
    response = client.get("/items/", {"department": "999999"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "实施部门不存在，请重新选择。" in html
    assert "营业执照核发" not in html


def test_results_are_paginated_by_20(client, market):
    for n in range(23):
        published_item(code=f"990100-P-{n:03d}", name=f"测试事项{n:02d}", department=market)

    first = client.get("/items/").content.decode()
    second = client.get("/items/", {"page": 2}).content.decode()

    assert "共找到 23 个事项 · 第 1 / 2 页" in first
    assert first.count('class="item-row"') == 20
    assert second.count('class="item-row"') == 3
    assert 'href="?page=2"' in first


def page_links(html):
    """The pagination bar as text: numbers, "…" for a gap, [n] for the current page."""
    nav = html.split('<nav class="pagination"', 1)[1].split("</nav>", 1)[0]
    return [
        "…"
        if 'class="gap"' in part
        else f"[{part.split('>', 1)[1]}]"
        if 'aria-current="page"' in part
        else part.split(">", 1)[1]
        for part in re.findall(r"<(?:a|span)[^>]*>[^<]*", nav)
    ]


def test_numbered_pages_show_a_window_around_the_current_one(client, market, monkeypatch):
    monkeypatch.setattr(portal_views, "PAGE_SIZE", 1)
    for n in range(20):
        published_item(code=f"990100-W-{n:03d}", name=f"窗口事项{n:02d}", department=market)

    sixth = client.get("/items/", {"page": 6}).content.decode()
    first = client.get("/items/").content.decode()
    last = client.get("/items/", {"page": 20}).content.decode()

    assert page_links(sixth) == [
        "上一页", "1", "…", "4", "5", "[6]", "7", "8", "…", "20", "下一页",
    ]  # fmt: skip
    assert page_links(first) == ["[1]", "2", "3", "…", "20", "下一页"]
    assert page_links(last) == ["上一页", "1", "…", "18", "19", "[20]"]
    assert '<a href="?page=7" hx-get="?page=7"' in sixth
    assert 'aria-label="第 7 页"' in sixth


def test_numbered_pages_keep_the_search(client, market, monkeypatch):
    monkeypatch.setattr(portal_views, "PAGE_SIZE", 2)
    for n in range(9):
        published_item(code=f"990100-S-{n:03d}", name=f"检索事项{n}", department=market)
    published_item(code="990100-S-100", name="其他许可", department=market)

    html = client.get("/items/", {"q": "检索事项", "page": 3}).content.decode()

    assert "共找到 9 个事项 · 第 3 / 5 页" in html
    assert page_links(html) == ["上一页", "1", "2", "[3]", "4", "5", "下一页"]
    assert '<a href="?q=%E6%A3%80%E7%B4%A2%E4%BA%8B%E9%A1%B9&amp;page=5"' in html


def test_guide_shows_the_eight_disclosures(client, licence):
    response = client.get("/items/990100-MS-001/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>营业执照核发</h1>" in html
    assert "《中华人民共和国市场主体登记管理条例》第三条" in html
    assert "申请人具有完全民事行为能力" in html
    # materials table: necessity, form, copies, blank form
    assert "公司登记（备案）申请书" in html
    assert '<span class="badge badge-red">必要</span>' in html
    assert '<span class="badge badge-amber">容缺</span>' in html
    assert "原件和复印件" in html
    assert f'<a href="/media/{licence.materials.get(position=1).blank_form.name}" download>' in html
    # process with a parallel step and its lead department
    assert '<span class="badge badge-amber">并联办理</span>' in html
    assert '<span class="badge badge-red">牵头</span>' in html
    # limits, special procedure, fees
    assert '<span class="v" id="statutory-limit">20个工作日</span>' in html
    assert '<span class="v" id="promised-limit">10个工作日</span>' in html
    assert "现场核查" in html
    assert "不计入（计时暂停）" in html
    assert '<span class="v" id="fee-summary">不收费</span>' in html
    # place, contacts, online depth, visits
    assert "示范市民中心一楼A区" in html
    assert '<dd id="consult-phone">0999-12345678</dd>' in html
    assert '<dd id="complaint-phone">0999-12345</dd>' in html
    assert '<span class="v" id="online-depth">全程网办</span>' in html
    assert '<span class="v" id="visits">0 次</span>' in html


def test_guide_of_a_paid_item_lists_fee_and_basis(client, market):
    published_item(
        code="990100-MS-009",
        name="特种设备检验",
        department=market,
        fees=[("检验费", "120.00", "《特种设备安全法》第五十一条")],
    )

    html = client.get("/items/990100-MS-009/").content.decode()

    assert '<span class="v" id="fee-summary">收费</span>' in html
    assert "120.00 元" in html
    assert "《特种设备安全法》第五十一条" in html


def test_unknown_item_code_is_404(client, licence):
    response = client.get("/items/NO-SUCH-CODE/")

    assert response.status_code == 404


def test_draft_item_is_not_public(client, market):
    published_item(code="990100-MS-777", name="草稿事项", department=market, state="draft")

    assert client.get("/items/990100-MS-777/").status_code == 404


def test_checkpoints_page_lists_each_days_last_head(client, market):
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI), tick=False):
        org_factories.department()
        audit_seal()
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI), tick=False):
        org_factories.department()
        audit_seal()
        heads = list(AuditCheckpoint.objects.order_by("last_seq"))

        html = client.get("/audit/checkpoints/").content.decode()

    assert html.index("2026-03-02") < html.index("2026-03-01")
    assert f"<code>{heads[-1].head_hash}</code>" in html
    assert f"<code>{heads[0].head_hash}</code>" in html
    assert f'<td class="num">{heads[-1].event_count}</td>' in html


def test_guide_in_english(client, licence):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    html = client.get("/items/990100-MS-001/").content.decode()

    assert "<h2>1. Item and legal basis</h2>" in html
    assert '<span class="v" id="fee-summary">Free of charge</span>' in html
    # "%(value)s%(unit)s" becomes "%(value)s %(unit)s"; the unit's label is the catalog's
    assert '<span class="v" id="promised-limit">10 ' in html


def test_filter_by_item_type(client, market):
    published_item(code="990100-MS-010", name="营业执照核发", department=market)
    published_item(
        code="990100-MS-011", name="个体工商户登记", department=market, item_type="confirmation"
    )

    html = client.get("/items/", {"item_type": "confirmation"}).content.decode()

    assert "共找到 1 个事项" in html
    assert "个体工商户登记" in html


def test_pages_take_a_fixed_number_of_queries(
    client, licence, market, django_assert_max_num_queries
):
    for n in range(10):
        published_item(code=f"990100-Q-{n:03d}", name=f"事项{n}", department=market)

    with django_assert_max_num_queries(7):
        assert client.get("/items/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/items/990100-MS-001/").status_code == 200
