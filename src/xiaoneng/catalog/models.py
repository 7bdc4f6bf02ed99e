"""Service items (政务服务事项) with every element of the implementation list, versioned.

One :class:`Item` row is one *version* of an item (``code`` + ``version``). A published row
is never edited: editing it makes a new draft version (services), and cases keep a foreign
key to the exact version they started with. At most one version per code is published
(a partial unique constraint).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xiaoneng.core.models import TimeStampedModel


class LimitUnit(models.TextChoices):
    """The clock's units (same values as ``xiaoneng.clock.LimitUnit``)."""

    WORKING_DAYS = "working_days", _("个工作日")
    CALENDAR_DAYS = "calendar_days", _("个自然日")
    WORKING_HOURS = "working_hours", _("个工作小时")
    HOURS = "hours", _("小时")
    MINUTES = "minutes", _("分钟")


class ItemState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    SUPERSEDED = "superseded", _("已被新版本替代")
    WITHDRAWN = "withdrawn", _("已撤销")


class ItemType(models.TextChoices):
    LICENSING = "licensing", _("行政许可")
    PAYMENT = "payment", _("行政给付")
    CONFIRMATION = "confirmation", _("行政确认")
    RULING = "ruling", _("行政裁决")
    REWARD = "reward", _("行政奖励")
    OTHER_POWER = "other_power", _("其他行政权力")
    PUBLIC_SERVICE = "public_service", _("公共服务")
    PENALTY = "penalty", _("行政处罚")
    ENFORCEMENT = "enforcement", _("行政强制")
    LEVY = "levy", _("行政征收")
    INSPECTION = "inspection", _("行政检查")


class ServiceObject(models.TextChoices):
    NATURAL_PERSON = "natural_person", _("自然人")
    LEGAL_PERSON = "legal_person", _("法人")
    BOTH = "both", _("自然人、法人")


class CaseType(models.TextChoices):
    IMMEDIATE = "immediate", _("即办件")
    PROMISED = "promised", _("承诺件")
    JOINT = "joint", _("联办件")
    REFERRED = "referred", _("上报件")


class ResultType(models.TextChoices):
    CERTIFICATE = "certificate", _("证照")
    APPROVAL_DOCUMENT = "approval_document", _("批文")
    OTHER = "other", _("其他")


class OnlineDepth(models.IntegerChoices):
    GUIDE = 1, _("办事指南")
    FORM_DOWNLOAD = 2, _("表格下载")
    ONLINE_PREVIEW = 3, _("在线预审")
    FULLY_ONLINE = 4, _("全程网办")


class Audience(models.TextChoices):
    CITIZEN = "citizen", _("个人办事")
    ENTERPRISE = "enterprise", _("法人办事")
    BOTH = "both", _("个人和法人")


class Necessity(models.TextChoices):
    REQUIRED = "required", _("必要")
    OPTIONAL = "optional", _("非必要")
    DEFERRABLE = "deferrable", _("容缺")


class MaterialForm(models.TextChoices):
    ORIGINAL = "original", _("原件")
    COPY = "copy", _("复印件")
    ORIGINAL_AND_COPY = "original_and_copy", _("原件和复印件")
    ELECTRONIC = "electronic", _("电子材料")


class MaterialSource(models.TextChoices):
    APPLICANT = "applicant", _("申请人自备")
    GOVERNMENT = "government", _("政府部门核发")
    INTERMEDIARY = "intermediary", _("中介机构出具")
    OTHER = "other", _("其他")


class SpecialKind(models.TextChoices):
    HEARING = "hearing", _("听证")
    TENDER = "tender", _("招标")
    AUCTION = "auction", _("拍卖")
    TESTING = "testing", _("检验检测")
    INSPECTION = "inspection", _("现场勘验")
    QUARANTINE = "quarantine", _("检疫")
    APPRAISAL = "appraisal", _("鉴定")
    EXPERT_REVIEW = "expert_review", _("专家评审")
    OTHER = "other", _("其他")


FORM_UPLOAD_DIR = "catalog/forms/"


class Topic(TimeStampedModel):
    """A theme of the public catalogue (主题), e.g. 市场准入, 教育, 交通出行."""

    code = models.SlugField(_("主题编码"), max_length=64, unique=True)
    name = models.CharField(_("主题名称"), max_length=64)
    audience = models.CharField(
        _("面向对象"), max_length=16, choices=Audience.choices, default=Audience.BOTH
    )
    sort_order = models.IntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("主题")
        verbose_name_plural = _("主题")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(audience__in=Audience.values), name="catalog_topic_audience_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Item(TimeStampedModel):
    """One version of one service item (实施清单事项)."""

    # identity
    code = models.CharField(_("实施编码"), max_length=64)
    basic_code = models.CharField(_("基本编码"), max_length=64, blank=True)
    version = models.PositiveIntegerField(_("事项版本"), default=1)
    state = models.CharField(
        _("状态"), max_length=16, choices=ItemState.choices, default=ItemState.DRAFT
    )
    name = models.CharField(_("事项名称"), max_length=200)
    item_type = models.CharField(_("事项类型"), max_length=32, choices=ItemType.choices)
    # legal and implementer
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("实施主体"),
        on_delete=models.PROTECT,
        related_name="catalog_items",
    )
    entrusted_department = models.ForeignKey(
        "org.Department",
        verbose_name=_("委托部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entrusted_catalog_items",
    )
    legal_basis = models.TextField(_("设定和实施依据"))
    acceptance_conditions = models.TextField(_("受理条件"), blank=True)
    service_object = models.CharField(
        _("服务对象"), max_length=16, choices=ServiceObject.choices, default=ServiceObject.BOTH
    )
    case_type = models.CharField(_("办件类型"), max_length=16, choices=CaseType.choices)
    # time limits
    statutory_limit_value = models.PositiveIntegerField(_("法定办结时限"))
    statutory_limit_unit = models.CharField(
        _("法定办结时限单位"), max_length=16, choices=LimitUnit.choices
    )
    promised_limit_value = models.PositiveIntegerField(_("承诺办结时限"))
    promised_limit_unit = models.CharField(
        _("承诺办结时限单位"), max_length=16, choices=LimitUnit.choices
    )
    green_channel_limit_value = models.PositiveIntegerField(
        _("绿色通道时限"), null=True, blank=True
    )
    green_channel_limit_unit = models.CharField(
        _("绿色通道时限单位"), max_length=16, choices=LimitUnit.choices, blank=True
    )
    limit_note = models.TextField(_("时限说明"), blank=True)
    deemed_approval = models.BooleanField(_("超期默许"), default=False)
    topics = models.ManyToManyField(Topic, verbose_name=_("主题"), related_name="items", blank=True)
    # delivery, place and contacts
    place = models.CharField(_("办理地点"), max_length=300, blank=True)
    office_hours = models.CharField(_("办理时间"), max_length=300, blank=True)
    traffic_guide = models.TextField(_("交通指引"), blank=True)
    consult_phone = models.CharField(_("咨询电话"), max_length=64, blank=True)
    consult_channels = models.TextField(_("咨询方式"), blank=True)
    complaint_phone = models.CharField(_("监督投诉电话"), max_length=64, blank=True)
    complaint_channels = models.TextField(_("监督投诉方式"), blank=True)
    online_depth = models.PositiveSmallIntegerField(
        _("网上办理深度"), choices=OnlineDepth.choices, default=OnlineDepth.GUIDE
    )
    visits_required = models.PositiveSmallIntegerField(_("到办事现场次数"), default=1)
    result_name = models.CharField(_("审批结果名称"), max_length=200, blank=True)
    result_type = models.CharField(
        _("审批结果类型"), max_length=32, choices=ResultType.choices, blank=True
    )
    quantity_limit = models.TextField(_("数量限制"), blank=True)
    review_channels = models.TextField(_("行政复议/行政诉讼途径"), blank=True)
    # lifecycle
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    #: name + full pinyin + pinyin initials + codes, lower case; kept by the services
    search_text = models.TextField(_("检索文本"), blank=True, editable=False)

    class Meta:
        verbose_name = _("事项")
        verbose_name_plural = _("事项")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="catalog_item_code_version"),
            models.UniqueConstraint(
                fields=["code"],
                condition=Q(state="published"),
                name="catalog_item_one_published_per_code",
            ),
            models.CheckConstraint(
                condition=Q(state__in=ItemState.values), name="catalog_item_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(item_type__in=ItemType.values), name="catalog_item_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(case_type__in=CaseType.values), name="catalog_item_case_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(service_object__in=ServiceObject.values),
                name="catalog_item_service_object_valid",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="catalog_item_version_positive"
            ),
            models.CheckConstraint(
                condition=Q(online_depth__gte=1, online_depth__lte=4),
                name="catalog_item_online_depth_1_4",
            ),
            models.CheckConstraint(
                condition=Q(statutory_limit_unit__in=LimitUnit.values)
                & Q(promised_limit_unit__in=LimitUnit.values),
                name="catalog_item_limit_units_valid",
            ),
            models.CheckConstraint(
                condition=(
                    Q(green_channel_limit_value__isnull=True, green_channel_limit_unit="")
                    | Q(
                        green_channel_limit_value__isnull=False,
                        green_channel_limit_unit__in=LimitUnit.values,
                    )
                ),
                name="catalog_item_green_channel_pair",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "department"], name="catalog_item_state_dept"),
            models.Index(fields=["state", "item_type"], name="catalog_item_state_type"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code} v{self.version}）"

    @property
    def is_free(self) -> bool:
        return not self.fees.all()


class Material(models.Model):
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="materials")
    position = models.PositiveIntegerField(_("序号"))
    name = models.CharField(_("材料名称"), max_length=200)
    necessity = models.CharField(
        _("材料必要性"), max_length=16, choices=Necessity.choices, default=Necessity.REQUIRED
    )
    form = models.CharField(
        _("材料形式"), max_length=24, choices=MaterialForm.choices, default=MaterialForm.ORIGINAL
    )
    copies = models.PositiveSmallIntegerField(_("份数"), default=1)
    source = models.CharField(
        _("来源渠道"),
        max_length=16,
        choices=MaterialSource.choices,
        default=MaterialSource.APPLICANT,
    )
    note = models.TextField(_("填报须知"), blank=True)
    blank_form = models.FileField(
        _("空白表格"), upload_to=FORM_UPLOAD_DIR, max_length=255, blank=True
    )
    blank_form_name = models.CharField(_("空白表格文件名"), max_length=200, blank=True)
    sample = models.FileField(_("示例样表"), upload_to=FORM_UPLOAD_DIR, max_length=255, blank=True)
    sample_name = models.CharField(_("示例样表文件名"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["item_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["item", "position"], name="catalog_material_position"),
            models.CheckConstraint(
                condition=Q(necessity__in=Necessity.values), name="catalog_material_necessity"
            ),
            models.CheckConstraint(
                condition=Q(form__in=MaterialForm.values), name="catalog_material_form"
            ),
            models.CheckConstraint(
                condition=Q(source__in=MaterialSource.values), name="catalog_material_source"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Step(models.Model):
    """One step (环节) of the process template; its tasks run in parallel."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(_("环节序号"))
    name = models.CharField(_("环节名称"), max_length=100)

    class Meta:
        verbose_name = _("办理环节")
        verbose_name_plural = _("办理环节")
        ordering = ["item_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["item", "position"], name="catalog_step_position")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"

    @property
    def is_parallel(self) -> bool:
        return len(self.tasks.all()) > 1


class Task(models.Model):
    """The work of one department in a step, with its own time limit."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveIntegerField(_("任务序号"))
    name = models.CharField(_("任务名称"), max_length=100)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("办理部门"),
        on_delete=models.PROTECT,
        related_name="catalog_tasks",
    )
    is_lead = models.BooleanField(_("主办"), default=False)
    limit_value = models.PositiveIntegerField(_("办理时限"))
    limit_unit = models.CharField(_("办理时限单位"), max_length=16, choices=LimitUnit.choices)

    class Meta:
        verbose_name = _("环节任务")
        verbose_name_plural = _("环节任务")
        ordering = ["step_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["step", "position"], name="catalog_task_position"),
            models.CheckConstraint(
                condition=Q(limit_unit__in=LimitUnit.values), name="catalog_task_limit_unit"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SpecialProcedure(models.Model):
    """听证、检验、专家评审…: time not counted in the limit when ``pauses_clock`` (Art. 45)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="special_procedures")
    position = models.PositiveIntegerField(_("序号"))
    name = models.CharField(_("特别程序名称"), max_length=100)
    kind = models.CharField(_("特别程序种类"), max_length=16, choices=SpecialKind.choices)
    pauses_clock = models.BooleanField(_("不计入办结时限"), default=True)
    limit_value = models.PositiveIntegerField(_("特别程序时限"), null=True, blank=True)
    limit_unit = models.CharField(
        _("特别程序时限单位"), max_length=16, choices=LimitUnit.choices, blank=True
    )
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("特别程序")
        verbose_name_plural = _("特别程序")
        ordering = ["item_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["item", "position"], name="catalog_special_position"),
            models.CheckConstraint(
                condition=Q(kind__in=SpecialKind.values), name="catalog_special_kind"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Fee(models.Model):
    """A fee item with its standard and legal basis (Art. 58–59: no basis, no fee)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="fees")
    position = models.PositiveIntegerField(_("序号"))
    name = models.CharField(_("收费项目"), max_length=200)
    amount = models.DecimalField(_("收费标准（元）"), max_digits=12, decimal_places=2)
    unit = models.CharField(_("计费单位"), max_length=32, blank=True)
    basis = models.TextField(_("收费依据"))
    exemption_allowed = models.BooleanField(_("允许减免"), default=False)
    exemption_basis = models.TextField(_("减免依据"), blank=True)

    class Meta:
        verbose_name = _("收费项目")
        verbose_name_plural = _("收费项目")
        ordering = ["item_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["item", "position"], name="catalog_fee_position"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="catalog_fee_amount_gte_0"),
            models.CheckConstraint(condition=~Q(basis=""), name="catalog_fee_needs_basis"),
        ]

    def __str__(self) -> str:
        return self.name
