"""Cases (办件): one application and its whole life, from receipt to the licence.

A case keeps the exact catalogue version it started with (``item`` points at one
:class:`~xiaoneng.catalog.models.Item` *version* row, PROTECT). Its process is copied from
that version at acceptance (:class:`CaseStep` / :class:`CaseTask`), so a later edit of the
catalogue never changes a running case. Every deadline is a clock timer
(``xiaoneng.deadlines``); the case and its tasks keep foreign keys to their timers so that
queues and sweeps are joins over the timers' indexed ``due_at``.

States and the allowed transitions are in :mod:`xiaoneng.cases.rules`; every write goes
through :mod:`xiaoneng.cases.services`.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xiaoneng.catalog.models import LimitUnit, SpecialKind
from xiaoneng.core.models import TimeStampedModel

# The applicant kinds are org's (the applicant profile lives there); re-exported here for the
# case snapshot and for ``from .models import ApplicantKind`` in this app.
from xiaoneng.org.models import ApplicantKind as ApplicantKind


class CaseState(models.TextChoices):
    RECEIVED = "received", _("已收件")
    SUPPLEMENT = "supplement", _("待补正")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    PROCESSING = "processing", _("办理中")
    SUSPENDED = "suspended", _("特别程序中")
    PENDING_DECISION = "pending_decision", _("待决定")
    GRANTED = "granted", _("准予许可")
    REJECTED = "rejected", _("不予许可")
    COMPLETED = "completed", _("已办结")
    WITHDRAWN = "withdrawn", _("已撤回")


class Channel(models.TextChoices):
    ONLINE = "online", _("网上申请")
    WINDOW = "window", _("窗口收件")


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("居民身份证")
    CREDIT_CODE = "credit_code", _("统一社会信用代码")


class DecisionOutcome(models.TextChoices):
    GRANT = "grant", _("准予许可")
    REFUSE = "refuse", _("不予许可")


class Case(TimeStampedModel):
    number = models.CharField(_("办件编号"), max_length=32, unique=True)
    query_code = models.CharField(_("查询码"), max_length=16)
    item = models.ForeignKey(
        "catalog.Item", verbose_name=_("事项"), on_delete=models.PROTECT, related_name="cases"
    )
    region = models.ForeignKey(
        "org.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="cases"
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("实施主体"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    channel = models.CharField(_("申请渠道"), max_length=8, choices=Channel.choices)
    state = models.CharField(
        _("状态"), max_length=20, choices=CaseState.choices, default=CaseState.RECEIVED
    )
    # applicant (snapshot at submission; the account that owns the case online)
    applicant_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人账号"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    applicant = models.ForeignKey(
        "org.Applicant",
        verbose_name=_("申请人档案"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    applicant_kind = models.CharField(_("申请人类型"), max_length=12, choices=ApplicantKind.choices)
    applicant_name = models.CharField(_("申请人"), max_length=200)
    id_type = models.CharField(_("证件类型"), max_length=12, choices=IdType.choices)
    id_number = models.CharField(_("证件号码"), max_length=18)
    mobile = models.CharField(_("手机号码"), max_length=11, blank=True)
    agent = models.ForeignKey(
        "org.Staff",
        verbose_name=_("首问负责人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="first_inquiry_cases",
    )
    form_data = models.JSONField(_("申请表"), default=dict, blank=True)
    is_green_channel = models.BooleanField(_("绿色通道"), default=False)
    # dates
    received_at = models.DateTimeField(_("收件时间"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    auto_accepted = models.BooleanField(_("逾期自动受理"), default=False)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    decision = models.CharField(
        _("决定"), max_length=8, choices=DecisionOutcome.choices, blank=True
    )
    refusal_reason = models.TextField(_("不予受理理由"), blank=True)
    refusal_basis = models.TextField(_("不予受理依据"), blank=True)
    refusal_recommended = models.BooleanField(_("有不予许可建议"), default=False)
    current_step = models.PositiveIntegerField(_("当前环节"), default=0)
    renewal_of = models.ForeignKey(
        "Licence",
        verbose_name=_("延续的证照"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewal_cases",
    )
    idempotency_key = models.CharField(_("幂等键"), max_length=64, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    # timers (xiaoneng.deadlines): the intake limit, the case limits and the delivery limit
    intake_timer = models.ForeignKey(
        "deadlines.Timer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    promised_timer = models.ForeignKey(
        "deadlines.Timer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    statutory_timer = models.ForeignKey(
        "deadlines.Timer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delivery_timer = models.ForeignKey(
        "deadlines.Timer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=CaseState.values), name="cases_case_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="cases_case_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(applicant_kind__in=ApplicantKind.values),
                name="cases_case_applicant_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(id_type__in=IdType.values), name="cases_case_id_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(decision__in=[*DecisionOutcome.values, ""]),
                name="cases_case_decision_valid",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["processing", "suspended", "pending_decision"])
                | Q(accepted_at__isnull=False),
                name="cases_case_accepted_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["granted", "rejected"])
                | Q(decided_at__isnull=False, decision__in=DecisionOutcome.values),
                name="cases_case_decided_has_decision",
            ),
            models.UniqueConstraint(
                fields=["id_type", "id_number", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="cases_case_idempotency_per_applicant",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "state"], name="cases_case_dept_state"),
            models.Index(fields=["state", "received_at"], name="cases_case_state_received"),
            models.Index(fields=["id_type", "id_number"], name="cases_case_applicant_id"),
        ]

    def __str__(self) -> str:
        return self.number


def material_upload_to(instance: CaseMaterial, filename: str) -> str:
    # Case files are private: they are streamed by scoped views, never served from /media/
    # (see urls.py); the random segment keeps their paths unguessable all the same.
    return f"cases/{instance.case.number}/{secrets.token_hex(8)}/{filename}"


class CaseMaterial(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    requirement = models.ForeignKey(
        "catalog.Material",
        verbose_name=_("对应材料要求"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    title = models.CharField(_("材料名称"), max_length=200)
    file = models.FileField(_("文件"), upload_to=material_upload_to, max_length=255)
    original_name = models.CharField(_("原文件名"), max_length=255)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    content_type = models.CharField(_("文件类型"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"))
    for_supplement = models.BooleanField(_("补正材料"), default=False)

    class Meta:
        verbose_name = _("申请材料文件")
        verbose_name_plural = _("申请材料文件")
        ordering = ["case_id", "id"]

    def __str__(self) -> str:
        return self.title


class SupplementNotice(models.Model):
    """The one supplement notice (一次性告知) of a case: a DB unique constraint says once."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="supplement_notice")
    issued_by = models.ForeignKey(
        "org.Staff", on_delete=models.PROTECT, related_name="+", verbose_name=_("出具人")
    )
    issued_at = models.DateTimeField(_("出具时间"))
    note = models.TextField(_("说明"), blank=True)
    completed_at = models.DateTimeField(_("补正完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("补正告知书")
        verbose_name_plural = _("补正告知书")

    def __str__(self) -> str:
        return f"{self.case}"


class SupplementItem(models.Model):
    notice = models.ForeignKey(SupplementNotice, on_delete=models.CASCADE, related_name="items")
    requirement = models.ForeignKey(
        "catalog.Material", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("补正内容"))

    class Meta:
        verbose_name = _("补正事项")
        verbose_name_plural = _("补正事项")
        ordering = ["notice_id", "id"]

    def __str__(self) -> str:
        return self.description


class StepState(models.TextChoices):
    PENDING = "pending", _("未开始")
    ACTIVE = "active", _("办理中")
    DONE = "done", _("已完成")


class CaseStep(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(_("环节序号"))
    name = models.CharField(_("环节名称"), max_length=100)
    state = models.CharField(
        _("状态"), max_length=8, choices=StepState.choices, default=StepState.PENDING
    )
    is_intake = models.BooleanField(_("受理环节"), default=False)
    activated_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("办件环节")
        verbose_name_plural = _("办件环节")
        ordering = ["case_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["case", "position"], name="cases_step_position"),
            models.CheckConstraint(
                condition=Q(state__in=StepState.values), name="cases_step_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class TaskState(models.TextChoices):
    PENDING = "pending", _("待签收")
    CLAIMED = "claimed", _("办理中")
    DONE = "done", _("已办结")
    RETURNED = "returned", _("已退回")
    REOPENED = "reopened", _("重新办理")


class TaskOutcome(models.TextChoices):
    APPROVED = "approved", _("同意")
    REFUSAL_RECOMMENDED = "refusal_recommended", _("建议不予许可")
    DEEMED_APPROVED = "deemed_approved", _("超期默许")
    RETURNED = "returned", _("退回上一环节")


class CaseTask(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    step = models.ForeignKey(CaseStep, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveIntegerField(_("任务序号"))
    name = models.CharField(_("任务名称"), max_length=100)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("办理部门"),
        on_delete=models.PROTECT,
        related_name="case_tasks",
    )
    is_lead = models.BooleanField(_("主办"), default=False)
    limit_value = models.PositiveIntegerField(_("办理时限"))
    limit_unit = models.CharField(_("办理时限单位"), max_length=16, choices=LimitUnit.choices)
    state = models.CharField(
        _("状态"), max_length=10, choices=TaskState.choices, default=TaskState.PENDING
    )
    assignee = models.ForeignKey(
        "org.Staff",
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_tasks",
    )
    claimed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    outcome = models.CharField(
        _("办理结果"), max_length=20, choices=TaskOutcome.choices, blank=True
    )
    opinion = models.TextField(_("办理意见"), blank=True)
    round = models.PositiveIntegerField(_("办理轮次"), default=1)
    timer = models.ForeignKey(
        "deadlines.Timer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("办件任务")
        verbose_name_plural = _("办件任务")
        ordering = ["case_id", "step_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["step", "position"], name="cases_task_position"),
            models.CheckConstraint(
                condition=Q(state__in=TaskState.values), name="cases_task_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=[*TaskOutcome.values, ""]),
                name="cases_task_outcome_valid",
            ),
            models.CheckConstraint(
                condition=~Q(state="claimed") | Q(assignee__isnull=False),
                name="cases_task_claimed_has_assignee",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "state"], name="cases_task_dept_state"),
            models.Index(fields=["assignee", "state"], name="cases_task_assignee_state"),
        ]

    def __str__(self) -> str:
        return self.name


class SpecialProcedureRecord(models.Model):
    """A special procedure (Art. 45) with the written notice of the time it needs."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="special_procedures")
    procedure = models.ForeignKey(
        "catalog.SpecialProcedure",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("特别程序种类"), max_length=16, choices=SpecialKind.choices)
    name = models.CharField(_("特别程序名称"), max_length=100)
    pauses_clock = models.BooleanField(_("不计入办结时限"), default=True)
    expected_limit_value = models.PositiveIntegerField(_("告知所需时间"))
    expected_limit_unit = models.CharField(
        _("告知所需时间单位"), max_length=16, choices=LimitUnit.choices
    )
    notice_text = models.TextField(_("书面告知内容"))
    started_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("开始时间"))
    ended_by = models.ForeignKey(
        "org.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    result = models.TextField(_("结果"), blank=True)
    timer = models.ForeignKey(
        "deadlines.Timer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("特别程序记录")
        verbose_name_plural = _("特别程序记录")
        ordering = ["case_id", "started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(ended_at__isnull=True),
                name="cases_one_open_special_procedure",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=SpecialKind.values), name="cases_special_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ExtensionState(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")


class ExtensionRequest(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    reason = models.TextField(_("延期理由"))
    limit_value = models.PositiveIntegerField(_("延长时限"))
    limit_unit = models.CharField(_("延长时限单位"), max_length=16, choices=LimitUnit.choices)
    state = models.CharField(
        _("状态"), max_length=10, choices=ExtensionState.choices, default=ExtensionState.PENDING
    )
    requested_by = models.ForeignKey("org.Staff", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(
        "org.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["case_id", "requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(state="pending"), name="cases_one_pending_extension"
            ),
            models.UniqueConstraint(
                fields=["case"], condition=Q(state="approved"), name="cases_one_extension"
            ),
            models.CheckConstraint(
                condition=Q(state__in=ExtensionState.values), name="cases_extension_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} +{self.limit_value}"


class Decision(models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="decision_record")
    outcome = models.CharField(_("决定"), max_length=8, choices=DecisionOutcome.choices)
    reasons = models.TextField(_("理由"))
    legal_basis = models.TextField(_("依据"), blank=True)
    decided_by = models.ForeignKey(
        "org.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("决定时间"))
    deemed = models.BooleanField(_("视为准予（法定情形）"), default=False)
    on_the_spot = models.BooleanField(_("当场决定"), default=False)

    class Meta:
        verbose_name = _("许可决定")
        verbose_name_plural = _("许可决定")
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=DecisionOutcome.values), name="cases_decision_outcome"
            ),
            models.CheckConstraint(
                condition=Q(outcome="grant") | ~Q(reasons=""), name="cases_refusal_has_reasons"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.get_outcome_display()}"


class Licence(models.Model):
    number = models.CharField(_("证照编号"), max_length=40, unique=True)
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="licence")
    name = models.CharField(_("证照名称"), max_length=200)
    holder_name = models.CharField(_("持证人"), max_length=200)
    holder_id_type = models.CharField(_("持证人证件类型"), max_length=12, choices=IdType.choices)
    holder_id_number = models.CharField(_("持证人证件号码"), max_length=18)
    scope = models.TextField(_("许可范围"))
    valid_from = models.DateField(_("有效期起"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    issued_at = models.DateTimeField(_("发证时间"))
    issued_by = models.ForeignKey(
        "org.Staff", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, related_name="licences"
    )
    renewed_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="renewals"
    )

    class Meta:
        verbose_name = _("证照")
        verbose_name_plural = _("证照")
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="cases_licence_validity_order",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CaseNumberCounter(models.Model):
    """Last serial per series (case / licence), region prefix and local day.

    Incremented with one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement, so two
    concurrent submissions never get the same number.
    """

    series = models.CharField(max_length=8)
    prefix = models.CharField(max_length=12)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["series", "prefix", "day"], name="cases_counter_series_prefix_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.prefix} {self.day}: {self.last}"


# --------------------------------------------------------------------------- fees (Art. 58–59)


class CaseFee(models.Model):
    """One fee charged on a case, always from a fee item published for the case's item
    version. The standard at the time is kept beside the amount charged: a different amount
    carries ``deviates`` and its reason, an exemption (减免) its basis — both for supervision.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="fees")
    fee = models.ForeignKey(
        "catalog.Fee", verbose_name=_("收费项目"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("收费项目"), max_length=200)
    basis = models.TextField(_("收费依据"))
    unit_amount = models.DecimalField(_("收费标准（元）"), max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField(_("数量"), default=1)
    standard_amount = models.DecimalField(_("按标准应收（元）"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("实收金额（元）"), max_digits=12, decimal_places=2)
    deviates = models.BooleanField(_("与收费标准不一致"), default=False)
    deviation_reason = models.TextField(_("不一致理由"), blank=True)
    exempt = models.BooleanField(_("减免"), default=False)
    exemption_basis = models.TextField(_("减免依据"), blank=True)
    assessed_by = models.ForeignKey(
        "org.Staff", verbose_name=_("核定人"), on_delete=models.PROTECT, related_name="+"
    )
    assessed_at = models.DateTimeField(_("核定时间"))
    payment = models.ForeignKey(
        "Payment",
        verbose_name=_("缴费记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fees",
    )
    paid_at = models.DateTimeField(_("缴费时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("办件收费")
        verbose_name_plural = _("办件收费")
        ordering = ["case_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="cases_fee_amount_gte_0"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cases_fee_quantity_gte_1"),
            models.CheckConstraint(
                condition=Q(deviates=False) | ~Q(deviation_reason=""),
                name="cases_fee_deviation_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(exempt=False) | ~Q(exemption_basis=""),
                name="cases_fee_exemption_has_basis",
            ),
        ]
        indexes = [
            models.Index(fields=["deviates"], name="cases_fee_deviates", condition=Q(deviates=True))
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.name} {self.amount}"


class PaymentState(models.TextChoices):
    PENDING = "pending", _("待支付")
    PAID = "paid", _("已支付")
    CANCELLED = "cancelled", _("已取消")
    REFUNDED = "refunded", _("已退款")


class PaymentMethod(models.TextChoices):
    ONLINE = "online", _("网上支付")
    CASH = "cash", _("现金")
    BANK_CARD = "bank_card", _("银行卡（POS）")
    QR_CODE = "qr_code", _("扫码支付")


#: Methods a clerk records at the counter (the money is taken there, not via the gateway).
COUNTER_METHODS = (PaymentMethod.CASH, PaymentMethod.BANK_CARD, PaymentMethod.QR_CODE)


class Payment(models.Model):
    """One payment for the fees outstanding on a case: an order at the payment gateway
    (``method`` online), or money taken at the counter and recorded by the clerk."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="payments")
    reference = models.CharField(_("支付单号"), max_length=64, unique=True)
    gateway = models.CharField(_("支付渠道"), max_length=64)
    method = models.CharField(
        _("支付方式"), max_length=16, choices=PaymentMethod.choices, default=PaymentMethod.ONLINE
    )
    receipt_number = models.CharField(_("票据号码"), max_length=64, blank=True)
    gateway_reference = models.CharField(_("渠道交易号"), max_length=128, blank=True)
    pay_url = models.CharField(_("支付链接"), max_length=500, blank=True)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    fee_ids = models.JSONField(_("包含的收费"), default=list)
    state = models.CharField(
        _("状态"), max_length=10, choices=PaymentState.choices, default=PaymentState.PENDING
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("下单时间"))
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    paid_amount = models.DecimalField(
        _("实付金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    rejected_callbacks = models.PositiveIntegerField(_("被拒绝的回调次数"), default=0)
    refunded_at = models.DateTimeField(_("退款时间"), null=True, blank=True)
    refund_reference = models.CharField(_("退款单号"), max_length=128, blank=True)
    refund_reason = models.TextField(_("退款理由"), blank=True)

    class Meta:
        verbose_name = _("缴费记录")
        verbose_name_plural = _("缴费记录")
        ordering = ["case_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=PaymentState.values), name="cases_payment_state_valid"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="cases_payment_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(method__in=PaymentMethod.values), name="cases_payment_method_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state="paid") | Q(paid_at__isnull=False),
                name="cases_payment_paid_has_date",
            ),
            models.UniqueConstraint(
                fields=["case"], condition=Q(state="pending"), name="cases_one_pending_payment"
            ),
            # a counter receipt (票据) pays once, even when two windows register it at once
            models.UniqueConstraint(
                fields=["receipt_number"],
                condition=Q(state="paid") & ~Q(receipt_number=""),
                name="cases_payment_receipt_once",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


# --------------------------------------------------------------------------- documents


def document_upload_to(instance: CaseDocument, filename: str) -> str:
    return f"cases/{instance.case.number}/documents/{secrets.token_hex(8)}/{filename}"


class CaseDocument(models.Model):
    """A written notice issued on a case (PDF in storage), one per case event."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("文书种类"), max_length=32)
    seq = models.PositiveIntegerField(_("序号"), default=1)
    number = models.CharField(_("文书编号"), max_length=64, unique=True)
    title = models.CharField(_("文书名称"), max_length=100)
    file = models.FileField(_("文件"), upload_to=document_upload_to, max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    event_id = models.BigIntegerField(_("来源事件"), null=True, blank=True)
    created_at = models.DateTimeField(_("出具时间"))

    class Meta:
        verbose_name = _("办件文书")
        verbose_name_plural = _("办件文书")
        ordering = ["case_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "kind", "seq"], name="cases_document_seq"),
            models.UniqueConstraint(
                fields=["event_id", "kind"],
                condition=Q(event_id__isnull=False),
                name="cases_document_once_per_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"
