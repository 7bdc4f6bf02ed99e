"""Pages of the approval hall: the applicant's application and progress pages and the staff
workbench (intake, task inbox, case list, case page with the actions allowed for the user).

Thin: selectors read (scoped by the actor), services write and re-check everything. A
:class:`~xiaoneng.core.errors.DomainError` from a service is shown on the page beside the
field it names, with its HTTP status (422 / 403 / 409), and nothing is changed; a success
redirects (POST-redirect-GET).
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xiaoneng import clock
from xiaoneng.catalog import selectors as catalog
from xiaoneng.catalog.models import Item
from xiaoneng.core.errors import (
    DomainError,
    FieldError,
    InvalidState,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from xiaoneng.core.views import (
    add_domain_errors,
    download,
    error_status,
    paginate,
    query_without_page,
)
from xiaoneng.deadlines.calendars import calendar_for_region
from xiaoneng.deadlines.models import Timer
from xiaoneng.deadlines.selectors import timer_explain, timer_status
from xiaoneng.org.auth import require_staff
from xiaoneng.org.models import Applicant, Role, Window
from xiaoneng.org.selectors import actor_scope

from . import fees, payments, rules, selectors, services
from . import forms as case_forms
from .events import CaseEvent
from .fees import FeeEvent
from .models import (
    Case,
    CaseState,
    CaseStep,
    CaseTask,
    ExtensionRequest,
    ExtensionState,
    Payment,
    PaymentState,
    SpecialProcedureRecord,
    StepState,
    SupplementNotice,
)

APPLICANT_LOGIN = "org:sms_login"
_STAFF_ONLY = gettext_lazy("只有工作人员可以使用办件工作台。")

# --------------------------------------------------------------------------- display helpers

EVENT_LABELS: dict[str, Any] = {
    CaseEvent.SUBMITTED: gettext_lazy("网上提交申请"),
    CaseEvent.RECEIVED: gettext_lazy("窗口收件（代办）"),
    CaseEvent.MATERIAL_ADDED: gettext_lazy("上传材料"),
    CaseEvent.GREEN_CHANNEL_SET: gettext_lazy("设置绿色通道"),
    CaseEvent.ACCEPTED: gettext_lazy("受理"),
    CaseEvent.AUTO_ACCEPTED: gettext_lazy("逾期自动受理"),
    CaseEvent.NOT_ACCEPTED: gettext_lazy("不予受理"),
    CaseEvent.SUPPLEMENT_ISSUED: gettext_lazy("出具补正告知书"),
    CaseEvent.SUPPLEMENT_COMPLETED: gettext_lazy("补正完成"),
    CaseEvent.WITHDRAWN: gettext_lazy("撤回申请"),
    CaseEvent.TASK_CLAIMED: gettext_lazy("签收任务"),
    CaseEvent.TASK_APPROVED: gettext_lazy("同意"),
    CaseEvent.TASK_DEEMED_APPROVED: gettext_lazy("超期默许"),
    CaseEvent.TASK_REFUSAL_RECOMMENDED: gettext_lazy("建议不予许可"),
    CaseEvent.TASK_RETURNED: gettext_lazy("退回上一环节"),
    CaseEvent.TASK_REOPENED: gettext_lazy("要求重新办理"),
    CaseEvent.STEP_COMPLETED: gettext_lazy("环节完成"),
    CaseEvent.SPECIAL_STARTED: gettext_lazy("启动特别程序（暂停计时）"),
    CaseEvent.SPECIAL_ENDED: gettext_lazy("结束特别程序（恢复计时）"),
    CaseEvent.EXTENSION_REQUESTED: gettext_lazy("申请延期"),
    CaseEvent.EXTENSION_APPROVED: gettext_lazy("批准延期"),
    CaseEvent.EXTENSION_REJECTED: gettext_lazy("不批准延期"),
    CaseEvent.DECIDED: gettext_lazy("作出许可决定"),
    CaseEvent.LICENCE_ISSUED: gettext_lazy("颁发证照"),
    CaseEvent.DEEMED_RENEWED: gettext_lazy("视为准予延续"),
    FeeEvent.FEE_ASSESSED: gettext_lazy("核定收费"),
    FeeEvent.PAYMENT_STARTED: gettext_lazy("发起缴费"),
    FeeEvent.PAYMENT_CONFIRMED: gettext_lazy("缴费成功"),
    FeeEvent.PAYMENT_REJECTED: gettext_lazy("支付回调被拒绝"),
    FeeEvent.PAYMENT_CANCELLED: gettext_lazy("支付单作废"),
    FeeEvent.PAYMENT_REFUNDED: gettext_lazy("退款"),
    FeeEvent.PAYMENT_COUNTER: gettext_lazy("窗口缴费"),
}

STATE_BADGES = {
    CaseState.RECEIVED: "",
    CaseState.SUPPLEMENT: "badge-amber",
    CaseState.NOT_ACCEPTED: "badge-red",
    CaseState.PROCESSING: "",
    CaseState.SUSPENDED: "badge-amber",
    CaseState.PENDING_DECISION: "",
    CaseState.GRANTED: "badge-green",
    CaseState.REJECTED: "badge-red",
    CaseState.COMPLETED: "badge-green",
    CaseState.WITHDRAWN: "",
}

_COLOURS = {
    clock.TimerState.RUNNING: "green",
    clock.TimerState.WARNING: "amber",
    clock.TimerState.OVERDUE: "red",
    clock.TimerState.PAUSED: "grey",
}


@dataclass(frozen=True)
class ClockView:
    """One limit as a page shows it: coloured remaining working time and the due time."""

    label: str
    colour: str  # green / amber / red / grey / done
    state: str
    due_at: dt.datetime | None
    text: str
    explanation: str = ""


def _span(seconds: float, per_day: int, working: bool) -> str:
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, per_day if working else 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if working:
        if days and not hours:
            return _("%(d)d个工作日") % {"d": days}
        if days:
            return _("%(d)d个工作日%(h)d小时") % {"d": days, "h": hours}
        return _("%(h)d小时%(m)d分钟（工作时间）") % {"h": hours, "m": minutes}
    if days and not hours:
        return _("%(d)d天") % {"d": days}
    if days:
        return _("%(d)d天%(h)d小时") % {"d": days, "h": hours}
    return _("%(h)d小时%(m)d分钟") % {"h": hours, "m": minutes}


def clock_view(
    timer: Timer | None, label: Any, *, now: dt.datetime, explain: bool = False
) -> ClockView | None:
    if timer is None:
        return None
    try:
        status = timer_status(timer=timer, now=now)
    except clock.NoCalendarData as exc:
        # The limit ends in a year whose schedule is not loaded: say so, never guess a date
        # (the timer waits as calendar_missing; loading the year recomputes it).
        return ClockView(
            label=str(label),
            colour="grey",
            state="calendar_missing",
            due_at=None,
            text=_("%(year)d年工作日历尚未加载，暂无法计算期限") % {"year": exc.year},
        )
    working = clock.Timer.from_dict(timer.state_data).counts_working_time
    per_day = calendar_for_region(timer.region).seconds_per_day
    state = status.state
    if state == clock.TimerState.OVERDUE:
        late = (now - status.due_at).total_seconds() if status.due_at else 0
        text = _("已超期%(span)s") % {"span": _span(late, per_day, False)}
    elif state == clock.TimerState.PAUSED:
        text = _("已暂停计时，剩余%(span)s") % {
            "span": _span(status.remaining.total_seconds(), per_day, working)
        }
    elif state in (clock.TimerState.RUNNING, clock.TimerState.WARNING):
        text = _("剩余%(span)s") % {
            "span": _span(status.remaining.total_seconds(), per_day, working)
        }
    elif state == clock.TimerState.DONE_LATE:
        text = _("已结束（超期）")
    else:
        text = _("已按时结束")
    return ClockView(
        label=str(label),
        colour=_COLOURS.get(state, "done"),
        state=str(state),
        due_at=status.due_at,
        text=text,
        explanation=timer_explain(timer=timer) if explain else "",
    )


def _history(actor: Any, case: Case) -> list[dict[str, Any]]:
    rows = []
    for event in selectors.case_history(actor=actor, case=case):
        payload = event.payload or {}
        detail = [
            str(payload[k])
            for k in ("reason", "note", "result")
            if isinstance(payload.get(k), str) and payload[k]
        ]
        if payload.get("outcome"):
            detail.insert(0, _("准予许可") if payload["outcome"] == "grant" else _("不予许可"))
        if payload.get("licence"):
            detail.append(_("证照编号%(n)s") % {"n": payload["licence"]})
        rows.append(
            {
                "at": event.occurred_at,
                "label": EVENT_LABELS.get(event.action, event.action),
                "actor": event.actor_label or _("系统"),
                "detail": "；".join(detail),
            }
        )
    return rows


def documents_module() -> Any:
    """``cases.documents`` (the case's notices as PDFs) when it is there, else ``None``."""
    try:
        return importlib.import_module("xiaoneng.cases.documents")
    except ImportError:  # pragma: no cover - the documents module is optional
        return None


# --------------------------------------------------------------------------- applicant


def _profile(user: Any) -> Applicant | None:
    return Applicant.objects.filter(user_id=user.pk).first()


def _my_case(request: HttpRequest, number: str) -> Case:
    """The applicant's own case (another's is a 404, even for staff who may see it)."""
    case = selectors.case_get(actor=request.user, number=number)
    if case.applicant_user_id != request.user.pk:
        raise NotFound(_("办件“%(number)s”不存在或无权查看。") % {"number": number})
    return case


@login_required(login_url=APPLICANT_LOGIN)
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, code: str) -> HttpResponse:
    try:
        item = catalog.item_get_published(code=code)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    profile = _profile(request.user)
    status = 200
    if request.method == "POST":
        form = case_forms.ApplyForm(request.POST, request.FILES, item=item)
        files_ok = form.check_files()
        if form.is_valid() and files_ok:
            try:
                case = services.case_submit(
                    actor=request.user,
                    item=item,
                    materials=form.uploads(),
                    form_data=form.form_data(),
                    idempotency_key=form.cleaned_data["idempotency_key"] or "",
                )
            except DomainError as exc:
                form.add_service_errors(exc)
                status = error_status(exc)
            else:
                messages.success(
                    request,
                    _("申请已提交，办件编号%(number)s，查询码%(code)s。")
                    % {"number": case.number, "code": case.query_code},
                )
                return redirect("cases:my_case", number=case.number)
        else:
            status = 422
    else:
        form = case_forms.ApplyForm(item=item)
    return render(
        request,
        "cases/apply.html",
        {"item": item, "form": form, "profile": profile},
        status=status,
    )


@login_required(login_url=APPLICANT_LOGIN)
@require_GET
def my_cases(request: HttpRequest) -> HttpResponse:
    cases = (
        selectors.case_list(actor=request.user)
        .filter(applicant_user_id=request.user.pk)
        .order_by("-received_at", "-id")
    )
    return render(
        request,
        "cases/my_cases.html",
        {"page": paginate(request, cases), "badges": STATE_BADGES},
    )


@dataclass
class SupplementRow:
    item: Any
    supplied: list[Any] = field(default_factory=list)


def _applicant_context(request: HttpRequest, case: Case, **extra: Any) -> dict[str, Any]:
    now = timezone.now()
    steps = selectors.case_steps(actor=request.user, number=case.number)
    notice = SupplementNotice.objects.filter(case=case).prefetch_related("items").first()
    supplement_rows: list[SupplementRow] = []
    if notice is not None:
        supplied = [m for m in case.materials.all() if m.for_supplement]
        for item in notice.items.all():
            row = SupplementRow(item=item)
            row.supplied = [
                m
                for m in supplied
                if (item.requirement_id is not None and m.requirement_id == item.requirement_id)
                or (item.requirement_id is None and m.title == item.description)
            ]
            supplement_rows.append(row)
    actions = selectors.case_actions(actor=request.user, case=case)
    licence = getattr(case, "licence", None) if case.state == CaseState.COMPLETED else None
    context = {
        "case": case,
        "steps": steps,
        "badges": STATE_BADGES,
        "clocks": [
            c
            for c in (
                clock_view(case.promised_timer, _("承诺办结时限"), now=now, explain=True),
                clock_view(case.statutory_timer, _("法定办结时限"), now=now, explain=True),
                clock_view(case.intake_timer, _("受理时限"), now=now, explain=True)
                if case.state in (CaseState.RECEIVED, CaseState.SUPPLEMENT)
                else None,
                clock_view(case.delivery_timer, _("证照送达时限"), now=now, explain=True),
            )
            if c is not None
        ],
        "notice": notice,
        "supplement_rows": supplement_rows,
        "can_supplement": "material_add" in actions and case.state == CaseState.SUPPLEMENT,
        "can_complete": "supplement_complete" in actions,
        "can_withdraw": "withdraw" in actions,
        "materials": list(case.materials.all()),
        "licence": licence,
        "decision": getattr(case, "decision_record", None) if case.decided_at else None,
        "documents": _documents(request.user, case),
        "specials": list(case.special_procedures.all()),
        "upload_error": None,
        "upload_item": None,
        **_applicant_fees(request.user, case),
    }
    context.update(extra)
    return context


def _applicant_fees(actor: Any, case: Case) -> dict[str, Any]:
    rows = list(fees.case_fees(actor=actor, case=case))
    outstanding = fees.case_fee_outstanding(case=case)
    return {
        "case_fees": rows,
        "fee_outstanding": outstanding,
        "can_pay": outstanding > 0 and case.state not in rules.FINAL_STATES,
    }


def _documents(actor: Any, case: Case) -> list[Any]:
    module = documents_module()
    if module is None or not hasattr(module, "case_documents"):
        return []
    return list(module.case_documents(actor=actor, case=case))


def _case_with_timers(actor: Any, number: str) -> Case:
    case = selectors.case_get(actor=actor, number=number)
    return (
        Case.objects.select_related(
            "item",
            "department",
            "region",
            "promised_timer__region",
            "statutory_timer__region",
            "intake_timer__region",
            "delivery_timer__region",
        )
        .prefetch_related("materials")
        .get(pk=case.pk)
    )


@login_required(login_url=APPLICANT_LOGIN)
@require_GET
def my_case(request: HttpRequest, number: str) -> HttpResponse:
    _my_case(request, number)
    case = _case_with_timers(request.user, number)
    return render(request, "cases/my_case.html", _applicant_context(request, case))


@login_required(login_url=APPLICANT_LOGIN)
@require_POST
def my_supplement_upload(request: HttpRequest, number: str) -> HttpResponse:
    _my_case(request, number)
    case = _case_with_timers(request.user, number)
    form = case_forms.SupplementUploadForm(request.POST, request.FILES)
    notice = SupplementNotice.objects.filter(case=case).first()
    error = None
    status = 422
    item = None
    if form.is_valid() and notice is not None:
        item = notice.items.filter(pk=form.cleaned_data["item"]).first()
    if item is None:
        error = form.errors.get("file", [_("请选择要补正的事项。")])[0]
    else:
        try:
            services.case_material_add(
                case=case,
                actor=request.user,
                upload=services.MaterialUpload(
                    file=form.cleaned_data["file"],
                    requirement_id=item.requirement_id,
                    title="" if item.requirement_id else item.description,
                ),
            )
        except DomainError as exc:
            error = str(exc.message)
            status = error_status(exc)
        else:
            messages.success(
                request, _("已上传“%(name)s”的补正文件。") % {"name": item.description}
            )
            return redirect("cases:my_case", number=number)
    context = _applicant_context(request, case, upload_error=error, upload_item=item)
    return render(request, "cases/my_case.html", context, status=status)


@login_required(login_url=APPLICANT_LOGIN)
@require_POST
def my_supplement_complete(request: HttpRequest, number: str) -> HttpResponse:
    case = _my_case(request, number)
    try:
        services.supplement_complete(case=case, actor=request.user)
    except DomainError as exc:
        case = _case_with_timers(request.user, number)
        context = _applicant_context(
            request,
            case,
            complete_errors=[str(e.message) for e in exc.errors] or [str(exc.message)],
        )
        return render(request, "cases/my_case.html", context, status=error_status(exc))
    messages.success(request, _("补正已提交，请等待窗口重新审核受理。"))
    return redirect("cases:my_case", number=number)


@login_required(login_url=APPLICANT_LOGIN)
@require_POST
def my_withdraw(request: HttpRequest, number: str) -> HttpResponse:
    case = _my_case(request, number)
    try:
        services.case_withdraw(
            case=case, actor=request.user, reason=request.POST.get("reason", "")[:2000]
        )
    except DomainError as exc:
        case = _case_with_timers(request.user, number)
        context = _applicant_context(request, case, withdraw_error=str(exc.message))
        return render(request, "cases/my_case.html", context, status=error_status(exc))
    messages.success(request, _("申请已撤回。"))
    return redirect("cases:my_case", number=number)


@login_required(login_url=APPLICANT_LOGIN)
@require_POST
def my_pay(request: HttpRequest, number: str) -> HttpResponse:
    """缴费: open (or reuse) the payment order and go to the gateway's pay page."""
    case = _my_case(request, number)
    try:
        payment = payments.payment_start(actor=request.user, case=case)
    except DomainError as exc:
        case = _case_with_timers(request.user, number)
        context = _applicant_context(request, case, pay_error=str(exc.message))
        return render(request, "cases/my_case.html", context, status=error_status(exc))
    return redirect(payment.pay_url)


def _simulated_payment(request: HttpRequest, reference: str) -> Payment:
    """The order on the embedded simulated gateway's page, for whoever may see its case."""
    gateway = payments.payment_gateway()
    payment = (
        Payment.objects.select_related("case__item", "case__department")
        .filter(reference=reference[:64])
        .first()
    )
    if payment is None or not isinstance(gateway, payments.SimulatedGateway):
        raise NotFound(_("支付单“%(reference)s”不存在。") % {"reference": reference[:64]})
    selectors.case_get(actor=request.user, number=payment.case.number)  # 404 unless visible
    return payment


def _case_page(request: HttpRequest, case: Case) -> str:
    if case.applicant_user_id == request.user.pk:
        return reverse("cases:my_case", kwargs={"number": case.number})
    return reverse("cases:staff_case", kwargs={"number": case.number})


@login_required(login_url=APPLICANT_LOGIN)
@require_GET
def simulated_pay(request: HttpRequest) -> HttpResponse:
    """The simulated gateway's cashier page (the embedded default; no money moves)."""
    payment = _simulated_payment(request, request.GET.get("ref", ""))
    return render(
        request,
        "cases/pay_simulated.html",
        {"payment": payment, "case": payment.case, "back": _case_page(request, payment.case)},
    )


@login_required(login_url=APPLICANT_LOGIN)
@require_POST
def simulated_pay_confirm(request: HttpRequest) -> HttpResponse:
    """确认支付 on the simulated page: sign as the gateway would and deliver its callback."""
    payment = _simulated_payment(request, request.POST.get("ref", ""))
    gateway = payments.SimulatedGateway()
    signature = gateway.sign(reference=payment.reference, paid_amount=payment.amount)
    try:
        payments.payment_confirm(
            reference=payment.reference, signature=signature, paid_amount=payment.amount
        )
    except DomainError as exc:
        payment.refresh_from_db()
        context = {
            "payment": payment,
            "case": payment.case,
            "back": _case_page(request, payment.case),
            "error": str(exc.message),
        }
        return render(request, "cases/pay_simulated.html", context, status=error_status(exc))
    messages.success(
        request,
        _("已缴费%(amount)s元，支付单号%(ref)s。")
        % {"amount": payment.amount, "ref": payment.reference},
    )
    return redirect(_case_page(request, payment.case))


@login_required
@require_GET
def material_download(request: HttpRequest, number: str, material_id: int) -> FileResponse:
    material = selectors.case_material_get(
        actor=request.user, number=number, material_id=material_id
    )
    return download(
        material.file, material.original_name or material.file.name, material.content_type
    )


@login_required
@require_GET
def document_download(request: HttpRequest, number: str, document_id: int) -> FileResponse:
    module = documents_module()
    if module is None or not hasattr(module, "case_document_get"):
        raise Http404(str(document_id))
    document = module.case_document_get(actor=request.user, number=number, document_id=document_id)
    return download(document.file, f"{document.number}.pdf", "application/pdf")


# --------------------------------------------------------------------------- staff lists


@login_required
@require_GET
def staff_summary(request: HttpRequest) -> HttpResponse:
    """The counts on the staff home (loaded there with htmx)."""
    scope = actor_scope(request.user)
    if not scope.is_staff:
        return HttpResponse("")
    now = timezone.now()
    intake = selectors.intake_queue(actor=request.user)
    inbox = selectors.task_inbox(actor=request.user)
    overdue = (
        inbox.filter(timer__status="running", timer__due_at__lt=now).count()
        + intake.filter(intake_timer__status="running", intake_timer__due_at__lt=now).count()
    )
    return render(
        request,
        "cases/_summary.html",
        {
            "intake_count": intake.count(),
            "inbox_count": inbox.count(),
            "overdue_count": overdue,
            "show_intake": scope.has_role(Role.CLERK, Role.CHIEF_REPRESENTATIVE),
            "show_inbox": scope.has_role(Role.APPROVER, Role.CHIEF_REPRESENTATIVE),
        },
    )


def _receivable_items(scope: Any) -> list[Item]:
    """Published items of the clerk's departments and of the departments their windows
    serve (the services check again)."""
    items: list[Item] = []
    if scope.everything:
        return list(catalog.item_search()[:200])
    departments = set(scope.department_ids)
    if scope.staff_id is not None:
        departments |= set(
            Window.objects.filter(staff__id=scope.staff_id)
            .exclude(departments__isnull=True)
            .values_list("departments__id", flat=True)
        )
    for department_id in sorted(departments):
        items += list(catalog.item_search(department_id=department_id))
    return items


@login_required
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    scope = require_staff(request.user, _STAFF_ONLY)
    if not scope.has_role(Role.CLERK, Role.CHIEF_REPRESENTATIVE, Role.APPROVAL_OFFICE):
        raise PermissionDenied(_("只有窗口收件人员和首席代表可以使用受理台。"))
    now = timezone.now()
    items = _receivable_items(scope)
    code = request.GET.get("item") or request.POST.get("item") or ""
    item = next((i for i in items if i.code == code), None)
    form = None
    status = 200
    if item is not None:
        if request.method == "POST":
            form = case_forms.ReceiveForm(request.POST, request.FILES, item=item)
            files_ok = form.check_files()
            if form.is_valid() and files_ok:
                data = form.cleaned_data
                try:
                    case = services.case_receive(
                        actor=request.user,
                        item=item,
                        applicant=services.ApplicantInfo(
                            kind=data["kind"],
                            name=data["name"],
                            id_number=data["id_number"],
                            mobile=data["mobile"] or "",
                        ),
                        materials=form.uploads(),
                        form_data={
                            "project_name": data.get("project_name") or "",
                            "note": data.get("note") or "",
                        },
                        idempotency_key=data["idempotency_key"] or "",
                    )
                except DomainError as exc:
                    form.add_service_errors(exc)
                    status = error_status(exc)
                else:
                    messages.success(
                        request,
                        _("已收件，办件编号%(number)s，查询码%(code)s。")
                        % {"number": case.number, "code": case.query_code},
                    )
                    return redirect("cases:staff_case", number=case.number)
            else:
                status = 422
        else:
            form = case_forms.ReceiveForm(item=item)
    elif request.method == "POST":
        status = 422
    queue = paginate(
        request, selectors.intake_queue(actor=request.user).select_related("intake_timer__region")
    )
    rows = [(c, clock_view(c.intake_timer, _("受理时限"), now=now)) for c in queue.object_list]
    return render(
        request,
        "cases/intake.html",
        {
            "page": queue,
            "rows": rows,
            "items": items,
            "item": item,
            "form": form,
            "item_missing": request.method == "POST" and item is None,
        },
        status=status,
    )


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    require_staff(request.user, _STAFF_ONLY)
    now = timezone.now()
    form = case_forms.InboxFilterForm(request.GET or None)
    tasks = selectors.task_inbox(actor=request.user).select_related("timer__region")
    if form.is_bound and form.is_valid():
        if state := form.cleaned_data.get("state"):
            tasks = tasks.filter(state=state)
        if item_code := (form.cleaned_data.get("item_code") or "").strip():
            tasks = tasks.filter(case__item__code=item_code)
    page = paginate(request, tasks)
    rows = [(t, clock_view(t.timer, _("环节时限"), now=now)) for t in page.object_list]
    return render(
        request,
        "cases/inbox.html",
        {"page": page, "rows": rows, "form": form, "query": query_without_page(request)},
    )


@login_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    require_staff(request.user, _STAFF_ONLY)
    now = timezone.now()
    form = case_forms.CaseFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    status = 200
    if form.is_bound:
        if form.is_valid():
            filters = {k: v for k, v in form.cleaned_data.items() if v}
        else:
            status = 422
    cases = selectors.case_list(actor=request.user, filters=filters).select_related(
        "promised_timer__region"
    )
    page = paginate(request, cases)
    rows = [(c, clock_view(c.promised_timer, _("承诺时限"), now=now)) for c in page.object_list]
    return render(
        request,
        "cases/case_list.html",
        {
            "page": page,
            "rows": rows,
            "form": form,
            "badges": STATE_BADGES,
            "query": query_without_page(request),
        },
        status=status,
    )


# --------------------------------------------------------------------------- staff case page


@dataclass
class TaskRow:
    task: CaseTask
    actions: frozenset[str]
    clock: ClockView | None
    form: forms.Form | None = None


def _case_forms(case: Case, *, outstanding: Any) -> dict[str, forms.Form]:
    initial = {"version": case.version}
    return {
        "accept": case_forms.AcceptForm(initial=initial, prefix="accept"),
        "refuse": case_forms.RefuseForm(initial=initial, prefix="refuse"),
        "supplement_notice": case_forms.SupplementNoticeForm(
            initial=initial, item=case.item, prefix="supplement_notice"
        ),
        "spot_decide": case_forms.DecisionForm(initial=initial, prefix="spot_decide"),
        "decide": case_forms.DecisionForm(initial=initial, prefix="decide"),
        "licence_issue": case_forms.LicenceForm(
            initial={
                "name": case.item.result_name or case.item.name,
                "valid_from": timezone.localdate(),
            },
            prefix="licence_issue",
        ),
        "special_start": case_forms.SpecialStartForm(item=case.item, prefix="special_start"),
        "special_end": case_forms.SpecialEndForm(prefix="special_end"),
        "extension_request": case_forms.ReasonForm(prefix="extension_request"),
        "extension_decide": case_forms.NoteForm(prefix="extension_decide"),
        "fee_assess": case_forms.FeeAssessForm(item=case.item, prefix="fee_assess"),
        "payment_refund": case_forms.RefundForm(prefix="payment_refund"),
        "payment_counter": case_forms.CounterPaymentForm(
            initial={"amount": outstanding}, prefix="payment_counter"
        ),
    }


def _staff_fees(actor: Any, case: Case, outstanding: Any) -> dict[str, Any]:
    may_assess = fees.may_handle_fees(actor, case)
    return {
        "fee_standards": list(case.item.fees.all()),
        "case_fees": list(fees.case_fees(actor=actor, case=case)),
        "fee_total": fees.case_fee_total(case=case),
        "fee_outstanding": outstanding,
        "payments": list(Payment.objects.filter(case=case).order_by("id")),
        "can_assess": may_assess,
        "can_refund": fees.is_fee_staff(actor, case),
        "can_record_counter": may_assess and outstanding > 0,
        "paid_state": PaymentState.PAID,
    }


def _staff_context(
    request: HttpRequest,
    number: str,
    *,
    bound: tuple[str, forms.Form] | None = None,
    bound_task: tuple[int, forms.Form] | None = None,
    alert: str = "",
) -> dict[str, Any]:
    actor = request.user
    scope = actor_scope(actor)
    case = _case_with_timers(actor, number)
    now = timezone.now()
    actions = selectors.case_actions(actor=actor, case=case)
    steps = list(
        CaseStep.objects.filter(case=case)
        .order_by("position")
        .prefetch_related(
            Prefetch(
                "tasks",
                queryset=CaseTask.objects.select_related(
                    "department", "assignee__user", "timer__region", "step", "case"
                ).order_by("position"),
            )
        )
    )
    step_rows = []
    for step in steps:
        rows = []
        for task in step.tasks.all():
            open_task = task.state in rules.OPEN_TASK_STATES
            row = TaskRow(
                task=task,
                actions=selectors.task_actions(actor=actor, task=task)
                if step.state == StepState.ACTIVE
                else frozenset(),
                clock=clock_view(task.timer, _("环节时限"), now=now, explain=True)
                if open_task
                else None,
            )
            if bound_task is not None and bound_task[0] == task.pk:
                row.form = bound_task[1]
            else:
                row.form = case_forms.TaskForm(
                    initial={"version": task.version}, prefix=f"task{task.pk}"
                )
            rows.append(row)
        step_rows.append((step, rows))
    outstanding = fees.case_fee_outstanding(case=case)
    action_forms = _case_forms(case, outstanding=outstanding)
    if bound is not None:
        action_forms[bound[0]] = bound[1]
    specials = list(case.special_procedures.all())
    open_special = next((s for s in specials if s.ended_at is None), None)
    extensions = list(case.extensions.select_related("requested_by__user").all())
    pending_extension = next((e for e in extensions if e.state == ExtensionState.PENDING), None)
    can_decide_extension = pending_extension is not None and (
        scope.everything or case.department.head_id == scope.staff_id
    )
    decider = bool(actions & {"special_start", "special_end", "extension_request"})
    return {
        "case": case,
        "applicant": selectors.case_applicant(actor=actor, case=case),
        "actions": actions,
        "forms": action_forms,
        "open_form": bound[0] if bound else "",
        "step_rows": step_rows,
        "clocks": [
            c
            for c in (
                clock_view(case.intake_timer, _("受理时限"), now=now, explain=True)
                if case.state in (CaseState.RECEIVED, CaseState.SUPPLEMENT)
                else None,
                clock_view(case.promised_timer, _("承诺办结时限"), now=now, explain=True),
                clock_view(case.statutory_timer, _("法定办结时限"), now=now, explain=True),
                clock_view(case.delivery_timer, _("证照送达时限"), now=now, explain=True),
            )
            if c is not None
        ],
        "materials": list(case.materials.all()),
        "notice": SupplementNotice.objects.filter(case=case).prefetch_related("items").first(),
        "specials": specials,
        "open_special": open_special,
        "can_end_special": open_special is not None and decider,
        "extensions": extensions,
        "pending_extension": pending_extension,
        "can_decide_extension": can_decide_extension,
        "can_request_extension": "extension_request" in actions and pending_extension is None,
        "history": _history(actor, case),
        "badges": STATE_BADGES,
        "decision": getattr(case, "decision_record", None) if case.decided_at else None,
        "licence": getattr(case, "licence", None) if case.state == CaseState.COMPLETED else None,
        "documents": _documents(request.user, case),
        "alert": alert,
        **_staff_fees(actor, case, outstanding),
    }


@login_required
@require_GET
def staff_case(request: HttpRequest, number: str) -> HttpResponse:
    require_staff(request.user, _STAFF_ONLY)
    return render(request, "cases/staff_case.html", _staff_context(request, number))


def _render_failure(
    request: HttpRequest,
    number: str,
    exc: DomainError,
    *,
    action: str = "",
    form: forms.Form | None = None,
    task_id: int | None = None,
    aliases: dict[str, str] | None = None,
) -> HttpResponse:
    """The case page again, fresh from the database, with the error shown where it
    belongs: beside the field for a 422, as an alert for a conflict or refusal."""
    alert = ""
    if isinstance(exc, ValidationFailed) and form is not None:
        if not isinstance(exc, _FormInvalid):
            add_domain_errors(form, exc, aliases, strip_prefix=case_forms.APPLICANT_PREFIX)
    else:
        alert = str(exc.message)
        form = None  # a conflict: show the fresh state with clean forms
    context = _staff_context(
        request,
        number,
        bound=(action, form) if form is not None and task_id is None else None,
        bound_task=(task_id, form) if form is not None and task_id is not None else None,
        alert=alert,
    )
    return render(request, "cases/staff_case.html", context, status=error_status(exc))


def _version(form: forms.Form) -> int | None:
    value = form.cleaned_data.get("version")
    return int(value) if value is not None else None


def _run_case_action(request: HttpRequest, case: Case, action: str) -> str:
    """Bind the action's form and run its service; returns the success message or raises
    the service's DomainError."""
    post = request.POST
    actor = request.user
    form: forms.Form
    if action == "accept":
        form = case_forms.AcceptForm(post, prefix=action)
        _valid(form)
        services.case_accept(
            case=case, actor=actor, note=form.cleaned_data["note"], expected_version=_version(form)
        )
        return _("已受理。")
    if action == "refuse":
        form = case_forms.RefuseForm(post, prefix=action)
        _valid(form)
        services.case_refuse(
            case=case,
            actor=actor,
            reason=form.cleaned_data["reason"],
            legal_basis=form.cleaned_data["legal_basis"],
            expected_version=_version(form),
        )
        return _("已作出不予受理决定。")
    if action == "supplement_notice":
        form = case_forms.SupplementNoticeForm(post, item=case.item, prefix=action)
        _valid(form)
        specs = [
            services.SupplementItemSpec(requirement_id=int(pk))
            for pk in form.cleaned_data["requirements"]
        ] + [services.SupplementItemSpec(description=line) for line in form.free_lines()]
        services.supplement_notice_issue(
            case=case,
            actor=actor,
            items=specs,
            note=form.cleaned_data["note"],
            expected_version=_version(form),
        )
        return _("已出具补正告知书，并已通知申请人。")
    if action == "supplement_complete":
        services.supplement_complete(case=case, actor=actor)
        return _("已确认补正完成。")
    if action in ("spot_decide", "decide"):
        form = case_forms.DecisionForm(post, prefix=action)
        _valid(form)
        data = form.cleaned_data
        if action == "spot_decide":
            services.case_decide_on_spot(
                case=case,
                actor=actor,
                outcome=data["outcome"],
                reasons=data["reasons"],
                legal_basis=data["legal_basis"],
            )
        else:
            services.case_decide(
                case=case,
                actor=actor,
                outcome=data["outcome"],
                reasons=data["reasons"],
                legal_basis=data["legal_basis"],
                expected_version=_version(form),
            )
        return _("已作出许可决定。")
    if action == "licence_issue":
        form = case_forms.LicenceForm(post, prefix=action)
        _valid(form)
        data = form.cleaned_data
        licence = fees.licence_issue_paid(
            case=case,
            actor=actor,
            scope=data["scope"],
            valid_from=data["valid_from"],
            valid_until=data["valid_until"],
            name=data["name"],
        )
        return _("已颁发证照，证照编号%(n)s。") % {"n": licence.number}
    if action == "special_start":
        form = case_forms.SpecialStartForm(post, item=case.item, prefix=action)
        _valid(form)
        data = form.cleaned_data
        procedure = form.procedures.get(data["procedure"] or "")
        days = data.get("expected_days")
        services.special_procedure_start(
            case=case,
            actor=actor,
            procedure=procedure,
            kind=data["kind"],
            name=data["name"],
            expected=clock.Limit(days, clock.LimitUnit.WORKING_DAYS) if days else None,
            notice_text=data["notice_text"],
        )
        return _("已启动特别程序，并已书面告知申请人。")
    if action == "special_end":
        form = case_forms.SpecialEndForm(post, prefix=action)
        _valid(form)
        record = SpecialProcedureRecord.objects.filter(case=case, ended_at__isnull=True).first()
        if record is None:
            raise InvalidState(_("本案没有进行中的特别程序。"), code="special_ended")
        services.special_procedure_end(
            record=record, actor=actor, result=form.cleaned_data["result"]
        )
        return _("特别程序已结束，恢复计时。")
    if action == "extension_request":
        form = case_forms.ReasonForm(post, prefix=action)
        _valid(form)
        services.extension_request(case=case, actor=actor, reason=form.cleaned_data["reason"])
        return _("已提交延期申请，待部门负责人审批。")
    if action in ("extension_approve", "extension_reject"):
        form = case_forms.NoteForm(post, prefix="extension_decide")
        _valid(form)
        request_row = ExtensionRequest.objects.filter(
            case=case, state=ExtensionState.PENDING
        ).first()
        if request_row is None:
            raise InvalidState(_("本案没有待审批的延期申请。"), code="extension_decided")
        if action == "extension_approve":
            services.extension_approve(
                request=request_row, actor=actor, note=form.cleaned_data["note"]
            )
            return _("已批准延期，并已告知申请人。")
        services.extension_reject(request=request_row, actor=actor, note=form.cleaned_data["note"])
        return _("已不批准延期。")
    if action == "fee_assess":
        form = case_forms.FeeAssessForm(post, item=case.item, prefix=action)
        _valid(form)
        data = form.cleaned_data
        row = fees.case_fee_assess(
            case=case,
            actor=actor,
            fee=int(data["fee"]),
            quantity=data["quantity"],
            amount=data["amount"].strip() or None,
            deviation_reason=data["deviation_reason"],
            exempt=data["exempt"],
            exemption_basis=data["exemption_basis"],
        )
        return _("已核定收费“%(name)s”%(amount)s元。") % {"name": row.name, "amount": row.amount}
    if action == "payment_refund":
        form = case_forms.RefundForm(post, prefix=action)
        _valid(form)
        payment = Payment.objects.filter(case=case, reference=form.cleaned_data["reference"])
        if not payment.exists():
            raise NotFound(_("支付单不存在。"))
        refunded = payments.payment_refund(
            actor=actor,
            reference=form.cleaned_data["reference"],
            reason=form.cleaned_data["reason"],
        )
        return _("已退款，退款单号%(ref)s。") % {"ref": refunded.refund_reference}
    if action == "payment_counter":
        form = case_forms.CounterPaymentForm(post, prefix=action)
        _valid(form)
        paid = payments.payment_record_counter(
            actor=actor,
            case=case,
            amount=form.cleaned_data["amount"],
            method=form.cleaned_data["method"],
            receipt_number=form.cleaned_data["receipt_number"],
        )
        return _("已登记窗口缴费%(amount)s元（%(method)s，票据号%(receipt)s）。") % {
            "amount": paid.amount,
            "method": paid.get_method_display(),
            "receipt": paid.receipt_number,
        }
    raise Http404(action)


class _FormInvalid(ValidationFailed):
    """The form itself was invalid (its errors are already on the bound form)."""


def _valid(form: forms.Form) -> None:
    if not form.is_valid():
        raise _FormInvalid.from_errors(
            [
                FieldError(field="" if name == "__all__" else name, message=str(message))
                for name, errors in form.errors.items()
                for message in errors
            ]
        )


CASE_ACTIONS = frozenset(
    {
        "accept",
        "refuse",
        "supplement_notice",
        "supplement_complete",
        "spot_decide",
        "decide",
        "licence_issue",
        "special_start",
        "special_end",
        "extension_request",
        "extension_approve",
        "extension_reject",
        "fee_assess",
        "payment_refund",
        "payment_counter",
    }
)


@login_required
@require_POST
def staff_case_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    require_staff(request.user, _STAFF_ONLY)
    if action not in CASE_ACTIONS:
        raise Http404(action)
    case = selectors.case_get(actor=request.user, number=number)
    try:
        message = _run_case_action(request, case, action)
    except DomainError as exc:
        form_key = (
            "extension_decide"
            if action.startswith("extension_") and action != "extension_request"
            else action
        )
        bound = _bound_form(request, case, form_key)
        return _render_failure(request, number, exc, action=form_key, form=bound)
    messages.success(request, message)
    return redirect("cases:staff_case", number=number)


def _bound_form(request: HttpRequest, case: Case, key: str) -> forms.Form | None:
    """The action's form bound to what was posted (to show it again with its errors)."""
    post = request.POST
    classes: dict[str, Any] = {
        "accept": case_forms.AcceptForm,
        "refuse": case_forms.RefuseForm,
        "spot_decide": case_forms.DecisionForm,
        "decide": case_forms.DecisionForm,
        "licence_issue": case_forms.LicenceForm,
        "special_end": case_forms.SpecialEndForm,
        "extension_request": case_forms.ReasonForm,
        "extension_decide": case_forms.NoteForm,
        "payment_refund": case_forms.RefundForm,
        "payment_counter": case_forms.CounterPaymentForm,
    }
    if key == "supplement_notice":
        form: forms.Form = case_forms.SupplementNoticeForm(post, item=case.item, prefix=key)
    elif key == "special_start":
        form = case_forms.SpecialStartForm(post, item=case.item, prefix=key)
    elif key == "fee_assess":
        form = case_forms.FeeAssessForm(post, item=case.item, prefix=key)
    elif key in classes:
        form = classes[key](post, prefix=key)
    else:
        return None
    form.is_valid()
    return form


TASK_ACTIONS = frozenset({"claim", "approve", "return", "recommend_refusal", "reopen"})


@login_required
@require_POST
def staff_task_action(request: HttpRequest, number: str, task_id: int, action: str) -> HttpResponse:
    require_staff(request.user, _STAFF_ONLY)
    if action not in TASK_ACTIONS:
        raise Http404(action)
    case = selectors.case_get(actor=request.user, number=number)
    task = CaseTask.objects.filter(case=case, pk=task_id).first()
    if task is None:
        raise NotFound(_("任务不存在。"))
    form = case_forms.TaskForm(request.POST, prefix=f"task{task.pk}")
    form.is_valid()
    opinion = form.cleaned_data.get("opinion", "") if hasattr(form, "cleaned_data") else ""
    version = form.cleaned_data.get("version") if hasattr(form, "cleaned_data") else None
    actor = request.user
    try:
        if action == "claim":
            # no version check: the state tells who won, with the winner's name
            services.task_claim(task=task, actor=actor)
            message = _("已签收“%(task)s”。") % {"task": task.name}
        elif action == "approve":
            services.task_approve(task=task, actor=actor, opinion=opinion, expected_version=version)
            message = _("已同意“%(task)s”。") % {"task": task.name}
        elif action == "return":
            services.task_return(task=task, actor=actor, reason=opinion, expected_version=version)
            message = _("已退回上一环节。")
        elif action == "recommend_refusal":
            services.task_recommend_refusal(
                task=task, actor=actor, opinion=opinion, expected_version=version
            )
            message = _("已提出不予许可建议。")
        else:
            services.task_reopen(task=task, actor=actor, reason=opinion)
            message = _("已要求“%(task)s”重新办理。") % {"task": task.name}
    except DomainError as exc:
        return _render_failure(
            request,
            number,
            exc,
            form=form,
            task_id=task.pk,
            aliases={"reason": "opinion"},
        )
    messages.success(request, message)
    if action == "claim":
        return redirect(reverse("cases:staff_case", kwargs={"number": number}) + f"#task-{task.pk}")
    return redirect("cases:staff_case", number=number)
