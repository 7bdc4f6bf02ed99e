"""Written notices of a case as PDFs (receipt, acceptance, refusal, supplement notice,
special-procedure and extension notices, decisions, licence).

They are issued after the case event commits: :mod:`xiaoneng.cases.subscribers` subscribes
:func:`document_issue_for_event` to the cases' audit events. Issuing is idempotent per
(event, kind) — the audit registry may deliver an event again — and stores the PDF through
Django's storage API with a :class:`~xiaoneng.cases.models.CaseDocument` row.

Dates shown come from the case's rows and its clock timers (the promised date is the
promised timer's due time, never computed here). Personal data: the notices go to the
applicant and name them; the only public thing on a page is the QR link to the public
progress page (case number + query code, which shows no personal data); a person's
resident ID on the licence is masked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any
from urllib.parse import urlencode

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xiaoneng.audit.models import AuditEvent
from xiaoneng.clock import Limit, LimitUnit
from xiaoneng.core.errors import NotFound
from xiaoneng.core.identifiers import mask_resident_id
from xiaoneng.deadlines.models import Timer
from xiaoneng.documents.notices import (
    DEFAULT_TITLES,
    DocumentKind,
    LicenceData,
    NoticeData,
    TableData,
    document_render,
)

from . import selectors as case_selectors
from .events import CaseEvent
from .models import (
    Case,
    CaseDocument,
    Decision,
    DecisionOutcome,
    ExtensionRequest,
    IdType,
    Licence,
    SpecialProcedureRecord,
    SupplementNotice,
)
from .payments import public_base_url

SEAL_LABEL = "行政许可专用章"

#: Short codes in document numbers: <case number>-<code><seq>.
KIND_CODES: dict[DocumentKind, str] = {
    DocumentKind.RECEIPT: "SJ",
    DocumentKind.ACCEPTANCE: "SL",
    DocumentKind.REFUSAL: "BSL",
    DocumentKind.SUPPLEMENT_NOTICE: "BZ",
    DocumentKind.SPECIAL_PROCEDURE_NOTICE: "TB",
    DocumentKind.EXTENSION_NOTICE: "YQ",
    DocumentKind.DECISION_GRANT: "ZY",
    DocumentKind.DECISION_REFUSAL: "BY",
    DocumentKind.LICENCE: "ZZ",
}

#: The case events that issue a notice (the decision's kind depends on its outcome).
EVENT_KINDS: dict[str, tuple[DocumentKind, ...]] = {
    CaseEvent.SUBMITTED: (DocumentKind.RECEIPT,),
    CaseEvent.RECEIVED: (DocumentKind.RECEIPT,),
    CaseEvent.ACCEPTED: (DocumentKind.ACCEPTANCE,),
    CaseEvent.AUTO_ACCEPTED: (DocumentKind.ACCEPTANCE,),
    CaseEvent.NOT_ACCEPTED: (DocumentKind.REFUSAL,),
    CaseEvent.SUPPLEMENT_ISSUED: (DocumentKind.SUPPLEMENT_NOTICE,),
    CaseEvent.SPECIAL_STARTED: (DocumentKind.SPECIAL_PROCEDURE_NOTICE,),
    CaseEvent.EXTENSION_APPROVED: (DocumentKind.EXTENSION_NOTICE,),
    CaseEvent.DECIDED: (),  # grant or refusal, from the payload
    CaseEvent.LICENCE_ISSUED: (DocumentKind.LICENCE,),
    CaseEvent.DEEMED_RENEWED: (DocumentKind.DECISION_GRANT, DocumentKind.LICENCE),
}


def progress_url(case: Case) -> str:
    """The absolute URL of the public progress page of ``case`` (for the QR code)."""
    query = urlencode({"n": case.number, "c": case.query_code})
    return f"{public_base_url()}/progress/?{query}"


def _day(value: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(value) if value is not None else None


def _timer_due(timer_id: int | None) -> dt.date | None:
    if timer_id is None:
        return None
    due = Timer.objects.filter(pk=timer_id).values_list("due_at", flat=True).first()
    return _day(due)


def _working_days(value: int, unit: str) -> int | None:
    return value if unit == LimitUnit.WORKING_DAYS else None


def _sentence(text: str) -> str:
    """Staff's text as a sentence: trimmed, ending with a full stop."""
    text = (text or "").strip()
    if text and text[-1] not in "。！？；.!?;）)”":
        text += "。"
    return text


def _payload_id(event: AuditEvent | None, key: str) -> Any:
    return (event.payload or {}).get(key) if event is not None else None


def _licence_data(licence: Licence) -> LicenceData:
    code = licence.holder_id_number
    if licence.holder_id_type == IdType.RESIDENT_ID:
        code = mask_resident_id(code)
    return LicenceData(
        number=licence.number,
        holder=licence.holder_name,
        scope=licence.scope,
        valid_from=licence.valid_from,
        valid_until=licence.valid_until,
        holder_code=code,
    )


def _case_licence(case: Case, event: AuditEvent | None) -> Licence:
    number = _payload_id(event, "licence")
    licences = Licence.objects.filter(case=case)
    if number:
        licences = licences.filter(number=number)
    licence = licences.order_by("-issued_at").first()
    if licence is None:
        raise NotFound(_("办件%(number)s没有证照。") % {"number": case.number})
    return licence


def notice_data(
    *, case: Case, kind: DocumentKind | str, event: AuditEvent | None = None, doc_number: str = ""
) -> NoticeData:
    """The :class:`NoticeData` of notice ``kind`` for ``case`` as of ``event`` (the event
    whose commit issues it: it says which record and which date)."""
    kind = DocumentKind(kind)
    item = case.item
    when = event.occurred_at if event is not None else timezone.now()
    base: dict[str, Any] = {
        "kind": kind,
        "case_number": case.number,
        "department_name": case.department.name,
        "addressee": case.applicant_name,
        "date": _day(when),
        "doc_number": doc_number,
        "item_name": item.name,
        "received_on": _day(case.received_at),
        "accepted_on": _day(case.accepted_at),
        "qr_url": progress_url(case),
        "seal_label": SEAL_LABEL,
        "lang": "zh",
    }
    extra: dict[str, Any] = {}
    if kind is DocumentKind.RECEIPT:
        rows = [
            [str(n), m.title, m.original_name]
            for n, m in enumerate(case.materials.order_by("pk"), start=1)
        ]
        if rows:
            extra["table"] = TableData(headers=[_("序号"), _("材料名称"), _("文件")], rows=rows)
    elif kind is DocumentKind.ACCEPTANCE:
        # The promised date is the promised timer's due date as the acceptance set it (the
        # event's payload: the clock computed it then), else the timer's current due date.
        promised = (event.payload.get("promised_due") if event is not None else None) or None
        extra["promised_date"] = (
            _day(dt.datetime.fromisoformat(promised)) if promised else None
        ) or (_timer_due(case.promised_timer_id) or _timer_due(case.statutory_timer_id))
        if case.auto_accepted:
            extra["paragraphs"] = [
                _(
                    "本机关未在收到申请材料之日起五个工作日内作出是否受理的决定，依法自收到申请材料之日起即为受理。"
                )
            ]
    elif kind is DocumentKind.REFUSAL:
        extra["reason"] = _sentence(case.refusal_reason)
        extra["legal_basis"] = case.refusal_basis
    elif kind is DocumentKind.SUPPLEMENT_NOTICE:
        notice = (
            SupplementNotice.objects.filter(case=case)
            .prefetch_related("items__requirement")
            .first()
        )
        rows = []
        if notice is not None:
            for n, entry in enumerate(notice.items.all(), start=1):
                if entry.requirement is not None:
                    rows.append([str(n), entry.requirement.name, entry.description or "—"])
                else:
                    rows.append([str(n), "—", entry.description])
            if notice.note.strip():
                extra["paragraphs"] = [_sentence(notice.note)]
        extra["table"] = TableData(headers=[_("序号"), _("材料名称"), _("补正要求")], rows=rows)
    elif kind is DocumentKind.SPECIAL_PROCEDURE_NOTICE:
        records = SpecialProcedureRecord.objects.filter(case=case)
        record_id = _payload_id(event, "record")
        if record_id:
            records = records.filter(pk=record_id)
        record = records.order_by("-started_at", "-pk").first()
        if record is not None:
            limit = Limit(record.expected_limit_value, LimitUnit(record.expected_limit_unit))
            default_text = _(
                "因需要进行%(name)s，所需时间约%(limit)s，该时间不计算在法定办理期限内。"
            ) % {"name": record.name, "limit": limit.label()}
            extra["procedure"] = record.name
            extra["procedure_days"] = _working_days(
                record.expected_limit_value, record.expected_limit_unit
            )
            extra["procedure_until"] = _timer_due(record.timer_id)
            if record.notice_text.strip() and record.notice_text.strip() != default_text:
                extra["paragraphs"] = [_sentence(record.notice_text)]
    elif kind is DocumentKind.EXTENSION_NOTICE:
        requests = ExtensionRequest.objects.filter(case=case, state="approved")
        request_id = _payload_id(event, "request")
        if request_id:
            requests = requests.filter(pk=request_id)
        request = requests.first()
        if request is not None:
            extra["reason"] = request.reason
            extra["extension_days"] = _working_days(request.limit_value, request.limit_unit)
        # Art. 42: the statutory limit is what is extended; its timer knows the new date.
        extra["new_due_date"] = _timer_due(case.statutory_timer_id) or _timer_due(
            case.promised_timer_id
        )
    elif kind in (DocumentKind.DECISION_GRANT, DocumentKind.DECISION_REFUSAL):
        decision = Decision.objects.filter(case=case).first()
        if decision is not None:
            if kind is DocumentKind.DECISION_REFUSAL:
                extra["reason"] = _sentence(decision.reasons)
                extra["legal_basis"] = decision.legal_basis
            else:
                extra["legal_basis"] = decision.legal_basis or item.legal_basis
                if decision.reasons.strip():
                    extra["paragraphs"] = [_sentence(decision.reasons)]
                licence = Licence.objects.filter(case=case).first()
                if licence is not None:
                    extra["licence"] = _licence_data(licence)
    elif kind is DocumentKind.LICENCE:
        licence = _case_licence(case, event)
        extra["licence"] = _licence_data(licence)
        extra["date"] = _day(licence.issued_at)
        if licence.name:
            extra["title"] = _("%(name)s（电子证照）") % {"name": licence.name}
    return NoticeData(**{**base, **extra})


def _kinds_for(event: AuditEvent) -> tuple[DocumentKind, ...]:
    if event.action == CaseEvent.DECIDED:
        outcome = (event.payload or {}).get("outcome")
        if outcome == DecisionOutcome.GRANT:
            return (DocumentKind.DECISION_GRANT,)
        if outcome == DecisionOutcome.REFUSE:
            return (DocumentKind.DECISION_REFUSAL,)
        return ()
    return EVENT_KINDS.get(event.action, ())


def document_issue(
    *, case: Case, kind: DocumentKind | str, event: AuditEvent | None = None
) -> CaseDocument:
    """Render notice ``kind`` of ``case`` and store it; once per (event, kind)."""
    kind = DocumentKind(kind)
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("item", "department", "region")
            .get(pk=case.pk)
        )
        if event is not None:
            existing = CaseDocument.objects.filter(event_id=event.pk, kind=kind).first()
            if existing is not None:
                return existing
        last = CaseDocument.objects.filter(case=case, kind=kind).aggregate(m=Max("seq"))["m"]
        seq = (last or 0) + 1
        number = f"{case.number}-{KIND_CODES[kind]}{seq:02d}"
        with translation.override("zh-hans"):
            data = notice_data(case=case, kind=kind, event=event, doc_number=number)
            title = data.title or str(DEFAULT_TITLES[kind])
        pdf = document_render(data=data)
        document = CaseDocument(
            case=case,
            kind=kind,
            seq=seq,
            number=number,
            title=title,
            sha256=hashlib.sha256(pdf).hexdigest(),
            size=len(pdf),
            event_id=event.pk if event is not None else None,
            created_at=timezone.now(),
        )
        document.file.save(f"{kind}-{seq:02d}.pdf", ContentFile(pdf), save=False)
        document.save()
        return document


def document_issue_for_event(event: AuditEvent) -> None:
    """Audit subscriber: issue the notices a committed case event calls for."""
    kinds = _kinds_for(event)
    if not kinds or event.object_type != "cases.case":
        return
    case = Case.objects.filter(pk=event.object_id).first()
    if case is None:
        return
    for kind in kinds:
        document_issue(case=case, kind=kind, event=event)


def documents_issue_pending(
    *, limit: int = 200, lookback: dt.timedelta = dt.timedelta(days=7)
) -> int:
    """Issue the notices of recent case events that have none yet; return how many.

    The periodic alternative to the after-commit subscriber (``XN_CASE_DOCUMENTS_AFTER_COMMIT
    = False`` keeps PDF rendering out of the request) and a catch-up after a failure.
    Idempotent like the subscriber: each (event, kind) is issued once.
    """
    since = timezone.now() - lookback
    events = (
        AuditEvent.objects.filter(
            action__in=list(EVENT_KINDS), object_type="cases.case", occurred_at__gte=since
        )
        .exclude(Exists(CaseDocument.objects.filter(event_id=OuterRef("pk"))))
        .order_by("id")[:limit]
    )
    issued = 0
    for event in events:
        before = CaseDocument.objects.filter(event_id=event.pk).count()
        document_issue_for_event(event)
        issued += CaseDocument.objects.filter(event_id=event.pk).count() - before
    return issued


# --------------------------------------------------------------------------- reads


def case_documents(*, actor: Any, case: Case) -> QuerySet[CaseDocument]:
    """The notices of ``case`` when ``actor`` may see it (as :func:`selectors.case_get`)."""
    visible = case_selectors.case_get(actor=actor, number=case.number)
    return CaseDocument.objects.filter(case_id=visible.pk).order_by("created_at", "id")


def case_document_get(*, actor: Any, number: str, document_id: int) -> CaseDocument:
    """One notice of case ``number`` for download, or :class:`NotFound`."""
    case = case_selectors.case_get(actor=actor, number=number)
    document = (
        CaseDocument.objects.filter(case_id=case.pk, pk=document_id).select_related("case").first()
    )
    if document is None:
        raise NotFound(_("文书不存在或无权查看。"))
    return document
