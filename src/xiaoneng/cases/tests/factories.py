"""Factories for cases: a small world (a city, a lead and two assisting departments, staff in
every role, a published item with a parallel step) and the files an applicant uploads."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import itertools
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from stdnum.cn import ric

from xiaoneng.audit.registry import audit_registry
from xiaoneng.catalog.models import Fee, Item
from xiaoneng.catalog.tests import factories as catalog_factories
from xiaoneng.org import services as org_services
from xiaoneng.org.models import Department, Role, Staff, User
from xiaoneng.org.tests import factories as org_factories

from ..services import ApplicantInfo, MaterialUpload, case_submit

_serial = itertools.count(1)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


#: Two published fee items (a standard with an exemption, one without).
FEES: list[dict[str, Any]] = [
    {
        "name": "证书工本费",
        "amount": "50.00",
        "unit": "元/本",
        "basis": "《示范省行政事业性收费标准》第12项",
        "exemption_allowed": True,
        "exemption_basis": "小微企业免收",
    },
    {
        "name": "检验费",
        "amount": "120.50",
        "unit": "元/件",
        "basis": "《示范省检验收费标准》",
        "exemption_allowed": False,
        "exemption_basis": "",
    },
]


def fee(item: Item, name: str) -> Fee:
    """The published fee item ``name`` of ``item``."""
    return Fee.objects.get(item=item, name=name)


def pdf(name: str = "申请书.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def zip_file(name: str, entry: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(entry, "<x/>")
    return SimpleUploadedFile(name, buffer.getvalue())


def resident_id(serial: int | None = None) -> str:
    n = serial if serial is not None else next(_serial)
    body = f"110101199001{(n % 28) + 1:02d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def applicant_user(username: str | None = None) -> User:
    n = next(_serial)
    return User.objects.create_user(username=username or f"applicant{n}", password=None)


def person(
    name: str = "李四", serial: int | None = None, mobile: str = "13800138000"
) -> ApplicantInfo:
    return ApplicantInfo(kind="person", name=name, id_number=resident_id(serial), mobile=mobile)


def enterprise(name: str = "示范食品有限公司") -> ApplicantInfo:
    return ApplicantInfo(
        kind="enterprise",
        name=name,
        id_number=org_factories.credit_code("990100", 90000 + next(_serial)),
        mobile="13900139000",
    )


def _task(name: str, department: Department, days: int, lead: bool = True) -> dict[str, Any]:
    return {
        "name": name,
        "department": department.credit_code,
        "is_lead": lead,
        "limit": {"value": days, "unit": "working_days"},
    }


@dataclass
class World:
    lead: Department
    assist_b: Department
    assist_c: Department
    other: Department
    clerk: Staff
    approver_a: Staff
    approver_a2: Staff
    approver_b: Staff
    approver_c: Staff
    chief: Staff
    head: Staff
    office: Staff
    outsider: Staff
    item: Item
    applicant: User

    def user(self, staff: Staff) -> User:
        return staff.user

    def item_with(self, **overrides: Any) -> Item:
        return catalog_factories.published_item(self.lead, **{**self._item_data(), **overrides})

    def _item_data(self) -> dict[str, Any]:
        return {
            "process": [
                {"name": "受理", "tasks": [_task("窗口受理", self.lead, 1)]},
                {
                    "name": "联合审查",
                    "tasks": [
                        _task("主办审查", self.lead, 3, True),
                        _task("消防审查", self.assist_b, 3, False),
                        _task("环保审查", self.assist_c, 3, False),
                    ],
                },
                {"name": "审批决定", "tasks": [_task("审批决定", self.lead, 2)]},
            ],
            "statutory_limit": {"value": 20, "unit": "working_days"},
            "promised_limit": {"value": 10, "unit": "working_days"},
        }

    def submit(self, item: Item | None = None, **kw: Any):
        item = item or self.item
        materials = kw.pop("materials", None)
        if materials is None:
            materials = [
                MaterialUpload(file=pdf(), requirement_id=m.pk)
                for m in item.materials.filter(necessity="required")
            ]
        # applicant=None explicitly: the account's own profile
        applicant = kw.pop("applicant") if "applicant" in kw else person()
        return case_submit(
            actor=kw.pop("actor", self.applicant),
            item=item,
            applicant=applicant,
            materials=materials,
            **kw,
        )


def world() -> World:
    city = org_factories.region()
    lead = org_factories.department("示范市市场监督管理局", city)
    assist_b = org_factories.department("示范市消防救援支队", city)
    assist_c = org_factories.department("示范市生态环境局", city)
    other = org_factories.department("示范市交通运输局", city)
    clerk = org_factories.staff([Role.CLERK], lead, password=None)
    approver_a = org_factories.staff([Role.APPROVER], lead, password=None)
    approver_a2 = org_factories.staff([Role.APPROVER], lead, password=None)
    approver_b = org_factories.staff([Role.APPROVER], assist_b, password=None)
    approver_c = org_factories.staff([Role.APPROVER], assist_c, password=None)
    chief = org_factories.staff([Role.APPROVER], lead, password=None)
    org_services.chief_representative_appoint(
        actor=None,
        staff=chief,
        authorisation="示市监〔2026〕1号",
        authorised_on=dt.date(2026, 1, 5),
    )
    head = org_factories.staff([Role.APPROVER], lead, password=None)
    lead.head = head
    lead.save(update_fields=["head"])
    office = org_factories.staff([Role.APPROVAL_OFFICE], other, password=None)
    outsider = org_factories.staff([Role.APPROVER, Role.CLERK], other, password=None)
    w = World(
        lead=lead,
        assist_b=assist_b,
        assist_c=assist_c,
        other=other,
        clerk=clerk,
        approver_a=approver_a,
        approver_a2=approver_a2,
        approver_b=approver_b,
        approver_c=approver_c,
        chief=chief,
        head=head,
        office=office,
        outsider=outsider,
        item=None,  # type: ignore[arg-type]
        applicant=applicant_user(),
    )
    w.item = w.item_with()
    return w


@contextlib.contextmanager
def other_apps_subscribers_off() -> Iterator[None]:
    """Other apps' audit subscribers (supervision statistics, the anomaly check…) switched
    off inside the block and restored after it: what the cases app's own work costs (the
    query budgets, the benchmark's own-work count)."""
    others = audit_registry.remove(lambda sub: not sub.name.startswith("cases."))
    try:
        yield
    finally:
        audit_registry.restore(others)
