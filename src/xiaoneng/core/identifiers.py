"""Identifier checks (GB 11643 resident ID, GB 32100 credit code, mobile numbers).

python-stdnum does the check-digit work (DOMAIN.md §7); this module only normalises and
maps its exceptions to :class:`~xiaoneng.core.errors.ValidationFailed` in Chinese.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from .errors import ValidationFailed

MOBILE_RE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
REGION_CODE_RE = re.compile(r"^\d{12}$")


def normalize_credit_code(value: str, *, field: str = "credit_code") -> str:
    """Return the compact, upper-case unified social credit code or raise."""
    try:
        return str(uscc.validate(value))
    except StdnumError:
        raise ValidationFailed(
            _("统一社会信用代码“%(value)s”无效：应为18位且校验码正确。") % {"value": value},
            field=field,
            code="invalid_credit_code",
        ) from None


def normalize_resident_id(value: str, *, field: str = "id_number") -> str:
    try:
        return str(ric.validate(value))
    except StdnumError:
        raise ValidationFailed(
            _("居民身份证号码无效：应为18位且出生日期、校验码正确。"),
            field=field,
            code="invalid_resident_id",
        ) from None


def normalize_mobile(value: str, *, field: str = "mobile") -> str:
    match = MOBILE_RE.match(value.strip().replace(" ", "").replace("-", ""))
    if not match:
        raise ValidationFailed(
            _("手机号码无效：应为11位中国大陆手机号。"), field=field, code="invalid_mobile"
        )
    return match.group(1)


def mask_resident_id(value: str) -> str:
    """Show the first 6 and last 4 characters only (address code + check part)."""
    if len(value) < 10:
        return "*" * len(value)
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


def mask_mobile(value: str) -> str:
    if len(value) != 11:
        return "*" * len(value)
    return f"{value[:3]}****{value[-4:]}"
