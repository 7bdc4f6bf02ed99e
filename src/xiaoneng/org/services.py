"""Writes of the org app. Each use case is one function, in one transaction, audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import unicodedata
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.audit.services import audit_record
from xiaoneng.core.errors import (
    Conflict,
    FieldErrorCollector,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from xiaoneng.core.identifiers import (
    REGION_CODE_RE,
    normalize_credit_code,
    normalize_mobile,
    normalize_resident_id,
)
from xiaoneng.notify.services import verification_code_issue, verification_code_verify

from .events import OrgEvent
from .models import (
    LEVEL_DEPTH,
    ApiToken,
    Applicant,
    ApplicantKind,
    BackupPair,
    ChiefRepresentative,
    Department,
    Region,
    RegionLevel,
    Role,
    Staff,
    StaffRole,
    User,
    Window,
)
from .selectors import actor_scope


def _require_admin(actor: Any, *, region: Region | None = None) -> None:
    """Setup actions need a platform admin, or the approval office for its own region."""
    if actor is None:  # system actions: seeding, commands run by an operator
        return
    scope = actor_scope(actor)
    if scope.everything:
        return
    if region is not None and scope.has_role(Role.APPROVAL_OFFICE) and scope.covers_region(region):
        return
    raise PermissionDenied(_("没有权限执行此设置操作。"))


@transaction.atomic
def region_create(
    *, actor: Any, code: str, name: str, level: str, parent: Region | None = None
) -> Region:
    errors = FieldErrorCollector()
    if not REGION_CODE_RE.match(code or ""):
        errors.add("code", _("区划代码应为12位数字。"))
    if not name:
        errors.add("name", _("请填写区划名称。"), code="required")
    if level not in RegionLevel.values:
        errors.add("level", _("区划层级无效。"))
    elif parent is None and LEVEL_DEPTH[RegionLevel(level)] != 0 and Region.objects.exists():
        errors.add("parent", _("除顶级区划外，必须指定上级区划。"), code="required")
    elif (
        parent is not None
        and LEVEL_DEPTH[RegionLevel(level)] <= LEVEL_DEPTH[RegionLevel(parent.level)]
    ):
        errors.add("level", _("区划层级必须低于上级区划。"))
    if code and Region.objects.filter(code=code).exists():
        errors.add("code", _("区划代码“%(code)s”已存在。") % {"code": code}, code="duplicate")
    errors.raise_if_any()
    _require_admin(actor, region=parent)
    path = f"{parent.path if parent else '/'}{code}/"
    region = Region.objects.create(code=code, name=name, level=level, parent=parent, path=path)
    audit_record(
        actor=actor,
        action=OrgEvent.REGION_CREATED,
        obj=region,
        region_code=code,
        payload={"code": code, "parent": parent.code if parent else None, "level": level},
    )
    return region


@transaction.atomic
def department_create(
    *,
    actor: Any,
    name: str,
    credit_code: str,
    region: Region | None,
    short_name: str = "",
    phone: str = "",
    address: str = "",
    sort_order: int = 0,
) -> Department:
    errors = FieldErrorCollector()
    if not name:
        errors.add("name", _("请填写部门名称。"), code="required")
    try:
        credit_code = normalize_credit_code(credit_code or "")
    except ValidationFailed as exc:
        errors.add("credit_code", exc.message, code=exc.code)
    if region is None:
        errors.add("region", _("请选择所属区划。"), code="required")
    if credit_code and Department.objects.filter(credit_code=credit_code).exists():
        errors.add("credit_code", _("统一社会信用代码已被其他部门使用。"), code="duplicate")
    if region is not None and name and Department.objects.filter(region=region, name=name).exists():
        errors.add("name", _("该区划下已有同名部门。"), code="duplicate")
    errors.raise_if_any()
    if region is None:  # unreachable: the collector raised above
        raise ValidationFailed(_("请选择所属区划。"), field="region")
    _require_admin(actor, region=region)
    department = Department.objects.create(
        name=name,
        short_name=short_name,
        credit_code=credit_code,
        region=region,
        phone=phone,
        address=address,
        sort_order=sort_order,
    )
    audit_record(
        actor=actor,
        action=OrgEvent.DEPARTMENT_CREATED,
        obj=department,
        region_code=region.code,
        department_id=department.pk,
        payload={"name": name, "credit_code": credit_code, "region": region.code},
    )
    return department


@transaction.atomic
def staff_create(
    *,
    actor: Any,
    username: str,
    full_name: str,
    department: Department,
    roles: Iterable[str] = (),
    password: str | None = None,
    password_hash: str | None = None,
    mobile: str | None = None,
    title: str = "",
) -> Staff:
    """Create a staff account. ``password_hash`` (from ``make_password``) lets a bulk loader
    such as the demo hash a shared password once instead of once per account."""
    errors = FieldErrorCollector()
    if not username:
        errors.add("username", _("请填写登录名。"), code="required")
    elif User.objects.filter(username=username).exists():
        errors.add(
            "username", _("登录名“%(name)s”已被使用。") % {"name": username}, code="duplicate"
        )
    if not full_name:
        errors.add("full_name", _("请填写姓名。"), code="required")
    roles = list(roles)
    for role in roles:
        if role not in Role.values:
            errors.add("roles", _("未知角色：%(role)s") % {"role": role})
    if mobile:
        try:
            mobile = normalize_mobile(mobile)
        except ValidationFailed as exc:
            errors.add("mobile", exc.message, code=exc.code)
    errors.raise_if_any()
    _require_admin(actor, region=department.region)
    user = User(username=username, full_name=full_name, mobile=mobile or None, is_staff=False)
    if password:
        user.set_password(password)
    elif password_hash:
        user.password = password_hash
    else:
        user.set_unusable_password()
    user.save()
    staff = Staff.objects.create(user=user, department=department, title=title)
    StaffRole.objects.bulk_create([StaffRole(staff=staff, role=r) for r in dict.fromkeys(roles)])
    audit_record(
        actor=actor,
        action=OrgEvent.STAFF_CREATED,
        obj=staff,
        region_code=department.region.code,
        department_id=department.pk,
        payload={"user_id": user.pk, "roles": sorted(set(roles))},
    )
    return staff


@transaction.atomic
def department_head_set(*, actor: Any, department: Department, staff: Staff | None) -> Department:
    """Name the department's head (负责人): approves its extensions, hears of its alerts.

    The head is an active member of that department; ``None`` clears the post.
    """
    department = (
        Department.objects.select_for_update(of=("self",))
        .select_related("region")
        .get(pk=department.pk)
    )
    _require_admin(actor, region=department.region)
    if staff is not None and (staff.department_id != department.pk or not staff.is_active):
        raise ValidationFailed(
            _("部门负责人须是本部门在职工作人员。"), field="head", code="not_member"
        )
    previous = department.head_id
    department.head = staff
    department.save(update_fields=["head"])
    audit_record(
        actor=actor,
        action=OrgEvent.DEPARTMENT_HEAD_SET,
        obj=department,
        region_code=department.region.code,
        department_id=department.pk,
        payload={"old": previous, "new": staff.pk if staff else None},
    )
    return department


@transaction.atomic
def staff_grant_role(*, actor: Any, staff: Staff, role: str) -> StaffRole:
    if role not in Role.values:
        raise ValidationFailed(_("未知角色：%(role)s") % {"role": role}, field="role")
    _require_admin(actor, region=staff.department.region)
    grant, created = StaffRole.objects.get_or_create(staff=staff, role=role)
    if created:
        audit_record(
            actor=actor,
            action=OrgEvent.ROLE_GRANTED,
            obj=staff,
            department_id=staff.department_id,
            payload={"role": role},
        )
    return grant


@transaction.atomic
def window_create(
    *,
    actor: Any,
    region: Region,
    code: str,
    name: str,
    hall: str = "",
    departments: Iterable[Department] = (),
    staff: Iterable[Staff] = (),
) -> Window:
    errors = FieldErrorCollector()
    if not code:
        errors.add("code", _("请填写窗口编号。"), code="required")
    elif Window.objects.filter(region=region, code=code).exists():
        errors.add("code", _("窗口编号“%(code)s”已存在。") % {"code": code}, code="duplicate")
    if not name:
        errors.add("name", _("请填写窗口名称。"), code="required")
    errors.raise_if_any()
    _require_admin(actor, region=region)
    window = Window.objects.create(region=region, code=code, name=name, hall=hall)
    window.departments.set(list(departments))
    window.staff.set(list(staff))
    audit_record(
        actor=actor,
        action=OrgEvent.WINDOW_CREATED,
        obj=window,
        region_code=region.code,
        payload={"code": code, "departments": sorted(d.pk for d in window.departments.all())},
    )
    return window


@transaction.atomic
def chief_representative_appoint(
    *, actor: Any, staff: Staff, authorisation: str, authorised_on: dt.date
) -> ChiefRepresentative:
    if not authorisation:
        raise ValidationFailed(_("请填写授权文号。"), field="authorisation", code="required")
    _require_admin(actor, region=staff.department.region)
    chief, _created = ChiefRepresentative.objects.update_or_create(
        staff=staff,
        defaults={
            "department": staff.department,
            "authorisation": authorisation,
            "authorised_on": authorised_on,
        },
    )
    StaffRole.objects.get_or_create(staff=staff, role=Role.CHIEF_REPRESENTATIVE)
    audit_record(
        actor=actor,
        action=OrgEvent.CHIEF_REPRESENTATIVE_APPOINTED,
        obj=chief,
        department_id=staff.department_id,
        payload={"staff_id": staff.pk},
    )
    return chief


@transaction.atomic
def backup_pair_set(*, actor: Any, primary: Staff, backup: Staff) -> BackupPair:
    errors = FieldErrorCollector()
    if primary.pk == backup.pk:
        errors.add("backup", _("B岗不能是A岗本人。"))
    if primary.department_id != backup.department_id:
        errors.add("backup", _("B岗必须与A岗同属一个部门。"))
    errors.raise_if_any()
    _require_admin(actor, region=primary.department.region)
    try:
        pair, _created = BackupPair.objects.update_or_create(
            primary=primary, defaults={"backup": backup}
        )
    except IntegrityError:
        raise ValidationFailed(_("AB岗设置冲突，请重试。"), field="backup") from None
    audit_record(
        actor=actor,
        action=OrgEvent.BACKUP_SET,
        obj=pair,
        department_id=primary.department_id,
        payload={"primary": primary.pk, "backup": backup.pk},
    )
    return pair


@transaction.atomic
def staff_set_absent(*, actor: Any, staff_id: int, absent: bool) -> Staff:
    try:
        staff = (
            Staff.objects.select_for_update().select_related("department__region").get(pk=staff_id)
        )
    except Staff.DoesNotExist:
        raise NotFound(_("工作人员不存在。"), field="staff") from None
    scope = actor_scope(actor) if actor is not None else None
    if scope is not None and not (
        scope.everything
        or scope.staff_id == staff.pk
        or (
            scope.covers_department(staff.department)
            and scope.has_role(Role.APPROVAL_OFFICE, Role.CHIEF_REPRESENTATIVE)
        )
    ):
        raise PermissionDenied(_("没有权限设置该工作人员的在岗状态。"))
    if staff.is_absent != absent:
        old = staff.is_absent
        staff.is_absent = absent
        staff.save(update_fields=["is_absent", "updated_at"])
        audit_record(
            actor=actor,
            action=OrgEvent.STAFF_ABSENCE_CHANGED,
            obj=staff,
            department_id=staff.department_id,
            payload={"old": old, "new": absent},
        )
    return staff


@transaction.atomic
def platform_admin_create(*, username: str, password: str) -> User:
    """An operator's first account: superuser for Django admin and every scope."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError as DjangoValidationError

    errors = FieldErrorCollector()
    if not username:
        errors.add("username", _("请填写登录名。"), code="required")
    elif User.objects.filter(username=username).exists():
        errors.add(
            "username", _("登录名“%(name)s”已被使用。") % {"name": username}, code="duplicate"
        )
    try:
        validate_password(password, User(username=username))
    except DjangoValidationError as exc:
        errors.add("password", "；".join(exc.messages), code="weak_password")
    errors.raise_if_any()
    user = User.objects.create_superuser(username=username, password=password, email="")
    audit_record(
        actor=None, action=OrgEvent.ADMIN_CHANGED, obj=user, payload={"created_superuser": user.pk}
    )
    return user


# --------------------------------------------------------------------------- applicants


class CodePurpose(StrEnum):
    """What an SMS verification code is for (``notify`` keeps codes apart by purpose)."""

    REGISTER = "register"
    LOGIN = "login"


def _clean_name(value: str) -> tuple[str, bool]:
    """Collapse whitespace; report control characters (PostgreSQL refuses NUL in text)."""
    text = " ".join((value or "").split())
    return text, any(unicodedata.category(ch) == "Cc" for ch in text)


def _mobile_taken(mobile: str) -> bool:
    return (
        User.objects.filter(mobile=mobile).exists()
        or Applicant.objects.filter(mobile=mobile).exists()
    )


def applicant_code_send(*, mobile: str, purpose: str) -> None:
    """Send a registration or log-in code, after checking the number suits the purpose."""
    if purpose not in {p.value for p in CodePurpose}:
        raise ValidationFailed(_("验证码用途无效。"), field="purpose")
    mobile = normalize_mobile(mobile or "")
    if purpose == CodePurpose.REGISTER and _mobile_taken(mobile):
        raise ValidationFailed(
            _("该手机号码已注册，请直接使用短信验证码登录。"), field="mobile", code="duplicate"
        )
    if purpose == CodePurpose.LOGIN and not Applicant.objects.filter(mobile=mobile).exists():
        raise ValidationFailed(
            _("该手机号码尚未注册，请先注册。"), field="mobile", code="not_registered"
        )
    verification_code_issue(mobile=mobile, purpose=purpose)


def applicant_register(
    *,
    mobile: str,
    code: str,
    real_name: str,
    resident_id: str,
    kind: str = ApplicantKind.PERSON,
    enterprise_name: str = "",
    credit_code: str = "",
) -> Applicant:
    """Create an applicant and their account (no password: they log in by SMS code).

    Every input is checked first and all problems are reported at once; then the code is
    verified (its attempt counter commits on its own); then the account is created in one
    transaction. Call it outside an enclosing transaction (see ``verification_code_verify``).
    """
    errors = FieldErrorCollector()
    try:
        mobile = normalize_mobile(mobile or "")
    except ValidationFailed as exc:
        errors.add("mobile", exc.message, code=exc.code)
        mobile = ""
    real_name, bad_chars = _clean_name(real_name)
    if bad_chars:
        errors.add("real_name", _("姓名含有无效字符。"))
    elif not real_name:
        errors.add("real_name", _("请填写姓名。"), code="required")
    elif len(real_name) > 64:
        errors.add("real_name", _("姓名不能超过64个字。"))
    try:
        resident_id = normalize_resident_id(resident_id or "", field="resident_id")
    except ValidationFailed as exc:
        errors.add("resident_id", exc.message, code=exc.code)
        resident_id = ""
    enterprise_name, enterprise_bad_chars = _clean_name(enterprise_name)
    if kind not in ApplicantKind.values:
        errors.add("kind", _("申请人类型无效。"))
    elif kind == ApplicantKind.ENTERPRISE:
        if enterprise_bad_chars:
            errors.add("enterprise_name", _("企业名称含有无效字符。"))
        elif not enterprise_name:
            errors.add("enterprise_name", _("请填写企业名称。"), code="required")
        elif len(enterprise_name) > 200:
            errors.add("enterprise_name", _("企业名称不能超过200个字。"))
        try:
            credit_code = normalize_credit_code(credit_code or "")
        except ValidationFailed as exc:
            errors.add("credit_code", exc.message, code=exc.code)
    else:
        enterprise_name = credit_code = ""
    if not (code or "").strip():
        errors.add("code", _("请填写短信验证码。"), code="required")
    if mobile and _mobile_taken(mobile):
        errors.add("mobile", _("该手机号码已注册，请直接使用短信验证码登录。"), code="duplicate")
    if resident_id and Applicant.objects.filter(resident_id=resident_id).exists():
        errors.add("resident_id", _("该身份证号码已注册。"), code="duplicate")
    errors.raise_if_any()

    verification_code_verify(mobile=mobile, purpose=CodePurpose.REGISTER, code=code)
    try:
        with transaction.atomic():
            user = User(
                username=f"applicant-{secrets.token_hex(6)}", full_name=real_name, mobile=mobile
            )
            user.set_unusable_password()
            user.save()
            applicant = Applicant.objects.create(
                user=user,
                kind=kind,
                real_name=real_name,
                resident_id=resident_id,
                enterprise_name=enterprise_name,
                credit_code=credit_code,
                mobile=mobile,
            )
            audit_record(
                actor=user,
                action=OrgEvent.APPLICANT_REGISTERED,
                obj=applicant,
                payload={"user_id": user.pk, "applicant_id": applicant.pk, "kind": kind},
            )
    except IntegrityError:
        # A concurrent registration with the same number or ID won the race.
        raise Conflict(
            _("该手机号码或身份证号码刚刚已被注册。"), field="mobile", code="duplicate"
        ) from None
    return applicant


def applicant_login_code_check(*, mobile: str, code: str) -> User:
    """Check an applicant's log-in code and return their user (the view logs them in)."""
    mobile = normalize_mobile(mobile or "")
    applicant = Applicant.objects.select_related("user").filter(mobile=mobile).first()
    if applicant is None:
        raise ValidationFailed(
            _("该手机号码尚未注册，请先注册。"), field="mobile", code="not_registered"
        )
    if not applicant.user.is_active:
        raise PermissionDenied(_("该账号已停用，请联系平台管理员。"))
    verification_code_verify(mobile=mobile, purpose=CodePurpose.LOGIN, code=code)
    with transaction.atomic():
        audit_record(
            actor=applicant.user,
            action=OrgEvent.APPLICANT_LOGGED_IN,
            obj=applicant,
            payload={"user_id": applicant.user_id, "method": "sms"},
        )
    return applicant.user


# --------------------------------------------------------------------------- API tokens

API_TOKEN_PREFIX = "xn_"  # noqa: S105 (a public prefix, not a secret)
API_TOKEN_MAX_ACTIVE = 20
_TOKEN_TOUCH_EVERY = dt.timedelta(minutes=1)


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _clean_token_name(name: str) -> str:
    name, bad_chars = _clean_name(name)
    if bad_chars:
        raise ValidationFailed(_("令牌名称含有无效字符。"), field="name")
    if not name:
        raise ValidationFailed(_("请填写令牌名称。"), field="name", code="required")
    if len(name) > 64:
        raise ValidationFailed(_("令牌名称不能超过64个字。"), field="name")
    return name


def api_token_issue_by_sms(*, mobile: str, code: str, name: str) -> tuple[ApiToken, str]:
    """An applicant's client exchanges a log-in code for a token (no browser session).

    The name is checked before the code, so a bad name does not use the code up.
    """
    name = _clean_token_name(name)
    user = applicant_login_code_check(mobile=mobile, code=code)
    return api_token_issue(actor=user, user=user, name=name)


@transaction.atomic
def api_token_issue(*, actor: Any, user: User, name: str) -> tuple[ApiToken, str]:
    """Issue a token for ``user`` (the actor themself, or a platform admin for anyone).

    Returns the row and the plaintext key: it is shown once and never stored.
    """
    if actor is None or (actor.pk != user.pk and not actor_scope(actor).everything):
        raise PermissionDenied(_("只能为自己的账号创建 API 令牌。"))
    name = _clean_token_name(name)
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True).count()
    if active >= API_TOKEN_MAX_ACTIVE:
        raise ValidationFailed(
            _("有效令牌已达 %(max)d 个，请先吊销不用的令牌。") % {"max": API_TOKEN_MAX_ACTIVE},
            field="name",
            code="too_many",
        )
    if not user.is_active:
        raise PermissionDenied(_("该账号已停用，请联系平台管理员。"))
    key = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, key_hash=api_token_hash(key), prefix=key[:10]
    )
    audit_record(
        actor=actor,
        action=OrgEvent.API_TOKEN_ISSUED,
        obj=token,
        payload={"user_id": user.pk, "token_id": token.pk, "prefix": token.prefix},
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, actor: Any, token_id: int) -> ApiToken:
    """Revoke one of the actor's tokens (a platform admin: anyone's); idempotent."""
    token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None or (token.user_id != actor.pk and not actor_scope(actor).everything):
        raise NotFound(_("令牌不存在。"), field="token_id")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action=OrgEvent.API_TOKEN_REVOKED,
            obj=token,
            payload={"user_id": token.user_id, "token_id": token.pk},
        )
    return token


def api_token_authenticate(*, key: str) -> User | None:
    """The active user behind a live key, or None; notes the use (at most once a minute).

    The user's applicant profile is read with the token (a LEFT JOIN: none for staff), so
    an applicant's submission does not read it again."""
    if not key or not key.startswith(API_TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user", "user__applicant")
        .filter(key_hash=api_token_hash(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= _TOKEN_TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
