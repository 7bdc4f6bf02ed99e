"""The demo catalogue file: generated, well-formed, realistic (no database needed)."""

import base64
import io
import json
import re
import zipfile
from xml.etree import ElementTree

import openpyxl
from stdnum.cn import uscc

from xiaoneng.demo import build_catalog, orgdata

DATA = json.loads(build_catalog.CATALOG_PATH.read_text(encoding="utf-8"))
ITEMS = DATA["items"]


def _task_sum(item):
    return sum(task["limit"]["value"] for step in item["process"] for task in step["tasks"])


def test_committed_files_equal_the_builder_output():
    assert build_catalog.CATALOG_PATH.read_text(encoding="utf-8") == build_catalog.catalog_json()
    assert (
        build_catalog.ACCOUNTS_PATH.read_text(encoding="utf-8") == build_catalog.accounts_markdown()
    )
    assert build_catalog.main(["--check"]) == 0


def test_file_is_the_exchange_format_and_small():
    assert DATA["format"] == "xiaoneng-catalog"
    assert DATA["format_version"] == 1
    assert build_catalog.CATALOG_PATH.stat().st_size < 1_000_000
    assert [t["name"] for t in DATA["topics"]][:7] == [
        "市场准入", "工程建设", "交通运输", "教育", "医疗卫生", "生态环境", "社会事务",
    ]  # fmt: skip
    topic_codes = {t["code"] for t in DATA["topics"]}
    assert all(set(item["topics"]) <= topic_codes and item["topics"] for item in ITEMS)


def test_at_least_30_published_items_including_the_required_ones():
    published = [item for item in ITEMS if item["state"] == "published"]
    assert len(published) == 41
    assert [(i["name"], i["version"], i["state"]) for i in ITEMS if i not in published] == [
        ("药品零售经营许可", 1, "superseded"),
        ("网络预约出租汽车驾驶员证核发", 1, "draft"),
    ]
    drug = next(i for i in published if i["name"] == "药品零售经营许可")
    assert drug["version"] == 2
    assert "总局令第84号" in drug["legal_basis"]
    names = {item["name"] for item in published}
    for required in (
        "食品经营许可", "企业设立登记（营业执照）", "建筑工程施工许可证核发", "药品零售经营许可",
        "排污许可证核发", "户外广告设施设置审批", "民办学校办学许可",
        "道路旅客运输经营许可", "道路货物运输经营许可（不含危险货物）",
    ):  # fmt: skip
        assert required in names


def test_codes_follow_the_implementation_code_pattern_and_name_real_departments():
    departments = {d.credit_code for d in orgdata.DEPARTMENTS}
    keys = [(item["code"], item["version"]) for item in ITEMS]
    assert len(set(keys)) == len(keys)
    pattern = re.compile(r"^(99[0-9][A-Z]\d{10})-(99\d{10})-000-([0-9A-Z]{18})-1-00$")
    for item in ITEMS:
        match = pattern.match(item["code"])
        assert match, item["code"]
        assert len(item["code"]) <= 64
        assert match.group(1) == item["basic_code"]
        assert match.group(3) == item["department"]
        assert uscc.validate(item["department"]) == item["department"]
        assert item["department"] in departments
        for step in item["process"]:
            assert {task["department"] for task in step["tasks"]} <= departments
    county_item = next(i for i in ITEMS if i["name"] == "个体工商户设立登记（营业执照）")
    assert "-990121000000-000-11990121" in county_item["code"]


def test_limits_promised_within_statutory_and_tasks_within_promised():
    for item in ITEMS:
        statutory, promised = item["statutory_limit"], item["promised_limit"]
        assert promised["unit"] == statutory["unit"], item["name"]
        assert promised["value"] <= statutory["value"], item["name"]
        assert _task_sum(item) <= promised["value"], item["name"]
        for step in item["process"]:
            assert {t["limit"]["unit"] for t in step["tasks"]} == {promised["unit"]}
        if item["green_channel_limit"]:
            assert item["green_channel_limit"]["value"] <= promised["value"]
        steps = [s["name"] for s in item["process"]]
        assert (steps[0], steps[-1]) == ("受理", "决定")
    units = [i["statutory_limit"]["unit"] for i in ITEMS]
    assert units.count("working_days") == 41
    assert sum(1 for i in ITEMS if i["statutory_limit"]["value"] == 20) >= 15


def test_immediate_items_promise_zero():
    immediate = [i for i in ITEMS if i["case_type"] == "immediate"]
    assert [i["name"] for i in immediate] == [
        "个体工商户设立登记（营业执照）", "生育登记", "养老机构备案", "就业创业证申领",
    ]  # fmt: skip
    assert all(i["promised_limit"]["value"] == 0 for i in immediate)
    assert all(i["promised_limit"]["value"] > 0 for i in ITEMS if i["case_type"] != "immediate")


def test_parallel_items_have_one_lead_and_different_departments():
    parallel = []
    for item in ITEMS:
        for step in item["process"]:
            if len(step["tasks"]) >= 2:
                parallel.append(item["name"])
                assert 2 <= len(step["tasks"]) <= 4
                assert [t["is_lead"] for t in step["tasks"]].count(True) == 1
                departments = [t["department"] for t in step["tasks"]]
                assert len(set(departments)) == len(departments)
                assert item["case_type"] == "joint"
                assert item["statutory_limit"] == {"value": 45, "unit": "working_days"}
    assert len(parallel) == 4
    assert "工程建设项目竣工联合验收" in parallel


def test_fees_are_rare_and_always_have_a_basis():
    charged = [i for i in ITEMS if i["fees"]]
    assert [i["name"] for i in charged] == [
        "居民身份证换领",
        "不动产登记（国有建设用地使用权及房屋所有权转移登记）",
    ]
    property_fee = charged[1]["fees"][0]
    assert property_fee["amount"] == "80.00"
    assert property_fee["unit"] == "元/件"
    assert "发改价格规〔2016〕2559号" in property_fee["basis"]
    assert property_fee["exemption_allowed"] is True
    for item in charged:
        for fee in item["fees"]:
            assert fee["basis"]
            assert not fee["exemption_allowed"] or fee["exemption_basis"]


def test_materials_cover_every_necessity_form_and_special_procedures_pause_the_clock():
    materials = [m for item in ITEMS for m in item["materials"]]
    assert {m["necessity"] for m in materials} == {"required", "optional", "deferrable"}
    assert {m["form"] for m in materials} == {
        "original", "copy", "original_and_copy", "electronic",
    }  # fmt: skip
    assert all(m["copies"] == 0 for m in materials if m["form"] == "electronic")
    specials = [s for item in ITEMS for s in item["special_procedures"]]
    assert {s["kind"] for s in specials} >= {"inspection", "expert_review", "testing", "hearing"}
    assert any(s["pauses_clock"] for s in specials)
    assert any(not s["pauses_clock"] for s in specials)


def test_blank_forms_are_valid_office_files():
    files = [
        m[key] for item in ITEMS for m in item["materials"] for key in ("blank_form", "sample")
        if m[key]
    ]  # fmt: skip
    assert len(files) >= 30
    kinds = {f["filename"].rsplit(".", 1)[1] for f in files}
    assert kinds == {"docx", "xlsx", "txt"}
    for entry in files:
        content = base64.b64decode(entry["content_base64"], validate=True)
        if entry["filename"].endswith(".docx"):
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                root = ElementTree.fromstring(archive.read("word/document.xml"))  # noqa: S314 - our file
                texts = "".join(root.itertext())
                assert entry["filename"].removesuffix(".docx").split("（")[0] in texts
        elif entry["filename"].endswith(".xlsx"):
            sheet = openpyxl.load_workbook(io.BytesIO(content)).active
            assert next(sheet.values)[0] == "姓名"
        else:
            assert content.decode("utf-8").startswith("排污单位守法承诺书")


def test_accounts_list_every_demo_account():
    text = build_catalog.ACCOUNTS_PATH.read_text(encoding="utf-8")
    for spec in orgdata.STAFF:
        assert f"| `{spec.username}` |" in text
    assert "`demo-pass-2026`" in text
