"""Regions, departments, people, roles, windows, chief representatives and A/B backups."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.core.errors import ValidationFailed
from xiaoneng.core.identifiers import mask_mobile, mask_resident_id, normalize_credit_code
from xiaoneng.core.models import TimeStampedModel


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("县")
    TOWNSHIP = "township", _("乡镇")


LEVEL_DEPTH = {
    RegionLevel.PROVINCE: 0,
    RegionLevel.CITY: 1,
    RegionLevel.COUNTY: 2,
    RegionLevel.TOWNSHIP: 3,
}


class Region(TimeStampedModel):
    """A node of the administrative tree with its 12-digit division code.

    ``path`` is the materialised chain of codes from the root ("/330000000000/330100000000/"),
    so a subtree is one indexed prefix query.
    """

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("层级"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("路径"), max_length=128, unique=True, editable=False)
    office_open = models.TimeField(_("上班时间"), null=True, blank=True)
    office_close = models.TimeField(_("下班时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("区划")
        verbose_name_plural = _("区划")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=RegionLevel.values), name="org_region_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{12}$"), name="org_region_code_12_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.code or len(self.code) != 12 or not self.code.isdigit():
            raise ValidationError({"code": _("区划代码应为12位数字。")})


class Department(TimeStampedModel):
    name = models.CharField(_("名称"), max_length=128)
    short_name = models.CharField(_("简称"), max_length=32, blank=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    region = models.ForeignKey(
        Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="departments"
    )
    head = models.ForeignKey(
        "Staff",
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )
    phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.IntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["region__path", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="org_department_name_in_region")
        ]

    def __str__(self) -> str:
        return self.short_name or self.name

    def clean(self) -> None:
        try:
            self.credit_code = normalize_credit_code(self.credit_code)
        except ValidationFailed as exc:
            raise ValidationError({"credit_code": str(exc.message)}) from None


class User(AbstractUser):
    """Every person who logs in: staff and (from the approval-hall issue) applicants."""

    full_name = models.CharField(_("姓名"), max_length=64, blank=True)
    mobile = models.CharField(_("手机号码"), max_length=11, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username


class Role(models.TextChoices):
    CLERK = "clerk", _("窗口人员")
    APPROVER = "approver", _("审批人员")
    CHIEF_REPRESENTATIVE = "chief_representative", _("首席代表")
    APPROVAL_OFFICE = "approval_office", _("行政审批办")
    SUPERVISOR = "supervisor", _("效能监察")
    LEADERSHIP_OFFICE = "leadership_office", _("效能办")
    PLATFORM_ADMIN = "platform_admin", _("平台管理员")


#: Roles whose scope is their department's region subtree; the others see their department.
REGION_SCOPED_ROLES = frozenset(
    {Role.APPROVAL_OFFICE, Role.SUPERVISOR, Role.LEADERSHIP_OFFICE, Role.PLATFORM_ADMIN}
)


class Staff(TimeStampedModel):
    user = models.OneToOneField(
        User, verbose_name=_("账号"), on_delete=models.PROTECT, related_name="staff"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="staff"
    )
    title = models.CharField(_("职务"), max_length=64, blank=True)
    is_absent = models.BooleanField(_("不在岗"), default=False)
    is_active = models.BooleanField(_("在职"), default=True)

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")
        ordering = ["department_id", "id"]

    def __str__(self) -> str:
        return str(self.user)


class StaffRole(models.Model):
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)

    class Meta:
        verbose_name = _("角色授予")
        verbose_name_plural = _("角色授予")
        constraints = [
            models.UniqueConstraint(fields=["staff", "role"], name="org_staffrole_once"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="org_staffrole_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.staff}: {self.get_role_display()}"


class Window(TimeStampedModel):
    """A service counter in a hall; a comprehensive window may serve several departments."""

    region = models.ForeignKey(
        Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="windows"
    )
    code = models.CharField(_("窗口编号"), max_length=16)
    name = models.CharField(_("窗口名称"), max_length=64)
    hall = models.CharField(_("所在大厅"), max_length=128, blank=True)
    departments = models.ManyToManyField(
        Department, verbose_name=_("进驻部门"), related_name="windows", blank=True
    )
    staff = models.ManyToManyField(
        Staff, verbose_name=_("窗口人员"), related_name="windows", blank=True
    )

    class Meta:
        verbose_name = _("窗口")
        verbose_name_plural = _("窗口")
        ordering = ["region_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["region", "code"], name="org_window_code_in_region")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ChiefRepresentative(TimeStampedModel):
    """Staff authorised to decide at the window on the department's behalf."""

    staff = models.OneToOneField(
        Staff,
        verbose_name=_("首席代表"),
        on_delete=models.PROTECT,
        related_name="chief_representative",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("授权部门"),
        on_delete=models.PROTECT,
        related_name="chief_representatives",
    )
    authorisation = models.CharField(_("授权文号"), max_length=128)
    authorised_on = models.DateField(_("授权日期"))

    class Meta:
        verbose_name = _("首席代表")
        verbose_name_plural = _("首席代表")

    def __str__(self) -> str:
        return f"{self.department}: {self.staff}"


class BackupPair(TimeStampedModel):
    """A/B post: the backup takes the primary's work while the primary is absent."""

    primary = models.OneToOneField(
        Staff, verbose_name=_("A岗"), on_delete=models.CASCADE, related_name="backup_pair"
    )
    backup = models.ForeignKey(
        Staff, verbose_name=_("B岗"), on_delete=models.PROTECT, related_name="backing_up"
    )

    class Meta:
        verbose_name = _("AB岗")
        verbose_name_plural = _("AB岗")
        constraints = [
            models.CheckConstraint(
                condition=~Q(primary=models.F("backup")), name="org_backup_not_self"
            )
        ]

    def __str__(self) -> str:
        return f"{self.primary} → {self.backup}"


class ApplicantKind(models.TextChoices):
    """Who applies, in the statutory terms (行政许可法: 公民、法人或者其他组织).

    The one list of applicant kinds: an applicant's profile (here) and the applicant snapshot
    on a case (``xiaoneng.cases.models.Case.applicant_kind``) both use it.
    """

    PERSON = "person", _("自然人")
    ENTERPRISE = "enterprise", _("法人或其他组织")


class Applicant(models.Model):
    """A citizen or an enterprise's agent who applies online; logs in with an SMS code.

    The resident ID and credit code are stored normalised (python-stdnum); pages that are
    not the applicant's own show only the masked forms.
    """

    user = models.OneToOneField(
        User, verbose_name=_("账号"), on_delete=models.PROTECT, related_name="applicant"
    )
    kind = models.CharField(
        _("申请人类型"), max_length=16, choices=ApplicantKind.choices, default=ApplicantKind.PERSON
    )
    real_name = models.CharField(_("姓名"), max_length=64)
    resident_id = models.CharField(_("居民身份证号码"), max_length=18, unique=True)
    enterprise_name = models.CharField(_("企业名称"), max_length=200, blank=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    mobile = models.CharField(_("手机号码"), max_length=11, unique=True)
    created_at = models.DateTimeField(_("注册时间"), default=timezone.now)

    class Meta:
        verbose_name = _("申请人")
        verbose_name_plural = _("申请人")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ApplicantKind.values), name="org_applicant_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(mobile__regex=r"^1[3-9][0-9]{9}$"), name="org_applicant_mobile_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind=ApplicantKind.PERSON, enterprise_name="", credit_code="")
                | (
                    Q(kind=ApplicantKind.ENTERPRISE)
                    & ~Q(enterprise_name="")
                    & Q(credit_code__regex=r"^[0-9A-Z]{18}$")
                ),
                name="org_applicant_enterprise_fields",
            ),
        ]

    def __str__(self) -> str:
        return self.enterprise_name or self.real_name

    @property
    def resident_id_masked(self) -> str:
        return mask_resident_id(self.resident_id)

    @property
    def mobile_masked(self) -> str:
        return mask_mobile(self.mobile)

    @property
    def display_name(self) -> str:
        """The name a case shows: the enterprise, or the person."""
        return self.enterprise_name or self.real_name


class ApiToken(models.Model):
    """A bearer key for an API client; only its SHA-256 is stored, the key is shown once."""

    user = models.ForeignKey(
        User, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("名称"), max_length=64)
    key_hash = models.CharField(_("密钥摘要"), max_length=64, unique=True)
    prefix = models.CharField(_("密钥前缀"), max_length=16)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
