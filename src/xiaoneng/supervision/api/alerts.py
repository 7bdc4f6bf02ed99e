"""API of the supervision app: alert lists, the alert page and its actions.

``/api/v1/supervision/alerts…`` — thin: each operation parses its own schema, reads through
the scoped selectors (an alert the caller may not see is a 404, never a 403), calls one
service and answers with its own output schema. Errors are the shared
:class:`~xiaoneng.core.errors.DomainError` body (``ErrorOut``). Optimistic concurrency:
``expected_version`` in the body or the ``If-Match`` header (``"3"``, ``W/"3"``); a stale
one is a 409 ``stale_version``. ``GET /alerts/{id}`` sends the version as its ``ETag``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Header, Query, Router, Schema
from pydantic import Field

from xiaoneng.cases.schemas import ERRORS
from xiaoneng.core.api import page_of, version_from
from xiaoneng.org.auth import API_AUTH_REQUIRED

from ..models import Alert, AlertLevel, AlertState
from ..selectors import alerts as selectors
from ..services import alerts as services

router = Router(auth=API_AUTH_REQUIRED)

IF_MATCH = Header(
    None,
    alias="If-Match",
    description='乐观并发：预警的版本，如 "3"（请求体 expected_version 优先）',
)
_VERSION_HELP = (
    "乐观并发：您看到的预警版本；已被他人处理时返回 409（code=stale_version）。"
    "也可用请求头 If-Match 传递"
)

# --------------------------------------------------------------------------- schemas


class AlertListQuery(Schema):
    state: list[str] = Field([], description=" | ".join(AlertState.values))
    level: list[str] = Field([], description=" | ".join(AlertLevel.values))
    rule: list[str] = Field([], description="规则代码，例如 deadline_overdue")
    department_id: int | None = Field(None, description="责任部门 ID")
    raised_from: dt.date | None = Field(None, description="产生日期起（北京时间，含当日）")
    raised_until: dt.date | None = Field(None, description="产生日期止（北京时间，含当日）")
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=100)


class AlertPersonOut(Schema):
    id: int
    name: str


class AlertDepartmentOut(Schema):
    id: int
    name: str


class AlertOut(Schema):
    id: int
    rule: str = Field(description="规则代码")
    rule_label: str = Field(description="规则名称")
    level: str = Field(description=" | ".join(AlertLevel.values))
    level_label: str
    state: str = Field(description=" | ".join(AlertState.values))
    state_label: str
    subject_type: str
    subject_id: str
    subject_label: str = Field(description="对象，例如“办件 … 的“主办审查”环节（环节时限）”")
    case_number: str | None = Field(None, description="对象所属办件的编号")
    region_code: str
    department: AlertDepartmentOut | None = Field(None, description="责任部门")
    staff: AlertPersonOut | None = Field(None, description="责任人")
    raised_at: dt.datetime
    notified_at: dt.datetime | None
    version: int


class AlertListOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[AlertOut]


class AlertEventOut(Schema):
    id: int
    occurred_at: dt.datetime
    action: str = Field(
        description="supervision.alert_notified | _explained | _confirmed | _dismissed"
    )
    actor: str
    payload: dict[str, Any]


class AlertDetailOut(AlertOut):
    facts: dict[str, Any]
    explanation: str
    explained_by: AlertPersonOut | None
    explained_at: dt.datetime | None
    handled_by: AlertPersonOut | None
    handled_at: dt.datetime | None
    handling_reason: str
    actions: list[str] = Field(description="您现在可以执行的操作：explain | confirm | dismiss")
    history: list[AlertEventOut] = Field(description="处理记录（审计日志），按时间先后")


class AlertVersionedIn(Schema):
    expected_version: int | None = Field(None, ge=1, description=_VERSION_HELP)


class AlertExplainIn(AlertVersionedIn):
    text: str = Field("", description="情况说明（必填，最多 2000 字）")


class AlertHandleIn(AlertVersionedIn):
    reason: str = Field("", description="确认或撤销的理由（必填，最多 2000 字），永久保留")


# --------------------------------------------------------------------------- helpers


def _person(staff: Any) -> dict[str, Any] | None:
    if staff is None:
        return None
    return {"id": staff.pk, "name": staff.user.full_name or staff.user.username}


def _out(alert: Alert, subject: selectors.AlertSubject) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "rule": alert.rule,
        "rule_label": selectors.rule_label(alert.rule),
        "level": alert.level,
        "level_label": str(AlertLevel(alert.level).label),
        "state": alert.state,
        "state_label": str(AlertState(alert.state).label),
        "subject_type": alert.subject_type,
        "subject_id": alert.subject_id,
        "subject_label": subject.label,
        "case_number": subject.case_number,
        "region_code": alert.region.code,
        "department": (
            {"id": alert.department.pk, "name": alert.department.name} if alert.department else None
        ),
        "staff": _person(alert.staff),
        "raised_at": alert.raised_at,
        "notified_at": alert.notified_at,
        "version": alert.version,
    }


def _detail(request: HttpRequest, alert_id: int) -> dict[str, Any]:
    actor = request.user
    alert = selectors.alert_get(actor=actor, pk=alert_id)
    data = _out(alert, selectors.alert_subjects([alert])[alert.pk])
    data.update(
        facts=alert.facts if isinstance(alert.facts, dict) else {"value": alert.facts},
        explanation=alert.explanation,
        explained_by=_person(alert.explained_by),
        explained_at=alert.explained_at,
        handled_by=_person(alert.handled_by),
        handled_at=alert.handled_at,
        handling_reason=alert.handling_reason,
        actions=sorted(selectors.alert_actions(actor=actor, alert=alert)),
        history=[
            {
                "id": e.pk,
                "occurred_at": e.occurred_at,
                "action": e.action,
                "actor": e.actor_label,
                "payload": e.payload,
            }
            for e in selectors.alert_history(actor=actor, alert=alert)
        ],
    )
    return data


# --------------------------------------------------------------------------- operations


@router.get(
    "/alerts",
    response={200: AlertListOut, **ERRORS},
    summary="监察预警列表 / list alerts",
)
def alert_list(request: HttpRequest, filters: Query[AlertListQuery]) -> dict[str, Any]:
    """Supervisors and the leadership office: their region subtree; other staff: their
    department's alerts; newest first."""
    qs = selectors.alert_list(
        actor=request.user,
        filters={
            "state": filters.state or None,
            "level": filters.level or None,
            "rule": filters.rule or None,
            "department": filters.department_id,
            "raised_from": filters.raised_from,
            "raised_until": filters.raised_until,
        },
    )
    rows, count = page_of(qs, filters.page, filters.page_size)
    subjects = selectors.alert_subjects(rows)
    return {
        "count": count,
        "page": filters.page,
        "page_size": filters.page_size,
        "items": [_out(a, subjects[a.pk]) for a in rows],
    }


@router.get(
    "/alerts/{alert_id}",
    response={200: AlertDetailOut, **ERRORS},
    summary="预警详情 / an alert with its history and your actions",
)
def alert_detail(request: HttpRequest, alert_id: int, response: HttpResponse) -> Any:
    data = _detail(request, alert_id)
    response["ETag"] = f'"{data["version"]}"'
    return data


def _act(
    request: HttpRequest,
    alert_id: int,
    service: Any,
    expected_version: int | None,
    if_match: str | None,
    **fields: Any,
) -> Any:
    """Run one action service on the visible alert, then answer with its fresh detail."""
    service(
        actor=request.user,
        alert=selectors.alert_get(actor=request.user, pk=alert_id),
        expected_version=version_from(expected_version, if_match),
        **fields,
    )
    return _detail(request, alert_id)


@router.post(
    "/alerts/{alert_id}/explain",
    response={200: AlertDetailOut, **ERRORS},
    summary="情况说明（责任部门）/ explain an alert",
)
def alert_explain(
    request: HttpRequest, alert_id: int, payload: AlertExplainIn, if_match: str | None = IF_MATCH
) -> Any:
    """Staff of the responsible department; the alert must be open (→ explained)."""
    return _act(
        request,
        alert_id,
        services.alert_explain,
        payload.expected_version,
        if_match,
        text=payload.text,
    )


@router.post(
    "/alerts/{alert_id}/confirm",
    response={200: AlertDetailOut, **ERRORS},
    summary="确认预警（效能监察）/ confirm an alert",
)
def alert_confirm(
    request: HttpRequest, alert_id: int, payload: AlertHandleIn, if_match: str | None = IF_MATCH
) -> Any:
    """A supervisor of the alert's region; open or explained → confirmed (final)."""
    return _act(
        request,
        alert_id,
        services.alert_confirm,
        payload.expected_version,
        if_match,
        reason=payload.reason,
    )


@router.post(
    "/alerts/{alert_id}/dismiss",
    response={200: AlertDetailOut, **ERRORS},
    summary="撤销预警（效能监察）/ dismiss an alert",
)
def alert_dismiss(
    request: HttpRequest, alert_id: int, payload: AlertHandleIn, if_match: str | None = IF_MATCH
) -> Any:
    """A supervisor of the alert's region; open or explained → dismissed (final)."""
    return _act(
        request,
        alert_id,
        services.alert_dismiss,
        payload.expected_version,
        if_match,
        reason=payload.reason,
    )
