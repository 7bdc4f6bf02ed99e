"""Fees (Art. 58–59): the published standard only, a reason for any other amount, an
exemption only with its basis; payments through the (simulated) gateway."""

import datetime as dt
from decimal import Decimal

import pytest

from xiaoneng.audit.models import AuditEvent
from xiaoneng.cases import fees, payments, services
from xiaoneng.cases.models import CaseFee, Licence, Payment
from xiaoneng.catalog.models import Fee
from xiaoneng.core.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from xiaoneng.core.testing import race
from xiaoneng.org.models import Role
from xiaoneng.org.tests import factories as org_factories

from .factories import FEES, fee
from .test_workflow import accepted, finish_process, pg_only

pytestmark = pytest.mark.django_db


def fields(exc):
    return {e.field for e in exc.value.errors}


def events(action):
    return list(AuditEvent.objects.filter(action=action).values_list("payload", flat=True))


def test_fee_at_the_published_standard(world, paid_item, case):
    row = fees.case_fee_assess(
        case=case, actor=world.clerk.user, fee=fee(paid_item, "证书工本费"), quantity=2
    )
    assert (row.name, row.unit_amount, row.standard_amount, row.amount, row.deviates) == (
        "证书工本费",
        Decimal("50.00"),
        Decimal("100.00"),
        Decimal("100.00"),
        False,
    )
    assert row.basis == "《示范省行政事业性收费标准》第12项"
    assert fees.case_fee_total(case=case) == Decimal("100.00")
    assert [f.name for f in fees.case_fees(actor=world.applicant, case=case)] == ["证书工本费"]
    [payload] = events("cases.fee_assessed")
    assert (payload["amount"], payload["deviates"]) == ("100.00", False)


def test_other_amount_without_reason_is_refused_and_nothing_saved(world, paid_item, case):
    with pytest.raises(ValidationFailed) as exc:
        fees.case_fee_assess(
            case=case, actor=world.clerk.user, fee=fee(paid_item, "检验费"), amount="100"
        )
    assert fields(exc) == {"deviation_reason"}
    assert "与收费标准120.50元不一致" in str(exc.value.message)
    assert not CaseFee.objects.exists()
    assert events("cases.fee_assessed") == []


def test_other_amount_with_reason_is_flagged_and_the_reason_kept(world, paid_item, case):
    row = fees.case_fee_assess(
        case=case,
        actor=world.clerk.user,
        fee=fee(paid_item, "检验费"),
        amount="100.00",
        deviation_reason="物价局批复调整（示价〔2026〕3号）",
    )
    row.refresh_from_db()
    assert (row.standard_amount, row.amount, row.deviates, row.deviation_reason) == (
        Decimal("120.50"),
        Decimal("100.00"),
        True,
        "物价局批复调整（示价〔2026〕3号）",
    )
    assert list(CaseFee.objects.filter(deviates=True)) == [row]
    assert events("cases.fee_assessed")[0]["deviates"] is True


def test_a_fee_not_published_for_the_case_item_is_refused(world, paid_item, case):
    free_case = accepted(world)  # the world's item publishes no fee: Art. 58, free
    with pytest.raises(ValidationFailed) as exc:
        fees.case_fee_assess(
            case=free_case, actor=world.clerk.user, fee=fee(paid_item, "证书工本费")
        )
    assert exc.value.errors[0].code == "fee_not_published"
    assert "未在本事项的办事指南中公布" in str(exc.value.message)
    with pytest.raises(ValidationFailed) as exc:
        fees.case_fee_assess(case=case, actor=world.clerk.user, fee=999999)
    assert fields(exc) == {"fee"}
    assert not CaseFee.objects.exists()


def test_a_fee_item_without_basis_cannot_be_charged(world, paid_item, case):
    Fee.objects.filter(item=paid_item, name="检验费").update(basis="  ")
    with pytest.raises(ValidationFailed) as exc:
        fees.case_fee_assess(case=case, actor=world.clerk.user, fee=fee(paid_item, "检验费"))
    assert exc.value.errors[0].code == "fee_without_basis"
    assert not CaseFee.objects.exists()


def test_bad_amount_and_quantity_are_named(world, paid_item, case):
    with pytest.raises(ValidationFailed) as exc:
        fees.case_fee_assess(
            case=case,
            actor=world.clerk.user,
            fee=fee(paid_item, "检验费"),
            quantity=0,
            amount="-3",
        )
    assert fields(exc) == {"quantity", "amount"}
    with pytest.raises(ValidationFailed) as exc:
        fees.case_fee_assess(
            case=case, actor=world.clerk.user, fee=fee(paid_item, "检验费"), amount="1.005"
        )
    assert "两位小数" in str(exc.value.message)
    assert not CaseFee.objects.exists()


def test_exemption_needs_an_item_that_allows_it_and_a_basis(world, paid_item, case):
    with pytest.raises(ValidationFailed) as exc:
        fees.case_fee_assess(
            case=case, actor=world.clerk.user, fee=fee(paid_item, "检验费"), exempt=True
        )
    assert fields(exc) == {"exempt", "exemption_basis"}
    with pytest.raises(ValidationFailed) as exc:
        fees.case_fee_assess(
            case=case, actor=world.clerk.user, fee=fee(paid_item, "证书工本费"), exempt=True
        )
    assert fields(exc) == {"exemption_basis"}
    assert not CaseFee.objects.exists()
    row = fees.case_fee_assess(
        case=case,
        actor=world.clerk.user,
        fee=fee(paid_item, "证书工本费"),
        exempt=True,
        exemption_basis="小微企业免收（示财〔2025〕8号）",
    )
    assert (row.exempt, row.amount, row.standard_amount, row.deviates) == (
        True,
        Decimal("0.00"),
        Decimal("50.00"),
        False,
    )
    assert fees.case_fee_outstanding(case=case) == Decimal("0.00")
    with pytest.raises(InvalidState) as nothing:
        payments.payment_start(actor=world.applicant, case=case)
    assert nothing.value.code == "nothing_to_pay"


def test_only_the_implementing_department_staff_assess(world, paid_item, case):
    for actor in (world.outsider.user, world.approver_b.user, world.applicant):
        with pytest.raises(PermissionDenied):
            fees.case_fee_assess(case=case, actor=actor, fee=fee(paid_item, "检验费"))
    assert not CaseFee.objects.exists()
    with pytest.raises(NotFound):
        fees.case_fees(actor=world.outsider.user, case=case)


def test_closed_case_cannot_be_charged(world, paid_item):
    case = world.submit(item=paid_item)
    services.case_refuse(
        case=case, actor=world.clerk.user, reason="不属于本机关职权", legal_basis="第三十二条"
    )
    with pytest.raises(InvalidState) as exc:
        fees.case_fee_assess(case=case, actor=world.clerk.user, fee=fee(paid_item, "检验费"))
    assert exc.value.code == "case_closed"


def assess_both(world, paid_item, case):
    for name in ("证书工本费", "检验费"):
        fees.case_fee_assess(case=case, actor=world.clerk.user, fee=fee(paid_item, name))


def test_payment_happy_path(world, paid_item, case, travel):
    assess_both(world, paid_item, case)
    payment = payments.payment_start(actor=world.applicant, case=case)
    assert (payment.amount, payment.state, payment.gateway) == (
        Decimal("170.50"),
        "pending",
        "simulated",
    )
    assert payment.reference == f"PAY{case.number.replace('-', '')}01"
    assert payment.pay_url.startswith("http://127.0.0.1:8000/pay/simulated/?ref=PAY")
    # a second start returns the same open order
    assert payments.payment_start(actor=world.applicant, case=case).pk == payment.pk
    travel("2026-03-02 11:00")
    sig = payments.SimulatedGateway().sign(reference=payment.reference, paid_amount="170.50")
    done = payments.payment_confirm(
        reference=payment.reference, signature=sig, paid_amount="170.50"
    )
    assert (done.state, done.paid_amount) == ("paid", Decimal("170.50"))
    assert fees.case_fee_outstanding(case=case) == Decimal("0.00")
    assert set(CaseFee.objects.values_list("payment_id", flat=True)) == {payment.pk}
    assert len(events("cases.payment_confirmed")) == 1


def test_forged_callback_is_refused_and_recorded(world, paid_item, case):
    assess_both(world, paid_item, case)
    payment = payments.payment_start(actor=world.clerk.user, case=case)
    with pytest.raises(PermissionDenied) as forged:
        payments.payment_confirm(
            reference=payment.reference, signature="0" * 64, paid_amount="170.50"
        )
    assert forged.value.code == "bad_signature"
    # a genuine signature over a different amount
    sig = payments.SimulatedGateway().sign(reference=payment.reference, paid_amount="1.00")
    with pytest.raises(ValidationFailed) as exc:
        payments.payment_confirm(reference=payment.reference, signature=sig, paid_amount="1.00")
    assert fields(exc) == {"paid_amount"}
    payment.refresh_from_db()
    assert (payment.state, payment.rejected_callbacks) == ("pending", 2)
    assert [p["why"] for p in events("cases.payment_callback_rejected")] == [
        "signature",
        "amount",
    ]
    assert fees.case_fee_outstanding(case=case) == Decimal("170.50")


def test_double_callback_is_idempotent(world, paid_item, case):
    assess_both(world, paid_item, case)
    payment = payments.payment_start(actor=world.applicant, case=case)
    sig = payments.SimulatedGateway().sign(reference=payment.reference, paid_amount="170.50")
    first = payments.payment_confirm(
        reference=payment.reference, signature=sig, paid_amount="170.50"
    )
    again = payments.payment_confirm(
        reference=payment.reference, signature=sig, paid_amount="170.50"
    )
    assert (first.pk, first.paid_at) == (again.pk, again.paid_at)
    assert len(events("cases.payment_confirmed")) == 1
    assert Payment.objects.get().rejected_callbacks == 0


def test_new_fee_replaces_the_open_order(world, paid_item, case):
    fees.case_fee_assess(case=case, actor=world.clerk.user, fee=fee(paid_item, "检验费"))
    old = payments.payment_start(actor=world.applicant, case=case)
    fees.case_fee_assess(case=case, actor=world.clerk.user, fee=fee(paid_item, "证书工本费"))
    new = payments.payment_start(actor=world.applicant, case=case)
    old.refresh_from_db()
    assert (old.state, new.amount, new.reference[-2:]) == ("cancelled", Decimal("170.50"), "02")
    sig = payments.SimulatedGateway().sign(reference=old.reference, paid_amount="120.50")
    with pytest.raises(InvalidState):
        payments.payment_confirm(reference=old.reference, signature=sig, paid_amount="120.50")


def test_payment_scope(world, paid_item, case):
    assess_both(world, paid_item, case)
    other_clerk = org_factories.staff([Role.CLERK], world.other, password=None)
    stranger = org_factories.staff([Role.CLERK], world.assist_b, password=None)
    for actor in (other_clerk.user, stranger.user):
        with pytest.raises(PermissionDenied):
            payments.payment_start(actor=actor, case=case)
    assert not Payment.objects.exists()


def test_refund_gives_the_fees_back_to_unpaid(world, paid_item, case):
    assess_both(world, paid_item, case)
    payment = payments.payment_start(actor=world.applicant, case=case)
    sig = payments.SimulatedGateway().sign(reference=payment.reference, paid_amount="170.50")
    payments.payment_confirm(reference=payment.reference, signature=sig, paid_amount="170.50")
    with pytest.raises(PermissionDenied):
        payments.payment_refund(actor=world.outsider.user, reference=payment.reference, reason="x")
    with pytest.raises(ValidationFailed):
        payments.payment_refund(actor=world.clerk.user, reference=payment.reference, reason=" ")
    refunded = payments.payment_refund(
        actor=world.clerk.user, reference=payment.reference, reason="申请人撤回申请"
    )
    assert (refunded.state, refunded.refund_reference) == ("refunded", f"SIMR-{payment.reference}")
    assert fees.case_fee_outstanding(case=case) == Decimal("170.50")


def test_no_licence_while_a_fee_is_unpaid(world, paid_item, case, travel):
    fees.case_fee_assess(case=case, actor=world.clerk.user, fee=fee(paid_item, "检验费"))
    case = finish_process(world, case)
    services.case_decide(case=case, actor=world.approver_a.user, outcome="grant")
    kwargs = {
        "case": case,
        "actor": world.approver_a.user,
        "scope": "预包装食品销售",
        "valid_from": dt.date(2026, 3, 6),
    }
    with pytest.raises(InvalidState) as exc:
        fees.licence_issue_paid(**kwargs)
    assert exc.value.code == "fee_unpaid"
    assert "尚有120.50元费用未缴纳" in str(exc.value.message)
    case.refresh_from_db()
    assert (case.state, Licence.objects.count()) == ("granted", 0)
    payment = payments.payment_start(actor=world.applicant, case=case)
    sig = payments.SimulatedGateway().sign(reference=payment.reference, paid_amount="120.50")
    payments.payment_confirm(reference=payment.reference, signature=sig, paid_amount="120.50")
    licence = fees.licence_issue_paid(**kwargs)
    assert licence.case_id == case.pk


def test_admin_lists_fees_and_payments_read_only(world, paid_item, case, admin_client):
    assess_both(world, paid_item, case)
    payments.payment_start(actor=world.applicant, case=case)
    for model in ("case", "casetask", "casefee", "payment", "casedocument", "licence"):
        page = admin_client.get(f"/admin/cases/{model}/")
        assert page.status_code == 200, model
    page = admin_client.get("/admin/cases/casefee/")
    assert "检验费" in page.content.decode()
    assert admin_client.get("/admin/cases/payment/add/").status_code == 403


@pg_only
@pytest.mark.django_db(transaction=True)
def test_two_callbacks_at_once_confirm_once(world, paid_item):
    case = accepted(world, item=paid_item)
    assess_both(world, paid_item, case)
    payment = payments.payment_start(actor=world.applicant, case=case)
    sig = payments.SimulatedGateway().sign(reference=payment.reference, paid_amount="170.50")

    def confirm():
        return payments.payment_confirm(
            reference=payment.reference, signature=sig, paid_amount="170.50"
        )

    results = race([confirm, confirm, confirm])
    assert {type(r) for r in results} == {Payment}
    assert {r.paid_at for r in results} == {Payment.objects.get().paid_at}
    assert len(events("cases.payment_confirmed")) == 1


@pg_only
@pytest.mark.django_db(transaction=True)
def test_one_receipt_registered_at_two_windows_at_once_pays_once(world, paid_item):
    cases = [accepted(world, item=paid_item) for _ in range(2)]
    for case in cases:
        assess_both(world, paid_item, case)

    def register(case):
        return lambda: payments.payment_record_counter(
            actor=world.clerk.user,
            case=case,
            amount="170.50",
            method="cash",
            receipt_number="FS2026000777",
        )

    results = race([register(case) for case in cases])
    assert sorted(type(r).__name__ for r in results) == ["Payment", "ValidationFailed"]
    refused = next(r for r in results if isinstance(r, ValidationFailed))
    assert [e.field for e in refused.errors] == ["receipt_number"]
    assert Payment.objects.filter(receipt_number="FS2026000777", state="paid").count() == 1


def test_counter_payment_cancels_the_open_online_order_and_refunds_at_the_counter(world):
    item = world.item_with(fees=FEES)
    case = accepted(world, item=item)
    fees.case_fee_assess(case=case, actor=world.clerk.user, fee=fee(item, "检验费"))
    online = payments.payment_start(actor=world.applicant, case=case)
    paid = payments.payment_record_counter(
        actor=world.clerk.user,
        case=case,
        amount="120.50",
        method="qr_code",
        receipt_number="FS2026000200",
    )
    online.refresh_from_db()
    assert online.state == "cancelled"  # the applicant cannot pay twice
    assert (paid.state, paid.gateway, paid.method) == ("paid", "counter", "qr_code")
    assert fees.case_fee_outstanding(case=case) == Decimal("0.00")
    with pytest.raises(ValidationFailed) as reused:
        payments.payment_record_counter(
            actor=world.clerk.user,
            case=case,
            amount="0",
            method="cash",
            receipt_number="FS2026000200",
        )
    assert reused.value.errors[0].message == "该票据号码已登记过缴费。"
    refunded = payments.payment_refund(
        actor=world.clerk.user, reference=paid.reference, reason="申请人撤回"
    )
    assert (refunded.state, refunded.refund_reference) == ("refunded", f"{paid.reference}R")
    assert fees.case_fee_outstanding(case=case) == Decimal("120.50")
    assert Payment.objects.filter(state="paid").count() == 0
