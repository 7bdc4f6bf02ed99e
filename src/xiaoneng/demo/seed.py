"""Seed the demo city through the apps' services, idempotently, in one transaction.

Every row is looked up by its natural key first (region code, credit code, username, window
code, chief representative, A/B primary, role grant) and only created when missing, so a
second run changes nothing and writes no audit event. The catalogue goes through the
catalog app's import (all or nothing), for the items and topics not there yet. Last come
the demo applicants (by mobile) and demo cases (by their fixed idempotency key, see
:mod:`xiaoneng.demo.cases`), made through the cases services.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from xiaoneng.org import services as org_services
from xiaoneng.org.models import (
    BackupPair,
    ChiefRepresentative,
    Department,
    Region,
    Staff,
    StaffRole,
    User,
    Window,
)

from . import orgdata
from .cases import seed_cases

CATALOG_PATH = Path(__file__).resolve().parent / "data" / "catalog.json"
#: Date on the chief representatives' authorisation letters.
AUTHORISED_ON = dt.date(2026, 1, 5)


@dataclass
class SeedResult:
    created: dict[str, int] = field(default_factory=dict)
    catalog: str = ""

    def bump(self, what: str) -> None:
        self.created[what] = self.created.get(what, 0) + 1

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or bool(self.catalog)


def database_is_empty() -> bool:
    """True on a fresh database: no region exists yet."""
    return not Region.objects.exists()


def load_catalog_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CATALOG_PATH.read_text(encoding="utf-8"))
    return data


@functools.cache
def _demo_password_hash() -> str:
    """Every demo account shares the published demo password: hash it once, not 80 times."""
    return make_password(orgdata.DEMO_PASSWORD)


def _admin(result: SeedResult) -> User:
    admin = User.objects.filter(username=orgdata.ADMIN_USERNAME).first()
    if admin is None:
        admin = org_services.platform_admin_create(
            username=orgdata.ADMIN_USERNAME, password=orgdata.DEMO_PASSWORD
        )
        result.bump("admins")
    return admin


def _regions(actor: User, result: SeedResult) -> dict[str, Region]:
    regions = {r.code: r for r in Region.objects.filter(code__in=[s.code for s in orgdata.REGIONS])}
    for spec in orgdata.REGIONS:
        if spec.code in regions:
            continue
        regions[spec.code] = org_services.region_create(
            actor=actor,
            code=spec.code,
            name=spec.name,
            level=spec.level,
            parent=regions[spec.parent] if spec.parent else None,
        )
        result.bump("regions")
    return regions


def _departments(
    actor: User, regions: dict[str, Region], result: SeedResult
) -> dict[tuple[str, str], Department]:
    codes = {spec.credit_code: spec for spec in orgdata.DEPARTMENTS}
    existing = {d.credit_code: d for d in Department.objects.filter(credit_code__in=list(codes))}
    departments: dict[tuple[str, str], Department] = {}
    for sort_order, (code, spec) in enumerate(codes.items(), start=1):
        dept = existing.get(code)
        if dept is None:
            dept = org_services.department_create(
                actor=actor,
                name=spec.name,
                credit_code=code,
                region=regions[spec.region],
                short_name=spec.short_name,
                phone=spec.phone,
                address=spec.address,
                sort_order=sort_order,
            )
            result.bump("departments")
        departments[(spec.region, spec.key)] = dept
    return departments


def _staff(
    actor: User, departments: dict[tuple[str, str], Department], result: SeedResult
) -> dict[str, Staff]:
    usernames = [spec.username for spec in orgdata.STAFF]
    staff = {
        s.user.username: s
        for s in Staff.objects.filter(user__username__in=usernames).select_related("user")
    }
    grants = set(
        StaffRole.objects.filter(staff__in=list(staff.values())).values_list("staff_id", "role")
    )
    for spec in orgdata.STAFF:
        member = staff.get(spec.username)
        if member is None:
            staff[spec.username] = org_services.staff_create(
                actor=actor,
                username=spec.username,
                full_name=spec.full_name,
                department=departments[(spec.region, spec.department)],
                roles=spec.roles,
                password_hash=_demo_password_hash(),
                title=spec.title,
            )
            result.bump("staff")
            continue
        for role in spec.roles:
            if (member.pk, role) not in grants:
                org_services.staff_grant_role(actor=actor, staff=member, role=role)
                result.bump("role grants")
    return staff


def _heads(
    actor: User,
    departments: dict[tuple[str, str], Department],
    staff: dict[str, Staff],
    result: SeedResult,
) -> None:
    for spec in orgdata.DEPARTMENTS:
        dept = departments[(spec.region, spec.key)]
        if dept.head_id is None:
            head = staff[orgdata.head_username(spec)]
            org_services.department_head_set(actor=actor, department=dept, staff=head)
            result.bump("department heads")


def _chiefs_and_backups(actor: User, staff: dict[str, Staff], result: SeedResult) -> None:
    chiefs = set(ChiefRepresentative.objects.values_list("staff_id", flat=True))
    primaries = set(BackupPair.objects.values_list("primary_id", flat=True))
    for spec in orgdata.STAFF:
        member = staff[spec.username]
        if spec.chief_authorisation and member.pk not in chiefs:
            org_services.chief_representative_appoint(
                actor=actor,
                staff=member,
                authorisation=spec.chief_authorisation,
                authorised_on=AUTHORISED_ON,
            )
            result.bump("chief representatives")
        if spec.backup_of and staff[spec.backup_of].pk not in primaries:
            org_services.backup_pair_set(actor=actor, primary=staff[spec.backup_of], backup=member)
            result.bump("backup pairs")


def _windows(
    actor: User,
    regions: dict[str, Region],
    departments: dict[tuple[str, str], Department],
    staff: dict[str, Staff],
    result: SeedResult,
) -> None:
    existing = set(Window.objects.values_list("region__code", "code"))
    for spec in orgdata.WINDOWS:
        if (spec.region, spec.code) in existing:
            continue
        org_services.window_create(
            actor=actor,
            region=regions[spec.region],
            code=spec.code,
            name=spec.name,
            hall=spec.hall,
            departments=[departments[(spec.region, key)] for key in spec.departments],
            staff=[staff[username] for username in spec.staff],
        )
        result.bump("windows")


def _catalog(actor: User, result: SeedResult) -> None:
    """Import the demo items and topics that are not in the catalogue yet.

    Codes already present (any version) are left alone: staff may have edited, re-published
    or withdrawn a demo item since, and re-seeding must not undo or trip over that.
    """
    from xiaoneng.catalog.models import Item, Topic
    from xiaoneng.catalog.transfer import catalog_import_data

    data = load_catalog_data()
    known_items = set(
        Item.objects.filter(code__in=[i["code"] for i in data["items"]]).values_list(
            "code", flat=True
        )
    )
    known_topics = set(Topic.objects.values_list("code", flat=True))
    data["items"] = [i for i in data["items"] if i["code"] not in known_items]
    data["topics"] = [t for t in data["topics"] if t["code"] not in known_topics]
    if not data["items"] and not data["topics"]:
        return
    outcome = catalog_import_data(data, actor=actor)
    if outcome.changed:
        result.catalog = (
            f"事项 items +{outcome.items_created}，主题 topics +{outcome.topics_created}"
        )


_LABELS = {
    "admins": "管理员 admins",
    "regions": "区划 regions",
    "departments": "部门 departments",
    "staff": "工作人员 staff",
    "role grants": "角色授予 role grants",
    "department heads": "部门负责人 department heads",
    "chief representatives": "首席代表 chief representatives",
    "backup pairs": "AB岗 backup pairs",
    "windows": "窗口 windows",
    "applicants": "申请人 applicants",
    "cases": "办件 cases",
}


def seed_demo() -> str:
    """Create whatever of the demo city is missing; return a short bilingual summary."""
    result = SeedResult()
    with transaction.atomic():
        admin = _admin(result)
        regions = _regions(admin, result)
        departments = _departments(admin, regions, result)
        staff = _staff(admin, departments, result)
        _heads(admin, departments, staff, result)
        _chiefs_and_backups(admin, staff, result)
        _windows(admin, regions, departments, staff, result)
        _catalog(admin, result)
        applicants, cases = seed_cases()
        result.created["applicants"] = applicants
        result.created["cases"] = cases
    if not result.changed:
        return "演示数据已是最新 / demo data already seeded"
    parts = [f"{_LABELS[key]} {n}" for key, n in result.created.items() if n and key != "cases"]
    if result.catalog:
        parts.append(result.catalog)
    if result.created.get("cases"):
        parts.append(f"{_LABELS['cases']} {result.created['cases']}")
    return (
        "已生成示范市演示数据 / demo city seeded: "
        + "；".join(parts)
        + f"。登录 / log in: admin, clerk_scj … / {orgdata.DEMO_PASSWORD}"
        + "；申请人短信登录 / applicants log in by SMS: 13900000001…"
    )
