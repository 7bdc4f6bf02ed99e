"""Paying the fees of a case through a payment gateway (a simulated one by default).

The gateway is chosen by the setting ``XN_PAYMENT_GATEWAY`` (a dotted path to a class
implementing :class:`PaymentGateway`; default :class:`SimulatedGateway`). The flow:

1. :func:`payment_start` creates one order for everything outstanding on the case and
   returns the :class:`~xiaoneng.cases.models.Payment` with the gateway's pay URL;
2. the gateway calls back: :func:`payment_confirm` checks the signature and the amount,
   marks the payment and its fees paid — idempotently (a gateway repeats callbacks); a
   forged signature or a wrong amount is refused and recorded (audit event + counter);
3. :func:`payment_refund` gives the money back through the gateway.

At the counter, :func:`payment_record_counter` records money the clerk took there (cash,
bank card, a scan at the POS) against its receipt number: the same exact-amount rule, no
gateway involved.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.core.errors import (
    FieldErrorCollector,
    InvalidState,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from xiaoneng.org.selectors import actor_scope

from . import rules
from .fees import CENT, FEE_ROLES, FeeEvent, is_fee_staff, money
from .models import COUNTER_METHODS, Case, CaseFee, Payment, PaymentMethod, PaymentState
from .services import case_audit, case_lock

DEFAULT_GATEWAY = "xiaoneng.cases.payments.SimulatedGateway"
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class GatewayOrder:
    pay_url: str  # where the applicant pays
    gateway_reference: str  # the gateway's own number for the order


@runtime_checkable
class PaymentGateway(Protocol):
    """What the platform needs from a payment backend."""

    name: str

    def create_order(self, *, reference: str, amount: Decimal, subject: str) -> GatewayOrder:
        """Open an order of ``amount`` yuan under our ``reference``."""
        ...

    def verify_callback(self, *, reference: str, paid_amount: Decimal, signature: str) -> bool:
        """True when ``signature`` is the gateway's signature of this callback."""
        ...

    def refund(self, *, reference: str, amount: Decimal, reason: str) -> str:
        """Refund ``amount`` of the paid order ``reference``; return the refund number."""
        ...


def public_base_url() -> str:
    return str(getattr(settings, "XN_PUBLIC_BASE_URL", DEFAULT_PUBLIC_BASE_URL)).rstrip("/")


class SimulatedGateway:
    """The embedded default: no money moves. References are deterministic; callbacks are
    signed with HMAC-SHA256 over ``reference|amount`` (key from ``XN_PAYMENT_SECRET`` or
    derived from ``SECRET_KEY``), so a test or a demo page can pay with :meth:`sign`."""

    name = "simulated"

    def _key(self) -> bytes:
        secret = getattr(settings, "XN_PAYMENT_SECRET", "") or f"payments:{settings.SECRET_KEY}"
        return hashlib.sha256(str(secret).encode()).digest()

    def sign(self, *, reference: str, paid_amount: Decimal | str) -> str:
        amount = Decimal(str(paid_amount)).quantize(CENT)
        message = f"{reference}|{amount}".encode()
        return hmac.new(self._key(), message, hashlib.sha256).hexdigest()

    def create_order(self, *, reference: str, amount: Decimal, subject: str) -> GatewayOrder:
        query = urlencode({"ref": reference, "amount": str(amount)})
        return GatewayOrder(
            pay_url=f"{public_base_url()}/pay/simulated/?{query}",
            gateway_reference=f"SIM-{reference}",
        )

    def verify_callback(self, *, reference: str, paid_amount: Decimal, signature: str) -> bool:
        expected = self.sign(reference=reference, paid_amount=paid_amount)
        return hmac.compare_digest(expected, str(signature or ""))

    def refund(self, *, reference: str, amount: Decimal, reason: str) -> str:
        return f"SIMR-{reference}"


@lru_cache(maxsize=4)
def _gateway_class(path: str) -> Any:
    return import_string(path)


def payment_gateway() -> PaymentGateway:
    """The configured gateway (``XN_PAYMENT_GATEWAY``)."""
    gateway: PaymentGateway = _gateway_class(
        getattr(settings, "XN_PAYMENT_GATEWAY", DEFAULT_GATEWAY)
    )()
    return gateway


def _may_pay(actor: Any, case: Case) -> bool:
    """The applicant (owner) pays online; the implementing department's staff at the window."""
    if (
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and case.applicant_user_id == actor.pk
    ):
        return True
    scope = actor_scope(actor)
    return scope.has_role(*FEE_ROLES) and (
        scope.everything or case.department_id in scope.department_ids
    )


def _outstanding(case: Case) -> tuple[list[CaseFee], Decimal]:
    """The unpaid fees of ``case`` (in order) and their sum; nothing to pay is a 409."""
    fees = list(
        CaseFee.objects.filter(case=case, paid_at__isnull=True, amount__gt=0).order_by("pk")
    )
    if not fees:
        raise InvalidState(_("本办件没有待缴纳的费用。"), code="nothing_to_pay")
    return fees, sum((f.amount for f in fees), Decimal("0")).quantize(CENT)


def _next_reference(case: Case) -> str:
    """The case's next payment number (the case row is locked by the caller)."""
    serial = Payment.objects.filter(case=case).count() + 1
    return f"PAY{case.number.replace('-', '')}{serial:02d}"


_RECEIPT_USED = gettext_lazy("该票据号码已登记过缴费。")


def _receipt_used(receipt_number: str) -> bool:
    """Whether a paid payment already carries this counter receipt (a database constraint,
    ``cases_payment_receipt_once``, holds it when two windows register it at once)."""
    return Payment.objects.filter(receipt_number=receipt_number, state=PaymentState.PAID).exists()


def _refuse_closed(case: Case) -> None:
    if case.state in rules.FINAL_STATES:
        raise InvalidState(
            _("办件已%(state)s，不能缴费。") % {"state": case.get_state_display()},
            code="case_closed",
        )


def _cancel(actor: Any, case: Case, payment: Payment) -> None:
    """Cancel an open gateway order that no longer covers what is due (or was paid at the
    counter)."""
    payment.state = PaymentState.CANCELLED
    payment.save(update_fields=["state"])
    case_audit(actor, FeeEvent.PAYMENT_CANCELLED, case, payment=payment.reference)


@transaction.atomic
def payment_start(*, actor: Any, case: Case) -> Payment:
    """Open (or return the open) payment order for everything outstanding on ``case``."""
    case = case_lock(case)
    if not _may_pay(actor, case):
        raise PermissionDenied(_("只有申请人本人或实施主体的工作人员可以发起缴费。"))
    _refuse_closed(case)
    fees, amount = _outstanding(case)
    fee_ids = [f.pk for f in fees]
    open_payment = Payment.objects.filter(case=case, state=PaymentState.PENDING).first()
    if open_payment is not None:
        if open_payment.fee_ids == fee_ids and open_payment.amount == amount:
            return open_payment
        # A fee was assessed since: the old order no longer covers what is due.
        _cancel(actor, case, open_payment)
    reference = _next_reference(case)
    gateway = payment_gateway()
    order = gateway.create_order(
        reference=reference,
        amount=amount,
        subject=_("办件%(number)s行政许可收费") % {"number": case.number},
    )
    payment = Payment.objects.create(
        case=case,
        reference=reference,
        gateway=gateway.name,
        gateway_reference=order.gateway_reference,
        pay_url=order.pay_url,
        amount=amount,
        fee_ids=fee_ids,
        started_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=timezone.now(),
    )
    case_audit(actor, FeeEvent.PAYMENT_STARTED, case, payment=reference, amount=str(amount))
    return payment


def _reject(payment: Payment, *, why: str, paid_amount: str) -> None:
    """Record a refused callback in its own committed transaction (the caller then raises)."""
    with transaction.atomic():
        locked = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("case__region")
            .get(pk=payment.pk)
        )
        locked.rejected_callbacks += 1
        locked.save(update_fields=["rejected_callbacks"])
        case_audit(
            None,
            FeeEvent.PAYMENT_REJECTED,
            locked.case,
            payment=locked.reference,
            why=why,
            paid_amount=paid_amount,
        )


def payment_confirm(*, reference: str, signature: str, paid_amount: Any) -> Payment:
    """The gateway's callback: the order ``reference`` was paid ``paid_amount`` yuan.

    Idempotent: a repeated callback for a paid order returns it unchanged. A wrong
    signature (:class:`PermissionDenied`) or amount (:class:`ValidationFailed`) is refused,
    and the refusal is recorded (audit event, ``rejected_callbacks``) even so.
    """
    errors = FieldErrorCollector()
    amount = money(paid_amount, field="paid_amount", errors=errors)
    payment = Payment.objects.filter(reference=str(reference or "")).first()
    if payment is None:
        raise NotFound(_("支付单“%(reference)s”不存在。") % {"reference": reference})
    gateway = payment_gateway()
    signed = amount is not None and gateway.verify_callback(
        reference=payment.reference, paid_amount=amount, signature=signature
    )
    if not signed:
        _reject(payment, why="signature", paid_amount=str(paid_amount))
        raise PermissionDenied(_("支付回调签名无效，已拒绝并记录。"), code="bad_signature")
    assert amount is not None  # noqa: S101 - a valid signature needs an amount
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("case__region")
            .get(pk=payment.pk)
        )
        if payment.state == PaymentState.PAID and payment.paid_amount == amount:
            return payment  # the gateway repeated its callback
        wrong_amount = amount != payment.amount
        wrong_state = payment.state != PaymentState.PENDING
    if wrong_amount:
        _reject(payment, why="amount", paid_amount=str(amount))
        raise ValidationFailed(
            _("支付金额%(paid)s元与应缴金额%(due)s元不一致，已拒绝并记录。")
            % {"paid": amount, "due": payment.amount},
            field="paid_amount",
            code="amount_mismatch",
        )
    if wrong_state:
        _reject(payment, why=f"state:{payment.state}", paid_amount=str(amount))
        raise InvalidState(
            _("支付单当前状态为“%(state)s”，不能确认支付。")
            % {"state": payment.get_state_display()},
            code="payment_not_pending",
        )
    with transaction.atomic():
        case = case_lock(payment.case)
        payment = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
        if payment.state == PaymentState.PAID:  # a concurrent callback won
            return payment
        now = timezone.now()
        payment.state = PaymentState.PAID
        payment.paid_at = now
        payment.paid_amount = amount
        payment.save(update_fields=["state", "paid_at", "paid_amount"])
        CaseFee.objects.filter(pk__in=payment.fee_ids, paid_at__isnull=True).update(
            payment=payment, paid_at=now
        )
        case_audit(
            None, FeeEvent.PAYMENT_CONFIRMED, case, payment=payment.reference, amount=str(amount)
        )
    return payment


@transaction.atomic
def payment_refund(*, actor: Any, reference: str, reason: str) -> Payment:
    """Refund a paid order through the gateway (implementing department's staff, a reason);
    its fees are unpaid again."""
    payment = Payment.objects.select_related("case").filter(reference=str(reference or "")).first()
    if payment is None:
        raise NotFound(_("支付单“%(reference)s”不存在。") % {"reference": reference})
    case = case_lock(payment.case)
    if not is_fee_staff(actor, case):
        raise PermissionDenied(_("只有实施主体的工作人员可以办理退款。"))
    if not (reason or "").strip():
        raise ValidationFailed(_("请填写退款理由。"), field="reason", code="required")
    payment = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
    if payment.state != PaymentState.PAID:
        raise InvalidState(
            _("只有已支付的支付单可以退款（当前：%(state)s）。")
            % {"state": payment.get_state_display()},
            code="payment_not_paid",
        )
    if payment.method == PaymentMethod.ONLINE:
        refund_reference = payment_gateway().refund(
            reference=payment.reference, amount=payment.paid_amount or payment.amount, reason=reason
        )
    else:  # taken at the counter: the money is handed back there, against this number
        refund_reference = f"{payment.reference}R"
    payment.state = PaymentState.REFUNDED
    payment.refunded_at = timezone.now()
    payment.refund_reference = refund_reference
    payment.refund_reason = reason.strip()
    payment.save(update_fields=["state", "refunded_at", "refund_reference", "refund_reason"])
    CaseFee.objects.filter(payment=payment).update(payment=None, paid_at=None)
    case_audit(actor, FeeEvent.PAYMENT_REFUNDED, case, payment=payment.reference)
    return payment


@transaction.atomic
def payment_record_counter(
    *, actor: Any, case: Case, amount: Any, method: str, receipt_number: str
) -> Payment:
    """Record fees paid at the counter (implementing department's staff with a fee role).

    The amount must be exactly what is outstanding (Art. 59: the published standard, no
    more, no less); the receipt number (the non-tax revenue receipt) is required. An open
    gateway order for the same fees is cancelled, so the applicant cannot pay twice.
    """
    case = case_lock(case)
    if not is_fee_staff(actor, case):
        raise PermissionDenied(_("只有实施主体的工作人员可以登记窗口缴费。"))
    _refuse_closed(case)
    errors = FieldErrorCollector()
    paid = money(amount, field="amount", errors=errors)
    if method not in COUNTER_METHODS:
        errors.add("method", _("请选择窗口缴费方式（现金、银行卡或扫码支付）。"))
    receipt_number = (receipt_number or "").strip()
    if not receipt_number:
        errors.add("receipt_number", _("请填写缴费票据号码。"))
    elif _receipt_used(receipt_number):
        errors.add("receipt_number", _RECEIPT_USED)
    errors.raise_if_any()
    fees, due = _outstanding(case)
    if paid != due:
        raise ValidationFailed(
            _("实收金额%(paid)s元与应缴金额%(due)s元不一致。") % {"paid": paid, "due": due},
            field="amount",
            code="amount_mismatch",
        )
    for open_payment in Payment.objects.filter(case=case, state=PaymentState.PENDING):
        _cancel(actor, case, open_payment)
    now = timezone.now()
    try:
        with transaction.atomic():  # a savepoint: the receipt may have been taken meanwhile
            payment = Payment.objects.create(
                case=case,
                reference=_next_reference(case),
                gateway="counter",
                method=PaymentMethod(method),
                receipt_number=receipt_number,
                amount=due,
                fee_ids=[f.pk for f in fees],
                state=PaymentState.PAID,
                started_by=actor if getattr(actor, "is_authenticated", False) else None,
                created_at=now,
                paid_at=now,
                paid_amount=due,
            )
    except IntegrityError:
        # another window registered the same receipt between the check above and now
        if not _receipt_used(receipt_number):
            raise
        errors.add("receipt_number", _RECEIPT_USED)
        errors.raise_if_any()
    CaseFee.objects.filter(pk__in=payment.fee_ids).update(payment=payment, paid_at=now)
    case_audit(
        actor,
        FeeEvent.PAYMENT_COUNTER,
        case,
        payment=payment.reference,
        amount=str(due),
        method=str(method),
        receipt_number=receipt_number,
    )
    return payment
