"""Factories for catalogue rows. They go through the services, so rows are valid and audited."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from xiaoneng.catalog import services
from xiaoneng.catalog.models import Item, Topic
from xiaoneng.org.models import Department, Region
from xiaoneng.org.tests import factories as org_factories

_serial = itertools.count(1)


def item_data(
    department: Department, *, code: str | None = None, **overrides: Any
) -> dict[str, Any]:
    """A complete, valid item in the exchange format (FORMAT.md)."""
    n = next(_serial)
    data: dict[str, Any] = {
        "code": code or f"T{n:05d}",
        "basic_code": f"B{n:05d}",
        "name": "食品经营许可证核发",
        "item_type": "licensing",
        "department": department.credit_code,
        "entrusted_department": None,
        "legal_basis": "《中华人民共和国食品安全法》第三十五条",
        "acceptance_conditions": "申请人取得营业执照等合法主体资格。",
        "service_object": "legal_person",
        "case_type": "promised",
        "statutory_limit": {"value": 20, "unit": "working_days"},
        "promised_limit": {"value": 10, "unit": "working_days"},
        "green_channel_limit": None,
        "limit_note": "",
        "deemed_approval": False,
        "topics": [],
        "materials": [
            {
                "name": "食品经营许可申请书",
                "necessity": "required",
                "form": "original",
                "copies": 1,
                "source": "applicant",
                "note": "",
                "blank_form": None,
                "sample": None,
            }
        ],
        "process": [
            {
                "name": "受理",
                "tasks": [
                    {
                        "name": "窗口受理",
                        "department": department.credit_code,
                        "is_lead": True,
                        "limit": {"value": 1, "unit": "working_days"},
                    }
                ],
            },
            {
                "name": "审查决定",
                "tasks": [
                    {
                        "name": "审查",
                        "department": department.credit_code,
                        "is_lead": True,
                        "limit": {"value": 8, "unit": "working_days"},
                    }
                ],
            },
        ],
        "special_procedures": [],
        "fees": [],
        "place": "示范市政务服务中心二楼",
        "office_hours": "工作日 9:00-17:30",
        "traffic_guide": "",
        "consult_phone": "0999-12345678",
        "consult_channels": "",
        "complaint_phone": "12345",
        "complaint_channels": "",
        "online_depth": 3,
        "visits_required": 1,
        "result_name": "食品经营许可证",
        "result_type": "certificate",
        "quantity_limit": "",
        "review_channels": "",
    }
    data.update(copy.deepcopy(overrides))
    return data


def county_departments(
    west_name: str = "西山县市场监督管理局",
) -> tuple[Department, Department, Region]:
    """The scope tests' two departments, one in each county of 示范市: 东湖县市场监督管理局
    (东湖县) and ``west_name`` (西山县); and the city."""
    city = org_factories.region()
    east = org_factories.county(city=city)
    west = org_factories.county(code="990122000000", name="西山县", city=city)
    return (
        org_factories.department(name="东湖县市场监督管理局", region_=east),
        org_factories.department(name=west_name, region_=west),
        city,
    )


def draft_item(department: Department | None = None, **overrides: Any) -> Item:
    department = department or org_factories.department()
    return services.item_create_draft(actor=None, data=item_data(department, **overrides))


def published_item(department: Department | None = None, **overrides: Any) -> Item:
    item = draft_item(department, **overrides)
    return services.item_publish(actor=None, code=item.code)


def topic(code: str | None = None, name: str = "市场准入", audience: str = "enterprise") -> Topic:
    return services.topic_create(
        actor=None, code=code or f"topic-{next(_serial)}", name=name, audience=audience
    )
