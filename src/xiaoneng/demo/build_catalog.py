"""Build the demo catalogue (``data/catalog.json``, catalog/FORMAT.md) and ``ACCOUNTS.md``.

Run ``python -m xiaoneng.demo.build_catalog`` after changing the data below; a test checks
that the committed files equal this script's output. Pure Python: no Django needed.

The items are modelled on real implementation-list entries (legal bases, conditions,
materials, limits), with fictional departments of the fictional 示范市.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import forms
from .orgdata import (
    APPLICANTS,
    CITY_CODE,
    COUNTY1_CODE,
    COUNTY2_CODE,
    COUNTY_NAMES,
    DEMO_PASSWORD,
    STAFF,
    department,
)

PACKAGE_DIR = Path(__file__).resolve().parent
CATALOG_PATH = PACKAGE_DIR / "data" / "catalog.json"
ACCOUNTS_PATH = PACKAGE_DIR / "ACCOUNTS.md"

TOPICS: tuple[tuple[str, str, str], ...] = (
    ("market-entry", "市场准入", "enterprise"),
    ("construction", "工程建设", "enterprise"),
    ("transport", "交通运输", "both"),
    ("education", "教育", "both"),
    ("health", "医疗卫生", "both"),
    ("environment", "生态环境", "enterprise"),
    ("social-affairs", "社会事务", "both"),
    ("culture-tourism", "文化旅游", "enterprise"),
    ("employment", "就业创业", "both"),
    ("real-estate", "不动产登记", "both"),
    ("public-safety", "公共安全", "both"),
    ("city-management", "城市管理", "both"),
)

_TYPE_LETTER = {
    "licensing": "A",
    "payment": "B",
    "confirmation": "C",
    "other_power": "Z",
    "public_service": "G",
}

OFFICE_HOURS = "周一至周五（法定节假日除外）上午9:00—12:00，下午13:30—17:30"
FREE_NOTE = "不收费（《中华人民共和国行政许可法》第五十八条：实施行政许可不得收取任何费用）"
_HALLS = {
    CITY_CODE: (
        "示范市政务服务中心",
        "乘坐1路、12路、K5路公交车至“市民中心”站下车，向东步行约200米；"
        "地铁2号线“市民中心”站B出口。",
        "示范市人民政府",
        "示范市东湖区人民法院",
    ),
    COUNTY1_CODE: (
        "东湖区政务服务中心",
        "乘坐3路、15路公交车至“东湖区政府”站下车即到。",
        "示范市东湖区人民政府",
        "示范市东湖区人民法院",
    ),
    COUNTY2_CODE: (
        "西山县政务服务中心",
        "乘坐县城环线公交车至“县政务中心”站下车即到。",
        "西山县人民政府",
        "西山县人民法院",
    ),
}
#: Where each department receives applications, per region: window label.
_WINDOWS = {
    (CITY_CODE, "scj"): "一楼A02市场准入窗口",
    (CITY_CODE, "zjj"): "二楼B01工程建设项目审批窗口",
    (CITY_CODE, "zrzyj"): "二楼B01工程建设项目审批窗口",
    (CITY_CODE, "sthjj"): "二楼B01工程建设项目审批窗口",
    (CITY_CODE, "cgj"): "二楼B01工程建设项目审批窗口",
    (CITY_CODE, "jtj"): "二楼B03交通运输窗口",
    (CITY_CODE, "wjw"): "二楼B02社会事务窗口",
    (CITY_CODE, "mzj"): "二楼B02社会事务窗口",
    (CITY_CODE, "rsj"): "二楼B02社会事务窗口",
    (CITY_CODE, "jyj"): "二楼B02社会事务窗口",
    (CITY_CODE, "wlj"): "二楼B02社会事务窗口",
    (COUNTY1_CODE, "scj"): "一楼02市场准入窗口",
    (COUNTY2_CODE, "scj"): "02市场准入窗口",
}


def limit(value: int, unit: str = "working_days") -> dict[str, Any]:
    return {"value": value, "unit": unit}


@dataclass(frozen=True)
class Form:
    """A blank form or sample to generate: kind ``docx`` / ``xlsx`` / ``txt``."""

    filename: str
    kind: str
    title: str = ""
    fields: tuple[str | tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()

    def build(self) -> dict[str, Any]:
        if self.kind == "docx":
            content = forms.docx(self.title, self.fields, self.notes)
        elif self.kind == "xlsx":
            header = tuple(f if isinstance(f, str) else f[0] for f in self.fields)
            content = forms.xlsx(self.title, header, self.rows)
        else:
            content = forms.text([self.title, *self.notes])
        return forms.file_entry(self.filename, content)


def application_form(item_name: str, *extra: str, notes: Sequence[str] = ()) -> Form:
    """The usual 申请书: applicant, credit code or ID, legal representative, contact…"""
    fields: tuple[str | tuple[str, str], ...] = (
        ("申请事项", item_name),
        "申请人名称（姓名）",
        "统一社会信用代码（身份证件号码）",
        "法定代表人（负责人）",
        "住所（经营场所）",
        *extra,
        "联系人及联系电话",
        "申请日期",
    )
    return Form(
        f"{item_name}申请表.docx",
        "docx",
        f"{item_name}申请表",
        fields,
        tuple(notes)
        or (
            "请使用黑色签字笔或钢笔填写，字迹清楚，不得涂改。",
            "申请人对所提交材料的真实性、合法性负责。",
        ),
    )


@dataclass(frozen=True)
class M:
    """One material requirement (FORMAT.md MATERIAL)."""

    name: str
    necessity: str = "required"
    form: str = "original"
    copies: int = 1
    source: str = "applicant"
    note: str = ""
    blank: Form | None = None
    sample: Form | None = None

    def build(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "necessity": self.necessity,
            "form": self.form,
            "copies": self.copies,
            "source": self.source,
            "note": self.note,
            "blank_form": self.blank.build() if self.blank else None,
            "sample": self.sample.build() if self.sample else None,
        }


def licence_copy(name: str = "营业执照") -> M:
    return M(
        f"{name}复印件",
        form="copy",
        source="government",
        note="通过电子证照库可以获取的，免于提交。",
    )


def id_card(who: str = "法定代表人（负责人）") -> M:
    return M(
        f"{who}身份证件",
        form="original_and_copy",
        note="原件核验后退回，复印件1份；已实名认证的网上申请免于提交。",
    )


def power_of_attorney() -> M:
    return M(
        "授权委托书及被委托人身份证件",
        necessity="optional",
        note="委托他人代为办理的提交。",
        blank=Form(
            "授权委托书.docx",
            "docx",
            "授权委托书",
            ("委托人", "被委托人及身份证件号码", "委托事项及权限", "委托期限"),
            ("委托人为单位的，应加盖公章。",),
        ),
    )


@dataclass(frozen=True)
class T:
    """A task of a parallel step: its department key (within the item's region or city)."""

    name: str
    dept: str
    days: int
    lead: bool = False
    region: str | None = None


@dataclass(frozen=True)
class Special:
    name: str
    kind: str
    pauses_clock: bool = True
    days: int | None = None
    unit: str = "working_days"
    note: str = ""

    def build(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "pauses_clock": self.pauses_clock,
            "limit": limit(self.days, self.unit) if self.days is not None else None,
            "note": self.note,
        }


@dataclass(frozen=True)
class Fee:
    name: str
    amount: str
    basis: str
    unit: str = "元/件"
    exemption_basis: str = ""

    def build(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "amount": self.amount,
            "unit": self.unit,
            "basis": self.basis,
            "exemption_allowed": bool(self.exemption_basis),
            "exemption_basis": self.exemption_basis,
        }


@dataclass(frozen=True)
class Item:
    serial: int  # basic-code serial, unique
    name: str
    dept: str  # department key within ``region``
    basis: str
    conditions: str
    materials: tuple[M, ...]
    statutory: int
    promised: int
    topics: tuple[str, ...]
    result: str
    item_type: str = "licensing"
    region: str = CITY_CODE
    unit: str = "working_days"
    case_type: str = "promised"
    service_object: str = "legal_person"
    result_type: str = "certificate"
    specials: tuple[Special, ...] = ()
    fees: tuple[Fee, ...] = ()
    #: the middle step's tasks for a parallel (joint) item; empty = one department throughout
    parallel: tuple[T, ...] = ()
    parallel_step: str = "联合审查"
    #: (accept, review, decide) days; default split of ``promised``
    split: tuple[int, int, int] | None = None
    green: int | None = None
    limit_note: str = ""
    deemed_approval: bool = False
    online_depth: int = 3
    quantity_limit: str = "无数量限制"
    version: int = 1
    state: str = "published"

    @property
    def department(self) -> str:
        return department(self.region, self.dept).credit_code

    @property
    def basic_code(self) -> str:
        return f"{self.region[:3]}{_TYPE_LETTER[self.item_type]}{self.serial:04d}000000"

    @property
    def code(self) -> str:
        return f"{self.basic_code}-{self.region}-000-{self.department}-1-00"

    def _split(self) -> tuple[int, int, int]:
        if self.split is not None:
            return self.split
        p = self.promised
        if p == 0:
            return (0, 0, 0)
        if p <= 2:
            return (0, p, 0)
        decide = max(1, p // 5)
        return (1, p - 1 - decide, decide)

    def _task(self, name: str, days: int, *, dept: str | None = None) -> dict[str, Any]:
        return {
            "name": name,
            "department": department(self.region, dept or self.dept).credit_code,
            "is_lead": True,
            "limit": limit(days, self.unit),
        }

    def process(self) -> list[dict[str, Any]]:
        accept, review, decide = self._split()
        accept_dept = "spj" if self.parallel else self.dept
        steps = [{"name": "受理", "tasks": [self._task("窗口受理", accept, dept=accept_dept)]}]
        if self.parallel:
            steps.append(
                {
                    "name": self.parallel_step,
                    "tasks": [
                        {
                            "name": t.name,
                            "department": department(t.region or self.region, t.dept).credit_code,
                            "is_lead": t.lead,
                            "limit": limit(t.days, self.unit),
                        }
                        for t in self.parallel
                    ],
                }
            )
        else:
            steps.append({"name": "审查", "tasks": [self._task("业务科室审查", review)]})
        steps.append({"name": "决定", "tasks": [self._task("审批决定并制证", decide)]})
        return steps

    def build(self) -> dict[str, Any]:
        dept = department(self.region, self.dept)
        hall, traffic, government, court = _HALLS[self.region]
        window = _WINDOWS.get((self.region, self.dept), "一楼综合受理窗口")
        visits = 0 if self.online_depth == 4 else 1
        return {
            "code": self.code,
            "basic_code": self.basic_code,
            "version": self.version,
            "state": self.state,
            "name": self.name,
            "item_type": self.item_type,
            "department": dept.credit_code,
            "entrusted_department": None,
            "legal_basis": self.basis,
            "acceptance_conditions": self.conditions,
            "service_object": self.service_object,
            "case_type": self.case_type,
            "statutory_limit": limit(self.statutory, self.unit),
            "promised_limit": limit(self.promised, self.unit),
            "green_channel_limit": limit(self.green, self.unit) if self.green is not None else None,
            "limit_note": self.limit_note
            or (
                "即办件，材料齐全、符合法定形式的当场办结。"
                if self.case_type == "immediate"
                else "自受理之日起计算，特别程序所需时间不计算在内。"
            ),
            "deemed_approval": self.deemed_approval,
            "topics": sorted(self.topics),
            "materials": [m.build() for m in self.materials],
            "process": self.process(),
            "special_procedures": [s.build() for s in self.specials],
            "fees": [f.build() for f in self.fees],
            "place": f"{hall}{window}",
            "office_hours": OFFICE_HOURS,
            "traffic_guide": traffic,
            "consult_phone": dept.phone,
            "consult_channels": (
                f"窗口咨询；电话咨询（{dept.phone}）；示范省政务服务网“我要咨询”栏目；"
                "12345政务服务便民热线"
            ),
            "complaint_phone": "12345",
            "complaint_channels": (
                "12345政务服务便民热线；政务服务中心效能投诉窗口；"
                "示范市机关效能建设领导小组办公室（0990-88124601）；示范省政务服务网“好差评”"
            ),
            "online_depth": self.online_depth,
            "visits_required": visits,
            "result_name": self.result,
            "result_type": self.result_type,
            "quantity_limit": self.quantity_limit,
            "review_channels": (
                f"申请人对决定不服的，可以自知道该行政行为之日起六十日内向{government}申请"
                f"行政复议，或者自知道或者应当知道该行政行为之日起六个月内向{court}"
                "提起行政诉讼。"
            ),
        }


# ---------------------------------------------------------------------------------------
# The items
# ---------------------------------------------------------------------------------------

_SITE_CHECK = Special(
    "现场核查",
    "inspection",
    pauses_clock=False,
    days=5,
    note="需要对经营场所进行现场核查的，核查时间计入承诺时限。",
)


def _items() -> tuple[Item, ...]:
    return (
        # ----- market entry ------------------------------------------------------------
        Item(
            1,
            "企业设立登记（营业执照）",
            "scj",
            basis=(
                "《中华人民共和国公司法》第二十九条、第三十条；"
                "《中华人民共和国市场主体登记管理条例》（国务院令第746号）第三条、第十九条；"
                "《中华人民共和国市场主体登记管理条例实施细则》（国家市场监督管理总局令第52号）"
            ),
            conditions=(
                "1. 申请人为拟设立的有限责任公司、股份有限公司或非公司企业法人的全体股东"
                "（发起人）或其指定的代表、委托的代理人；"
                "2. 名称符合《企业名称登记管理规定》，住所真实、合法；"
                "3. 申请材料齐全、符合法定形式。"
            ),
            materials=(
                M(
                    "公司登记（备案）申请书",
                    blank=application_form(
                        "公司登记（备案）", "企业名称", "注册资本（万元）", "经营范围"
                    ),
                ),
                M("公司章程", note="全体股东签署。"),
                M("股东的主体资格文件或自然人身份证件", form="copy"),
                M("法定代表人、董事、监事和经理的任职文件", note="可在申请书中一并签署。"),
                M(
                    "住所使用相关文件",
                    necessity="deferrable",
                    form="copy",
                    note="容缺受理：可先行承诺，领取执照前补齐。",
                ),
                power_of_attorney(),
            ),
            statutory=3,
            promised=1,
            topics=("market-entry",),
            result="营业执照",
            online_depth=4,
            limit_note=(
                "申请材料齐全、符合法定形式的当场登记；不能当场登记的，3个工作日内予以登记"
                "（《市场主体登记管理条例》第十九条），本市承诺1个工作日。"
            ),
        ),
        Item(
            2,
            "个体工商户设立登记（营业执照）",
            "scj",
            region=COUNTY1_CODE,
            basis=(
                "《促进个体工商户发展条例》（国务院令第755号）；"
                "《中华人民共和国市场主体登记管理条例》（国务院令第746号）第十九条"
            ),
            conditions="有经营能力的自然人；经营场所真实、合法；申请材料齐全、符合法定形式。",
            materials=(
                M(
                    "个体工商户登记（备案）申请书",
                    blank=application_form("个体工商户登记", "组成形式", "经营范围"),
                ),
                id_card("经营者"),
                M(
                    "经营场所使用证明",
                    form="copy",
                    necessity="deferrable",
                    note="容缺受理，5个工作日内补交。",
                ),
            ),
            statutory=3,
            promised=0,
            case_type="immediate",
            service_object="natural_person",
            topics=("market-entry", "employment"),
            result="营业执照",
            online_depth=4,
        ),
        Item(
            3,
            "食品经营许可",
            "scj",
            basis=(
                "《中华人民共和国食品安全法》第三十五条；"
                "《中华人民共和国食品安全法实施条例》；"
                "《食品经营许可和备案管理办法》（国家市场监督管理总局令第78号）"
            ),
            conditions=(
                "1. 已取得营业执照等合法主体资格；"
                "2. 具有与经营的食品品种、数量相适应的经营场所，并与有毒、有害场所保持规定的距离；"
                "3. 具有与经营的食品品种、数量相适应的经营设备或者设施；"
                "4. 有专职或者兼职的食品安全管理人员和保证食品安全的规章制度；"
                "5. 具有合理的设备布局和工艺流程。"
            ),
            materials=(
                M(
                    "食品经营许可申请书",
                    blank=application_form("食品经营许可", "经营项目", "主体业态"),
                    sample=Form(
                        "食品经营许可申请书（示例）.docx",
                        "docx",
                        "食品经营许可申请书（示例）",
                        (
                            ("申请人名称", "示范市东湖区好味道餐饮有限公司"),
                            ("统一社会信用代码", "（以营业执照为准）"),
                            ("经营场所", "示范市东湖区人民大道88号1楼"),
                            ("主体业态", "餐饮服务经营者（小型餐馆）"),
                            ("经营项目", "热食类食品制售"),
                        ),
                        ("本样表仅供参考，请据实填写。",),
                    ),
                ),
                licence_copy(),
                M("与食品经营相适应的主要设备设施、经营布局、操作流程等文件"),
                M(
                    "食品安全自查、从业人员健康管理、进货查验记录、食品安全事故处置等"
                    "保证食品安全的规章制度"
                ),
                M(
                    "从业人员健康证明",
                    necessity="deferrable",
                    form="copy",
                    note="容缺受理：承诺在许可决定作出前补交。",
                    blank=Form(
                        "从业人员名单.xlsx",
                        "xlsx",
                        "从业人员名单",
                        ("姓名", "身份证件号码", "岗位", "健康证明编号", "有效期至"),
                    ),
                ),
                power_of_attorney(),
            ),
            statutory=10,
            promised=5,
            topics=("market-entry", "health"),
            result="食品经营许可证",
            specials=(_SITE_CHECK,),
            limit_note=(
                "法定10个工作日（第78号令第二十四条），因特殊原因需要延长的，经本行政机关负责人"
                "批准可延长5个工作日；本市承诺5个工作日。"
            ),
        ),
        Item(
            4,
            "食品生产许可",
            "scj",
            basis=(
                "《中华人民共和国食品安全法》第三十五条；"
                "《食品生产许可管理办法》（国家市场监督管理总局令第24号）"
            ),
            conditions=(
                "具有与生产的食品品种、数量相适应的生产场所、设备设施、专业技术人员和"
                "管理人员，有保证食品安全的规章制度，设备布局和工艺流程合理。"
            ),
            materials=(
                M("食品生产许可申请书", blank=application_form("食品生产许可", "食品类别")),
                licence_copy(),
                M(
                    "食品生产加工场所及其周围环境平面图、各功能区间布局平面图、工艺设备布局图"
                    "和食品生产工艺流程图"
                ),
                M("食品生产主要设备、设施清单"),
                M("专职或者兼职的食品安全专业技术人员、食品安全管理人员信息和食品安全管理制度"),
            ),
            statutory=20,
            promised=10,
            topics=("market-entry", "health"),
            result="食品生产许可证",
            specials=(
                Special(
                    "现场核查",
                    "inspection",
                    pauses_clock=False,
                    days=10,
                    note="核查人员应当自接受现场核查任务之日起10个工作日内完成。",
                ),
            ),
        ),
        Item(
            5,
            "药品零售经营许可",
            "scj",
            basis=(
                "《中华人民共和国药品管理法》第五十一条、第五十二条；"
                "《中华人民共和国药品管理法实施条例》；"
                "《药品经营和使用质量监督管理办法》（国家市场监督管理总局令第84号）"
            ),
            conditions=(
                "1. 有依法经过资格认定的药师或者其他药学技术人员；"
                "2. 有与所经营药品相适应的营业场所、设备、仓储设施和卫生环境；"
                "3. 有与所经营药品相适应的质量管理机构或者人员；"
                "4. 有保证药品质量的规章制度，并符合药品经营质量管理规范要求。"
            ),
            materials=(
                M(
                    "药品经营许可证申请表（零售）",
                    blank=application_form(
                        "药品经营许可（零售）", "经营方式", "经营范围", "执业药师姓名及注册证号"
                    ),
                ),
                licence_copy(),
                M("执业药师注册证及身份证件", form="copy"),
                M("经营场所、仓库平面布置图及房屋产权或使用权证明", form="copy"),
                M("质量管理文件及主要设施设备目录"),
            ),
            statutory=20,
            promised=10,
            topics=("market-entry", "health"),
            result="药品经营许可证",
            specials=(
                Special(
                    "现场检查",
                    "inspection",
                    pauses_clock=False,
                    days=5,
                    note="按照药品经营质量管理规范组织现场检查。",
                ),
            ),
        ),
        Item(
            6,
            "特种设备使用登记",
            "scj",
            basis=(
                "《中华人民共和国特种设备安全法》第三十三条；"
                "《特种设备安全监察条例》第二十五条；"
                "《特种设备使用管理规则》（TSG 08—2017）"
            ),
            conditions="特种设备已经监督检验合格，使用单位在投入使用前或者投入使用后30日内申请。",
            materials=(
                M(
                    "特种设备使用登记表",
                    copies=2,
                    blank=Form(
                        "特种设备使用登记表.docx",
                        "docx",
                        "特种设备使用登记表",
                        (
                            "使用单位名称",
                            "设备类别",
                            "设备品种",
                            "产品编号",
                            "设备使用地点",
                            "安全管理员",
                            "使用单位统一社会信用代码",
                        ),
                    ),
                ),
                licence_copy("使用单位营业执照"),
                M("产品合格证（含产品数据表）", form="copy"),
                M("监督检验证明", form="copy", source="intermediary"),
            ),
            statutory=15,
            promised=2,
            topics=("market-entry", "public-safety"),
            result="特种设备使用登记证",
            online_depth=4,
        ),
        Item(
            7,
            "户外广告设施设置审批",
            "cgj",
            basis=(
                "《城市市容和环境卫生管理条例》（国务院令第101号）第十一条；"
                "《国务院对确需保留的行政审批项目设定行政许可的决定》（国务院令第412号）第107项"
            ),
            conditions=(
                "设置位置符合本市户外广告设施设置规划；设施结构安全，与周边景观相协调；"
                "已取得场地或者建筑物所有权人、使用权人的同意。"
            ),
            materials=(
                M(
                    "户外广告设施设置申请表",
                    blank=application_form(
                        "户外广告设施设置", "设置地点", "规格（长×宽，米）", "设置期限"
                    ),
                ),
                M("设置场地或者建筑物的权属证明、使用协议", form="copy"),
                M("户外广告设施设计效果图及结构图"),
                M(
                    "大型户外广告设施安全检测报告",
                    necessity="optional",
                    source="intermediary",
                    note="单面面积200平方米以上或者高度10米以上的提交。",
                ),
            ),
            statutory=20,
            promised=5,
            topics=("city-management",),
            result="户外广告设施设置许可决定书",
            result_type="approval_document",
            specials=(
                Special(
                    "结构安全检测",
                    "testing",
                    days=10,
                    note="大型户外广告设施委托检测机构进行结构安全检测，检测时间不计入时限。",
                ),
            ),
            service_object="both",
        ),
        # ----- construction -------------------------------------------------------------
        Item(
            8,
            "建筑工程施工许可证核发",
            "zjj",
            basis=(
                "《中华人民共和国建筑法》第七条、第八条；"
                "《建筑工程施工许可管理办法》（住房和城乡建设部令第18号，2021年修正）第五条"
            ),
            conditions=(
                "1. 依法应当办理用地批准手续的，已经办理；"
                "2. 已经取得建设工程规划许可证；"
                "3. 施工场地已经基本具备施工条件；"
                "4. 已经确定施工企业；"
                "5. 有满足施工需要的资金安排、施工图纸及技术资料；"
                "6. 有保证工程质量和安全的具体措施。"
            ),
            materials=(
                M(
                    "建筑工程施工许可证申请表",
                    blank=application_form(
                        "建筑工程施工许可", "工程名称", "建设地址", "合同价格（万元）", "施工单位"
                    ),
                ),
                M(
                    "建设工程规划许可证",
                    form="copy",
                    source="government",
                    note="本市核发的通过共享获取，免于提交。",
                ),
                M("施工合同及中标通知书", form="copy"),
                M("建设资金已经落实承诺书"),
                M(
                    "施工图设计文件审查合格书",
                    form="electronic",
                    copies=0,
                    source="intermediary",
                    note="通过施工图联审系统获取。",
                ),
            ),
            statutory=7,
            promised=3,
            split=(1, 1, 1),
            green=1,
            topics=("construction",),
            result="建筑工程施工许可证",
            online_depth=4,
            limit_note="法定7日（以工作日计），本市承诺3个工作日；列入重点项目的1个工作日。",
        ),
        Item(
            9,
            "工程建设项目施工许可阶段并联审批",
            "zjj",
            case_type="joint",
            basis=(
                "《中华人民共和国行政许可法》第二十六条；"
                "《国务院办公厅关于全面开展工程建设项目审批制度改革的实施意见》"
                "（国办发〔2019〕11号）；"
                "《中华人民共和国建筑法》第七条；《中华人民共和国城乡规划法》第四十条"
            ),
            conditions=(
                "房屋建筑和城市基础设施工程项目已完成立项、用地规划许可，"
                "拟同步办理建设工程规划许可、建筑垃圾处置核准和施工许可。"
            ),
            materials=(
                M(
                    "工程建设项目并联审批申请表",
                    blank=application_form(
                        "工程建设项目施工许可阶段并联审批", "项目代码", "项目名称", "建设规模"
                    ),
                ),
                M("建设工程设计方案总平面图", form="electronic", copies=0),
                M("施工合同及中标通知书", form="copy"),
                M("建筑垃圾处置方案"),
                M(
                    "施工图设计文件审查合格书",
                    necessity="deferrable",
                    form="electronic",
                    copies=0,
                    source="intermediary",
                    note="容缺受理：施工许可证核发前补齐。",
                ),
            ),
            statutory=45,
            promised=10,
            parallel=(
                T("建筑工程施工许可审查（主办）", "zjj", 3, lead=True),
                T("建设工程规划许可证核发", "zrzyj", 3),
                T("城市建筑垃圾处置核准", "cgj", 2),
            ),
            split=(1, 0, 1),
            green=5,
            deemed_approval=True,
            topics=("construction",),
            result="建筑工程施工许可证、建设工程规划许可证、建筑垃圾处置核准文件",
            limit_note=(
                "联合办理，法定45个工作日（《行政许可法》第四十二条第二款）；本市承诺10个工作日，"
                "协办部门超过时限未提出意见的视为同意。"
            ),
        ),
        Item(
            10,
            "工程建设项目竣工联合验收",
            "zjj",
            case_type="joint",
            item_type="other_power",
            basis=(
                "《建设工程质量管理条例》第十六条、第四十九条；"
                "《中华人民共和国消防法》第十三条；《中华人民共和国城乡规划法》第四十五条；"
                "《国务院办公厅关于全面开展工程建设项目审批制度改革的实施意见》"
                "（国办发〔2019〕11号）"
            ),
            conditions="工程已按设计和合同要求完成全部施工内容，建设单位已组织竣工验收。",
            materials=(
                M(
                    "竣工联合验收申请表",
                    blank=application_form(
                        "工程建设项目竣工联合验收", "项目代码", "工程名称", "竣工日期"
                    ),
                ),
                M("工程竣工验收报告"),
                M("建设工程竣工测绘成果报告", source="intermediary"),
                M("消防验收申请表及工程竣工图纸", form="electronic", copies=0),
            ),
            statutory=45,
            promised=15,
            parallel=(
                T("工程质量竣工验收监督、消防验收（主办）", "zjj", 4, lead=True),
                T("建设工程规划条件核实", "zrzyj", 4),
                T("园林绿化工程验收", "cgj", 3),
                T("人防工程竣工验收备案核查", "yjj", 2),
            ),
            split=(1, 0, 1),
            topics=("construction",),
            result="工程建设项目竣工联合验收意见书",
            result_type="approval_document",
            specials=(
                Special(
                    "联合现场踏勘",
                    "inspection",
                    pauses_clock=True,
                    days=3,
                    note="各部门联合现场踏勘时间不计入承诺时限，书面告知申请人。",
                ),
            ),
        ),
        Item(
            11,
            "企业开办“一件事”（营业执照、印章刻制、社保登记）",
            "scj",
            case_type="joint",
            basis=(
                "《中华人民共和国行政许可法》第二十六条；"
                "《中华人民共和国市场主体登记管理条例》第十九条；"
                "《印铸刻字业暨公章刻制业治安管理办法》；"
                "《中华人民共和国社会保险法》第五十七条；"
                "《国务院办公厅关于进一步优化企业开办服务的通知》（国办发〔2020〕43号）"
            ),
            conditions="新设立的企业，一次申请、一窗受理，同步办理营业执照、公章刻制备案和社保登记。",
            materials=(
                M(
                    "企业开办一件事申请表",
                    blank=application_form(
                        "企业开办一件事", "企业名称", "刻制印章种类及数量", "参保职工人数"
                    ),
                ),
                M("公司章程"),
                id_card("法定代表人"),
                M(
                    "住所使用相关文件",
                    necessity="deferrable",
                    form="copy",
                    note="容缺受理，领取执照前补齐。",
                ),
            ),
            statutory=45,
            promised=3,
            parallel=(
                T("营业执照核发（主办）", "scj", 1, lead=True),
                T("公章刻制备案", "gaj", 1),
                T("社会保险登记", "rsj", 1),
            ),
            split=(0, 0, 0),
            topics=("market-entry",),
            result="营业执照、印章、社会保险登记信息",
            online_depth=4,
            limit_note="全流程承诺3个工作日内办结，一次领取营业执照和印章。",
        ),
        Item(
            12,
            "开办餐饮店“一件事”（食品经营许可、门头招牌设置）",
            "scj",
            case_type="joint",
            basis=(
                "《中华人民共和国行政许可法》第二十六条；"
                "《中华人民共和国食品安全法》第三十五条；"
                "《城市市容和环境卫生管理条例》第十一条；"
                "《国务院办公厅关于加快推进“一件事一次办”打造政务服务升级版的指导意见》"
                "（国办发〔2024〕3号）"
            ),
            conditions="已取得营业执照，拟开办餐饮服务场所并设置门头招牌。",
            materials=(
                M(
                    "开办餐饮店一件事申请表",
                    blank=application_form("开办餐饮店一件事", "经营场所", "招牌规格（长×宽，米）"),
                ),
                licence_copy(),
                M("经营场所布局平面图和操作流程说明"),
                M("门头招牌设计效果图"),
            ),
            statutory=45,
            promised=5,
            parallel=(
                T("食品经营许可审查（主办）", "scj", 2, lead=True),
                T("门头招牌设置审核", "cgj", 1),
            ),
            split=(1, 0, 1),
            topics=("market-entry", "city-management"),
            result="食品经营许可证、门头招牌设置审核意见",
            specials=(_SITE_CHECK,),
        ),
        Item(
            13,
            "城市建筑垃圾处置核准",
            "cgj",
            basis=(
                "《国务院对确需保留的行政审批项目设定行政许可的决定》（国务院令第412号）第101项；"
                "《城市建筑垃圾管理规定》（建设部令第139号）第七条"
            ),
            conditions="有建筑垃圾分类处置方案和消纳场地，运输车辆具备全密闭运输机械装置。",
            materials=(
                M(
                    "城市建筑垃圾处置核准申请表",
                    blank=application_form(
                        "城市建筑垃圾处置核准", "工程名称", "建筑垃圾产生量（立方米）", "消纳场所"
                    ),
                ),
                M("建筑垃圾处置方案"),
                M("与运输单位签订的运输合同", form="copy"),
            ),
            statutory=20,
            promised=3,
            topics=("construction", "city-management"),
            result="城市建筑垃圾处置核准文件",
            result_type="approval_document",
            online_depth=4,
        ),
        Item(
            14,
            "占用、挖掘城市道路审批",
            "cgj",
            basis="《城市道路管理条例》（国务院令第198号）第二十九条、第三十一条、第三十三条",
            conditions="因工程建设确需占用、挖掘城市道路，已征得公安交通管理部门同意。",
            materials=(
                M(
                    "占用、挖掘城市道路申请表",
                    blank=application_form(
                        "占用挖掘城市道路", "占用（挖掘）地点", "面积（平方米）", "起止日期"
                    ),
                ),
                M("施工方案及交通组织方案"),
                M("公安交通管理部门意见", form="copy", source="government"),
            ),
            statutory=20,
            promised=5,
            topics=("city-management", "construction"),
            result="占用挖掘城市道路许可决定书",
            result_type="approval_document",
            service_object="both",
        ),
        Item(
            15,
            "临时占用城市绿地审批",
            "cgj",
            basis="《城市绿化条例》（国务院令第100号）第十九条、第二十条",
            conditions="因建设或者其他特殊需要临时占用城市绿地，占用期满后能够恢复原状。",
            materials=(
                M(
                    "临时占用城市绿地申请表",
                    blank=application_form(
                        "临时占用城市绿地", "占用地点", "占用面积（平方米）", "占用期限"
                    ),
                ),
                M("占用绿地位置图及恢复方案"),
            ),
            statutory=20,
            promised=5,
            topics=("city-management",),
            result="临时占用城市绿地许可决定书",
            result_type="approval_document",
            service_object="both",
        ),
        Item(
            16,
            "燃气经营许可证核发",
            "zjj",
            basis=(
                "《城镇燃气管理条例》（国务院令第583号）第十五条；"
                "《燃气经营许可管理办法》（建城规〔2019〕2号）"
            ),
            conditions=(
                "符合燃气发展规划要求；有符合国家标准的燃气气源和燃气设施；"
                "有固定的经营场所、完善的安全管理制度和健全的经营方案；"
                "企业的主要负责人、安全生产管理人员以及运行、维护和抢修人员经专业培训并考核合格。"
            ),
            materials=(
                M("燃气经营许可申请书", blank=application_form("燃气经营许可", "经营类别")),
                licence_copy(),
                M("燃气设施竣工验收文件", form="copy"),
                M("安全管理制度和经营方案"),
                M("主要负责人、安全生产管理人员培训考核合格证明", form="copy"),
            ),
            statutory=20,
            promised=10,
            topics=("public-safety",),
            result="燃气经营许可证",
            specials=(
                Special(
                    "专家评审",
                    "expert_review",
                    days=10,
                    note="组织专家对安全管理制度和设施进行评审，评审时间不计入办理时限。",
                ),
                _SITE_CHECK,
            ),
        ),
        Item(
            17,
            "建设用地规划许可证核发",
            "zrzyj",
            basis=(
                "《中华人民共和国城乡规划法》第三十七条、第三十八条；《中华人民共和国土地管理法》"
            ),
            conditions="建设项目已经依法批准、核准或者备案，以出让方式取得国有土地使用权的已签订出让合同。",
            materials=(
                M(
                    "建设用地规划许可申请表",
                    blank=application_form(
                        "建设用地规划许可", "项目名称", "用地位置", "用地面积（平方米）"
                    ),
                ),
                M("国有建设用地使用权出让合同", form="copy"),
                M("建设项目批准、核准或者备案文件", form="copy", source="government"),
            ),
            statutory=20,
            promised=7,
            green=3,
            topics=("construction",),
            result="建设用地规划许可证",
        ),
        Item(
            18,
            "建设工程消防验收",
            "zjj",
            basis=(
                "《中华人民共和国消防法》第十三条；"
                "《建设工程消防设计审查验收管理暂行规定》（住房和城乡建设部令第51号）第二十七条、"
                "第二十八条"
            ),
            conditions="特殊建设工程竣工，建设单位已组织竣工验收且消防查验合格。",
            materials=(
                M(
                    "特殊建设工程消防验收申请表",
                    blank=application_form(
                        "特殊建设工程消防验收", "工程名称", "建筑面积（平方米）"
                    ),
                ),
                M("工程竣工验收报告"),
                M("涉及消防的建设工程竣工图纸", form="electronic", copies=0),
            ),
            statutory=15,
            promised=10,
            topics=("construction", "public-safety"),
            result="特殊建设工程消防验收意见书",
            result_type="approval_document",
            specials=(
                Special(
                    "现场评定",
                    "inspection",
                    pauses_clock=False,
                    days=5,
                    note="对建设工程进行现场抽样检查、功能测试。",
                ),
            ),
        ),
        # ----- environment ---------------------------------------------------------------
        Item(
            19,
            "排污许可证核发",
            "sthjj",
            basis=(
                "《中华人民共和国环境保护法》第四十五条；"
                "《排污许可管理条例》（国务院令第736号）第六条、第十四条；"
                "《排污许可管理办法》（生态环境部令第32号）"
            ),
            conditions=(
                "依法取得建设项目环境影响报告书（表）批准文件或者办理登记表备案手续；"
                "污染物排放符合国家和地方规定的排放标准和重点污染物排放总量控制要求；"
                "采用的污染防治设施或者措施有能力达到许可排放浓度要求；"
                "自行监测方案符合要求。"
            ),
            materials=(
                M(
                    "排污许可证申请表",
                    form="electronic",
                    copies=0,
                    note="通过全国排污许可证管理信息平台填报。",
                ),
                M("自行监测方案"),
                M(
                    "守法承诺书",
                    blank=Form(
                        "守法承诺书.txt",
                        "txt",
                        "排污单位守法承诺书",
                        notes=(
                            "本单位承诺：所提交的排污许可申请材料真实、准确、完整，"
                            "严格按照排污许可证规定排放污染物。",
                            "承诺单位（盖章）：",
                            "法定代表人（签字）：",
                            "日期：",
                        ),
                    ),
                ),
                M("排污口和监测孔规范化设置情况说明"),
            ),
            statutory=20,
            promised=10,
            topics=("environment",),
            result="排污许可证",
            specials=(
                Special(
                    "现场核查",
                    "inspection",
                    pauses_clock=False,
                    days=10,
                    note="需要进行现场核查的，法定时限为30日（《排污许可管理条例》第十四条）。",
                ),
            ),
            limit_note="法定20日；需要进行现场核查的30日（以工作日计）；本市承诺10个工作日。",
        ),
        Item(
            20,
            "建设项目环境影响报告表审批",
            "sthjj",
            basis=(
                "《中华人民共和国环境影响评价法》第二十二条；"
                "《建设项目环境保护管理条例》（国务院令第682号）第九条"
            ),
            conditions="建设项目依法应当编制环境影响报告表，报告表由具备能力的单位编制。",
            materials=(
                M(
                    "建设项目环境影响报告表审批申请书",
                    blank=application_form(
                        "建设项目环境影响报告表审批", "项目名称", "建设地点", "总投资（万元）"
                    ),
                ),
                M("建设项目环境影响报告表", copies=2, source="intermediary"),
                M("编制单位和编制人员承诺书"),
            ),
            statutory=30,
            promised=15,
            topics=("environment", "construction"),
            result="环境影响报告表批复",
            result_type="approval_document",
            specials=(
                Special(
                    "技术评估（专家评审）",
                    "expert_review",
                    days=10,
                    note="技术评估时间不计入审批时限，书面告知申请人。",
                ),
            ),
        ),
        # ----- transport ------------------------------------------------------------------
        Item(
            21,
            "道路货物运输经营许可（不含危险货物）",
            "jtj",
            basis=(
                "《中华人民共和国道路运输条例》第二十一条、第二十四条；"
                "《道路货物运输及站场管理规定》（交通运输部令2023年第12号）"
            ),
            conditions=(
                "有与其经营业务相适应并经检测合格的车辆；有符合规定条件的驾驶人员；"
                "有健全的安全生产管理制度。"
            ),
            materials=(
                M(
                    "道路货物运输经营申请表",
                    blank=application_form("道路货物运输经营许可", "经营范围", "拟投入车辆数"),
                ),
                id_card(),
                M("机动车辆行驶证、车辆技术等级评定结论", form="copy"),
                M("驾驶人员的驾驶证和从业资格证", form="copy"),
                M("安全生产管理制度文本"),
            ),
            statutory=20,
            promised=5,
            topics=("transport",),
            result="道路运输经营许可证",
            service_object="both",
            online_depth=4,
        ),
        Item(
            22,
            "道路旅客运输经营许可",
            "jtj",
            basis=(
                "《中华人民共和国道路运输条例》第八条、第十条；"
                "《道路旅客运输及客运站管理规定》（交通运输部令2023年第18号）"
            ),
            conditions=(
                "有与其经营业务相适应并经检测合格的客车；有符合规定条件的驾驶人员；"
                "有健全的安全生产管理制度。"
            ),
            materials=(
                M(
                    "道路旅客运输经营申请表",
                    blank=application_form(
                        "道路旅客运输经营许可", "经营区域", "拟投入客车类型及数量"
                    ),
                ),
                id_card(),
                M("拟投入车辆承诺书"),
                M("拟聘用驾驶人员的驾驶证和从业资格证", form="copy"),
                M("安全生产管理制度文本"),
            ),
            statutory=20,
            promised=10,
            topics=("transport",),
            result="道路运输经营许可证",
        ),
        Item(
            23,
            "网络预约出租汽车经营许可",
            "jtj",
            basis=(
                "《国务院对确需保留的行政审批项目设定行政许可的决定》（国务院令第412号）第112项；"
                "《网络预约出租汽车经营服务管理暂行办法》（交通运输部令2022年第42号）"
                "第五条、第八条"
            ),
            conditions=(
                "具备开展网约车经营的互联网平台和与拟开展业务相适应的信息数据交互及处理能力；"
                "有健全的经营管理制度、安全生产管理制度和服务质量保障制度；"
                "在服务所在地有相应服务机构及服务能力。"
            ),
            materials=(
                M(
                    "网络预约出租汽车经营申请表",
                    blank=application_form(
                        "网络预约出租汽车经营许可", "平台名称", "服务所在地机构"
                    ),
                ),
                licence_copy("企业法人营业执照"),
                M("网络安全等级保护备案证明", form="copy", source="government"),
                M("经营管理制度、安全生产管理制度和服务质量保障制度文本"),
            ),
            statutory=20,
            promised=10,
            topics=("transport",),
            result="网络预约出租汽车经营许可决定书",
            result_type="approval_document",
            quantity_limit="巡游出租汽车经营权实行总量控制；网约车经营许可不设数量限制。",
        ),
        # ----- education, health ------------------------------------------------------------
        Item(
            24,
            "民办学校办学许可",
            "jyj",
            unit="calendar_days",
            basis=(
                "《中华人民共和国民办教育促进法》第十二条、第十七条、第十八条；"
                "《中华人民共和国民办教育促进法实施条例》（国务院令第741号）"
            ),
            conditions=(
                "举办者符合法定条件；学校设置符合当地教育发展规划和国家规定的设置标准；"
                "有符合规定的校舍、设施设备、师资和办学经费。"
            ),
            materials=(
                M(
                    "民办学校正式设立申请书",
                    blank=application_form(
                        "民办学校办学许可", "学校名称", "办学层次和类别", "办学规模"
                    ),
                ),
                M("学校章程、首届决策机构组成人员名单"),
                M("资产来源、资金数额及有效证明文件", form="copy"),
                M("校长、教师、财会人员的资格证明文件", form="copy"),
                M("校舍及设施设备证明", form="copy"),
            ),
            statutory=90,
            promised=40,
            split=(5, 25, 10),
            topics=("education",),
            result="民办学校办学许可证",
            specials=(
                Special(
                    "专家评议",
                    "expert_review",
                    days=20,
                    note="组织专家对办学条件进行评议，评议时间不计入审批时限。",
                ),
                Special("实地考察", "inspection", pauses_clock=False, days=5),
            ),
            limit_note="法定自受理之日起三个月内（《民办教育促进法》第十七条），本市承诺40个自然日。",
        ),
        Item(
            25,
            "教师资格认定",
            "jyj",
            service_object="natural_person",
            basis=(
                "《中华人民共和国教师法》第十条、第十三条；"
                "《教师资格条例》（国务院令第188号）；"
                "《〈教师资格条例〉实施办法》（教育部令第10号）"
            ),
            conditions="具备规定学历或通过国家教师资格考试，思想品德和身体条件合格，普通话水平达标。",
            materials=(
                M(
                    "教师资格认定申请表",
                    form="electronic",
                    copies=0,
                    note="在中国教师资格网在线填报。",
                ),
                id_card("申请人"),
                M("体检结论", source="other", note="在指定医院体检。"),
                M("思想品德鉴定表", necessity="deferrable", note="容缺受理：可在证书发放前补交。"),
            ),
            statutory=30,
            promised=20,
            topics=("education", "employment"),
            result="教师资格证书",
            specials=(Special("体格检查", "testing", days=10, note="在指定医院体检。"),),
        ),
        Item(
            26,
            "医疗机构执业登记",
            "wjw",
            basis=(
                "《医疗机构管理条例》（国务院令第149号，2022年修订）第十五条、第十七条；"
                "《医疗机构管理条例实施细则》"
            ),
            conditions="符合医疗机构基本标准，有相应的场所、设施设备、专业卫生技术人员和规章制度。",
            materials=(
                M(
                    "医疗机构申请执业登记注册书",
                    blank=application_form(
                        "医疗机构执业登记", "医疗机构名称", "诊疗科目", "床位数"
                    ),
                ),
                M("医疗机构用房产权证明或者使用证明", form="copy"),
                M("医疗机构建筑设计平面图"),
                M("医务人员执业资格证明", form="copy"),
                M("医疗机构规章制度"),
            ),
            statutory=45,
            promised=20,
            topics=("health",),
            result="医疗机构执业许可证",
            specials=(
                Special(
                    "现场审核",
                    "inspection",
                    pauses_clock=False,
                    days=10,
                    note="按照医疗机构基本标准进行审核。",
                ),
            ),
        ),
        Item(
            27,
            "公共场所卫生许可",
            "wjj",
            region=COUNTY2_CODE,
            basis=(
                "《公共场所卫生管理条例》（国务院令第24号，2019年修订）第八条；"
                "《公共场所卫生管理条例实施细则》（原卫生部令第80号）第二十二条"
            ),
            conditions="公共场所的卫生设施、设备及卫生管理制度符合卫生标准和规范。",
            materials=(
                M(
                    "公共场所卫生许可申请表",
                    blank=application_form("公共场所卫生许可", "场所类别", "营业面积（平方米）"),
                ),
                licence_copy(),
                M("公共场所地址方位示意图、平面图和卫生设施平面布局图"),
                M(
                    "公共场所卫生检测或者评价报告",
                    necessity="deferrable",
                    source="intermediary",
                    note="容缺受理：现场审核前补交。",
                ),
                M("卫生管理制度"),
            ),
            statutory=20,
            promised=5,
            topics=("health", "market-entry"),
            result="公共场所卫生许可证",
            specials=(_SITE_CHECK,),
        ),
        Item(
            28,
            "医师执业注册",
            "wjw",
            service_object="natural_person",
            basis=(
                "《中华人民共和国医师法》第十三条、第十四条；"
                "《医师执业注册管理办法》（国家卫生和计划生育委员会令第13号）"
            ),
            conditions="取得医师资格，拟在本市医疗机构执业，身体健康。",
            materials=(
                M(
                    "医师执业注册申请审核表",
                    blank=application_form("医师执业注册", "执业地点", "执业类别", "执业范围"),
                ),
                M("医师资格证书", form="copy", source="government"),
                M("近6个月内的健康体检证明"),
                M("医疗机构拟聘用证明"),
            ),
            statutory=20,
            promised=5,
            topics=("health", "employment"),
            result="医师执业证书",
            online_depth=4,
        ),
        Item(
            29,
            "生育登记",
            "wjw",
            item_type="public_service",
            case_type="immediate",
            service_object="natural_person",
            basis=(
                "《中华人民共和国人口与计划生育法》；"
                "《国家卫生健康委关于做好生育登记服务工作的通知》"
            ),
            conditions="夫妻双方或一方户籍在本市，或在本市居住的流动人口。",
            materials=(
                id_card("夫妻双方"),
                M("结婚证", necessity="optional", form="copy", note="可通过数据共享核验。"),
            ),
            statutory=1,
            promised=0,
            topics=("health", "social-affairs"),
            result="生育登记服务单",
            result_type="other",
            online_depth=4,
        ),
        # ----- social affairs, employment -----------------------------------------------------
        Item(
            30,
            "社会团体成立登记",
            "mzj",
            basis=(
                "《社会团体登记管理条例》（国务院令第250号，2016年修订）第十条、第十一条、第十二条"
            ),
            conditions=(
                "有50个以上的个人会员或者30个以上的单位会员；有规范的名称和相应的组织机构；"
                "有固定的住所；有与其业务活动相适应的专职工作人员；"
                "有合法的资产和经费来源，地方性社会团体有3万元以上活动资金；"
                "有独立承担民事责任的能力。"
            ),
            materials=(
                M(
                    "社会团体法人登记申请表",
                    blank=application_form(
                        "社会团体成立登记", "社会团体名称", "业务主管单位", "会员数量"
                    ),
                ),
                M("业务主管单位批准文件", source="government"),
                M("章程草案"),
                M("验资报告", source="intermediary"),
                M("住所使用权证明", form="copy"),
            ),
            statutory=30,
            promised=15,
            topics=("social-affairs",),
            result="社会团体法人登记证书",
            service_object="both",
        ),
        Item(
            31,
            "民办非企业单位成立登记",
            "mzj",
            basis="《民办非企业单位登记管理暂行条例》（国务院令第251号）第八条、第九条、第十一条",
            conditions=(
                "经业务主管单位审查同意；有规范的名称、必要的组织机构；有与其业务活动相适应的"
                "从业人员；有与其业务活动相适应的合法财产；有必要的场所。"
            ),
            materials=(
                M(
                    "民办非企业单位登记申请书",
                    blank=application_form(
                        "民办非企业单位成立登记", "单位名称", "业务范围", "开办资金（万元）"
                    ),
                ),
                M("业务主管单位的批准文件", source="government"),
                M("场所使用权证明", form="copy"),
                M("验资报告", source="intermediary"),
                M("章程草案"),
            ),
            statutory=30,
            promised=15,
            topics=("social-affairs",),
            result="民办非企业单位（法人）登记证书",
            service_object="both",
        ),
        Item(
            32,
            "养老机构备案",
            "mzj",
            item_type="other_power",
            case_type="immediate",
            basis=(
                "《中华人民共和国老年人权益保障法》第四十三条；"
                "《养老机构管理办法》（民政部令第66号）第九条"
            ),
            conditions="已依法登记的养老机构，在收住老年人后10个工作日以内备案。",
            materials=(
                M(
                    "养老机构备案书",
                    blank=Form(
                        "养老机构备案书.docx",
                        "docx",
                        "养老机构备案书",
                        (
                            "养老机构名称",
                            "统一社会信用代码",
                            "服务场所地址",
                            "床位数量",
                            "服务内容",
                            "联系人及联系电话",
                        ),
                    ),
                ),
                M("养老机构登记证书", form="copy", source="government"),
                M("符合消防、卫生与健康、环境保护等要求的承诺书"),
            ),
            statutory=5,
            promised=0,
            topics=("social-affairs",),
            result="养老机构备案回执",
            result_type="other",
            limit_note="法律法规未规定办理时限，本市规定为5个工作日；材料齐全的当场备案。",
        ),
        Item(
            33,
            "就业创业证申领",
            "rsj",
            item_type="public_service",
            case_type="immediate",
            service_object="natural_person",
            basis=(
                "《中华人民共和国就业促进法》；"
                "《就业服务与就业管理规定》（劳动和社会保障部令第28号）；"
                "《人力资源社会保障部关于进一步推进就业创业证管理工作的通知》"
            ),
            conditions="法定劳动年龄内、有劳动能力和就业要求的城乡劳动者。",
            materials=(id_card("申请人"),),
            statutory=5,
            promised=0,
            topics=("employment",),
            result="就业创业证",
            online_depth=4,
        ),
        Item(
            34,
            "人力资源服务许可",
            "rsj",
            basis=(
                "《中华人民共和国就业促进法》第四十条；"
                "《人力资源市场暂行条例》（国务院令第700号）第十八条"
            ),
            conditions=(
                "有明确的章程和管理制度；有开展业务必备的固定场所、办公设施；"
                "有5名以上取得相应职业资格的专职工作人员。"
            ),
            materials=(
                M("人力资源服务许可申请表", blank=application_form("人力资源服务许可", "服务范围")),
                licence_copy(),
                M("场所使用证明", form="copy"),
                M("专职工作人员名册及资格证明", form="copy"),
                M("服务章程和管理制度"),
            ),
            statutory=20,
            promised=10,
            topics=("employment", "market-entry"),
            result="人力资源服务许可证",
        ),
        Item(
            35,
            "劳务派遣经营许可",
            "rsj",
            basis=(
                "《中华人民共和国劳动合同法》第五十七条；"
                "《劳务派遣行政许可实施办法》（人力资源社会保障部令第19号）第六条、第十一条"
            ),
            conditions=(
                "注册资本不得少于人民币二百万元；有与开展业务相适应的固定的经营场所和设施；"
                "有符合法律、行政法规规定的劳务派遣管理制度。"
            ),
            materials=(
                M(
                    "劳务派遣经营许可申请书",
                    blank=application_form("劳务派遣经营许可", "注册资本（万元）"),
                ),
                licence_copy(),
                M("经营场所的使用证明及设施设备清单", form="copy"),
                M("劳务派遣管理制度"),
                M("法定代表人的身份证明"),
            ),
            statutory=20,
            promised=10,
            topics=("employment", "market-entry"),
            result="劳务派遣经营许可证",
            specials=(_SITE_CHECK,),
        ),
        # ----- culture, tourism, safety ---------------------------------------------------------
        Item(
            36,
            "旅行社设立许可",
            "wlj",
            basis=(
                "《中华人民共和国旅游法》第二十八条、第二十九条；"
                "《旅行社条例》（国务院令第550号，2020年修订）第六条、第七条"
            ),
            conditions="有固定的经营场所、必要的营业设施和不少于30万元的注册资本。",
            materials=(
                M("旅行社设立申请书", blank=application_form("旅行社设立许可", "经营范围")),
                licence_copy(),
                M("经营场所证明", form="copy"),
                M("营业设施、设备说明"),
            ),
            statutory=20,
            promised=10,
            topics=("culture-tourism", "market-entry"),
            result="旅行社业务经营许可证",
        ),
        Item(
            37,
            "娱乐场所经营许可",
            "wlj",
            basis=(
                "《娱乐场所管理条例》（国务院令第458号，2020年修订）第九条、第十一条；"
                "《娱乐场所管理办法》（文化和旅游部令第4号）"
            ),
            conditions="已取得营业执照；场所符合消防、治安和娱乐场所设置要求，与学校等保持规定距离。",
            materials=(
                M(
                    "娱乐场所经营活动申请表",
                    blank=application_form(
                        "娱乐场所经营许可", "场所面积（平方米）", "包厢（包间）数量"
                    ),
                ),
                licence_copy(),
                M("法定代表人、主要负责人及投资人的身份证明和无犯罪记录承诺", form="copy"),
                M("娱乐场所平面示意图"),
            ),
            statutory=20,
            promised=10,
            topics=("culture-tourism",),
            result="娱乐经营许可证",
            specials=(
                Special(
                    "听证",
                    "hearing",
                    days=20,
                    note="申请人或利害关系人依法要求听证的，听证时间不计入时限"
                    "（《行政许可法》第四十五条、第四十七条）。",
                ),
                Special("实地检查", "inspection", pauses_clock=False, days=5),
            ),
        ),
        Item(
            38,
            "危险化学品经营许可（不带储存设施）",
            "yjj",
            basis=(
                "《危险化学品安全管理条例》（国务院令第591号）第三十三条、第三十五条；"
                "《危险化学品经营许可证管理办法》（国家安全生产监督管理总局令第55号）"
            ),
            conditions=(
                "有符合国家标准、行业标准的经营场所；从业人员经过专业技术培训并经考核合格；"
                "有健全的安全管理规章制度；有专职安全管理人员；有符合国家规定的危险化学品"
                "事故应急预案和必要的应急救援器材、设备。"
            ),
            materials=(
                M(
                    "危险化学品经营许可证申请表",
                    copies=2,
                    blank=application_form("危险化学品经营许可", "经营方式", "经营品种"),
                ),
                licence_copy(),
                M("经营场所产权证明或租赁证明", form="copy"),
                M("安全生产管理制度和岗位操作规程"),
                M("主要负责人、安全生产管理人员安全生产知识和管理能力考核合格证明", form="copy"),
                M("事故应急预案"),
            ),
            statutory=30,
            promised=15,
            topics=("public-safety", "market-entry"),
            result="危险化学品经营许可证",
            specials=(
                Special(
                    "现场核查",
                    "inspection",
                    pauses_clock=False,
                    days=5,
                    note="发证机关组织现场核查（第55号令第十五条）。",
                ),
            ),
        ),
        Item(
            39,
            "公众聚集场所投入使用、营业前消防安全检查",
            "xfzd",
            basis=(
                "《中华人民共和国消防法》第十五条；"
                "《公众聚集场所投入使用、营业消防安全检查规则》（应急〔2021〕34号）"
            ),
            conditions="公众聚集场所依法通过消防验收或备案，并符合消防技术标准和管理规定。",
            materials=(
                M(
                    "公众聚集场所投入使用、营业消防安全检查申请表",
                    blank=application_form(
                        "公众聚集场所消防安全检查", "场所名称", "建筑面积（平方米）"
                    ),
                ),
                licence_copy(),
                M("消防安全制度、灭火和应急疏散预案、场所平面布置图"),
                M("告知承诺书", necessity="optional", note="选择告知承诺方式的提交。"),
            ),
            statutory=10,
            promised=5,
            topics=("public-safety",),
            result="公众聚集场所投入使用、营业消防安全检查合格证",
            specials=(
                Special(
                    "现场检查",
                    "inspection",
                    pauses_clock=False,
                    days=3,
                    note="选择告知承诺方式的，在许可后进行核查。",
                ),
            ),
            limit_note="自受理之日起10个工作日内进行检查，本市承诺5个工作日。",
        ),
        Item(
            40,
            "居民身份证换领",
            "gaj",
            item_type="public_service",
            service_object="natural_person",
            unit="calendar_days",
            basis=(
                "《中华人民共和国居民身份证法》第十一条、第十三条、第二十条；"
                "《国家发展改革委 财政部关于居民身份证收费标准及有关问题的通知》"
                "（发改价格〔2003〕2322号）"
            ),
            conditions="居民身份证有效期满、登记事项变更或证件严重损坏不能辨认的本市户籍居民。",
            materials=(
                M("原居民身份证", note="有效期满换领的，交回原证。"),
                M("户口簿", necessity="optional", note="登记事项变更的提交。"),
            ),
            statutory=60,
            promised=15,
            split=(1, 11, 3),
            topics=("public-safety", "social-affairs"),
            result="中华人民共和国居民身份证",
            fees=(
                Fee(
                    "居民身份证工本费（换领）",
                    "20.00",
                    "《中华人民共和国居民身份证法》第二十条；"
                    "《国家发展改革委 财政部关于居民身份证收费标准及有关问题的通知》"
                    "（发改价格〔2003〕2322号）",
                    unit="元/证",
                    exemption_basis="城市最低生活保障对象和农村贫困人口免收工本费"
                    "（发改价格〔2003〕2322号）。",
                ),
            ),
            limit_note="法定自申请之日起60日内发放（《居民身份证法》第十三条），本市承诺15个自然日。",
        ),
        Item(
            41,
            "不动产登记（国有建设用地使用权及房屋所有权转移登记）",
            "zrzyj",
            item_type="confirmation",
            service_object="both",
            basis=(
                "《中华人民共和国民法典》第二百零九条、第二百一十条；"
                "《不动产登记暂行条例》（国务院令第656号，2024年修订）第二十条；"
                "《不动产登记暂行条例实施细则》（自然资源部令第5号）第三十八条"
            ),
            conditions="买卖、互换、赠与、继承等导致不动产权利转移，当事人共同申请或依法单方申请。",
            materials=(
                M(
                    "不动产登记申请书",
                    blank=application_form("不动产登记", "不动产坐落", "不动产单元号", "登记原因"),
                ),
                id_card("申请人"),
                M("不动产权属证书", note="登记后收回原证。"),
                M("不动产转移的材料（买卖合同、赠与合同等）", form="original_and_copy"),
                M(
                    "完税凭证",
                    form="electronic",
                    copies=0,
                    source="government",
                    note="通过部门共享获取。",
                ),
            ),
            statutory=30,
            promised=5,
            topics=("real-estate",),
            result="不动产权证书",
            fees=(
                Fee(
                    "不动产登记费（住宅类）",
                    "80.00",
                    "《不动产登记暂行条例》；《国家发展改革委 财政部关于不动产登记收费标准等有关"
                    "问题的通知》（发改价格规〔2016〕2559号）",
                    exemption_basis="《财政部 国家发展改革委关于不动产登记收费有关政策问题的通知》"
                    "（财税〔2016〕79号）：小微企业（含个体工商户）申请不动产登记的免收不动产"
                    "登记费；申请更正登记、异议登记等免收。",
                ),
                Fee(
                    "不动产登记费（非住宅类）",
                    "550.00",
                    "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》"
                    "（发改价格规〔2016〕2559号）",
                    exemption_basis="财税〔2016〕79号：小微企业（含个体工商户）免收。",
                ),
                Fee(
                    "不动产权属证书工本费（第二本起）",
                    "10.00",
                    "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》"
                    "（发改价格规〔2016〕2559号）",
                    unit="元/本",
                ),
            ),
            limit_note=(
                "法定30个工作日（《不动产登记暂行条例》第二十条），本市一般登记承诺5个工作日。"
            ),
        ),
    )


def _history() -> tuple[Item, ...]:
    """Versions other than the published ones, so the demo shows the item lifecycle.

    * 药品零售经营许可 v1, superseded when the 2023 measures (总局令第84号) replaced the old
      licence measures: cases started under v1 keep it;
    * 网络预约出租汽车驾驶员证核发, a draft the approval office is still preparing.
    """
    current = {item.serial: item for item in _items()}
    return (
        replace(
            current[5],
            version=1,
            state="superseded",
            basis=(
                "《中华人民共和国药品管理法》第五十一条；"
                "《药品经营许可证管理办法》（原国家食品药品监督管理局令第6号）"
            ),
            statutory=30,
            promised=15,
            limit_note="原《药品经营许可证管理办法》规定的筹建审查和验收时限合计30个工作日。",
        ),
        Item(
            42,
            "网络预约出租汽车驾驶员证核发",
            "jtj",
            state="draft",
            service_object="natural_person",
            basis=(
                "《网络预约出租汽车经营服务管理暂行办法》第十四条、第十五条；"
                "《出租汽车驾驶员从业资格管理规定》（交通运输部令2021年第15号）"
            ),
            conditions=(
                "取得相应准驾车型机动车驾驶证并具有3年以上驾驶经历；无交通肇事犯罪、危险驾驶"
                "犯罪记录，无吸毒记录，无饮酒后驾驶记录；通过从业资格考试。"
            ),
            materials=(
                M(
                    "网络预约出租汽车驾驶员证申请表",
                    blank=application_form("网络预约出租汽车驾驶员证核发", "准驾车型", "驾龄"),
                ),
                id_card("申请人"),
                M("机动车驾驶证", form="original_and_copy"),
                M(
                    "无犯罪记录证明",
                    source="government",
                    necessity="deferrable",
                    note="容缺受理：可由公安机关共享核查结果代替。",
                ),
            ),
            statutory=20,
            promised=5,
            topics=("transport", "employment"),
            result="网络预约出租汽车驾驶员证",
            specials=(
                Special("从业资格考试", "testing", days=20, note="考试时间不计入办理时限。"),
            ),
        ),
    )


ITEMS: tuple[Item, ...] = (
    tuple(replace(i, version=2) if i.serial == 5 else i for i in _items()) + _history()
)


def build_catalog() -> dict[str, Any]:
    """The whole exchange document (catalog/FORMAT.md)."""
    return {
        "format": "xiaoneng-catalog",
        "format_version": 1,
        "topics": [
            {"code": code, "name": name, "audience": audience, "sort_order": 10 * position}
            for position, (code, name, audience) in enumerate(TOPICS, start=1)
        ],
        "items": [item.build() for item in ITEMS],
    }


def catalog_json() -> str:
    return json.dumps(build_catalog(), ensure_ascii=False, indent=1) + "\n"


_ROLE_NAMES = {
    "clerk": "窗口人员 clerk",
    "approver": "审批人员 approver",
    "chief_representative": "首席代表 chief representative",
    "approval_office": "行政审批办 approval office",
    "supervisor": "效能监察 supervisor",
    "leadership_office": "效能办 leadership office",
    "platform_admin": "平台管理员 platform admin",
}


def accounts_markdown() -> str:
    lines = [
        "# 演示账号 / Demo accounts",
        "",
        "Generated by `python -m xiaoneng.demo.build_catalog` from `orgdata.py`; do not edit.",
        f"Every account's password is the published demo password `{DEMO_PASSWORD}`",
        "(demo data only: never seed it into a real deployment).",
        "",
        "| username | name | roles | department | scope |",
        "|---|---|---|---|---|",
        "| `admin` | — | 超级管理员 superuser (Django admin) | — | everything |",
    ]
    for spec in STAFF:
        dept = department(spec.region, spec.department)
        region = "示范市" if spec.region == CITY_CODE else COUNTY_NAMES[spec.region]
        scoped = {"approval_office", "supervisor", "leadership_office", "platform_admin"}
        if "platform_admin" in spec.roles:
            scope = "everything"
        elif scoped & set(spec.roles):
            scope = f"{region} ({spec.region}) and below"
        else:
            scope = f"own department ({dept.short_name})"
        roles = ", ".join(_ROLE_NAMES[r] for r in spec.roles)
        extra = ""
        if spec.backup_of:
            extra = f"; B post of `{spec.backup_of}`"
        if spec.chief_authorisation:
            extra += f"; 授权 {spec.chief_authorisation}"
        lines.append(
            f"| `{spec.username}` | {spec.full_name} | {roles}{extra} | {dept.name} | {scope} |"
        )
    lines += [
        "",
        "## 申请人 / Applicants",
        "",
        "SMS login; the console backend prints the code. They own the demo cases.",
        "",
        "| mobile | name | kind |",
        "|---|---|---|",
    ]
    for applicant in APPLICANTS:
        kind = (
            f"企业 enterprise: {applicant.enterprise_name} ({applicant.credit_code})"
            if applicant.enterprise_name
            else "个人 person"
        )
        lines.append(f"| {applicant.mobile} | {applicant.real_name} | {kind} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    outputs = {CATALOG_PATH: catalog_json(), ACCOUNTS_PATH: accounts_markdown()}
    if "--check" in args:
        stale = [p for p, text in outputs.items() if p.read_text(encoding="utf-8") != text]
        for path in stale:
            sys.stderr.write(f"stale: {path} (run python -m xiaoneng.demo.build_catalog)\n")
        return 1 if stale else 0
    for path, text in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
