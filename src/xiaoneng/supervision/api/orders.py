"""API of the supervision app: supervision orders (督办单) and replies.

Thin: scoped selectors read (an order the caller may not see is a 404), one service per
write; every :class:`~xiaoneng.core.errors.DomainError` is a 4xx JSON body with the Chinese
message and the field (``xiaoneng.api``). Optimistic concurrency: ``expected_version`` in
the body; a stale one is a 409 ``stale_version``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from xiaoneng.cases.schemas import ERRORS
from xiaoneng.core.api import page_reply
from xiaoneng.core.errors import ValidationFailed
from xiaoneng.core.views import download
from xiaoneng.org.auth import API_AUTH_REQUIRED

from .. import selectors, services
from ..documents import limit_label, target_text
from ..models import OrderReply, OrderTarget, SupervisionOrder

router = Router(auth=API_AUTH_REQUIRED)


class OrderListQuery(Schema):
    state: str | None = Field(None, description="issued / replied / returned / accepted")
    overdue: bool = Field(False, description="只看逾期未回复的")
    page: int = Field(1, ge=1)
    page_size: int = Field(25, ge=1, le=100)


class OrderIssueIn(Schema):
    target_kind: str = Field(description="alert / case / department")
    alert_id: int | None = Field(None, description="预警 ID（target_kind=alert）")
    case_number: str | None = Field(None, description="办件编号（target_kind=case）")
    department_id: int | None = Field(
        None, description="责任部门 ID（target_kind=department 必填；其他情况可覆盖）"
    )
    subject: str = Field(description="督办事项")
    requirements: str = Field(description="督办要求")
    limit_value: int = Field(5, description="回复时限数值，默认 5")
    limit_unit: str = Field(
        "working_days", description="working_days / calendar_days / working_hours / hours"
    )


class OrderReplyIn(Schema):
    text: str = Field(description="办理情况")
    expected_version: int | None = None


class OrderAcceptIn(Schema):
    note: str = ""
    expected_version: int | None = None


class OrderReturnIn(Schema):
    reason: str = Field(description="退回理由")
    limit_value: int | None = Field(None, description="重新回复时限；不填沿用原时限")
    limit_unit: str = "working_days"
    expected_version: int | None = None


class ReplyOut(Schema):
    id: int
    number: str
    seq: int
    text: str
    replied_by: str
    replied_at: dt.datetime
    late: bool
    review: str
    review_note: str
    reviewed_at: dt.datetime | None


class OrderOut(Schema):
    number: str
    target_kind: str
    target: str
    alert_id: int | None
    case_number: str | None
    department_id: int
    department: str
    region: str
    issued_by: str
    issued_at: dt.datetime
    subject: str
    requirements: str
    limit: str
    state: str
    due_at: dt.datetime | None
    overdue: bool
    escalated_at: dt.datetime | None
    closed_at: dt.datetime | None
    version: int
    replies: list[ReplyOut] = []


class OrderListOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[OrderOut]


def _reply(reply: OrderReply) -> dict[str, Any]:
    return {
        "id": reply.pk,
        "number": reply.number,
        "seq": reply.seq,
        "text": reply.text,
        "replied_by": str(reply.replied_by),
        "replied_at": reply.replied_at,
        "late": reply.late,
        "review": reply.review,
        "review_note": reply.review_note,
        "reviewed_at": reply.reviewed_at,
    }


def _order(order: SupervisionOrder, *, replies: bool = False) -> dict[str, Any]:
    timer = order.timer
    due = timer.due_at if timer is not None and timer.status == "running" else None
    data: dict[str, Any] = {
        "number": order.number,
        "target_kind": order.target_kind,
        "target": target_text(order),
        "alert_id": order.alert_id,
        "case_number": order.case.number if order.case is not None else None,
        "department_id": order.department_id,
        "department": order.department.name,
        "region": order.region.code,
        "issued_by": str(order.issued_by),
        "issued_at": order.issued_at,
        "subject": order.subject,
        "requirements": order.requirements,
        "limit": limit_label(order.limit_value, order.limit_unit),
        "state": order.state,
        "due_at": due,
        "overdue": selectors.order_is_overdue(order),
        "escalated_at": order.escalated_at,
        "closed_at": order.closed_at,
        "version": order.version,
    }
    if replies:
        data["replies"] = [
            _reply(r) for r in order.replies.select_related("order", "replied_by__user")
        ]
    return data


def _get(request: HttpRequest, number: str) -> SupervisionOrder:
    return selectors.order_get(actor=request.user, number=number)


@router.get("/orders", response={200: OrderListOut, **ERRORS}, summary="督办单列表 / list orders")
def order_list(request: HttpRequest, filters: Query[OrderListQuery]) -> dict[str, Any]:
    """Supervisors: the orders of their region subtree; other staff: their department's."""
    qs = selectors.order_list(actor=request.user, state=filters.state, overdue=filters.overdue)
    return page_reply(qs, filters.page, filters.page_size, _order)


@router.get("/orders/{number}", response={200: OrderOut, **ERRORS}, summary="督办单详情 / an order")
def order_detail(request: HttpRequest, number: str) -> dict[str, Any]:
    return _order(_get(request, number), replies=True)


@router.post("/orders", response={201: OrderOut, **ERRORS}, summary="下发督办单 / issue")
def order_issue(request: HttpRequest, payload: OrderIssueIn) -> Status[dict[str, Any]]:
    actor = request.user
    alert = case = department = None
    if payload.target_kind == OrderTarget.ALERT:
        if payload.alert_id is None:
            raise ValidationFailed(_("请选择要督办的预警。"), field="alert_id", code="required")
        alert = selectors.order_target_alert(actor=actor, alert_id=payload.alert_id)
    elif payload.target_kind == OrderTarget.CASE:
        if not payload.case_number:
            raise ValidationFailed(_("请选择要督办的办件。"), field="case_number", code="required")
        case = selectors.order_target_case(actor=actor, number=payload.case_number)
    if payload.department_id is not None:
        department = selectors.order_target_department(
            actor=actor, department_id=payload.department_id
        )
    order = services.order_issue(
        actor=actor,
        target_kind=payload.target_kind,
        alert=alert,
        case=case,
        department=department,
        subject=payload.subject,
        requirements=payload.requirements,
        limit=services.order_limit(payload.limit_value, payload.limit_unit),
    )
    return Status(201, _order(_get(request, order.number), replies=True))


@router.post(
    "/orders/{number}/reply", response={201: ReplyOut, **ERRORS}, summary="回复督办单 / reply"
)
def order_reply(request: HttpRequest, number: str, payload: OrderReplyIn) -> Status[dict[str, Any]]:
    reply = services.order_reply(
        actor=request.user,
        order=_get(request, number),
        text=payload.text,
        expected_version=payload.expected_version,
    )
    return Status(201, _reply(reply))


@router.post(
    "/orders/{number}/accept",
    response={200: OrderOut, **ERRORS},
    summary="审核通过（办结）/ accept the reply",
)
def order_accept(request: HttpRequest, number: str, payload: OrderAcceptIn) -> dict[str, Any]:
    services.order_accept(
        actor=request.user,
        order=_get(request, number),
        note=payload.note,
        expected_version=payload.expected_version,
    )
    return _order(_get(request, number), replies=True)


@router.post(
    "/orders/{number}/return",
    response={200: OrderOut, **ERRORS},
    summary="退回重办（重新计时）/ return the reply",
)
def order_return(request: HttpRequest, number: str, payload: OrderReturnIn) -> dict[str, Any]:
    limit = None
    if payload.limit_value is not None:
        limit = services.order_limit(payload.limit_value, payload.limit_unit)
    services.order_return(
        actor=request.user,
        order=_get(request, number),
        reason=payload.reason,
        limit=limit,
        expected_version=payload.expected_version,
    )
    return _order(_get(request, number), replies=True)


_PDF = {
    "responses": {
        "200": {
            "description": "PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@router.get(
    "/orders/{number}/pdf",
    response=ERRORS,
    summary="督办通知书 PDF / the order as PDF",
    openapi_extra=_PDF,
)
def order_pdf(request: HttpRequest, number: str) -> FileResponse:
    order = _get(request, number)
    return download(order.file, f"{order.number}.pdf", "application/pdf")


@router.get(
    "/orders/{number}/replies/{reply_id}/pdf",
    response=ERRORS,
    summary="督办回复 PDF / a reply as PDF",
    openapi_extra=_PDF,
)
def reply_pdf(request: HttpRequest, number: str, reply_id: int) -> FileResponse:
    reply = selectors.order_reply_get(actor=request.user, number=number, reply_id=reply_id)
    return download(reply.file, f"{reply.number}.pdf", "application/pdf")
