import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from xiaoneng.catalog import services, transfer
from xiaoneng.catalog.models import Item, ItemState
from xiaoneng.org.models import Role
from xiaoneng.org.tests import factories as org_factories

from . import factories

pytestmark = [pytest.mark.django_db, pytest.mark.urls("xiaoneng.catalog.tests.urls")]

BASE = "/staff/catalog"


@pytest.fixture
def world():
    market, other, _city = factories.county_departments()
    factories.published_item(market, code="E-001", name="营业执照核发")
    services.item_update(actor=None, code="E-001", changes={"place": "新址"})
    factories.published_item(other, code="W-001", name="食品经营许可")

    def login(roles, department):
        c = Client()
        c.force_login(org_factories.staff(roles=roles, department_=department, password=None).user)
        return c

    return {
        "market": market,
        "office": login([Role.APPROVAL_OFFICE], market),
        "clerk": login([Role.CLERK], market),
        "other_office": login([Role.APPROVAL_OFFICE], other),
    }


def test_anonymous_is_sent_to_login(world):
    response = Client().get(f"{BASE}/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_list_is_scoped_and_filters_by_state(world):
    page = world["office"].get(f"{BASE}/").content.decode()
    assert "营业执照核发" in page
    assert "食品经营许可" not in page
    assert "共 2 个事项版本" in page
    page = world["office"].get(f"{BASE}/", {"state": "draft"}).content.decode()
    assert "共 1 个事项版本" in page
    assert "导入目录文件" in page
    clerk_page = world["clerk"].get(f"{BASE}/").content.decode()
    assert "导入目录文件" not in clerk_page  # read-only for the clerk


def test_detail_shows_versions_and_publish_button(world):
    page = world["office"].get(f"{BASE}/items/E-001/").content.decode()
    assert "第 2 版" in page
    assert 'id="publish-button"' in page
    assert 'id="withdraw-button"' in page
    assert world["other_office"].get(f"{BASE}/items/E-001/").status_code == 404


def test_publish_and_withdraw_buttons(world):
    response = world["office"].post(f"{BASE}/items/E-001/publish/")
    assert response.status_code == 302
    assert Item.objects.get(code="E-001", state=ItemState.PUBLISHED).version == 2
    page = world["office"].get(response["Location"]).content.decode()
    assert "已发布“营业执照核发”第2版。" in page
    response = world["office"].post(f"{BASE}/items/E-001/publish/")
    page = world["office"].get(response["Location"]).content.decode()
    assert "没有待发布的草稿" in page
    response = world["office"].post(f"{BASE}/items/E-001/withdraw/")
    assert not Item.objects.filter(code="E-001", state=ItemState.PUBLISHED).exists()
    page = world["office"].get(response["Location"]).content.decode()
    assert "已撤销“营业执照核发”第2版。" in page


def test_clerk_and_other_region_cannot_publish(world):
    assert world["clerk"].post(f"{BASE}/items/E-001/publish/").status_code == 403
    assert world["other_office"].post(f"{BASE}/items/E-001/publish/").status_code == 403
    assert Item.objects.get(code="E-001", state=ItemState.PUBLISHED).version == 1


def test_import_page_lists_every_error_as_a_table(world):
    bad = factories.item_data(world["market"], code="BAD-1", version=1, state="published")
    bad["promised_limit"] = {"value": 30, "unit": "working_days"}
    bad["fees"] = [{"name": "工本费", "amount": "1"}]
    xlsx = transfer.data_to_workbook({"topics": [], "items": [bad]})
    upload = SimpleUploadedFile("bad.xlsx", xlsx)
    response = world["office"].post(f"{BASE}/import/", {"file": upload})
    assert response.status_code == 422
    rows = response.context["errors"]
    assert [(r["sheet"], r["row"], r["column"]) for r in rows] == [
        ("fees", 2, "G"),
        ("items", 2, "O"),
    ]
    page = response.content.decode()
    assert "不得超过法定办结时限" in page
    assert not Item.objects.filter(code="BAD-1").exists()


def test_import_page_shows_the_summary_and_export_downloads(world):
    exported = world["office"].get(f"{BASE}/export/", {"format": "json"})
    assert exported["Content-Type"].startswith("application/json")
    data = json.loads(exported.content)
    new = factories.item_data(world["market"], code="NEW-1", version=1, state="published")
    data["items"].append(new)
    upload = SimpleUploadedFile("c.json", json.dumps(data, ensure_ascii=False).encode())
    response = world["office"].post(f"{BASE}/import/", {"file": upload})
    assert response.status_code == 200, response.context["errors"]
    assert response.context["result"].items_created == 1
    assert Item.objects.get(code="NEW-1").state == ItemState.PUBLISHED
    xlsx = world["office"].get(f"{BASE}/export/", {"format": "xlsx"})
    assert xlsx.content[:4] == b"PK\x03\x04"


def test_import_and_export_need_the_approval_office(world):
    assert world["clerk"].get(f"{BASE}/import/").status_code == 403
    assert world["clerk"].get(f"{BASE}/export/").status_code == 403


def test_export_is_scoped_and_import_refuses_items_outside_the_region(world):
    data = json.loads(world["office"].get(f"{BASE}/export/", {"format": "json"}).content)
    assert {i["code"] for i in data["items"]} == {"E-001"}
    other = json.loads(transfer.catalog_export("json"))
    foreign = next(i for i in other["items"] if i["code"] == "W-001")
    data["items"].append(dict(foreign, version=2, name="改名"))
    upload = SimpleUploadedFile("c.json", json.dumps(data, ensure_ascii=False).encode())
    response = world["office"].post(f"{BASE}/import/", {"file": upload})
    assert response.status_code == 422
    assert [(r["location"], r["message"]) for r in response.context["errors"]] == [
        ("$.items[2].department", "部门“西山县市场监督管理局”不在您的管辖区划内，不能导入其事项。")
    ]
    assert not Item.objects.filter(code="W-001", version=2).exists()


def test_admin_lists_items_read_only(world):
    from xiaoneng.org.models import User

    admin_user = User.objects.create_superuser(username="root", password=None, email="")
    c = Client()
    c.force_login(admin_user)
    page = c.get("/admin/catalog/item/")
    assert page.status_code == 200
    assert "营业执照核发" in page.content.decode()
    item = Item.objects.get(code="E-001", version=1)
    detail = c.get(f"/admin/catalog/item/{item.pk}/change/")
    assert detail.status_code == 200
    c.post(f"/admin/catalog/item/{item.pk}/change/", {"name": "改名"})
    assert Item.objects.get(pk=item.pk).name == "营业执照核发"
    assert c.get("/admin/catalog/item/add/").status_code == 403
