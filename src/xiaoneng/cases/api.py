"""Cases API (``/api/v1/cases/``): the approval hall for clients — applying, intake, the
process, time, decision, licence and the public progress query.

Thin: each operation parses its own input schema (:mod:`.schemas`), looks the case up
through the scoped selectors (a case the caller may not see is a 404, never a 403), calls
one service and maps the result to its own output schema. Errors are
:class:`~xiaoneng.core.errors.DomainError` (4xx with the Chinese message naming the field,
handled once in ``xiaoneng.api``; every one is documented with :class:`.schemas.ErrorOut`).

Authentication: ``Authorization: Bearer <key>`` (API token) or the browser session, on
every operation but ``GET /progress``. Optimistic concurrency: where a service takes an
``expected_version``, the body field or the ``If-Match`` header (``"3"``, ``W/"3"``) is
passed on; a stale one is a 409 ``stale_version``. ``GET /cases/{number}`` sends the
version as its ``ETag``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Header, Query, Router, Status, UploadedFile

from xiaoneng.catalog.models import LimitUnit, SpecialKind
from xiaoneng.catalog.models import SpecialProcedure as CatalogSpecialProcedure
from xiaoneng.catalog.selectors import item_get_published
from xiaoneng.clock import Limit
from xiaoneng.clock import LimitUnit as ClockUnit
from xiaoneng.core.api import page_reply, version_from
from xiaoneng.core.errors import NotFound, ValidationFailed
from xiaoneng.core.views import download
from xiaoneng.deadlines.models import Timer
from xiaoneng.deadlines.selectors import timer_status
from xiaoneng.org.auth import API_AUTH_REQUIRED
from xiaoneng.org.models import Staff

from . import fees, payments, rules, selectors, services
from .models import (
    Case,
    CaseFee,
    CaseMaterial,
    CaseState,
    CaseTask,
    Channel,
    DecisionOutcome,
    ExtensionRequest,
    ExtensionState,
    Licence,
    Payment,
    PaymentState,
    SpecialProcedureRecord,
    SupplementNotice,
    TaskState,
)
from .schemas import (
    ERRORS,
    AcceptIn,
    CaseDetailOut,
    CaseFeeOut,
    CaseFeesOut,
    CaseListOut,
    CaseListQuery,
    CounterPaymentIn,
    DecideIn,
    DecideOnSpotIn,
    DecisionOut,
    ErrorOut,
    ExtensionDecisionIn,
    ExtensionIn,
    ExtensionOut,
    FeeAssessIn,
    GreenChannelIn,
    HistoryEventOut,
    LicenceIn,
    LicenceOut,
    MaterialAddIn,
    MaterialOut,
    PageQuery,
    PaymentCallbackIn,
    PaymentOut,
    PaymentRefundIn,
    ProgressQuery,
    PublicProgressOut,
    RefuseIn,
    SpecialEndIn,
    SpecialProcedureOut,
    SpecialStartIn,
    SubmitIn,
    SubmittedOut,
    SupplementNoticeIn,
    SupplementNoticeOut,
    TaskApproveIn,
    TaskClaimIn,
    TaskDoneOut,
    TaskListOut,
    TaskRefusalIn,
    TaskReopenIn,
    TaskReturnIn,
    VersionedIn,
    WindowReceiveIn,
    WithdrawIn,
)

router = Router(auth=API_AUTH_REQUIRED)
M = TypeVar("M", bound=Model)

IF_MATCH = Header(
    None,
    alias="If-Match",
    description='乐观并发：办件或任务的版本，如 "3"（请求体 expected_version 优先）',
)


# --------------------------------------------------------------------------- helpers


def _actor(request: HttpRequest) -> Any:
    return request.user


def _version(payload: VersionedIn | None, if_match: str | None) -> int | None:
    return version_from(payload.expected_version if payload else None, if_match)


def _case(request: HttpRequest, number: str) -> Case:
    return selectors.case_get(actor=_actor(request), number=number)


def _visible(request: HttpRequest) -> QuerySet[Case, Any]:
    """The ids of the cases the caller may see (a subquery)."""
    return selectors.case_list(actor=_actor(request)).values("pk")


def _task(request: HttpRequest, task_id: int) -> CaseTask:
    """A task of a case the caller may see, or 404."""
    visible = _visible(request)
    task = (
        CaseTask.objects.select_related("case", "step", "department", "assignee__user")
        .filter(pk=task_id, case_id__in=visible)
        .first()
    )
    if task is None:
        raise NotFound(_("任务不存在或无权查看。"), field="task_id")
    return task


def _page(
    qs: QuerySet[M], filters: PageQuery | CaseListQuery, out: Callable[[M], dict[str, Any]]
) -> dict[str, Any]:
    """A page of ``qs`` as the list schemas have it (count, page, page size, items)."""
    return page_reply(qs, filters.page, filters.page_size, out)


def _form_data(text: str) -> dict[str, Any] | None:
    if not (text or "").strip():
        return None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ValidationFailed(
            _('申请表内容应为 JSON 对象，例如 {"经营场所": "…"}。'), field="form_data"
        )
    return data


def _uploads(
    files: list[UploadedFile] | None, requirement_ids: list[int]
) -> list[services.MaterialUpload]:
    files = files or []
    if requirement_ids and len(requirement_ids) != len(files):
        raise ValidationFailed(
            _("材料要求 ID 的个数（%(ids)d）应与上传文件的个数（%(files)d）一致。")
            % {"ids": len(requirement_ids), "files": len(files)},
            field="requirement_ids",
        )
    return [
        services.MaterialUpload(
            file=f, requirement_id=requirement_ids[i] if requirement_ids else None
        )
        for i, f in enumerate(files)
    ]


def _applicant_in(payload: SubmitIn) -> services.ApplicantInfo | None:
    given = (
        payload.applicant_kind,
        payload.applicant_name,
        payload.applicant_id_number,
        payload.applicant_mobile,
    )
    if not any(v.strip() for v in given):
        return None
    return services.ApplicantInfo(
        kind=payload.applicant_kind.strip() or "person",
        name=payload.applicant_name,
        id_number=payload.applicant_id_number,
        mobile=payload.applicant_mobile,
    )


def _renewal(request: HttpRequest, number: str) -> Licence | None:
    if not (number or "").strip():
        return None
    return selectors.licence_get(actor=_actor(request), number=number.strip())


def _seconds(delta: dt.timedelta) -> int:
    return int(delta.total_seconds())


def _timer_out(timer: Timer | None, now: dt.datetime) -> dict[str, Any] | None:
    if timer is None:
        return None
    status = timer_status(timer=timer, now=now)
    return {
        "kind": timer.kind,
        "state": str(status.state),
        "due_at": status.due_at,
        "warn_at": status.warn_at,
        "remaining_seconds": _seconds(status.remaining),
        "used_seconds": _seconds(status.used),
    }


def _staff_name(staff: Staff | None) -> str:
    return str(staff) if staff is not None else ""


def _staff_name_of(staff_id: int | None) -> str:
    staff = Staff.objects.select_related("user").filter(pk=staff_id).first() if staff_id else None
    return _staff_name(staff)


def _submitted(case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "query_code": case.query_code,
        "state": case.state,
        "state_label": str(CaseState(case.state).label),
        "channel": case.channel,
        "item_code": case.item.code,
        "item_version": case.item.version,
        "received_at": case.received_at,
        "version": case.version,
    }


def _summary(case: Case) -> dict[str, Any]:
    promised = case.promised_timer if case.promised_timer_id else None
    return {
        "number": case.number,
        "state": case.state,
        "state_label": str(CaseState(case.state).label),
        "item_code": case.item.code,
        "item_version": case.item.version,
        "item_name": case.item.name,
        "department_name": case.department.name,
        "region_code": case.region.code,
        "channel": case.channel,
        "channel_label": str(Channel(case.channel).label),
        "applicant_name": case.applicant_name,
        "is_green_channel": case.is_green_channel,
        "received_at": case.received_at,
        "accepted_at": case.accepted_at,
        "decided_at": case.decided_at,
        "completed_at": case.completed_at,
        "promised_due_at": promised.due_at if promised is not None else None,
        "version": case.version,
    }


def _decision(case: Case) -> dict[str, Any] | None:
    record = getattr(case, "decision_record", None)
    if record is None:
        return None
    return DecisionOut(
        outcome=record.outcome,
        outcome_label=str(DecisionOutcome(record.outcome).label),
        reasons=record.reasons,
        legal_basis=record.legal_basis,
        decided_at=record.decided_at,
        deemed=record.deemed,
        on_the_spot=record.on_the_spot,
    ).dict()


def _material(m: CaseMaterial) -> dict[str, Any]:
    return {
        "id": m.pk,
        "requirement_id": m.requirement_id,
        "title": m.title,
        "original_name": m.original_name,
        "size": m.size,
        "content_type": m.content_type,
        "sha256": m.sha256,
        "uploaded_at": m.uploaded_at,
        "for_supplement": m.for_supplement,
    }


def _notice(notice: SupplementNotice) -> dict[str, Any]:
    return {
        "issued_at": notice.issued_at,
        "note": notice.note,
        "completed_at": notice.completed_at,
        "items": [
            {"requirement_id": i.requirement_id, "description": i.description}
            for i in notice.items.all()
        ],
    }


def _special(r: SpecialProcedureRecord) -> dict[str, Any]:
    return {
        "id": r.pk,
        "kind": r.kind,
        "kind_label": r.get_kind_display(),
        "name": r.name,
        "pauses_clock": r.pauses_clock,
        "expected_value": r.expected_limit_value,
        "expected_unit": r.expected_limit_unit,
        "notice_text": r.notice_text,
        "started_at": r.started_at,
        "ended_at": r.ended_at,
        "result": r.result,
    }


def _extension(r: ExtensionRequest) -> dict[str, Any]:
    return {
        "id": r.pk,
        "reason": r.reason,
        "limit_value": r.limit_value,
        "limit_unit": r.limit_unit,
        "state": r.state,
        "state_label": str(ExtensionState(r.state).label),
        "requested_at": r.requested_at,
        "decided_at": r.decided_at,
        "decision_note": r.decision_note,
    }


def _detail(request: HttpRequest, number: str) -> dict[str, Any]:
    actor = _actor(request)
    case = selectors.case_get(actor=actor, number=number)
    now = timezone.now()
    timer_ids = {
        "intake": case.intake_timer_id,
        "promised": case.promised_timer_id,
        "statutory": case.statutory_timer_id,
        "delivery": case.delivery_timer_id,
    }
    timers = {
        t.pk: t
        for t in Timer.objects.select_related("region").filter(
            pk__in=[i for i in timer_ids.values() if i is not None]
        )
    }
    tasks = list(
        CaseTask.objects.filter(case=case)
        .select_related("step", "department", "assignee__user", "timer__region", "case")
        .order_by("step__position", "position")
    )
    open_states = rules.OPEN_TASK_STATES
    applicant = selectors.case_applicant(actor=actor, case=case)
    notice = SupplementNotice.objects.filter(case=case).first()
    licence = Licence.objects.filter(case=case).values_list("number", flat=True).first()
    data = _summary(case)
    data.update(
        query_code=case.query_code,
        applicant={
            "kind_label": applicant.kind_label,
            "name": applicant.name,
            "id_type_label": applicant.id_type_label,
            "id_number": applicant.id_number,
            "mobile": applicant.mobile,
            "masked": applicant.masked,
        },
        agent_name=_staff_name_of(case.agent_id),
        form_data=case.form_data or {},
        auto_accepted=case.auto_accepted,
        refusal_reason=case.refusal_reason,
        refusal_basis=case.refusal_basis,
        refusal_recommended=case.refusal_recommended,
        current_step=case.current_step,
        renewal_of=(
            Licence.objects.filter(pk=case.renewal_of_id).values_list("number", flat=True).first()
            if case.renewal_of_id
            else None
        ),
        licence_number=licence,
        decision=_decision(case),
        timers={kind: _timer_out(timers.get(pk or 0), now) for kind, pk in timer_ids.items()},
        steps=[asdict(s) for s in selectors.case_steps(actor=actor, number=case.number)],
        tasks=[
            {
                "id": t.pk,
                "step": t.step.position,
                "name": t.name,
                "department_name": t.department.name,
                "is_lead": t.is_lead,
                "state": t.state,
                "state_label": str(TaskState(t.state).label),
                "assignee_name": _staff_name(t.assignee),
                "outcome": t.outcome,
                "opinion": t.opinion,
                "round": t.round,
                "version": t.version,
                "timer": _timer_out(t.timer, now) if t.state in open_states else None,
                "actions": sorted(selectors.task_actions(actor=actor, task=t)),
            }
            for t in tasks
        ],
        materials=[_material(m) for m in CaseMaterial.objects.filter(case=case).order_by("id")],
        supplement_notice=_notice(notice) if notice is not None else None,
        special_procedures=[_special(r) for r in SpecialProcedureRecord.objects.filter(case=case)],
        extensions=[_extension(r) for r in ExtensionRequest.objects.filter(case=case)],
        actions=sorted(selectors.case_actions(actor=actor, case=case)),
    )
    return data


def _task_done(task: CaseTask) -> dict[str, Any]:
    case = Case.objects.only("number", "state", "version").get(pk=task.case_id)
    return {
        "id": task.pk,
        "state": task.state,
        "state_label": str(TaskState(task.state).label),
        "outcome": task.outcome,
        "assignee_name": _staff_name_of(task.assignee_id),
        "version": task.version,
        "case_number": case.number,
        "case_state": case.state,
        "case_version": case.version,
    }


def _licence_out(licence: Licence) -> dict[str, Any]:
    return {
        "number": licence.number,
        "name": licence.name,
        "case_number": licence.case.number,
        "holder_name": licence.holder_name,
        "holder_id_type": licence.holder_id_type,
        "holder_id_number": licence.holder_id_number,
        "scope": licence.scope,
        "valid_from": licence.valid_from,
        "valid_until": licence.valid_until,
        "issued_at": licence.issued_at,
        "department_name": licence.department.name,
        "renewed_from": licence.renewed_from.number if licence.renewed_from else None,
    }


# --------------------------------------------------------------------------- applying


@router.post(
    "/cases",
    response={201: SubmittedOut, **ERRORS},
    summary="网上申请 / submit an application online",
)
def case_submit(
    request: HttpRequest,
    payload: Form[SubmitIn],
    materials: File[list[UploadedFile]] = None,  # type: ignore[assignment]
    idempotency_key: str = Header(
        "",
        alias="Idempotency-Key",
        description="同一申请人重复提交时用同一个键，只生成一个办件（返回同一办件）",
    ),
) -> Status[dict[str, Any]]:
    """multipart/form-data: the form fields and one ``materials`` part per file; the
    ``requirement_ids`` (same order) say which required material each file is."""
    case = services.case_submit(
        actor=_actor(request),
        item=item_get_published(code=payload.item_code, guide=False, field="item_code"),
        applicant=_applicant_in(payload),
        materials=_uploads(materials, payload.requirement_ids),
        form_data=_form_data(payload.form_data),
        idempotency_key=idempotency_key or "",
        renewal_of=_renewal(request, payload.renewal_of),
    )
    return Status(201, _submitted(case))


@router.post(
    "/cases/window",
    response={201: SubmittedOut, **ERRORS},
    summary="窗口收件（代办）/ receive an application at the window",
)
def case_receive(
    request: HttpRequest,
    payload: Form[WindowReceiveIn],
    materials: File[list[UploadedFile]] = None,  # type: ignore[assignment]
    idempotency_key: str = Header("", alias="Idempotency-Key"),
) -> Status[dict[str, Any]]:
    """The clerk becomes the first-inquiry owner; missing materials go into the
    supplement notice later."""
    applicant = _applicant_in(payload) or services.ApplicantInfo(
        kind="person", name="", id_number=""
    )
    case = services.case_receive(
        actor=_actor(request),
        item=item_get_published(code=payload.item_code, guide=False, field="item_code"),
        applicant=applicant,
        materials=_uploads(materials, payload.requirement_ids),
        form_data=_form_data(payload.form_data),
        idempotency_key=idempotency_key or "",
        is_green_channel=payload.is_green_channel,
        renewal_of=_renewal(request, payload.renewal_of),
    )
    return Status(201, _submitted(case))


@router.get("/cases", response={200: CaseListOut, **ERRORS}, summary="办件列表 / list cases")
def case_list(request: HttpRequest, filters: Query[CaseListQuery]) -> dict[str, Any]:
    """The applicant's own cases; staff: their department's and region's cases. Green
    channel first, then the nearest promised due time."""
    qs = selectors.case_list(
        actor=_actor(request),
        filters={
            "state": filters.state or None,
            "item_code": filters.item_code,
            "number": filters.number,
            "channel": filters.channel,
            "green_channel": filters.green_channel,
            "received_from": filters.received_from,
            "received_until": filters.received_until,
        },
    ).select_related("promised_timer")
    return _page(qs, filters, _summary)


@router.get(
    "/intake-queue",
    response={200: CaseListOut, **ERRORS},
    summary="待受理队列 / cases waiting for intake",
)
def intake_queue(request: HttpRequest, filters: Query[PageQuery]) -> dict[str, Any]:
    qs = selectors.intake_queue(actor=_actor(request)).select_related("promised_timer")
    return _page(qs, filters, _summary)


@router.get(
    "/cases/{number}",
    response={200: CaseDetailOut, **ERRORS},
    summary="办件详情 / a case with steps, tasks, timers and your actions",
)
def case_detail(request: HttpRequest, number: str, response: HttpResponse) -> Any:
    data = _detail(request, number)
    response["ETag"] = f'"{data["version"]}"'
    return data


@router.get(
    "/cases/{number}/history",
    response={200: list[HistoryEventOut], **ERRORS},
    summary="办理记录（审计日志）/ the case history",
)
def case_history(request: HttpRequest, number: str) -> list[dict[str, Any]]:
    case = _case(request, number)
    return [
        {
            "id": e.pk,
            "occurred_at": e.occurred_at,
            "action": e.action,
            "actor": e.actor_label,
            "payload": e.payload,
        }
        for e in selectors.case_history(actor=_actor(request), case=case)
    ]


@router.post(
    "/cases/{number}/materials",
    response={201: MaterialOut, **ERRORS},
    summary="上传材料 / add a material file",
)
def material_add(
    request: HttpRequest,
    number: str,
    file: File[UploadedFile],
    payload: Form[MaterialAddIn],
) -> Status[dict[str, Any]]:
    material = services.case_material_add(
        case=_case(request, number),
        actor=_actor(request),
        upload=services.MaterialUpload(
            file=file, requirement_id=payload.requirement_id, title=payload.title
        ),
    )
    return Status(201, _material(material))


@router.get(
    "/cases/{number}/materials/{material_id}",
    response=ERRORS,
    summary="下载材料 / download a material file",
    openapi_extra={
        "responses": {
            "200": {
                "description": "文件内容",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        }
    },
)
def material_download(request: HttpRequest, number: str, material_id: int) -> FileResponse:
    material = selectors.case_material_get(
        actor=_actor(request), number=number, material_id=material_id
    )
    return download(
        material.file, material.original_name or material.file.name, material.content_type
    )


# --------------------------------------------------------------------------- intake


@router.post(
    "/cases/{number}/accept",
    response={200: CaseDetailOut, **ERRORS},
    summary="受理 / accept",
)
def case_accept(
    request: HttpRequest,
    number: str,
    payload: AcceptIn | None = None,
    if_match: str | None = IF_MATCH,
) -> Any:
    services.case_accept(
        case=_case(request, number),
        actor=_actor(request),
        note=payload.note if payload else "",
        expected_version=_version(payload, if_match),
    )
    return _detail(request, number)


@router.post(
    "/cases/{number}/refuse",
    response={200: CaseDetailOut, **ERRORS},
    summary="不予受理（理由与法律依据必填）/ refuse to accept",
)
def case_refuse(
    request: HttpRequest, number: str, payload: RefuseIn, if_match: str | None = IF_MATCH
) -> Any:
    services.case_refuse(
        case=_case(request, number),
        actor=_actor(request),
        reason=payload.reason,
        legal_basis=payload.legal_basis,
        expected_version=_version(payload, if_match),
    )
    return _detail(request, number)


@router.post(
    "/cases/{number}/supplement-notice",
    response={201: SupplementNoticeOut, **ERRORS},
    summary="一次性补正告知 / the one supplement notice",
)
def supplement_notice(
    request: HttpRequest,
    number: str,
    payload: SupplementNoticeIn,
    if_match: str | None = IF_MATCH,
) -> Status[dict[str, Any]]:
    notice = services.supplement_notice_issue(
        case=_case(request, number),
        actor=_actor(request),
        items=[
            services.SupplementItemSpec(description=i.description, requirement_id=i.requirement_id)
            for i in payload.items
        ],
        note=payload.note,
        expected_version=_version(payload, if_match),
    )
    return Status(201, _notice(notice))


@router.post(
    "/cases/{number}/supplement-complete",
    response={200: CaseDetailOut, **ERRORS},
    summary="补正完成 / the supplement is complete",
)
def supplement_complete(request: HttpRequest, number: str) -> Any:
    services.supplement_complete(case=_case(request, number), actor=_actor(request))
    return _detail(request, number)


@router.post(
    "/cases/{number}/decide-on-spot",
    response={200: CaseDetailOut, **ERRORS},
    summary="即办件当场决定（首席代表）/ decide an immediate item on the spot",
)
def case_decide_on_spot(request: HttpRequest, number: str, payload: DecideOnSpotIn) -> Any:
    services.case_decide_on_spot(
        case=_case(request, number),
        actor=_actor(request),
        outcome=payload.outcome,
        reasons=payload.reasons,
        legal_basis=payload.legal_basis,
    )
    return _detail(request, number)


@router.post(
    "/cases/{number}/withdraw",
    response={200: CaseDetailOut, **ERRORS},
    summary="撤回申请 / withdraw the application",
)
def case_withdraw(request: HttpRequest, number: str, payload: WithdrawIn | None = None) -> Any:
    services.case_withdraw(
        case=_case(request, number),
        actor=_actor(request),
        reason=payload.reason if payload else "",
    )
    return _detail(request, number)


@router.post(
    "/cases/{number}/green-channel",
    response={200: CaseDetailOut, **ERRORS},
    summary="设置绿色通道（受理前）/ mark or unmark the green channel",
)
def case_green_channel(request: HttpRequest, number: str, payload: GreenChannelIn) -> Any:
    services.case_green_channel_set(
        case=_case(request, number), actor=_actor(request), on=payload.on
    )
    return _detail(request, number)


# --------------------------------------------------------------------------- decision


@router.post(
    "/cases/{number}/decide",
    response={200: CaseDetailOut, **ERRORS},
    summary="许可决定 / grant or refuse",
)
def case_decide(
    request: HttpRequest, number: str, payload: DecideIn, if_match: str | None = IF_MATCH
) -> Any:
    services.case_decide(
        case=_case(request, number),
        actor=_actor(request),
        outcome=payload.outcome,
        reasons=payload.reasons,
        legal_basis=payload.legal_basis,
        expected_version=_version(payload, if_match),
    )
    return _detail(request, number)


@router.post(
    "/cases/{number}/licence",
    response={201: LicenceOut, **ERRORS},
    summary="颁发电子证照 / issue the licence",
)
def licence_issue(request: HttpRequest, number: str, payload: LicenceIn) -> Status[dict[str, Any]]:
    licence = fees.licence_issue_paid(
        case=_case(request, number),
        actor=_actor(request),
        scope=payload.scope,
        valid_from=payload.valid_from,
        valid_until=payload.valid_until,
        name=payload.name,
    )
    return Status(201, _licence_out(licence))


@router.get("/licences/{number}", response={200: LicenceOut, **ERRORS}, summary="证照 / a licence")
def licence_detail(request: HttpRequest, number: str) -> dict[str, Any]:
    licence = selectors.licence_get(actor=_actor(request), number=number)
    return _licence_out(
        Licence.objects.select_related("case", "department", "renewed_from").get(pk=licence.pk)
    )


# --------------------------------------------------------------------------- time


def _record(case: Case, record_id: int) -> SpecialProcedureRecord:
    record = SpecialProcedureRecord.objects.filter(pk=record_id, case=case).first()
    if record is None:
        raise NotFound(_("特别程序记录不存在。"), field="record_id")
    return record


def _extension_of(case: Case, request_id: int) -> ExtensionRequest:
    found = ExtensionRequest.objects.filter(pk=request_id, case=case).first()
    if found is None:
        raise NotFound(_("延期申请不存在。"), field="extension_id")
    return found


def _limit(value: int | None, unit: str) -> Limit | None:
    if value is None and not unit:
        return None
    if value is None or unit not in LimitUnit.values:
        raise ValidationFailed(
            _("请同时填写所需时间的数值和单位（%(units)s）。")
            % {"units": "、".join(str(u.label) for u in LimitUnit)},
            field="expected_unit" if value is not None else "expected_value",
        )
    return Limit(value, ClockUnit(unit))


def _procedure(case: Case, procedure_id: int | None) -> CatalogSpecialProcedure | None:
    if procedure_id is None:
        return None
    found = CatalogSpecialProcedure.objects.filter(pk=procedure_id).first()
    if found is None:
        raise ValidationFailed(_("该特别程序不属于本事项。"), field="procedure_id")
    return found


def _special_kind(kind: str) -> str:
    kind = (kind or "").strip()
    if kind and kind not in SpecialKind.values:
        raise ValidationFailed(
            _("特别程序种类应为：%(kinds)s。")
            % {"kinds": "、".join(str(k.label) for k in SpecialKind)},
            field="kind",
        )
    return kind


@router.post(
    "/cases/{number}/special-procedures",
    response={201: SpecialProcedureOut, **ERRORS},
    summary="启动特别程序（书面告知所需时间）/ start a special procedure",
)
def special_procedure_start(
    request: HttpRequest, number: str, payload: SpecialStartIn
) -> Status[dict[str, Any]]:
    case = _case(request, number)
    record = services.special_procedure_start(
        case=case,
        actor=_actor(request),
        procedure=_procedure(case, payload.procedure_id),
        kind=_special_kind(payload.kind),
        name=payload.name,
        expected=_limit(payload.expected_value, payload.expected_unit),
        notice_text=payload.notice_text,
    )
    return Status(201, _special(record))


@router.post(
    "/cases/{number}/special-procedures/{record_id}/end",
    response={200: SpecialProcedureOut, **ERRORS},
    summary="结束特别程序 / end a special procedure",
)
def special_procedure_end(
    request: HttpRequest, number: str, record_id: int, payload: SpecialEndIn | None = None
) -> dict[str, Any]:
    record = services.special_procedure_end(
        record=_record(_case(request, number), record_id),
        actor=_actor(request),
        result=payload.result if payload else "",
    )
    return _special(record)


@router.post(
    "/cases/{number}/extensions",
    response={201: ExtensionOut, **ERRORS},
    summary="申请延期 / ask for the extension",
)
def extension_request(
    request: HttpRequest, number: str, payload: ExtensionIn
) -> Status[dict[str, Any]]:
    found = services.extension_request(
        case=_case(request, number), actor=_actor(request), reason=payload.reason
    )
    return Status(201, _extension(found))


@router.post(
    "/cases/{number}/extensions/{extension_id}/approve",
    response={200: ExtensionOut, **ERRORS},
    summary="批准延期（部门负责人）/ approve the extension",
)
def extension_approve(
    request: HttpRequest,
    number: str,
    extension_id: int,
    payload: ExtensionDecisionIn | None = None,
) -> dict[str, Any]:
    found = services.extension_approve(
        request=_extension_of(_case(request, number), extension_id),
        actor=_actor(request),
        note=payload.note if payload else "",
    )
    return _extension(found)


@router.post(
    "/cases/{number}/extensions/{extension_id}/reject",
    response={200: ExtensionOut, **ERRORS},
    summary="不批准延期（部门负责人）/ reject the extension",
)
def extension_reject(
    request: HttpRequest,
    number: str,
    extension_id: int,
    payload: ExtensionDecisionIn | None = None,
) -> dict[str, Any]:
    found = services.extension_reject(
        request=_extension_of(_case(request, number), extension_id),
        actor=_actor(request),
        note=payload.note if payload else "",
    )
    return _extension(found)


# --------------------------------------------------------------------------- tasks


def _inbox_task(t: CaseTask) -> dict[str, Any]:
    return {
        "id": t.pk,
        "case_number": t.case.number,
        "item_name": t.case.item.name,
        "is_green_channel": t.case.is_green_channel,
        "step": t.step.position,
        "step_name": t.step.name,
        "name": t.name,
        "department_name": t.department.name,
        "state": t.state,
        "state_label": str(TaskState(t.state).label),
        "assignee_name": _staff_name(t.assignee),
        "round": t.round,
        "version": t.version,
        "due_at": t.timer.due_at if t.timer else None,
        "warn_at": t.timer.warn_at if t.timer else None,
    }


@router.get(
    "/tasks",
    response={200: TaskListOut, **ERRORS},
    summary="待办任务（绿色通道优先，按到期时间）/ the task inbox",
)
def task_inbox(request: HttpRequest, filters: Query[PageQuery]) -> dict[str, Any]:
    # only armed tasks: the selector also lists the (pending) tasks of later steps
    return _page(selectors.task_inbox(actor=_actor(request)), filters, _inbox_task)


@router.post(
    "/tasks/{task_id}/claim", response={200: TaskDoneOut, **ERRORS}, summary="签收 / claim"
)
def task_claim(
    request: HttpRequest,
    task_id: int,
    payload: TaskClaimIn | None = None,
    if_match: str | None = IF_MATCH,
) -> dict[str, Any]:
    task = _task(request, task_id)
    assignee = None
    if payload is not None and payload.assignee_id is not None:
        assignee = Staff.objects.filter(pk=payload.assignee_id).first()
        if assignee is None:
            raise ValidationFailed(_("承办人必须是本部门在职工作人员。"), field="assignee_id")
    done = services.task_claim(
        task=task,
        actor=_actor(request),
        assignee=assignee,
        expected_version=_version(payload, if_match),
    )
    return _task_done(done)


@router.post(
    "/tasks/{task_id}/approve", response={200: TaskDoneOut, **ERRORS}, summary="同意 / approve"
)
def task_approve(
    request: HttpRequest,
    task_id: int,
    payload: TaskApproveIn | None = None,
    if_match: str | None = IF_MATCH,
) -> dict[str, Any]:
    done = services.task_approve(
        task=_task(request, task_id),
        actor=_actor(request),
        opinion=payload.opinion if payload else "",
        expected_version=_version(payload, if_match),
    )
    return _task_done(done)


@router.post(
    "/tasks/{task_id}/return",
    response={200: TaskDoneOut, **ERRORS},
    summary="退回上一环节（理由必填）/ return to the previous step",
)
def task_return(
    request: HttpRequest, task_id: int, payload: TaskReturnIn, if_match: str | None = IF_MATCH
) -> dict[str, Any]:
    done = services.task_return(
        task=_task(request, task_id),
        actor=_actor(request),
        reason=payload.reason,
        expected_version=_version(payload, if_match),
    )
    return _task_done(done)


@router.post(
    "/tasks/{task_id}/recommend-refusal",
    response={200: TaskDoneOut, **ERRORS},
    summary="建议不予许可（理由必填）/ recommend refusal",
)
def task_recommend_refusal(
    request: HttpRequest, task_id: int, payload: TaskRefusalIn, if_match: str | None = IF_MATCH
) -> dict[str, Any]:
    done = services.task_recommend_refusal(
        task=_task(request, task_id),
        actor=_actor(request),
        opinion=payload.opinion,
        expected_version=_version(payload, if_match),
    )
    return _task_done(done)


@router.post(
    "/tasks/{task_id}/reopen",
    response={200: TaskDoneOut, **ERRORS},
    summary="主办部门要求重新办理 / the lead department reopens a finished task",
)
def task_reopen(request: HttpRequest, task_id: int, payload: TaskReopenIn) -> dict[str, Any]:
    done = services.task_reopen(
        task=_task(request, task_id), actor=_actor(request), reason=payload.reason
    )
    return _task_done(done)


# --------------------------------------------------------------------------- fees


def _money(value: Any) -> str:
    return f"{value:.2f}"


def _case_fee_out(row: CaseFee) -> dict[str, Any]:
    return {
        "id": row.pk,
        "fee_id": row.fee_id,
        "name": row.name,
        "basis": row.basis,
        "unit_amount": _money(row.unit_amount),
        "quantity": row.quantity,
        "standard_amount": _money(row.standard_amount),
        "amount": _money(row.amount),
        "deviates": row.deviates,
        "deviation_reason": row.deviation_reason,
        "exempt": row.exempt,
        "exemption_basis": row.exemption_basis,
        "assessed_at": row.assessed_at,
        "paid": row.paid_at is not None,
        "paid_at": row.paid_at,
        "payment_reference": row.payment.reference if row.payment else None,
    }


def _payment_out(payment: Payment) -> dict[str, Any]:
    return {
        "reference": payment.reference,
        "case_number": payment.case.number,
        "gateway": payment.gateway,
        "method": payment.method,
        "receipt_number": payment.receipt_number,
        "amount": _money(payment.amount),
        "state": payment.state,
        "state_label": str(PaymentState(payment.state).label),
        "pay_url": payment.pay_url,
        "created_at": payment.created_at,
        "paid_at": payment.paid_at,
        "paid_amount": _money(payment.paid_amount) if payment.paid_amount is not None else None,
        "refunded_at": payment.refunded_at,
        "refund_reference": payment.refund_reference,
    }


@router.get(
    "/cases/{number}/fees",
    response={200: CaseFeesOut, **ERRORS},
    summary="收费标准与本案收费 / fee standards and the case's fees",
)
def case_fee_list(request: HttpRequest, number: str) -> dict[str, Any]:
    case = _case(request, number)
    return {
        "case_number": case.number,
        "standards": [
            {
                "id": f.pk,
                "name": f.name,
                "amount": _money(f.amount),
                "unit": f.unit,
                "basis": f.basis,
                "exemption_allowed": f.exemption_allowed,
                "exemption_basis": f.exemption_basis,
            }
            for f in case.item.fees.all()
        ],
        "fees": [_case_fee_out(r) for r in fees.case_fees(actor=_actor(request), case=case)],
        "total": _money(fees.case_fee_total(case=case)),
        "outstanding": _money(fees.case_fee_outstanding(case=case)),
    }


@router.post(
    "/cases/{number}/fees",
    response={201: CaseFeeOut, **ERRORS},
    summary="核定收费 / assess a published fee",
)
def case_fee_assess(
    request: HttpRequest, number: str, payload: FeeAssessIn
) -> Status[dict[str, Any]]:
    row = fees.case_fee_assess(
        case=_case(request, number),
        actor=_actor(request),
        fee=payload.fee_id,
        quantity=payload.quantity,
        amount=payload.amount if payload.amount not in (None, "") else None,
        deviation_reason=payload.deviation_reason,
        exempt=payload.exempt,
        exemption_basis=payload.exemption_basis,
    )
    return Status(201, _case_fee_out(row))


@router.post(
    "/cases/{number}/payments",
    response={201: PaymentOut, **ERRORS},
    summary="发起缴费（返回支付链接）/ start paying what is outstanding",
)
def payment_start(request: HttpRequest, number: str) -> Status[dict[str, Any]]:
    payment = payments.payment_start(actor=_actor(request), case=_case(request, number))
    return Status(201, _payment_out(payment))


@router.post(
    "/cases/{number}/payments/counter",
    response={201: PaymentOut, **ERRORS},
    summary="窗口缴费（实施主体工作人员登记）/ record fees paid at the counter",
)
def payment_counter(request: HttpRequest, number: str, payload: CounterPaymentIn) -> Any:
    payment = payments.payment_record_counter(
        actor=_actor(request),
        case=_case(request, number),
        amount=payload.amount,
        method=payload.method,
        receipt_number=payload.receipt_number,
    )
    return Status(201, _payment_out(payment))


@router.post(
    "/payments/callback",
    auth=None,
    response={200: PaymentOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="支付渠道回调（签名即认证，可重复）/ the gateway's signed callback",
)
def payment_callback(request: HttpRequest, payload: PaymentCallbackIn) -> dict[str, Any]:
    payment = payments.payment_confirm(
        reference=payload.reference, signature=payload.signature, paid_amount=payload.paid_amount
    )
    return _payment_out(payment)


@router.post(
    "/payments/{reference}/refund",
    response={200: PaymentOut, **ERRORS},
    summary="退款 / refund a paid order",
)
def payment_refund(request: HttpRequest, reference: str, payload: PaymentRefundIn) -> Any:
    if not Payment.objects.filter(reference=reference, case_id__in=_visible(request)).exists():
        raise NotFound(
            _("支付单“%(reference)s”不存在。") % {"reference": reference}, field="reference"
        )
    payment = payments.payment_refund(
        actor=_actor(request), reference=reference, reason=payload.reason
    )
    return _payment_out(payment)


# --------------------------------------------------------------------------- public


@router.get(
    "/progress",
    auth=None,
    response={200: PublicProgressOut, 404: ErrorOut, 422: ErrorOut},
    summary="公开进度查询（办件编号 + 查询码，不含个人信息）/ public progress",
)
def progress(request: HttpRequest, query: Query[ProgressQuery]) -> dict[str, Any]:
    found = selectors.progress_public(number=query.number, query_code=query.code)
    promised = found.promised
    return {
        "number": found.number,
        "item_name": found.item_name,
        "department_name": found.department_name,
        "state": found.state,
        "state_label": found.state_label,
        "received_at": found.received_at,
        "accepted_at": found.accepted_at,
        "decided_at": found.decided_at,
        "completed_at": found.completed_at,
        "steps": [asdict(s) for s in found.steps],
        "promised": (
            {
                "state": promised.state,
                "due_at": promised.due_at,
                "remaining_seconds": _seconds(promised.remaining),
            }
            if promised is not None
            else None
        ),
    }
