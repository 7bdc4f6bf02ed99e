"""Catalogue items for portal tests, built through the catalog services (via its factories)."""

from __future__ import annotations

import base64
from typing import Any

from xiaoneng.catalog.models import Item, Topic
from xiaoneng.catalog.tests import factories as catalog_factories
from xiaoneng.org.models import Department
from xiaoneng.org.tests import factories as org_factories


def topic(code: str, name: str) -> Topic:
    return catalog_factories.topic(code=code, name=name)


def _limit(value: int) -> dict[str, Any]:
    return {"value": value, "unit": "working_days"}


def _guide_children(department: Department) -> dict[str, Any]:
    fire = org_factories.department(name="示范市消防救援支队", region_=department.region)
    return {
        "materials": [
            {
                "name": "公司登记（备案）申请书",
                "necessity": "required",
                "form": "original",
                "copies": 1,
                "source": "applicant",
                "note": "",
                "blank_form": {
                    "filename": "application.docx",
                    "content_base64": base64.b64encode(b"form").decode(),
                },
                "sample": None,
            },
            {
                "name": "住所使用证明",
                "necessity": "deferrable",
                "form": "original_and_copy",
                "copies": 1,
                "source": "applicant",
                "note": "",
                "blank_form": None,
                "sample": None,
            },
        ],
        "process": [
            {
                "name": "受理",
                "tasks": [
                    {
                        "name": "窗口受理",
                        "department": department.credit_code,
                        "is_lead": True,
                        "limit": _limit(1),
                    }
                ],
            },
            {
                "name": "联合审查",
                "tasks": [
                    {
                        "name": "登记审查",
                        "department": department.credit_code,
                        "is_lead": True,
                        "limit": _limit(2),
                    },
                    {
                        "name": "消防意见",
                        "department": fire.credit_code,
                        "is_lead": False,
                        "limit": _limit(2),
                    },
                ],
            },
        ],
        "special_procedures": [
            {
                "name": "现场核查",
                "kind": "inspection",
                "pauses_clock": True,
                "limit": _limit(5),
                "note": "",
            }
        ],
    }


def published_item(
    *,
    code: str,
    name: str,
    department: Department,
    topics: tuple[Topic, ...] | list[Topic] = (),
    state: str = "published",
    with_children: bool = False,
    fees: tuple[tuple[str, str, str], ...] | list[tuple[str, str, str]] = (),
    item_type: str = "licensing",
) -> Item:
    overrides: dict[str, Any] = {
        "name": name,
        "item_type": item_type,
        "legal_basis": "《中华人民共和国市场主体登记管理条例》第三条",
        "acceptance_conditions": "申请人具有完全民事行为能力；名称经自主申报。",
        "statutory_limit": _limit(20),
        "promised_limit": _limit(10),
        "topics": [t.code for t in topics],
        "place": "示范市民中心一楼A区",
        "consult_phone": "0999-12345678",
        "complaint_phone": "0999-12345",
        "online_depth": 4,
        "visits_required": 0,
        "fees": [
            {
                "name": fee_name,
                "amount": amount,
                "unit": "元/件",
                "basis": basis,
                "exemption_allowed": False,
                "exemption_basis": "",
            }
            for fee_name, amount, basis in fees
        ],
    }
    if with_children:
        overrides.update(_guide_children(department))
    if state == "draft":
        return catalog_factories.draft_item(department, code=code, **overrides)
    return catalog_factories.published_item(department, code=code, **overrides)
