"""The demo city's organisation as plain data (pure Python; the seeder turns it into rows).

示范省 → 示范市 → 东湖区 / 西山县 → townships. Every department carries a deterministic
credit code (:mod:`xiaoneng.demo.codes`); every account uses :data:`DEMO_PASSWORD`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stdnum.cn import ric, uscc

from .codes import credit_code

#: The one published demo password (README, ACCOUNTS.md). Never used outside demo data.
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - published demo credential
ADMIN_USERNAME = "admin"

PROVINCE_CODE = "990000000000"
CITY_CODE = "990100000000"
COUNTY1_CODE = "990121000000"
COUNTY2_CODE = "990122000000"


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    level: str
    parent: str | None


REGIONS: tuple[RegionSpec, ...] = (
    RegionSpec(PROVINCE_CODE, "示范省", "province", None),
    RegionSpec(CITY_CODE, "示范市", "city", PROVINCE_CODE),
    RegionSpec(COUNTY1_CODE, "东湖区", "county", CITY_CODE),
    RegionSpec(COUNTY2_CODE, "西山县", "county", CITY_CODE),
    RegionSpec("990121001000", "湖滨街道", "township", COUNTY1_CODE),
    RegionSpec("990121101000", "东湖镇", "township", COUNTY1_CODE),
    RegionSpec("990122100000", "西山镇", "township", COUNTY2_CODE),
    RegionSpec("990122200000", "青石乡", "township", COUNTY2_CODE),
)


@dataclass(frozen=True)
class DepartmentSpec:
    key: str  # short stable key, used in usernames ("scj") and for the credit code
    region: str
    name: str
    short_name: str
    phone: str
    address: str

    @property
    def credit_code(self) -> str:
        return credit_code(self.region, self.key)


_CITY_HALL = "示范市政务服务中心（示范市东湖区人民大道100号）"


def _city(key: str, name: str, short: str, ext: str, address: str = _CITY_HALL) -> DepartmentSpec:
    return DepartmentSpec(key, CITY_CODE, f"示范市{name}", short, f"0990-8812{ext}", address)


CITY_DEPARTMENTS: tuple[DepartmentSpec, ...] = (
    _city("spj", "行政审批局", "市审批局", "3001"),
    _city("scj", "市场监督管理局", "市市场监管局", "3101"),
    _city("zjj", "住房和城乡建设局", "市住建局", "3201"),
    _city("sthjj", "生态环境局", "市生态环境局", "3301"),
    _city("jtj", "交通运输局", "市交通运输局", "3401"),
    _city("jyj", "教育局", "市教育局", "3501"),
    _city("wjw", "卫生健康委员会", "市卫健委", "3601"),
    _city("zrzyj", "自然资源和规划局", "市自然资源规划局", "3701"),
    _city("cgj", "城市管理局", "市城管局", "3801"),
    _city("gaj", "公安局", "市公安局", "3901", "示范市东湖区平安路8号"),
    _city("mzj", "民政局", "市民政局", "4001"),
    _city("rsj", "人力资源和社会保障局", "市人社局", "4101"),
    _city("yjj", "应急管理局", "市应急管理局", "4201"),
    _city("wlj", "文化广电旅游局", "市文旅局", "4301"),
    _city("xfzd", "消防救援支队", "市消防救援支队", "4701", "示范市东湖区119大道9号"),
    _city("sjj", "大数据局", "市大数据局", "4401"),
    _city("jw", "监察委员会", "市监委", "4501", "示范市东湖区清风路1号"),
    _city("xnb", "机关效能建设领导小组办公室", "市效能办", "4601", "示范市东湖区清风路1号"),
)


def _county(region: str, key: str, name: str, short: str, ext: str) -> DepartmentSpec:
    county_name = COUNTY_NAMES[region]
    hall = f"{county_name}政务服务中心（{county_name}府前街{ext[-2:]}号）"
    area = "0990-6612" if region == COUNTY1_CODE else "0990-5512"
    return DepartmentSpec(key, region, f"{county_name}{name}", short, f"{area}{ext}", hall)


COUNTY_NAMES = {COUNTY1_CODE: "示范市东湖区", COUNTY2_CODE: "西山县"}
#: Username label of each county ("county1", "county2").
COUNTY_LABELS = {COUNTY1_CODE: "county1", COUNTY2_CODE: "county2"}

COUNTY_DEPARTMENTS: tuple[DepartmentSpec, ...] = tuple(
    dept
    for region, short in ((COUNTY1_CODE, "区"), (COUNTY2_CODE, "县"))
    for dept in (
        _county(region, "spj", "行政审批局", f"{short}审批局", "1001"),
        _county(region, "scj", "市场监督管理局", f"{short}市场监管局", "1101"),
        _county(region, "zjj", "住房和城乡建设局", f"{short}住建局", "1201"),
        _county(region, "wjj", "卫生健康局", f"{short}卫健局", "1301"),
        _county(region, "jw", "监察委员会", f"{short}监委", "1401"),
        _county(region, "xnb", "机关效能建设领导小组办公室", f"{short}效能办", "1501"),
    )
)

DEPARTMENTS: tuple[DepartmentSpec, ...] = CITY_DEPARTMENTS + COUNTY_DEPARTMENTS


def department(region: str, key: str) -> DepartmentSpec:
    for dept in DEPARTMENTS:
        if dept.region == region and dept.key == key:
            return dept
    raise KeyError(f"{region}:{key}")


def city_credit_code(key: str) -> str:
    return department(CITY_CODE, key).credit_code


@dataclass(frozen=True)
class StaffSpec:
    username: str
    full_name: str
    region: str
    department: str  # DepartmentSpec.key within ``region``
    roles: tuple[str, ...]
    title: str = ""
    backup_of: str | None = None  # this account is the B post of that username
    chief_authorisation: str = ""  # 授权文号 when appointed chief representative


#: Surnames and given names of the fictional people (staff, simulated applicants).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN_NAMES = (
    "建国", "丽华", "志强", "秀英", "海燕", "文博", "晓东", "春梅", "国栋", "雅琴", "宏伟", "静怡",
    "明辉", "玉兰", "子涵", "振华", "慧敏", "立新", "佳琪", "永康", "淑芬", "浩然", "凤霞", "家豪",
)  # fmt: skip


def _name(index: int) -> str:
    return SURNAMES[index % len(SURNAMES)] + GIVEN_NAMES[(index * 7) % len(GIVEN_NAMES)]


#: A head's role by department key (others approve: they sign their department's work).
HEAD_ROLES = {"jw": ("supervisor",), "xnb": ("leadership_office",)}


def _head_title(dept: DepartmentSpec) -> str:
    if dept.name.endswith("局"):
        return "局长"
    if dept.name.endswith("支队"):
        return "支队长"
    return "主任"


def head_username(dept: DepartmentSpec) -> str:
    label = "city" if dept.region == CITY_CODE else COUNTY_LABELS[dept.region]
    return f"head_{label}_{dept.key}"


def _staff_specs() -> tuple[StaffSpec, ...]:
    rows: list[tuple[str, str, str, tuple[str, ...], str, str | None, str]] = []

    def add(
        username: str,
        region: str,
        dept: str,
        roles: tuple[str, ...],
        title: str,
        backup_of: str | None = None,
        chief: str = "",
    ) -> None:
        rows.append((username, region, dept, roles, title, backup_of, chief))

    # --- city ---------------------------------------------------------------------------
    c = CITY_CODE
    add("clerk_city_a", c, "spj", ("clerk",), "综合受理窗口工作人员")
    add("clerk_city_b", c, "spj", ("clerk",), "综合受理窗口工作人员", backup_of="clerk_city_a")
    for key in ("scj", "zjj", "jtj", "wjw", "mzj"):
        add(f"clerk_{key}", c, key, ("clerk",), "窗口工作人员")
    approver_depts = [
        d.key for d in CITY_DEPARTMENTS if d.key not in {"spj", "sjj", "jw", "xnb"}
    ] + ["spj"]
    for key in approver_depts:
        add(f"approver_{key}_a", c, key, ("approver",), "审批科科长")
        add(f"approver_{key}_b", c, key, ("approver",), "审批科副科长", f"approver_{key}_a")
    for n, key in enumerate(("scj", "zjj", "jtj", "wjw", "sthjj"), start=1):
        add(
            f"chief_{key}", c, key, ("chief_representative", "approver"), "首席代表（副局长）",
            chief=f"示政审〔2026〕{n}号",
        )  # fmt: skip
    add("office_city", c, "spj", ("approval_office",), "政务服务科科长")
    add("office_city_b", c, "spj", ("approval_office",), "政务服务科副科长", "office_city")
    add("supervisor_city", c, "jw", ("supervisor",), "效能监察室主任")
    add("supervisor_city_b", c, "jw", ("supervisor",), "效能监察室科员", "supervisor_city")
    add("leadership_city", c, "xnb", ("leadership_office",), "效能办副主任")
    add("admin_city", c, "sjj", ("platform_admin",), "平台运维科科长")

    # --- counties -----------------------------------------------------------------------
    for region, label in COUNTY_LABELS.items():
        add(f"clerk_{label}", region, "spj", ("clerk",), "综合受理窗口工作人员")
        add(f"clerk_{label}_b", region, "spj", ("clerk",), "综合受理窗口工作人员", f"clerk_{label}")
        add(f"clerk_{label}_scj", region, "scj", ("clerk",), "窗口工作人员")
        for key in ("spj", "scj", "zjj", "wjj"):
            add(f"approver_{label}_{key}_a", region, key, ("approver",), "审批股股长")
            add(
                f"approver_{label}_{key}_b", region, key, ("approver",), "审批股副股长",
                f"approver_{label}_{key}_a",
            )  # fmt: skip
        n = 1 if region == COUNTY1_CODE else 2
        prefix = "东审" if region == COUNTY1_CODE else "西审"
        add(
            f"chief_{label}_scj", region, "scj", ("chief_representative", "approver"),
            "首席代表（副局长）", chief=f"{prefix}〔2026〕{n}号",
        )  # fmt: skip
        add(f"office_{label}", region, "spj", ("approval_office",), "政务服务股股长")
        add(f"supervisor_{label}", region, "jw", ("supervisor",), "效能监察室主任")
        add(f"leadership_{label}", region, "xnb", ("leadership_office",), "效能办副主任")
        add(f"admin_{label}", region, "spj", ("platform_admin",), "信息化股股长")

    # --- heads (负责人): approve their department's extensions, hear of its alerts --------
    # Added last so every earlier account keeps its generated name.
    for dept in DEPARTMENTS:
        add(
            head_username(dept),
            dept.region,
            dept.key,
            HEAD_ROLES.get(dept.key, ("approver",)),
            _head_title(dept),
        )

    return tuple(
        StaffSpec(
            username=username,
            full_name=_name(i),
            region=region,
            department=dept,
            roles=roles,
            title=title,
            backup_of=backup_of,
            chief_authorisation=chief,
        )
        for i, (username, region, dept, roles, title, backup_of, chief) in enumerate(rows)
    )


STAFF: tuple[StaffSpec, ...] = _staff_specs()


@dataclass(frozen=True)
class WindowSpec:
    region: str
    code: str
    name: str
    hall: str
    departments: tuple[str, ...]  # department keys within ``region``
    staff: tuple[str, ...] = field(default=())  # usernames


_CITY_HALL_1F = "示范市政务服务中心一楼"
_CITY_HALL_2F = "示范市政务服务中心二楼"

WINDOWS: tuple[WindowSpec, ...] = (
    WindowSpec(
        CITY_CODE, "A01", "综合受理窗口", _CITY_HALL_1F,
        ("spj", "scj", "zjj", "sthjj", "jtj", "jyj", "wjw", "zrzyj", "cgj", "mzj", "rsj", "yjj",
         "wlj", "gaj"),
        ("clerk_city_a", "clerk_city_b"),
    ),
    WindowSpec(
        CITY_CODE, "A02", "市场准入窗口", _CITY_HALL_1F, ("scj",), ("clerk_scj", "chief_scj")
    ),
    WindowSpec(
        CITY_CODE, "B01", "工程建设项目审批窗口", _CITY_HALL_2F, ("zjj", "zrzyj", "sthjj", "cgj"),
        ("clerk_zjj", "chief_zjj", "chief_sthjj"),
    ),
    WindowSpec(
        CITY_CODE, "B02", "社会事务窗口", _CITY_HALL_2F, ("mzj", "rsj", "jyj", "wjw", "wlj"),
        ("clerk_wjw", "clerk_mzj", "chief_wjw"),
    ),
    WindowSpec(
        CITY_CODE, "B03", "交通运输窗口", _CITY_HALL_2F, ("jtj",), ("clerk_jtj", "chief_jtj")
    ),
    WindowSpec(
        COUNTY1_CODE, "01", "综合受理窗口", "东湖区政务服务中心一楼", ("spj", "scj", "zjj", "wjj"),
        ("clerk_county1", "clerk_county1_b"),
    ),
    WindowSpec(
        COUNTY1_CODE, "02", "市场准入窗口", "东湖区政务服务中心一楼", ("scj",),
        ("clerk_county1_scj", "chief_county1_scj"),
    ),
    WindowSpec(
        COUNTY2_CODE, "01", "综合受理窗口", "西山县政务服务中心", ("spj", "scj", "zjj", "wjj"),
        ("clerk_county2", "clerk_county2_b"),
    ),
    WindowSpec(
        COUNTY2_CODE, "02", "市场准入窗口", "西山县政务服务中心", ("scj",),
        ("clerk_county2_scj", "chief_county2_scj"),
    ),
)  # fmt: skip


# --------------------------------------------------------------------------- applicants


@dataclass(frozen=True)
class ApplicantSpec:
    """A demo applicant (logs in by SMS code; the console backend prints it)."""

    username: str
    mobile: str
    real_name: str
    resident_body: str  # 17 digits; the check digit is computed
    enterprise_name: str = ""
    credit_body: str = ""  # 17 chars; the check char is computed

    @property
    def resident_id(self) -> str:
        return self.resident_body + ric.calc_check_digit(self.resident_body + "0")

    @property
    def credit_code(self) -> str:
        if not self.credit_body:
            return ""
        return self.credit_body + uscc.calc_check_digit(self.credit_body)


APPLICANTS = (
    ApplicantSpec("demo-applicant-1", "13900000001", "陈晓明", "11010519850312001"),
    ApplicantSpec("demo-applicant-2", "13900000002", "林小红", "11010619900705002"),
    ApplicantSpec(
        "demo-applicant-3",
        "13900000003",
        "周建华",
        "11010819780921003",
        enterprise_name="示范市晨光商贸有限公司",
        credit_body=f"91{CITY_CODE[:6]}MA0000010",
    ),
)
