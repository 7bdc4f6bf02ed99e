"""Catalogue API (``/api/v1/catalog/``): the public guide, and the approval office's edits.

Thin: each operation parses its own input schema, calls one selector or service and maps
the result to its own output schema. Errors are :class:`~xiaoneng.core.errors.DomainError`
(4xx, handled once in ``xiaoneng.api``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.security import django_auth
from pydantic import Field

from xiaoneng.core.api import page_reply
from xiaoneng.org.models import Department

from . import selectors, services
from .models import (
    CaseType,
    Item,
    ItemState,
    ItemType,
    LimitUnit,
    Material,
    MaterialForm,
    MaterialSource,
    Necessity,
    OnlineDepth,
    ServiceObject,
    SpecialKind,
)
from .rules import GUIDE_FIELDS

router = Router()


# --------------------------------------------------------------------------- output schemas


class LimitOut(Schema):
    value: int
    unit: str
    label: str


class DepartmentOut(Schema):
    name: str
    short_name: str
    credit_code: str
    region_code: str
    region_name: str


class ItemSummaryOut(Schema):
    code: str
    version: int
    name: str
    item_type: str
    item_type_label: str
    department: DepartmentOut
    case_type: str
    case_type_label: str
    statutory_limit: LimitOut
    promised_limit: LimitOut
    online_depth: int
    online_depth_label: str
    visits_required: int
    is_free: bool
    topics: list[str]


class ItemListOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[ItemSummaryOut]


class FileOut(Schema):
    filename: str
    url: str


class MaterialOut(Schema):
    name: str
    necessity: str
    necessity_label: str
    form: str
    form_label: str
    copies: int
    source: str
    source_label: str
    note: str
    blank_form: FileOut | None
    sample: FileOut | None


class TaskOut(Schema):
    name: str
    department: DepartmentOut
    is_lead: bool
    limit: LimitOut


class StepOut(Schema):
    name: str
    parallel: bool
    tasks: list[TaskOut]


class SpecialProcedureOut(Schema):
    name: str
    kind: str
    kind_label: str
    pauses_clock: bool
    limit: LimitOut | None
    note: str


class FeeOut(Schema):
    name: str
    amount: str
    unit: str
    basis: str
    exemption_allowed: bool
    exemption_basis: str


class ItemGuideOut(ItemSummaryOut):
    basic_code: str
    published_at: dt.datetime | None
    entrusted_department: DepartmentOut | None
    legal_basis: str
    acceptance_conditions: str
    service_object: str
    service_object_label: str
    green_channel_limit: LimitOut | None
    limit_note: str
    deemed_approval: bool
    materials: list[MaterialOut]
    process: list[StepOut]
    special_procedures: list[SpecialProcedureOut]
    fees: list[FeeOut]
    place: str
    office_hours: str
    traffic_guide: str
    consult_phone: str
    consult_channels: str
    complaint_phone: str
    complaint_channels: str
    result_name: str
    result_type: str
    quantity_limit: str
    review_channels: str


class ItemDraftOut(Schema):
    code: str
    version: int
    state: str
    state_label: str
    name: str
    department: str = Field(description="实施主体统一社会信用代码")


class ItemStateOut(Schema):
    code: str
    version: int
    state: str
    state_label: str
    published_at: dt.datetime | None
    withdrawn_at: dt.datetime | None


# --------------------------------------------------------------------------- input schemas


class LimitIn(Schema):
    value: int | None = None
    unit: str | None = Field(None, description=" | ".join(LimitUnit.values))


class FileIn(Schema):
    filename: str | None = None
    content_base64: str | None = None


class MaterialIn(Schema):
    name: str | None = None
    necessity: str | None = Field(None, description=" | ".join(Necessity.values))
    form: str | None = Field(None, description=" | ".join(MaterialForm.values))
    copies: int | None = None
    source: str | None = Field(None, description=" | ".join(MaterialSource.values))
    note: str | None = None
    blank_form: FileIn | None = None
    sample: FileIn | None = None


class TaskIn(Schema):
    name: str | None = None
    department: str | None = Field(None, description="办理部门统一社会信用代码")
    is_lead: bool = False
    limit: LimitIn | None = None


class StepIn(Schema):
    name: str | None = None
    tasks: list[TaskIn] = []


class SpecialProcedureIn(Schema):
    name: str | None = None
    kind: str | None = Field(None, description=" | ".join(SpecialKind.values))
    pauses_clock: bool = True
    limit: LimitIn | None = None
    note: str | None = None


class FeeIn(Schema):
    name: str | None = None
    amount: str | None = Field(None, description="元，最多两位小数")
    unit: str | None = None
    basis: str | None = None
    exemption_allowed: bool = False
    exemption_basis: str | None = None


class _ItemElementsIn(Schema):
    basic_code: str | None = None
    name: str | None = None
    item_type: str | None = Field(None, description=" | ".join(ItemType.values))
    department: str | None = Field(None, description="实施主体统一社会信用代码")
    entrusted_department: str | None = None
    legal_basis: str | None = None
    acceptance_conditions: str | None = None
    service_object: str | None = Field(None, description=" | ".join(ServiceObject.values))
    case_type: str | None = Field(None, description=" | ".join(CaseType.values))
    statutory_limit: LimitIn | None = None
    promised_limit: LimitIn | None = None
    green_channel_limit: LimitIn | None = None
    limit_note: str | None = None
    deemed_approval: bool | None = None
    topics: list[str] | None = None
    materials: list[MaterialIn] | None = None
    process: list[StepIn] | None = None
    special_procedures: list[SpecialProcedureIn] | None = None
    fees: list[FeeIn] | None = None
    place: str | None = None
    office_hours: str | None = None
    traffic_guide: str | None = None
    consult_phone: str | None = None
    consult_channels: str | None = None
    complaint_phone: str | None = None
    complaint_channels: str | None = None
    online_depth: int | None = None
    visits_required: int | None = None
    result_name: str | None = None
    result_type: str | None = None
    quantity_limit: str | None = None
    review_channels: str | None = None


class ItemCreateIn(_ItemElementsIn):
    code: str = Field(..., description="实施编码（新事项）")


class ItemPatchIn(_ItemElementsIn):
    """Only the keys sent are changed; a list sent replaces the whole list."""


class PublishIn(Schema):
    version: int | None = Field(None, description="要发布的草稿版本（默认最新草稿）")


class WithdrawIn(Schema):
    reason: str = ""


class ItemListQuery(Schema):
    q: str = ""
    department: str | None = Field(None, description="实施主体统一社会信用代码")
    topic: str | None = None
    item_type: str | None = None
    region: str | None = Field(None, description="12位区划代码（含下级）")
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=100)


# --------------------------------------------------------------------------- mapping


def _limit(value: int | None, unit: str) -> dict[str, Any] | None:
    if value is None or not unit:
        return None
    return {"value": value, "unit": unit, "label": f"{value}{LimitUnit(unit).label}"}


def _department(d: Department) -> dict[str, Any]:
    return {
        "name": d.name,
        "short_name": d.short_name,
        "credit_code": d.credit_code,
        "region_code": d.region.code,
        "region_name": d.region.name,
    }


def _summary(item: Item) -> dict[str, Any]:
    return {
        "code": item.code,
        "version": item.version,
        "name": item.name,
        "item_type": item.item_type,
        "item_type_label": item.get_item_type_display(),
        "department": _department(item.department),
        "case_type": item.case_type,
        "case_type_label": item.get_case_type_display(),
        "statutory_limit": _limit(item.statutory_limit_value, item.statutory_limit_unit),
        "promised_limit": _limit(item.promised_limit_value, item.promised_limit_unit),
        "online_depth": item.online_depth,
        "online_depth_label": str(OnlineDepth(item.online_depth).label),
        "visits_required": item.visits_required,
        "is_free": item.is_free,
        "topics": [t.code for t in item.topics.all()],
    }


def _file(material: Material, attr: str) -> dict[str, str] | None:
    f = getattr(material, attr)
    if not f:
        return None
    return {"filename": getattr(material, f"{attr}_name") or f.name, "url": f.url}


def _guide(item: Item) -> dict[str, Any]:
    data = _summary(item)
    data.update(
        basic_code=item.basic_code,
        published_at=item.published_at,
        entrusted_department=(
            _department(item.entrusted_department) if item.entrusted_department else None
        ),
        legal_basis=item.legal_basis,
        acceptance_conditions=item.acceptance_conditions,
        service_object=item.service_object,
        service_object_label=item.get_service_object_display(),
        green_channel_limit=_limit(item.green_channel_limit_value, item.green_channel_limit_unit),
        limit_note=item.limit_note,
        deemed_approval=item.deemed_approval,
        materials=[
            {
                "name": m.name,
                "necessity": m.necessity,
                "necessity_label": m.get_necessity_display(),
                "form": m.form,
                "form_label": m.get_form_display(),
                "copies": m.copies,
                "source": m.source,
                "source_label": m.get_source_display(),
                "note": m.note,
                "blank_form": _file(m, "blank_form"),
                "sample": _file(m, "sample"),
            }
            for m in item.materials.all()
        ],
        process=[
            {
                "name": s.name,
                "parallel": len(s.tasks.all()) > 1,
                "tasks": [
                    {
                        "name": t.name,
                        "department": _department(t.department),
                        "is_lead": t.is_lead,
                        "limit": _limit(t.limit_value, t.limit_unit),
                    }
                    for t in s.tasks.all()
                ],
            }
            for s in item.steps.all()
        ],
        special_procedures=[
            {
                "name": s.name,
                "kind": s.kind,
                "kind_label": s.get_kind_display(),
                "pauses_clock": s.pauses_clock,
                "limit": _limit(s.limit_value, s.limit_unit),
                "note": s.note,
            }
            for s in item.special_procedures.all()
        ],
        fees=[
            {
                "name": f.name,
                "amount": f"{f.amount:.2f}",
                "unit": f.unit,
                "basis": f.basis,
                "exemption_allowed": f.exemption_allowed,
                "exemption_basis": f.exemption_basis,
            }
            for f in item.fees.all()
        ],
    )
    for key in GUIDE_FIELDS:  # online depth and visits are in the summary already
        data.setdefault(key, getattr(item, key))
    return data


def _draft_out(item: Item) -> dict[str, Any]:
    return {
        "code": item.code,
        "version": item.version,
        "state": item.state,
        "state_label": str(ItemState(item.state).label),
        "name": item.name,
        "department": item.department.credit_code,
    }


def _state_out(item: Item) -> dict[str, Any]:
    return {
        "code": item.code,
        "version": item.version,
        "state": item.state,
        "state_label": str(ItemState(item.state).label),
        "published_at": item.published_at,
        "withdrawn_at": item.withdrawn_at,
    }


def _payload(schema: Schema, *, exclude_unset: bool) -> dict[str, Any]:
    """The request body as exchange-format data (FORMAT.md)."""
    return schema.model_dump(exclude_unset=exclude_unset, exclude_none=False)


# --------------------------------------------------------------------------- public


@router.get("/items", response=ItemListOut, summary="搜索已发布事项 / search published items")
def item_list(request: HttpRequest, filters: Query[ItemListQuery]) -> dict[str, Any]:
    department_id = None
    if filters.department:
        department_id = (
            Department.objects.filter(credit_code=filters.department.strip().upper())
            .values_list("pk", flat=True)
            .first()
        ) or -1
    qs = selectors.item_search(
        query=filters.q,
        department_id=department_id,
        topic_code=filters.topic or None,
        item_type=filters.item_type or None,
        region_code=filters.region or None,
    )
    return page_reply(qs, filters.page, filters.page_size, _summary)


@router.get("/items/{code}", response=ItemGuideOut, summary="办事指南 / service guide of an item")
def item_detail(request: HttpRequest, code: str) -> dict[str, Any]:
    return _guide(selectors.item_get_published(code=code))


class TopicOut(Schema):
    code: str
    name: str
    audience: str
    published_count: int


class DepartmentWithItemsOut(DepartmentOut):
    published_count: int


@router.get("/topics", response=list[TopicOut], summary="主题 / topics")
def topic_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "code": t.code,
            "name": t.name,
            "audience": t.audience,
            "published_count": getattr(t, "published_count", 0),
        }
        for t in selectors.topic_list()
    ]


@router.get(
    "/departments",
    response=list[DepartmentWithItemsOut],
    summary="有已发布事项的部门 / departments with published items",
)
def department_list(request: HttpRequest, region: str | None = None) -> list[dict[str, Any]]:
    return [
        {**_department(d), "published_count": getattr(d, "published_count", 0)}
        for d in selectors.departments_with_items(region_code=region or None)
    ]


# --------------------------------------------------------------------------- staff


@router.post(
    "/items",
    auth=django_auth,
    response={201: ItemDraftOut},
    summary="新建事项草稿 / create a draft item",
)
def item_create(request: HttpRequest, payload: ItemCreateIn) -> Status[dict[str, Any]]:
    data = _payload(payload, exclude_unset=False)
    item = services.item_create_draft(
        actor=request.user, data={k: v for k, v in data.items() if v is not None}
    )
    return Status(201, _draft_out(item))


@router.patch(
    "/items/{code}",
    auth=django_auth,
    response=ItemDraftOut,
    summary="修改事项（已发布事项生成新版本草稿）/ change an item",
)
def item_patch(request: HttpRequest, code: str, payload: ItemPatchIn) -> dict[str, Any]:
    item = services.item_update(
        actor=request.user, code=code, changes=_payload(payload, exclude_unset=True)
    )
    return _draft_out(item)


@router.post(
    "/items/{code}/publish",
    auth=django_auth,
    response=ItemStateOut,
    summary="发布事项草稿 / publish the draft",
)
def item_publish(
    request: HttpRequest, code: str, payload: PublishIn | None = None
) -> dict[str, Any]:
    version = payload.version if payload is not None else None
    return _state_out(services.item_publish(actor=request.user, code=code, version=version))


@router.post(
    "/items/{code}/withdraw",
    auth=django_auth,
    response=ItemStateOut,
    summary="撤销已发布事项 / withdraw the published item",
)
def item_withdraw(
    request: HttpRequest, code: str, payload: WithdrawIn | None = None
) -> dict[str, Any]:
    reason = payload.reason if payload is not None else ""
    return _state_out(services.item_withdraw(actor=request.user, code=code, reason=reason))
