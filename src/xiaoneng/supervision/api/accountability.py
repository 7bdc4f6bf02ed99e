"""API of the supervision app: accountability records (问责) and bulletins (通报).

Thin: scoped selectors read (an action or bulletin the caller may not see is a 404), one
service per write; every :class:`~xiaoneng.core.errors.DomainError` is a 4xx JSON body with
the Chinese message and the field (``xiaoneng.api``). The bulletin's PDF and Excel file are
rendered from its frozen list at each download.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from xiaoneng.cases.schemas import ERRORS
from xiaoneng.core.api import page_reply
from xiaoneng.core.errors import NotFound, PermissionDenied
from xiaoneng.core.views import download
from xiaoneng.org.auth import API_AUTH_REQUIRED
from xiaoneng.org.models import Department, Region, Staff

from ..models import AccountabilityAction, Bulletin
from ..selectors import accountability as selectors
from ..services import accountability as services

router = Router(auth=API_AUTH_REQUIRED)


# --------------------------------------------------------------------------- schemas


class ActionListQuery(Schema):
    kind: str | None = Field(None, description="问责方式，如 public_criticism")
    state: str | None = Field(None, description="recorded / revoked")
    department_id: int | None = None
    decided_from: dt.date | None = None
    decided_until: dt.date | None = None
    alert_id: int | None = Field(None, description="只看依据该预警的问责")
    page: int = Field(1, ge=1)
    page_size: int = Field(25, ge=1, le=100)


class ActionIn(Schema):
    kind: str = Field(
        description="efficiency_warning / public_criticism / admonition / ordered_rectification"
        " / disqualified_from_awards / ordered_resignation / dismissal_recommended"
        " / disciplinary_sanction"
    )
    department_id: int | None = Field(None, description="被问责单位；只填个人时按其所在单位")
    staff_id: int | None = Field(None, description="被问责人（须属于被问责单位）")
    reason: str = Field(description="事实与理由")
    basis: str = Field(description="问责依据")
    decided_on: dt.date | None = Field(None, description="决定日期，默认今天")
    effective_on: dt.date | None = Field(None, description="生效日期，默认决定日期")
    sanction_grade: str = Field(
        "",
        description="行政处分等级：warning / demerit / major_demerit / demotion / removal"
        " / expulsion",
    )
    rectification_limit: str | None = Field(
        None, description="责令限期整改的期限，如“15个工作日”（默认）"
    )
    alert_ids: list[int] = Field(default_factory=list, description="已确认的预警 ID")
    case_numbers: list[str] = Field(default_factory=list, description="办件编号")


class RevokeIn(Schema):
    reason: str = Field(description="撤销理由")


class RectifiedIn(Schema):
    note: str = Field(description="整改情况")


class ActionOut(Schema):
    id: int
    kind: str
    kind_label: str
    sanction_grade: str
    department_id: int
    department: str
    staff_id: int | None
    staff: str | None
    region: str
    reason: str
    basis: str
    decided_by: str
    decided_on: dt.date
    effective_on: dt.date
    recorded_at: dt.datetime
    state: str
    revoked_at: dt.datetime | None
    revoke_reason: str
    alert_ids: list[int]
    case_numbers: list[str]
    rectification_due_at: dt.datetime | None
    rectified_at: dt.datetime | None


class ActionListOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[ActionOut]


class BulletinListQuery(Schema):
    state: str | None = Field(None, description="draft / issued")
    page: int = Field(1, ge=1)
    page_size: int = Field(25, ge=1, le=100)


class BulletinIn(Schema):
    region_code: str = Field(description="区划代码（12位）")
    period_start: dt.date
    period_end: dt.date
    title: str = Field("", description="留空按区划和期间生成")


class BulletinEntryOut(Schema):
    action_id: int
    kind: str
    kind_label: str
    sanction_grade: str
    sanction_label: str
    department: str
    person: str
    person_title: str
    region: str
    reason: str
    basis: str
    decided_on: dt.date
    effective_on: dt.date
    alert_ids: list[int]
    case_numbers: list[str]


class BulletinOut(Schema):
    id: int
    number: str
    title: str
    region_code: str
    region: str
    period_start: dt.date
    period_end: dt.date
    state: str
    issued_at: dt.datetime | None
    issuer_name: str
    entries: list[BulletinEntryOut]


class BulletinSummaryOut(Schema):
    id: int
    number: str
    title: str
    region_code: str
    period_start: dt.date
    period_end: dt.date
    state: str
    issued_at: dt.datetime | None


class BulletinListOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[BulletinSummaryOut]


class ScoreQuery(Schema):
    department_id: int
    period_start: dt.date
    period_end: dt.date


class ScoreLineOut(Schema):
    rule: str
    points: int
    on: dt.date
    indicator: str
    alert_ids: list[int]
    action_id: int | None
    detail: str


class ScoreEffectsOut(Schema):
    department_id: int
    period_start: dt.date
    period_end: dt.date
    total: int
    by_indicator: dict[str, int]
    disqualified: bool
    disqualified_staff_ids: list[int]
    lines: list[ScoreLineOut]


# --------------------------------------------------------------------------- helpers


def _action_out(action: AccountabilityAction) -> dict[str, Any]:
    timer = action.rectification_timer
    return {
        "id": action.pk,
        "kind": action.kind,
        "kind_label": action.kind_label,
        "sanction_grade": action.sanction_grade,
        "department_id": action.department_id,
        "department": action.department.name,
        "staff_id": action.staff_id,
        "staff": str(action.staff) if action.staff is not None else None,
        "region": action.region.name,
        "reason": action.reason,
        "basis": action.basis,
        "decided_by": str(action.decided_by),
        "decided_on": action.decided_on,
        "effective_on": action.effective_on,
        "recorded_at": action.recorded_at,
        "state": action.state,
        "revoked_at": action.revoked_at,
        "revoke_reason": action.revoke_reason,
        "alert_ids": sorted(a.pk for a in action.alerts.all()),
        "case_numbers": sorted(c.number for c in action.cases.all()),
        "rectification_due_at": timer.due_at if timer is not None else None,
        "rectified_at": action.rectified_at,
    }


def _bulletin_summary(bulletin: Bulletin) -> dict[str, Any]:
    return {
        "id": bulletin.pk,
        "number": bulletin.number,
        "title": bulletin.title,
        "region_code": bulletin.region.code,
        "period_start": bulletin.period_start,
        "period_end": bulletin.period_end,
        "state": bulletin.state,
        "issued_at": bulletin.issued_at,
    }


def _bulletin_out(bulletin: Bulletin) -> dict[str, Any]:
    return {
        **_bulletin_summary(bulletin),
        "region": bulletin.region.name,
        "issuer_name": bulletin.issuer_name,
        "entries": selectors.bulletin_entries(bulletin),
    }


def _get_action(request: HttpRequest, action_id: int) -> AccountabilityAction:
    return selectors.action_get(actor=request.user, pk=action_id)


def _department(actor: Any, department_id: int | None) -> Department | None:
    if department_id is None:
        return None
    department = Department.objects.select_related("region").filter(pk=department_id).first()
    if department is None:
        raise NotFound(_("部门不存在。"), field="department_id")
    return department


def _staff(actor: Any, staff_id: int | None) -> Staff | None:
    if staff_id is None:
        return None
    staff = Staff.objects.select_related("department__region", "user").filter(pk=staff_id).first()
    if staff is None:
        raise NotFound(_("工作人员不存在。"), field="staff_id")
    return staff


# --------------------------------------------------------------------------- actions


@router.get(
    "/accountability/actions",
    response={200: ActionListOut, **ERRORS},
    summary="问责记录列表 / list accountability actions",
)
def action_list(request: HttpRequest, filters: Query[ActionListQuery]) -> dict[str, Any]:
    """Supervisors and the leadership office: their region subtree; a department head: their
    department's; anyone: the actions against themselves. Newest decision first."""
    qs = (
        selectors.action_list(
            actor=request.user,
            filters={
                "kind": filters.kind,
                "state": filters.state,
                "department": filters.department_id,
                "decided_from": filters.decided_from,
                "decided_until": filters.decided_until,
                "alert": filters.alert_id,
            },
        )
        .select_related("rectification_timer")
        .prefetch_related("alerts", "cases")
    )
    return page_reply(qs, filters.page, filters.page_size, _action_out)


@router.get(
    "/accountability/actions/{action_id}",
    response={200: ActionOut, **ERRORS},
    summary="问责记录详情 / get an action",
)
def action_get(request: HttpRequest, action_id: int) -> dict[str, Any]:
    return _action_out(_get_action(request, action_id))


@router.post(
    "/accountability/actions",
    response={201: ActionOut, **ERRORS},
    summary="记录问责 / record an action",
)
def action_record(request: HttpRequest, payload: ActionIn) -> Status[dict[str, Any]]:
    """A supervisor or the leadership office of the target's region. Linked alerts must be
    confirmed; cases must be visible to the caller."""
    action = services.action_record(
        actor=request.user,
        kind=payload.kind,
        department=_department(request.user, payload.department_id),
        staff=_staff(request.user, payload.staff_id),
        reason=payload.reason,
        basis=payload.basis,
        decided_on=payload.decided_on,
        effective_on=payload.effective_on,
        sanction_grade=payload.sanction_grade,
        rectification_limit=payload.rectification_limit,
        alert_ids=payload.alert_ids,
        case_numbers=payload.case_numbers,
    )
    return Status(201, _action_out(_get_action(request, action.pk)))


@router.post(
    "/accountability/actions/{action_id}/revoke",
    response={200: ActionOut, **ERRORS},
    summary="撤销问责 / revoke an action",
)
def action_revoke(request: HttpRequest, action_id: int, payload: RevokeIn) -> dict[str, Any]:
    action = _get_action(request, action_id)
    services.action_revoke(actor=request.user, action=action, reason=payload.reason)
    return _action_out(_get_action(request, action_id))


@router.post(
    "/accountability/actions/{action_id}/rectified",
    response={200: ActionOut, **ERRORS},
    summary="确认整改完成 / confirm a rectification",
)
def action_rectified(request: HttpRequest, action_id: int, payload: RectifiedIn) -> dict[str, Any]:
    action = _get_action(request, action_id)
    services.action_rectification_done(actor=request.user, action=action, note=payload.note)
    return _action_out(_get_action(request, action_id))


@router.get(
    "/accountability/score-effects",
    response={200: ScoreEffectsOut, **ERRORS},
    summary="考评扣分 / score effects of a department",
)
def score_effects(request: HttpRequest, query: Query[ScoreQuery]) -> dict[str, Any]:
    """The A2 deductions of a department for a period, each line naming its alert(s) or
    action. Supervisors and the leadership office of the department's region."""
    department = _department(request.user, query.department_id)
    assert department is not None  # noqa: S101 - department_id is required
    if not selectors.may_view_score_effects(request.user, department):
        raise PermissionDenied(_("无权查看该部门的考评扣分。"))
    effects = selectors.score_effects(
        department=department, period_start=query.period_start, period_end=query.period_end
    )
    return {
        "department_id": effects.department_id,
        "period_start": effects.period_start,
        "period_end": effects.period_end,
        "total": effects.total,
        "by_indicator": effects.by_indicator(),
        "disqualified": effects.disqualified,
        "disqualified_staff_ids": sorted(effects.disqualified_staff_ids),
        "lines": [
            {
                "rule": line.rule,
                "points": line.points,
                "on": line.on,
                "indicator": line.indicator,
                "alert_ids": list(line.alert_ids),
                "action_id": line.action_id,
                "detail": line.detail,
            }
            for line in effects.lines
        ],
    }


# --------------------------------------------------------------------------- bulletins


@router.get(
    "/accountability/bulletins",
    response={200: BulletinListOut, **ERRORS},
    summary="问责通报列表 / list bulletins",
)
def bulletin_list(request: HttpRequest, filters: Query[BulletinListQuery]) -> dict[str, Any]:
    qs = selectors.bulletin_list(actor=request.user, state=filters.state or "")
    return page_reply(qs, filters.page, filters.page_size, _bulletin_summary)


@router.get(
    "/accountability/bulletins/{bulletin_id}",
    response={200: BulletinOut, **ERRORS},
    summary="问责通报 / get a bulletin",
)
def bulletin_get(request: HttpRequest, bulletin_id: int) -> dict[str, Any]:
    return _bulletin_out(selectors.bulletin_get(actor=request.user, pk=bulletin_id))


@router.post(
    "/accountability/bulletins",
    response={201: BulletinOut, **ERRORS},
    summary="发布问责通报 / issue a bulletin",
)
def bulletin_issue(request: HttpRequest, payload: BulletinIn) -> Status[dict[str, Any]]:
    """Issue the bulletin of a region for a period (its draft, if the monthly job drafted
    one): the next number of the year, and the period's recorded actions frozen."""
    region = Region.objects.filter(code=payload.region_code.strip()).first()
    if region is None:
        raise NotFound(_("区划不存在。"), field="region_code")
    bulletin = services.bulletin_issue(
        actor=request.user,
        region=region,
        period_start=payload.period_start,
        period_end=payload.period_end,
        title=payload.title,
    )
    return Status(201, _bulletin_out(bulletin))


@router.get(
    "/accountability/bulletins/{bulletin_id}/pdf",
    response=ERRORS,
    summary="通报 PDF / bulletin as PDF",
    openapi_extra={
        "responses": {
            "200": {
                "description": "PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def bulletin_pdf(request: HttpRequest, bulletin_id: int) -> HttpResponse:
    bulletin = selectors.bulletin_get(actor=request.user, pk=bulletin_id)
    return download(*selectors.bulletin_file(bulletin, "pdf"))


@router.get(
    "/accountability/bulletins/{bulletin_id}/xlsx",
    response=ERRORS,
    summary="通报 Excel / bulletin as Excel",
    openapi_extra={
        "responses": {
            "200": {
                "description": "Excel (.xlsx)",
                "content": {selectors.XLSX: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def bulletin_xlsx(request: HttpRequest, bulletin_id: int) -> HttpResponse:
    bulletin = selectors.bulletin_get(actor=request.user, pk=bulletin_id)
    return download(*selectors.bulletin_file(bulletin, "xlsx"))
