import base64
import json

import pytest

from xiaoneng.audit.models import AuditEvent
from xiaoneng.catalog import services, transfer
from xiaoneng.catalog.models import Fee, Item, ItemState, Material, Task, Topic
from xiaoneng.core.errors import ValidationFailed
from xiaoneng.org.tests import factories as org_factories

from . import factories

pytestmark = pytest.mark.django_db

FORM = b"PK\x03\x04 fake docx bytes \x00\x01\x02" * 1500  # > one 32,000-char base64 cell


@pytest.fixture
def departments():
    city = org_factories.region()
    market = org_factories.department(name="市场监督管理局", region_=city)
    fire = org_factories.department(name="消防救援支队", region_=city)
    planning = org_factories.department(name="自然资源和规划局", region_=city)
    return {"market": market, "fire": fire, "planning": planning}


def sample_catalogue(d):
    """A catalogue with every kind of element: files, parallel steps, fees, versions."""
    market, fire, planning = d["market"], d["fire"], d["planning"]
    factories.topic(code="market-entry", name="市场准入", audience="enterprise")
    factories.topic(code="construction", name="工程建设", audience="enterprise")
    form = {"filename": "申请 表.docx", "content_base64": base64.b64encode(FORM).decode()}
    sample = {"filename": "样表.pdf", "content_base64": base64.b64encode(b"%PDF-1.4 x").decode()}
    factories.published_item(
        market,
        code="SC-001",
        name="食品经营许可",
        topics=["market-entry"],
        materials=[
            {
                "name": "申请书",
                "necessity": "required",
                "form": "original",
                "copies": 1,
                "source": "applicant",
                "note": "法定代表人签字",
                "blank_form": form,
                "sample": sample,
            },
            {
                "name": "场所使用证明",
                "necessity": "deferrable",
                "form": "copy",
                "copies": 2,
                "source": "government",
                "note": "",
                "blank_form": None,
                "sample": None,
            },
        ],
        special_procedures=[
            {
                "name": "现场核查",
                "kind": "inspection",
                "pauses_clock": True,
                "limit": {"value": 5, "unit": "working_days"},
                "note": "=不是公式",
            }
        ],
        green_channel_limit={"value": 5, "unit": "working_days"},
    )
    services.item_update(actor=None, code="SC-001", changes={"limit_note": "自受理之日起计算"})
    services.item_publish(actor=None, code="SC-001")  # v1 superseded, v2 published
    services.item_update(actor=None, code="SC-001", changes={"place": "新址"})  # v3 draft
    factories.published_item(
        planning,
        code="JS-001",
        name="建筑工程施工许可",
        topics=["construction", "market-entry"],
        case_type="joint",
        statutory_limit={"value": 45, "unit": "working_days"},
        promised_limit={"value": 15, "unit": "working_days"},
        process=[
            {
                "name": "联合审查",
                "tasks": [
                    {
                        "name": "规划审查",
                        "department": planning.credit_code,
                        "is_lead": True,
                        "limit": {"value": 10, "unit": "working_days"},
                    },
                    {
                        "name": "消防审查",
                        "department": fire.credit_code,
                        "is_lead": False,
                        "limit": {"value": 10, "unit": "working_days"},
                    },
                ],
            }
        ],
        fees=[
            {
                "name": "工本费",
                "amount": "10.5",
                "unit": "元/件",
                "basis": "财政部 国家发展改革委 财税〔2016〕42号",
                "exemption_allowed": True,
                "exemption_basis": "小微企业免收",
            }
        ],
    )
    factories.published_item(fire, code="XF-001", name="公众聚集场所投入使用前消防安全检查")
    services.item_withdraw(actor=None, code="XF-001", reason="合并")
    factories.published_item(
        market,
        code="JB-001",
        name="个体工商户注销",
        case_type="immediate",
        statutory_limit={"value": 0, "unit": "working_days"},
        promised_limit={"value": 0, "unit": "working_days"},
        process=[
            {
                "name": "当场办结",
                "tasks": [
                    {
                        "name": "核准",
                        "department": market.credit_code,
                        "is_lead": True,
                        "limit": {"value": 0, "unit": "working_days"},
                    }
                ],
            }
        ],
    )


def clear_catalogue():
    Item.objects.all().delete()
    Topic.objects.all().delete()


def test_json_round_trip_gives_identical_bytes_and_reimport_is_a_no_op(departments):
    sample_catalogue(departments)
    first = transfer.catalog_export("json")
    data = json.loads(first)
    assert [(i["code"], i["version"], i["state"]) for i in data["items"]] == [
        ("JB-001", 1, "published"),
        ("JS-001", 1, "published"),
        ("SC-001", 1, "superseded"),
        ("SC-001", 2, "published"),
        ("SC-001", 3, "draft"),
        ("XF-001", 1, "withdrawn"),
    ]
    assert data["items"][1]["fees"][0]["amount"] == "10.50"
    clear_catalogue()
    result = transfer.catalog_import_data(json.loads(first))
    assert (result.items_created, result.topics_created) == (6, 2)
    assert transfer.catalog_export("json") == first
    item = Item.objects.get(code="SC-001", version=2)
    material = item.materials.get(position=1)
    assert material.blank_form_name == "申请 表.docx"
    assert material.blank_form.read() == FORM

    events = AuditEvent.objects.count()
    again = transfer.catalog_import_data(json.loads(first))
    assert (again.items_created, again.items_updated, again.items_unchanged) == (0, 0, 6)
    assert not again.changed
    assert AuditEvent.objects.count() == events
    assert transfer.catalog_export("json") == first
    assert "未变化 6 个" in str(again)


def test_xlsx_round_trip_gives_the_same_catalogue(departments, tmp_path):
    sample_catalogue(departments)
    json_before = transfer.catalog_export("json")
    xlsx = transfer.catalog_export("xlsx")
    values = transfer.workbook_values(xlsx)
    assert list(values) == list(transfer.SHEETS)
    # three versions of SC-001, each with the big form in 2 chunks and the sample in 1
    assert [r[:6] for r in values["files"][1:4]] == [
        ("SC-001", 1, 1, "blank_form", "申请 表.docx", 1),
        ("SC-001", 1, 1, "blank_form", "申请 表.docx", 2),
        ("SC-001", 1, 1, "sample", "样表.pdf", 1),
    ]
    assert len(values["files"]) == 1 + 9
    clear_catalogue()
    path = tmp_path / "catalog.xlsx"
    path.write_bytes(xlsx)
    result = transfer.catalog_import(path=path)
    assert result.items_created == 6
    assert transfer.catalog_export("json") == json_before
    assert transfer.workbook_values(transfer.catalog_export("xlsx")) == values
    # and importing the workbook again changes nothing
    assert not transfer.catalog_import(path=path).changed


def _bad_catalogue(d):
    good = factories.item_data(d["market"], code="OK-001")
    wrong_credit = factories.item_data(d["market"], code="BAD-001")
    wrong_credit["department"] = "91350100M000100Y4X"
    too_long = factories.item_data(d["market"], code="BAD-002")
    too_long["promised_limit"] = {"value": 30, "unit": "working_days"}
    unknown = factories.item_data(d["market"], code="BAD-003")
    unknown["department"] = org_factories.credit_code("990100", 99999)
    no_department = factories.item_data(d["market"], code="BAD-004")
    no_department["process"][1]["tasks"][0]["department"] = ""
    duplicate = factories.item_data(d["market"], code="OK-001")
    fee = factories.item_data(d["market"], code="BAD-005")
    fee["fees"] = [{"name": "工本费", "amount": "5", "basis": ""}]
    items = [good, wrong_credit, too_long, unknown, no_department, duplicate, fee]
    for item in items:
        item["version"], item["state"] = 1, "published"
    return {"format": "xiaoneng-catalog", "format_version": 1, "topics": [], "items": items}


EXPECTED_JSON_ERRORS = [
    ("$.items[1].department", "department", "实施主体的统一社会信用代码“91350100M000100Y4X”无效"),
    (
        "$.items[2].promised_limit",
        "promised_limit",
        "承诺办结时限（30个工作日）不得超过法定办结时限（20个工作日）",
    ),
    ("$.items[3].department", "department", "不是已登记的部门"),
    (
        "$.items[4].process[1].tasks[0].department",
        "process[1].tasks[0].department",
        "请填写第2个环节第1项任务的办理部门",
    ),
    ("$.items[6].fees[0].basis", "fees[0].basis", "请填写收费依据，无依据不得收费"),
    ("$.items[5].version", "version", "事项“OK-001”第1版重复出现"),
]


def test_bad_json_file_is_refused_whole_with_every_error_listed(departments, tmp_path):
    factories.published_item(departments["market"], code="KEEP-1")
    before = (Item.objects.count(), Material.objects.count(), AuditEvent.objects.count())
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_bad_catalogue(departments), ensure_ascii=False), "utf-8")
    with pytest.raises(ValidationFailed) as exc:
        transfer.catalog_import(path=path)
    errors = sorted((e.location, e.field, str(e.message)) for e in exc.value.errors)
    assert len(errors) == len(EXPECTED_JSON_ERRORS)
    for location, field, fragment in EXPECTED_JSON_ERRORS:
        match = [e for e in errors if e[0] == location and e[1] == field]
        assert match, location
        assert fragment in match[0][2]
    assert "共 6 处" in str(exc.value.message)
    assert (Item.objects.count(), Material.objects.count(), AuditEvent.objects.count()) == before


def test_bad_xlsx_errors_name_sheet_and_cell(departments):
    data = _bad_catalogue(departments)
    del data["items"][5]  # the duplicate: see the next test
    xlsx = transfer.data_to_workbook(data)
    with pytest.raises(ValidationFailed) as exc:
        transfer.catalog_import_bytes(xlsx, filename="bad.xlsx")
    got = {(e.location, e.field) for e in exc.value.errors}
    # items sheet: row 2 = first item; columns G department, O promised_limit_value, C version
    assert got == {
        ("items!G3", "department"),
        ("items!O4", "promised_limit"),
        ("items!G5", "department"),
        ("process!G11", "process[1].tasks[0].department"),
        ("fees!G2", "fees[0].basis"),
    }
    assert not Item.objects.exists()


def test_duplicate_item_rows_in_xlsx_are_reported(departments):
    item = factories.item_data(departments["market"], code="DUP-1", version=1, state="draft")
    xlsx = transfer.data_to_workbook({"topics": [], "items": [item, item]})
    with pytest.raises(ValidationFailed) as exc:
        transfer.catalog_import_bytes(xlsx)
    got = {(e.location, e.code) for e in exc.value.errors}
    assert got == {
        ("items!C3", "duplicate"),  # the second row of DUP-1 v1
        ("materials!C3", "duplicate"),  # its children collide with the first row's
        ("process!C4", "duplicate"),
        ("process!C5", "duplicate"),
    }
    assert not Item.objects.exists()


def test_changed_published_version_is_refused_but_a_draft_is_replaced(departments):
    factories.published_item(departments["market"], code="P-1")
    factories.draft_item(departments["market"], code="D-1")
    data = json.loads(transfer.catalog_export("json"))
    data["items"][0]["name"] = "改过的名称"  # D-1 v1 draft
    data["items"][1]["name"] = "改过的名称"  # P-1 v1 published
    with pytest.raises(ValidationFailed) as exc:
        transfer.catalog_import_data(data)
    assert [(e.location, e.code) for e in exc.value.errors] == [
        ("$.items[1].version", "version_conflict")
    ]
    assert "已发布的版本不能修改" in str(exc.value.errors[0].message)
    data["items"][1]["name"] = Item.objects.get(code="P-1").name
    data["items"][0]["state"] = "published"
    result = transfer.catalog_import_data(data)
    assert (result.items_updated, result.items_unchanged) == (1, 1)
    draft = Item.objects.get(code="D-1")
    assert (draft.name, draft.state) == ("改过的名称", ItemState.PUBLISHED)


def test_import_of_a_newer_published_version_supersedes_the_stored_one(departments):
    factories.published_item(departments["market"], code="N-1", name="旧名称")
    data = json.loads(transfer.catalog_export("json"))
    newer = dict(data["items"][0], version=2, name="新名称")
    result = transfer.catalog_import_data({**data, "items": [newer]})
    assert (result.items_created, result.items_superseded) == (1, 1)
    assert list(Item.objects.filter(code="N-1").values_list("version", "state")) == [
        (2, "published"),
        (1, "superseded"),
    ]


def test_parallel_step_rules_and_unknown_topic(departments):
    d = departments
    item = factories.item_data(d["planning"], code="PX-1", topics=["nope"])
    item["process"] = [
        {
            "name": "并联审查",
            "tasks": [
                {
                    "name": "a",
                    "department": d["planning"].credit_code,
                    "is_lead": True,
                    "limit": {"value": 5, "unit": "working_days"},
                },
                {
                    "name": "b",
                    "department": d["fire"].credit_code,
                    "is_lead": True,
                    "limit": {"value": 5, "unit": "working_days"},
                },
            ],
        },
        {"name": "空环节", "tasks": []},
    ]
    with pytest.raises(ValidationFailed) as exc:
        transfer.catalog_import_data({"items": [item]})
    got = {(e.location, e.code) for e in exc.value.errors}
    assert got == {
        ("$.items[0].topics[0]", "unknown_topic"),
        ("$.items[0].process[0].tasks", "parallel_lead"),
        ("$.items[0].process[1].tasks", "step_without_department"),
    }
    assert not Task.objects.exists()
    assert not Fee.objects.exists()


def test_unreadable_files_are_refused(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("{not json", "utf-8")
    with pytest.raises(ValidationFailed) as exc:
        transfer.catalog_import(path=bad)
    assert "JSON 格式错误" in str(exc.value.message)
    broken = tmp_path / "x.xlsx"
    broken.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(ValidationFailed) as exc:
        transfer.catalog_import(path=broken)
    assert "无法读取 Excel 文件" in str(exc.value.message)
