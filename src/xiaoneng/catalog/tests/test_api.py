import base64
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from xiaoneng.audit.models import AuditEvent
from xiaoneng.catalog.models import Item, ItemState
from xiaoneng.org.models import Role
from xiaoneng.org.tests import factories as org_factories

from . import factories

pytestmark = pytest.mark.django_db

BASE = "/api/v1/catalog"


@pytest.fixture
def world():
    market, other, city = factories.county_departments()
    topic = factories.topic(code="market-entry")
    item = factories.published_item(
        market,
        code="E-001",
        name="营业执照核发",
        topics=[topic.code],
        materials=[
            {
                "name": "申请书",
                "blank_form": {
                    "filename": "申请书.docx",
                    "content_base64": base64.b64encode(b"form").decode(),
                },
            }
        ],
        fees=[{"name": "工本费", "amount": "10", "basis": "某某文件"}],
    )

    def user(roles, department):
        staff = org_factories.staff(roles=roles, department_=department, password=None)
        return staff.user

    return {
        "market": market,
        "other": other,
        "item": item,
        "office": user([Role.APPROVAL_OFFICE], market),
        "city_office": user([Role.APPROVAL_OFFICE], org_factories.department(region_=city)),
        "other_office": user([Role.APPROVAL_OFFICE], other),
        "clerk": user([Role.CLERK], market),
        "admin": user([Role.PLATFORM_ADMIN], other),
    }


def client_for(user):
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


@pytest.fixture
def applicant():
    from xiaoneng.org.models import User

    return User.objects.create_user(username="citizen")


def test_public_list_filters_and_paginates(world):
    for n in range(3):
        factories.published_item(world["other"], code=f"W-{n}", name="食品经营许可")
    c = Client()
    body = c.get(f"{BASE}/items", {"q": "yyzz"}).json()
    assert body["count"] == 1
    summary = body["items"][0]
    assert summary["code"] == "E-001"
    assert summary["department"]["name"] == "东湖县市场监督管理局"
    assert summary["promised_limit"] == {"value": 10, "unit": "working_days", "label": "10个工作日"}
    assert summary["is_free"] is False
    assert summary["topics"] == ["market-entry"]
    body = c.get(f"{BASE}/items", {"department": world["other"].credit_code, "page_size": 2}).json()
    assert (body["count"], len(body["items"])) == (3, 2)
    body = c.get(
        f"{BASE}/items", {"department": world["other"].credit_code, "page_size": 2, "page": 2}
    ).json()
    assert [i["code"] for i in body["items"]] == ["W-2"]
    assert c.get(f"{BASE}/items", {"topic": "market-entry"}).json()["count"] == 1
    assert c.get(f"{BASE}/items", {"page_size": 101}).status_code == 422


def test_public_list_query_budget(world):
    for n in range(10):
        factories.published_item(world["other"], code=f"W-{n:02d}")
    c = Client()
    with CaptureQueriesContext(connection) as ctx:
        body = c.get(f"{BASE}/items", {"page_size": 5}).json()
    assert body["count"] == 11
    # session-less request: page, count, topics, fees
    assert len(ctx.captured_queries) == 4


def test_guide_shows_everything_and_unknown_code_is_404(world):
    c = Client()
    body = c.get(f"{BASE}/items/E-001").json()
    assert body["legal_basis"] == "《中华人民共和国食品安全法》第三十五条"
    assert body["materials"][0]["blank_form"]["filename"] == "申请书.docx"
    assert body["materials"][0]["blank_form"]["url"].startswith("/media/catalog/forms/")
    assert [s["name"] for s in body["process"]] == ["受理", "审查决定"]
    assert body["fees"] == [
        {
            "name": "工本费",
            "amount": "10.00",
            "unit": "",
            "basis": "某某文件",
            "exemption_allowed": False,
            "exemption_basis": "",
        }
    ]
    response = c.get(f"{BASE}/items/NOPE")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def _create_body(world, code="N-001"):
    data = factories.item_data(world["market"], code=code)
    return {k: v for k, v in data.items() if k not in ("version", "state")}


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 401),
        ("applicant", 403),
        ("clerk", 403),
        ("other_office", 403),
        ("office", 201),
        ("city_office", 201),
        ("admin", 201),
    ],
)
def test_create_authorisation_matrix(world, applicant, who, status):
    user = applicant if who == "applicant" else (world[who] if who else None)
    before = AuditEvent.objects.count()
    response = client_for(user).post(
        f"{BASE}/items", json.dumps(_create_body(world)), content_type="application/json"
    )
    assert response.status_code == status, response.content
    created = Item.objects.filter(code="N-001")
    if status == 201:
        assert response.json() == {
            "code": "N-001",
            "version": 1,
            "state": "draft",
            "state_label": "草稿",
            "name": "食品经营许可证核发",
            "department": world["market"].credit_code,
        }
        assert created.count() == 1
    else:
        assert not created.exists()
        assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 401),
        ("applicant", 403),
        ("clerk", 403),
        ("other_office", 403),
        ("office", 200),
        ("admin", 200),
    ],
)
def test_patch_authorisation_matrix_and_new_version(world, applicant, who, status):
    user = applicant if who == "applicant" else (world[who] if who else None)
    response = client_for(user).patch(
        f"{BASE}/items/E-001",
        json.dumps({"place": "新地点"}),
        content_type="application/json",
    )
    assert response.status_code == status, response.content
    versions = list(Item.objects.filter(code="E-001").values_list("version", "state", "place"))
    if status == 200:
        assert response.json()["version"] == 2
        assert versions == [
            (2, "draft", "新地点"),
            (1, "published", "示范市政务服务中心二楼"),
        ]
    else:
        assert versions == [(1, "published", "示范市政务服务中心二楼")]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 401),
        ("applicant", 403),
        ("clerk", 403),
        ("other_office", 403),
        ("office", 200),
    ],
)
def test_publish_and_withdraw_authorisation_matrix(world, applicant, who, status):
    from xiaoneng.catalog import services

    services.item_update(actor=None, code="E-001", changes={"place": "新地点"})
    user = applicant if who == "applicant" else (world[who] if who else None)
    c = client_for(user)
    response = c.post(f"{BASE}/items/E-001/publish", "{}", content_type="application/json")
    assert response.status_code == status, response.content
    states = dict(Item.objects.filter(code="E-001").values_list("version", "state"))
    if status == 200:
        assert response.json()["state"] == "published"
        assert states == {1: ItemState.SUPERSEDED, 2: ItemState.PUBLISHED}
        response = c.post(
            f"{BASE}/items/E-001/withdraw",
            json.dumps({"reason": "合并"}),
            content_type="application/json",
        )
        assert response.status_code == 200
        assert response.json()["state_label"] == "已撤销"
        assert Client().get(f"{BASE}/items/E-001").status_code == 404
    else:
        assert states == {1: ItemState.PUBLISHED, 2: ItemState.DRAFT}
        response = c.post(f"{BASE}/items/E-001/withdraw", "{}", content_type="application/json")
        assert response.status_code == status
        assert dict(Item.objects.filter(code="E-001").values_list("version", "state")) == states


def test_bad_input_is_422_with_chinese_messages_and_nothing_saved(world):
    body = _create_body(world, code="E-001")  # duplicate code
    body["department"] = "91350100M000100Y4X"  # wrong credit code
    body["promised_limit"] = {"value": 30, "unit": "working_days"}
    body["process"][0]["tasks"][0]["department"] = ""
    body["fees"] = [{"name": "工本费", "amount": "3"}]
    before = (Item.objects.count(), AuditEvent.objects.count())
    response = client_for(world["office"]).post(
        f"{BASE}/items", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert set(errors) == {
        "code",
        "department",
        "promised_limit",
        "process[0].tasks[0].department",
        "fees[0].basis",
    }
    assert "实施编码“E-001”已存在" in errors["code"]
    assert "实施主体的统一社会信用代码" in errors["department"]
    assert "不得超过法定办结时限" in errors["promised_limit"]
    assert "请填写第1个环节第1项任务的办理部门" in errors["process[0].tasks[0].department"]
    assert "收费依据" in errors["fees[0].basis"]
    assert (Item.objects.count(), AuditEvent.objects.count()) == before


def test_unknown_department_and_type_errors(world):
    body = _create_body(world)
    body["department"] = org_factories.credit_code("990100", 77777)
    body["online_depth"] = "abc"
    response = client_for(world["office"]).post(
        f"{BASE}/items", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "online_depth"
    body["online_depth"] = 9
    response = client_for(world["office"]).post(
        f"{BASE}/items", json.dumps(body), content_type="application/json"
    )
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert errors["department"].endswith("不是已登记的部门。")
    assert errors["online_depth"] == "网上办理深度应在1到4之间。"
    assert not Item.objects.filter(code="N-001").exists()


def test_write_on_unknown_code_is_404(world):
    c = client_for(world["office"])
    assert c.patch(f"{BASE}/items/NOPE", "{}", content_type="application/json").status_code == 404
    assert (
        c.post(f"{BASE}/items/NOPE/publish", "{}", content_type="application/json").status_code
        == 404
    )
    assert (
        c.post(f"{BASE}/items/NOPE/withdraw", "{}", content_type="application/json").status_code
        == 404
    )


def test_publish_without_draft_is_409(world):
    response = client_for(world["office"]).post(
        f"{BASE}/items/E-001/publish", "{}", content_type="application/json"
    )
    assert response.status_code == 409
    assert "没有待发布的草稿" in response.json()["message"]


def test_session_writes_need_the_csrf_token(world):
    c = Client(enforce_csrf_checks=True)
    c.force_login(world["office"])
    response = c.post(
        f"{BASE}/items", json.dumps(_create_body(world)), content_type="application/json"
    )
    assert response.status_code == 403
    assert not Item.objects.filter(code="N-001").exists()


def test_topics_and_departments(world):
    c = Client()
    assert c.get(f"{BASE}/topics").json() == [
        {"code": "market-entry", "name": "市场准入", "audience": "enterprise", "published_count": 1}
    ]
    departments = c.get(f"{BASE}/departments").json()
    assert [(d["name"], d["published_count"]) for d in departments] == [("东湖县市场监督管理局", 1)]
    assert c.get(f"{BASE}/departments", {"region": "990122000000"}).json() == []
