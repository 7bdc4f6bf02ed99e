"""Input and output schemas of the cases API (``/api/v1/cases/``), one pair per operation.

Inputs are lenient on purpose (text fields default to ``""``): the services check every
rule and answer with the Chinese message naming the field, all problems at once. Outputs
are plain data: times are ISO 8601 with the offset, durations whole seconds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from xiaoneng.catalog.models import LimitUnit, SpecialKind

from .models import ApplicantKind, CaseState, Channel, DecisionOutcome

# --------------------------------------------------------------------------- errors


class FieldErrorOut(Schema):
    field: str = Field(description="出错的字段，例如 applicant.id_number")
    message: str = Field(description="中文错误说明")
    code: str
    location: str | None = None


class ErrorOut(Schema):
    """Every 4xx of the API has this body (``xiaoneng.core.errors.DomainError.as_dict``)."""

    code: str = Field(
        description="稳定的错误代码，例如 validation_failed、permission_denied、not_found、"
        "case_state、task_taken、stale_version、idempotency_key_reused、unauthenticated"
    )
    message: str = Field(description="中文错误说明")
    field: str | None = None
    errors: list[FieldErrorOut] = []


ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}

# --------------------------------------------------------------------------- inputs

_VERSION_HELP = (
    "乐观并发：您看到的办件（或任务）版本；已被他人更新时返回 409（code=stale_version）。"
    "也可用请求头 If-Match 传递"
)


class VersionedIn(Schema):
    expected_version: int | None = Field(None, ge=1, description=_VERSION_HELP)


class SubmitIn(Schema):
    """Online application (multipart/form-data). Without ``applicant_*`` fields the
    account's registered identity applies."""

    item_code: str = Field(description="事项实施编码（已发布版本）")
    applicant_kind: str = Field("", description=" | ".join(ApplicantKind.values))
    applicant_name: str = ""
    applicant_id_number: str = Field("", description="居民身份证号码或统一社会信用代码")
    applicant_mobile: str = ""
    requirement_ids: list[int] = Field(
        [], description="与 materials 文件一一对应的材料要求 ID（同样顺序）"
    )
    form_data: str = Field("", description="申请表内容，JSON 对象文本")
    renewal_of: str = Field("", description="延续申请：原证照编号")


class WindowReceiveIn(SubmitIn):
    """A clerk receives an application at the window on the applicant's behalf."""

    is_green_channel: bool = False


class MaterialAddIn(Schema):
    requirement_id: int | None = None
    title: str = ""


class AcceptIn(VersionedIn):
    note: str = ""


class RefuseIn(VersionedIn):
    reason: str = Field("", description="不予受理的理由（必填）")
    legal_basis: str = Field("", description="不予受理的法律依据（必填）")


class SupplementItemIn(Schema):
    description: str = ""
    requirement_id: int | None = Field(None, description="对应的材料要求 ID")


class SupplementNoticeIn(VersionedIn):
    items: list[SupplementItemIn] = Field([], description="需要补正的全部内容（一次性告知）")
    note: str = ""


class DecideOnSpotIn(Schema):
    outcome: str = Field("", description=" | ".join(DecisionOutcome.values))
    reasons: str = ""
    legal_basis: str = ""


class DecideIn(DecideOnSpotIn, VersionedIn):
    pass


class WithdrawIn(Schema):
    reason: str = ""


class GreenChannelIn(Schema):
    on: bool = True


class LicenceIn(Schema):
    scope: str = Field("", description="许可范围（必填）")
    valid_from: dt.date | None = Field(None, description="默认今天")
    valid_until: dt.date | None = Field(None, description="空：长期有效")
    name: str = Field("", description="证照名称，默认事项的审批结果名称")


class SpecialStartIn(Schema):
    procedure_id: int | None = Field(None, description="事项配置的特别程序 ID")
    kind: str = Field("", description=" | ".join(SpecialKind.values))
    name: str = ""
    expected_value: int | None = Field(None, ge=1, description="告知申请人的所需时间")
    expected_unit: str = Field("", description=" | ".join(LimitUnit.values))
    notice_text: str = Field("", description="书面告知内容（默认自动生成）")


class SpecialEndIn(Schema):
    result: str = ""


class ExtensionIn(Schema):
    reason: str = Field("", description="延期理由（必填）")


class ExtensionDecisionIn(Schema):
    note: str = ""


class TaskClaimIn(VersionedIn):
    assignee_id: int | None = Field(None, description="分派给本部门的同事（工作人员 ID）")


class TaskApproveIn(VersionedIn):
    opinion: str = ""


class TaskRefusalIn(VersionedIn):
    opinion: str = Field("", description="建议不予许可的理由（必填）")


class TaskReturnIn(VersionedIn):
    reason: str = Field("", description="退回理由（必填）")


class TaskReopenIn(Schema):
    reason: str = Field("", description="重新办理的理由（必填）")


class CaseListQuery(Schema):
    state: list[str] = Field([], description=" | ".join(CaseState.values))
    item_code: str = ""
    number: str = Field("", description="办件编号（包含即可）")
    channel: str = Field("", description=" | ".join(Channel.values))
    green_channel: bool | None = None
    received_from: dt.date | None = None
    received_until: dt.date | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=100)


class PageQuery(Schema):
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=100)


class ProgressQuery(Schema):
    number: str = Field(description="办件编号")
    code: str = Field(description="查询码（收件时告知申请人）")


# --------------------------------------------------------------------------- outputs


class TimerOut(Schema):
    kind: str = Field(description="case.intake | case.promised | case.statutory | case.task …")
    state: str = Field(description="running | warning | overdue | paused | done …")
    due_at: dt.datetime | None
    warn_at: dt.datetime | None
    remaining_seconds: int = Field(description="剩余办理时间（工作时间，秒；超期为负）")
    used_seconds: int


class CaseTimersOut(Schema):
    intake: TimerOut | None
    promised: TimerOut | None
    statutory: TimerOut | None
    delivery: TimerOut | None


class SubmittedOut(Schema):
    number: str
    query_code: str = Field(description="公开进度查询码")
    state: str
    state_label: str
    channel: str
    item_code: str
    item_version: int
    received_at: dt.datetime
    version: int


class CaseSummaryOut(Schema):
    number: str
    state: str
    state_label: str
    item_code: str
    item_version: int
    item_name: str
    department_name: str
    region_code: str
    channel: str
    channel_label: str
    applicant_name: str
    is_green_channel: bool
    received_at: dt.datetime
    accepted_at: dt.datetime | None
    decided_at: dt.datetime | None
    completed_at: dt.datetime | None
    promised_due_at: dt.datetime | None
    version: int


class CaseListOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[CaseSummaryOut]


class ApplicantOut(Schema):
    kind_label: str
    name: str
    id_type_label: str
    id_number: str
    mobile: str
    masked: bool = Field(description="证件号码和手机号码是否已遮蔽")


class StepOut(Schema):
    position: int
    name: str
    state: str
    state_label: str
    started_at: dt.datetime | None
    completed_at: dt.datetime | None


class CaseTaskOut(Schema):
    id: int
    step: int
    name: str
    department_name: str
    is_lead: bool
    state: str
    state_label: str
    assignee_name: str
    outcome: str
    opinion: str
    round: int
    version: int
    timer: TimerOut | None
    actions: list[str] = Field(description="当前用户对该任务可执行的操作")


class MaterialOut(Schema):
    id: int
    requirement_id: int | None
    title: str
    original_name: str
    size: int
    content_type: str
    sha256: str
    uploaded_at: dt.datetime
    for_supplement: bool


class SupplementItemOut(Schema):
    requirement_id: int | None
    description: str


class SupplementNoticeOut(Schema):
    issued_at: dt.datetime
    note: str
    completed_at: dt.datetime | None
    items: list[SupplementItemOut]


class SpecialProcedureOut(Schema):
    id: int
    kind: str
    kind_label: str
    name: str
    pauses_clock: bool
    expected_value: int
    expected_unit: str
    notice_text: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    result: str


class ExtensionOut(Schema):
    id: int
    reason: str
    limit_value: int
    limit_unit: str
    state: str
    state_label: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    decision_note: str


class DecisionOut(Schema):
    outcome: str
    outcome_label: str
    reasons: str
    legal_basis: str
    decided_at: dt.datetime
    deemed: bool
    on_the_spot: bool


class CaseDetailOut(CaseSummaryOut):
    query_code: str
    applicant: ApplicantOut
    agent_name: str = Field(description="首问负责人（窗口收件）")
    form_data: dict[str, Any]
    auto_accepted: bool
    refusal_reason: str
    refusal_basis: str
    refusal_recommended: bool
    current_step: int
    renewal_of: str | None
    licence_number: str | None
    decision: DecisionOut | None
    timers: CaseTimersOut
    steps: list[StepOut]
    tasks: list[CaseTaskOut]
    materials: list[MaterialOut]
    supplement_notice: SupplementNoticeOut | None
    special_procedures: list[SpecialProcedureOut]
    extensions: list[ExtensionOut]
    actions: list[str] = Field(
        description="当前用户对办件可执行的操作（accept、refuse、supplement_notice、"
        "supplement_complete、material_add、spot_grant、spot_refuse、withdraw、grant、"
        "refuse_decision、licence_issue、special_start、special_end、extension_request）"
    )


class HistoryEventOut(Schema):
    id: int
    occurred_at: dt.datetime
    action: str
    actor: str
    payload: dict[str, Any]


class InboxTaskOut(Schema):
    id: int
    case_number: str
    item_name: str
    is_green_channel: bool
    step: int
    step_name: str
    name: str
    department_name: str
    state: str
    state_label: str
    assignee_name: str
    round: int
    version: int
    due_at: dt.datetime | None
    warn_at: dt.datetime | None


class TaskListOut(Schema):
    count: int
    page: int
    page_size: int
    items: list[InboxTaskOut]


class LicenceOut(Schema):
    number: str
    name: str
    case_number: str
    holder_name: str
    holder_id_type: str
    holder_id_number: str
    scope: str
    valid_from: dt.date
    valid_until: dt.date | None
    issued_at: dt.datetime
    department_name: str
    renewed_from: str | None


class TaskDoneOut(Schema):
    """A task after an action, with the case state it left behind."""

    id: int
    state: str
    state_label: str
    outcome: str
    assignee_name: str
    version: int
    case_number: str
    case_state: str
    case_version: int


class PublicTimeOut(Schema):
    state: str
    due_at: dt.datetime | None
    remaining_seconds: int


class PublicProgressOut(Schema):
    """No personal data: no name, ID number, mobile or materials."""

    number: str
    item_name: str
    department_name: str
    state: str
    state_label: str
    received_at: dt.datetime
    accepted_at: dt.datetime | None
    decided_at: dt.datetime | None
    completed_at: dt.datetime | None
    steps: list[StepOut]
    promised: PublicTimeOut | None


# --------------------------------------------------------------------------- fees and payments

_MONEY_HELP = '金额，以元为单位的十进制字符串，例如 "120.50"'


class FeeAssessIn(Schema):
    """收费核定: one fee item published for the case's item, at its standard unless a
    reason is given (kept for supervision)."""

    fee_id: int = Field(description="事项公布的收费项目 ID（见 GET /cases/{number}/fees）")
    quantity: int = Field(1, description="数量")
    amount: str | None = Field(None, description="实收金额；空：按标准 × 数量。" + _MONEY_HELP)
    deviation_reason: str = Field("", description="实收金额与标准不一致时必填（留存备查）")
    exempt: bool = Field(False, description="减免（收费项目须允许减免）")
    exemption_basis: str = Field("", description="减免依据（减免时必填）")


class FeeStandardOut(Schema):
    id: int
    name: str
    amount: str = Field(description=_MONEY_HELP)
    unit: str
    basis: str
    exemption_allowed: bool
    exemption_basis: str


class CaseFeeOut(Schema):
    id: int
    fee_id: int
    name: str
    basis: str
    unit_amount: str
    quantity: int
    standard_amount: str
    amount: str
    deviates: bool
    deviation_reason: str
    exempt: bool
    exemption_basis: str
    assessed_at: dt.datetime
    paid: bool
    paid_at: dt.datetime | None
    payment_reference: str | None


class CaseFeesOut(Schema):
    case_number: str
    standards: list[FeeStandardOut] = Field(description="事项公布的收费标准")
    fees: list[CaseFeeOut] = Field(description="本办件已核定的收费")
    total: str = Field(description="应缴合计（减免后）")
    outstanding: str = Field(description="尚未缴纳")


class PaymentOut(Schema):
    reference: str = Field(description="支付单号")
    case_number: str
    gateway: str
    method: str = Field(description="online | cash | bank_card | qr_code")
    receipt_number: str = Field(description="窗口缴费的票据号码（网上支付为空）")
    amount: str = Field(description=_MONEY_HELP)
    state: str = Field(description="pending | paid | cancelled | refunded")
    state_label: str
    pay_url: str = Field(description="申请人付款的页面")
    created_at: dt.datetime
    paid_at: dt.datetime | None
    paid_amount: str | None
    refunded_at: dt.datetime | None
    refund_reference: str


class PaymentCallbackIn(Schema):
    """支付渠道的服务器回调（签名即认证）。"""

    reference: str = Field(description="支付单号")
    paid_amount: str = Field(description="实付金额。" + _MONEY_HELP)
    signature: str = Field(description="支付渠道对“支付单号|金额”的签名")


class CounterPaymentIn(Schema):
    """窗口缴费：实施主体工作人员登记在窗口收取的费用。"""

    amount: str = Field(description="实收金额，须等于应缴金额。" + _MONEY_HELP)
    method: str = Field(description="cash | bank_card | qr_code")
    receipt_number: str = Field("", description="缴费票据号码（必填，不可重复）")


class PaymentRefundIn(Schema):
    reason: str = Field("", description="退款理由（必填）")
