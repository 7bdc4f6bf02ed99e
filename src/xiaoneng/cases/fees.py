"""Fees of a case (行政许可法 Art. 58–59): only the published standard, or a reason.

Implementing a licence is free unless a law allows a fee (Art. 58); a fee charged must be
one of the fee items published for the case's catalogue version, at its standard
(Art. 59). :func:`case_fee_assess` enforces that: the amount defaults to the standard ×
quantity; a different amount needs a reason, which stays on the row with the ``deviates``
flag so supervision (收费异常) finds it by an index; an exemption (减免) needs an item that
allows it and its basis. Payments are in :mod:`xiaoneng.cases.payments`.

The licence must not be issued while a fee is unpaid: :func:`licence_issue_paid` wraps
:func:`xiaoneng.cases.services.licence_issue` with that check (the UI/API call it instead).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.catalog.models import Fee
from xiaoneng.core.errors import FieldErrorCollector, InvalidState, PermissionDenied
from xiaoneng.org.models import Role
from xiaoneng.org.selectors import actor_scope

from . import rules
from . import selectors as case_selectors
from . import services as case_services
from .models import Case, CaseFee, Licence

CENT = Decimal("0.01")
FEE_ROLES = (Role.CLERK, Role.APPROVER, Role.CHIEF_REPRESENTATIVE)


class FeeEvent(StrEnum):
    """Audit event types of fees and payments (stable codes: never rename, only add)."""

    FEE_ASSESSED = "cases.fee_assessed"
    PAYMENT_STARTED = "cases.payment_started"
    PAYMENT_CONFIRMED = "cases.payment_confirmed"
    PAYMENT_REJECTED = "cases.payment_callback_rejected"
    PAYMENT_CANCELLED = "cases.payment_cancelled"
    PAYMENT_REFUNDED = "cases.payment_refunded"
    PAYMENT_COUNTER = "cases.payment_counter_recorded"


def money(value: Any, *, field: str, errors: FieldErrorCollector) -> Decimal | None:
    """``value`` as yuan with two decimals, or None (and an error) when it is not money."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors.add(field, _("金额格式不正确，请填写以元为单位的数字。"))
        return None
    if not amount.is_finite():
        errors.add(field, _("金额格式不正确，请填写以元为单位的数字。"))
        return None
    if amount < 0:
        errors.add(field, _("金额不能为负数。"))
        return None
    if amount != amount.quantize(CENT):
        errors.add(field, _("金额最多精确到分（两位小数）。"))
        return None
    return amount.quantize(CENT)


def is_fee_staff(actor: Any, case: Case) -> bool:
    """Staff of the implementing department with a fee role (fee assessment, counter
    payments, refunds)."""
    scope = actor_scope(actor)
    return scope.staff_id is not None and (
        scope.has_role(*FEE_ROLES) and case.department_id in scope.department_ids
    )


def may_handle_fees(actor: Any, case: Case) -> bool:
    """What :func:`case_fee_assess` and a counter payment allow (for showing their forms):
    the implementing department's fee staff, on a case not yet closed."""
    return case.state not in rules.FINAL_STATES and is_fee_staff(actor, case)


def _require_department_staff(actor: Any, case: Case) -> int:
    if not is_fee_staff(actor, case):
        raise PermissionDenied(_("只有实施主体的工作人员可以核定收费。"))
    staff_id = actor_scope(actor).staff_id
    assert staff_id is not None  # noqa: S101 - is_fee_staff checked it
    return staff_id


@transaction.atomic
def case_fee_assess(
    *,
    case: Case,
    actor: Any,
    fee: Fee | int,
    quantity: int = 1,
    amount: Any = None,
    deviation_reason: str = "",
    exempt: bool = False,
    exemption_basis: str = "",
) -> CaseFee:
    """Charge one published fee item on ``case`` (收费核定).

    ``amount`` defaults to the standard × ``quantity``; any other amount needs
    ``deviation_reason`` (kept, flagged). ``exempt`` (减免) needs the fee item to allow it
    and ``exemption_basis``; the amount then defaults to 0 (免) or is the reduced amount
    (减), never more than the standard.
    """
    case = case_services.case_lock(case)
    staff_id = _require_department_staff(actor, case)
    if case.state in rules.FINAL_STATES:
        raise InvalidState(
            _("办件已%(state)s，不能再核定收费。") % {"state": case.get_state_display()},
            code="case_closed",
        )
    fee_id = fee.pk if isinstance(fee, Fee) else fee
    errors = FieldErrorCollector()
    item_fee = Fee.objects.filter(pk=fee_id, item_id=case.item_id).first()
    if item_fee is None:
        # Art. 58: no published fee item for this case's catalogue version, no fee.
        errors.add(
            "fee",
            _("该收费项目未在本事项的办事指南中公布，不能收费（行政许可法第五十八、五十九条）。"),
            code="fee_not_published",
        )
    elif not item_fee.basis.strip():
        errors.add("fee", _("该收费项目没有收费依据，不能收费。"), code="fee_without_basis")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        errors.add("quantity", _("数量应为大于零的整数。"))
    deviation_reason = (deviation_reason or "").strip()
    exemption_basis = (exemption_basis or "").strip()
    charged = None if amount is None else money(amount, field="amount", errors=errors)
    errors.raise_if_any()
    assert item_fee is not None  # noqa: S101 - narrowed by the collector above
    standard = (item_fee.amount * quantity).quantize(CENT)
    if exempt:
        if not item_fee.exemption_allowed:
            errors.add("exempt", _("该收费项目不允许减免。"), code="exemption_not_allowed")
        if not exemption_basis:
            errors.add("exemption_basis", _("请填写减免依据。"), code="required")
        if charged is None:
            charged = Decimal("0.00")
        elif charged > standard:
            errors.add("amount", _("减免后的金额不能高于收费标准。"))
        deviates = False
    else:
        if exemption_basis:
            errors.add("exemption_basis", _("未选择减免时不应填写减免依据。"))
        if charged is None:
            charged = standard
        deviates = charged != standard
        if deviates and not deviation_reason:
            errors.add(
                "deviation_reason",
                _("实收金额%(amount)s元与收费标准%(standard)s元不一致，请填写理由（将留存备查）。")
                % {"amount": charged, "standard": standard},
                code="required",
            )
    errors.raise_if_any()
    row = CaseFee.objects.create(
        case=case,
        fee=item_fee,
        name=item_fee.name,
        basis=item_fee.basis,
        unit_amount=item_fee.amount,
        quantity=quantity,
        standard_amount=standard,
        amount=charged,
        deviates=deviates,
        deviation_reason=deviation_reason if deviates else "",
        exempt=exempt,
        exemption_basis=exemption_basis if exempt else "",
        assessed_by_id=staff_id,
        assessed_at=timezone.now(),
    )
    case_services.case_audit(
        actor,
        FeeEvent.FEE_ASSESSED,
        case,
        case_fee=row.pk,
        fee=item_fee.pk,
        standard=str(standard),
        amount=str(charged),
        deviates=deviates,
        exempt=exempt,
    )
    return row


# --------------------------------------------------------------------------- reads


def case_fees(*, actor: Any, case: Case) -> QuerySet[CaseFee]:
    """The fees of ``case`` if ``actor`` may see the case (else :class:`NotFound`)."""
    visible = case_selectors.case_get(actor=actor, number=case.number)
    return CaseFee.objects.filter(case_id=visible.pk).select_related("payment").order_by("id")


def case_fee_total(*, case: Case) -> Decimal:
    """What the applicant has to pay in all (after exemptions), paid or not."""
    total = CaseFee.objects.filter(case_id=case.pk).aggregate(total=Sum("amount"))["total"]
    return (total or Decimal("0")).quantize(CENT)


def case_fee_outstanding(*, case: Case) -> Decimal:
    """What is still unpaid."""
    total = (
        CaseFee.objects.filter(case_id=case.pk, paid_at__isnull=True, amount__gt=0)
        .aggregate(total=Sum("amount"))
        .get("total")
    )
    return (total or Decimal("0")).quantize(CENT)


def case_fee_require_paid(*, case: Case) -> None:
    """Raise :class:`InvalidState` (``fee_unpaid``) while a fee of ``case`` is unpaid."""
    outstanding = case_fee_outstanding(case=case)
    if outstanding > 0:
        raise InvalidState(
            _("本办件尚有%(amount)s元费用未缴纳，缴费后才能颁发证照。") % {"amount": outstanding},
            code="fee_unpaid",
        )


@transaction.atomic
def licence_issue_paid(
    *,
    case: Case,
    actor: Any,
    scope: str,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    name: str = "",
) -> Licence:
    """:func:`services.licence_issue`, refused (``fee_unpaid``, nothing saved) while a fee
    of the case is unpaid. The permission and state checks of ``licence_issue`` come first;
    the fee check runs in the same transaction, after the case row is locked."""
    licence = case_services.licence_issue(
        case=case,
        actor=actor,
        scope=scope,
        valid_from=valid_from,
        valid_until=valid_until,
        name=name,
    )
    case_fee_require_paid(case=licence.case)
    return licence
