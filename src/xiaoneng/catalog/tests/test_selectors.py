from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xiaoneng.catalog import selectors, services
from xiaoneng.catalog.models import ItemState
from xiaoneng.core.errors import NotFound, PermissionDenied
from xiaoneng.org.models import Role
from xiaoneng.org.tests import factories as org_factories

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    market, env, city = factories.county_departments(west_name="西山县生态环境局")
    east, west = market.region, env.region
    topic = factories.topic(code="market-entry", name="市场准入")
    licence = factories.published_item(
        market, code="E-001", name="营业执照核发", topics=["market-entry"]
    )
    food = factories.published_item(market, code="E-002", name="食品经营许可证核发")
    pollution = factories.published_item(env, code="W-001", name="排污许可证核发")
    draft = factories.draft_item(env, code="W-002", name="营业性演出许可")
    return {
        "city": city,
        "east": east,
        "west": west,
        "market": market,
        "env": env,
        "topic": topic,
        "licence": licence,
        "food": food,
        "pollution": pollution,
        "draft": draft,
    }


def codes(qs):
    return [i.code for i in qs]


def test_search_by_chinese_substring_pinyin_initials_and_full_pinyin(catalogue):
    assert codes(selectors.item_search(query="营业执照")) == ["E-001"]
    assert codes(selectors.item_search(query="yyzz")) == ["E-001"]
    assert codes(selectors.item_search(query="YYZZ")) == ["E-001"]
    assert codes(selectors.item_search(query="yingye zhizhao")) == ["E-001"]
    assert codes(selectors.item_search(query="许可证")) == ["E-002", "W-001"]
    assert codes(selectors.item_search(query="食品 许可")) == ["E-002"]
    assert codes(selectors.item_search(query="pwxkz")) == ["W-001"]
    # drafts are not public
    assert codes(selectors.item_search(query="yyxyc")) == []


def test_search_filters(catalogue):
    c = catalogue
    assert codes(selectors.item_search(department_id=c["env"].pk)) == ["W-001"]
    assert codes(selectors.item_search(topic_code="market-entry")) == ["E-001"]
    assert codes(selectors.item_search(region_code=c["east"].code)) == ["E-001", "E-002"]
    assert codes(selectors.item_search(region_code=c["city"].code)) == ["E-001", "E-002", "W-001"]
    assert codes(selectors.item_search(item_type="payment")) == []


def test_search_list_query_budget(catalogue):
    for n in range(5):
        factories.published_item(catalogue["market"], code=f"E-1{n:02d}")
    with CaptureQueriesContext(connection) as ctx:
        items = list(selectors.item_search())
        for item in items:
            _ = [t.code for t in item.topics.all()], item.department.region.name, item.is_free
    assert len(items) == 8
    assert len(ctx.captured_queries) == 3  # items+departments+regions, topics, fees


def test_item_get_published_has_children_in_fixed_queries(catalogue):
    with CaptureQueriesContext(connection) as ctx:
        item = selectors.item_get_published(code="E-001")
        steps = [(s.name, [t.department.name for t in s.tasks.all()]) for s in item.steps.all()]
        _ = list(item.materials.all()), list(item.fees.all()), list(item.special_procedures.all())
        _ = list(item.topics.all())
    assert steps == [("受理", ["东湖县市场监督管理局"]), ("审查决定", ["东湖县市场监督管理局"])]
    assert len(ctx.captured_queries) == 7
    with pytest.raises(NotFound):
        selectors.item_get_published(code="W-002")  # a draft


def test_versions_topics_and_departments(catalogue):
    services.item_update(actor=None, code="E-001", changes={"name": "营业执照核发（新）"})
    services.item_publish(actor=None, code="E-001")
    assert [(i.version, i.state) for i in selectors.item_versions(code="E-001")] == [
        (2, ItemState.PUBLISHED),
        (1, ItemState.SUPERSEDED),
    ]
    topics: list[Any] = list(selectors.topic_list())
    assert [(t.code, t.published_count) for t in topics] == [("market-entry", 1)]
    departments: list[Any] = list(selectors.departments_with_items())
    assert [(d.name, d.published_count) for d in departments] == [
        ("东湖县市场监督管理局", 2),
        ("西山县生态环境局", 1),
    ]


def test_staff_list_is_scoped_by_region(catalogue):
    c = catalogue
    east_office = org_factories.staff(roles=[Role.APPROVAL_OFFICE], department_=c["market"])
    west_office = org_factories.staff(roles=[Role.APPROVAL_OFFICE], department_=c["env"])
    admin = org_factories.staff(roles=[Role.PLATFORM_ADMIN])
    assert codes(selectors.item_list_for_staff(actor=east_office.user)) == ["E-001", "E-002"]
    assert codes(selectors.item_list_for_staff(actor=west_office.user)) == ["W-001", "W-002"]
    assert codes(selectors.item_list_for_staff(actor=west_office.user, state="draft")) == ["W-002"]
    assert len(codes(selectors.item_list_for_staff(actor=admin.user))) == 4
    with pytest.raises(NotFound):
        selectors.item_get_for_staff(actor=east_office.user, code="W-002")
    with pytest.raises(PermissionDenied):
        selectors.item_list_for_staff(actor=None)


def test_search_text_has_a_trigram_index_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite scans the search text (no trigram index there)")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s", ["catalog_item_search_trgm"]
        )
        row = cursor.fetchone()
    assert row is not None
    assert "gin_trgm_ops" in row[0]
