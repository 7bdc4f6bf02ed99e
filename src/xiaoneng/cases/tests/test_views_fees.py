"""Fees on the case pages: the staff 收费 card (standards, assessment, 422 with nothing
saved), the applicant's 缴费 through the simulated gateway's page, and the licence that
waits for the payment."""

from __future__ import annotations

from decimal import Decimal

import pytest

from xiaoneng.cases import fees, services
from xiaoneng.cases.models import CaseFee, Licence, Payment

from . import factories
from .test_fees import FEES, fee
from .test_workflow import accepted, finish_process

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_item(world):
    return world.item_with(fees=FEES)


@pytest.fixture
def case(world, paid_item):
    return accepted(world, item=paid_item)


def html(response):
    return response.content.decode()


def assess_url(case):
    return f"/staff/cases/{case.number}/fee_assess/"


def test_staff_page_lists_the_published_standards_and_the_form(client, world, paid_item, case):
    client.force_login(world.clerk.user)
    page = client.get(f"/staff/cases/{case.number}/")
    body = html(page)
    assert page.status_code == 200
    assert 'id="fees"' in body
    assert "证书工本费" in body
    assert "50.00 元/本" in body
    assert "《示范省行政事业性收费标准》第12项" in body
    assert "可减免：小微企业免收" in body
    assert 'id="action-fee_assess"' in body


def test_another_departments_clerk_sees_no_assess_form(client, world, paid_item, case):
    # the lead department's approver of another step may see the case but not charge
    client.force_login(world.outsider.user)
    assert client.get(f"/staff/cases/{case.number}/").status_code == 404
    response = client.post(
        assess_url(case), {"fee_assess-fee": fee(paid_item, "检验费").pk, "fee_assess-quantity": 1}
    )
    assert response.status_code == 404
    assert not CaseFee.objects.exists()


def test_assess_at_the_standard(client, world, paid_item, case):
    client.force_login(world.clerk.user)
    response = client.post(
        assess_url(case),
        {"fee_assess-fee": fee(paid_item, "证书工本费").pk, "fee_assess-quantity": 2},
    )
    assert response.status_code == 302
    row = CaseFee.objects.get()
    assert (row.name, row.quantity, row.amount, row.deviates) == (
        "证书工本费",
        2,
        Decimal("100.00"),
        False,
    )
    page = html(client.get(f"/staff/cases/{case.number}/"))
    assert "已核定收费“证书工本费”100.00元。" in page
    assert "待缴费" in page
    assert 'id="fee-outstanding">100.00<' in page


def test_deviation_without_reason_is_refused_and_nothing_saved(client, world, paid_item, case):
    client.force_login(world.clerk.user)
    response = client.post(
        assess_url(case),
        {
            "fee_assess-fee": fee(paid_item, "检验费").pk,
            "fee_assess-quantity": 1,
            "fee_assess-amount": "100",
        },
    )
    assert response.status_code == 422
    body = html(response)
    assert "实收金额100.00元与收费标准120.50元不一致，请填写理由（将留存备查）。" in body
    assert 'id="action-fee_assess" open' in body
    assert not CaseFee.objects.exists()


def test_deviation_with_reason_is_kept(client, world, paid_item, case):
    client.force_login(world.clerk.user)
    response = client.post(
        assess_url(case),
        {
            "fee_assess-fee": fee(paid_item, "检验费").pk,
            "fee_assess-quantity": 1,
            "fee_assess-amount": "100",
            "fee_assess-deviation_reason": "按物价局批复下浮",
        },
    )
    assert response.status_code == 302
    row = CaseFee.objects.get()
    assert (row.amount, row.deviates, row.deviation_reason) == (
        Decimal("100.00"),
        True,
        "按物价局批复下浮",
    )


def test_exemption_needs_its_basis(client, world, paid_item, case):
    client.force_login(world.clerk.user)
    response = client.post(
        assess_url(case),
        {
            "fee_assess-fee": fee(paid_item, "检验费").pk,
            "fee_assess-quantity": 1,
            "fee_assess-exempt": "on",
        },
    )
    assert response.status_code == 422
    body = html(response)
    assert "该收费项目不允许减免。" in body
    assert "请填写减免依据。" in body
    assert not CaseFee.objects.exists()


def test_missing_fee_choice_is_named(client, world, paid_item, case):
    client.force_login(world.clerk.user)
    response = client.post(assess_url(case), {"fee_assess-quantity": 1})
    assert response.status_code == 422
    assert "此项为必填项。" in html(response)
    assert not CaseFee.objects.exists()


def test_applicant_pays_through_the_simulated_page_then_the_licence_is_issued(
    client, world, paid_item, case
):
    fees.case_fee_assess(case=case, actor=world.clerk.user, fee=fee(paid_item, "检验费"))
    case = finish_process(world, case)
    services.case_decide(case=case, actor=world.approver_a.user, outcome="grant")
    licence_post = {
        "licence_issue-name": "食品经营许可证",
        "licence_issue-scope": "预包装食品销售",
        "licence_issue-valid_from": "2026-03-06",
    }

    # before paying: the licence waits
    client.force_login(world.approver_a.user)
    refused = client.post(f"/staff/cases/{case.number}/licence_issue/", licence_post)
    assert refused.status_code == 409
    assert "本办件尚有120.50元费用未缴纳，缴费后才能颁发证照。" in html(refused)
    assert not Licence.objects.exists()

    # the applicant pays
    client.force_login(world.applicant)
    page = html(client.get(f"/me/cases/{case.number}/"))
    assert 'id="fee-outstanding">120.50<' in page
    assert "待缴费" in page
    started = client.post(f"/me/cases/{case.number}/pay/")
    payment = Payment.objects.get()
    assert started.status_code == 302
    assert started["Location"] == payment.pay_url
    assert started["Location"].startswith("http://127.0.0.1:8000/pay/simulated/?ref=PAY")
    cashier = client.get("/pay/simulated/", {"ref": payment.reference})
    body = html(cashier)
    assert cashier.status_code == 200
    assert payment.reference in body
    assert 'id="pay-amount">120.50<' in body
    assert paid_item.name in body
    done = client.post("/pay/simulated/confirm/", {"ref": payment.reference})
    assert done.status_code == 302
    assert done["Location"] == f"/me/cases/{case.number}/"
    page = html(client.get(done["Location"]))
    assert f"已缴费120.50元，支付单号{payment.reference}。" in page
    assert 'id="fees-paid"' in page
    payment.refresh_from_db()
    assert payment.state == "paid"
    assert fees.case_fee_outstanding(case=case) == Decimal("0.00")

    # now the licence is issued
    client.force_login(world.approver_a.user)
    issued = client.post(f"/staff/cases/{case.number}/licence_issue/", licence_post)
    assert issued.status_code == 302
    assert Licence.objects.get().case_id == case.pk


def test_nothing_to_pay_is_said(client, world, paid_item, case):
    client.force_login(world.applicant)
    response = client.post(f"/me/cases/{case.number}/pay/")
    assert response.status_code == 409
    assert not Payment.objects.exists()


def test_someone_elses_order_is_not_shown(client, world, paid_item, case):
    fees.case_fee_assess(case=case, actor=world.clerk.user, fee=fee(paid_item, "检验费"))
    client.force_login(world.applicant)
    client.post(f"/me/cases/{case.number}/pay/")
    payment = Payment.objects.get()
    client.force_login(factories.applicant_user())
    assert client.get("/pay/simulated/", {"ref": payment.reference}).status_code == 404
    assert client.post("/pay/simulated/confirm/", {"ref": payment.reference}).status_code == 404
    payment.refresh_from_db()
    assert payment.state == "pending"


def test_staff_refund_from_the_case_page(client, world, paid_item, case):
    fees.case_fee_assess(case=case, actor=world.clerk.user, fee=fee(paid_item, "检验费"))
    client.force_login(world.applicant)
    client.post(f"/me/cases/{case.number}/pay/")
    payment = Payment.objects.get()
    client.post("/pay/simulated/confirm/", {"ref": payment.reference})
    client.force_login(world.clerk.user)
    url = f"/staff/cases/{case.number}/payment_refund/"
    empty = client.post(url, {"payment_refund-reference": payment.reference})
    assert empty.status_code == 422
    assert "请填写退款理由。" in html(empty)
    done = client.post(
        url, {"payment_refund-reference": payment.reference, "payment_refund-reason": "撤回申请"}
    )
    assert done.status_code == 302
    payment.refresh_from_db()
    assert (payment.state, payment.refund_reason) == ("refunded", "撤回申请")


def counter_url(case):
    return f"/staff/cases/{case.number}/payment_counter/"


def post_counter(client, case, amount, method, receipt_number):
    """Submit the counter payment form of ``case``."""
    return client.post(
        counter_url(case),
        {
            "payment_counter-amount": amount,
            "payment_counter-method": method,
            "payment_counter-receipt_number": receipt_number,
        },
    )


def test_counter_payment_form_only_for_the_departments_fee_staff(client, world, paid_item, case):
    fees.case_fee_assess(case=case, actor=world.clerk.user, fee=fee(paid_item, "检验费"))
    client.force_login(world.clerk.user)
    body = html(client.get(f"/staff/cases/{case.number}/"))
    assert 'id="action-payment_counter"' in body
    assert 'value="120.50"' in body  # prefilled with what is due
    # an assisting department's approver sees the case but may not take its money
    client.force_login(world.approver_b.user)
    page = client.get(f"/staff/cases/{case.number}/")
    assert 'id="action-payment_counter"' not in html(page)
    refused = post_counter(client, case, "120.50", "cash", "FS2026000123")
    assert refused.status_code in (403, 404)
    assert not Payment.objects.exists()
    assert fees.case_fee_outstanding(case=case) == Decimal("120.50")


def test_counter_payment_makes_the_licence_issuable(client, world, paid_item, case):
    fees.case_fee_assess(case=case, actor=world.clerk.user, fee=fee(paid_item, "检验费"))
    client.force_login(world.clerk.user)
    done = post_counter(client, case, "120.50", "bank_card", "FS2026000123")
    assert done.status_code == 302
    payment = Payment.objects.get()
    assert (payment.state, payment.method, payment.receipt_number, payment.paid_amount) == (
        "paid",
        "bank_card",
        "FS2026000123",
        Decimal("120.50"),
    )
    page = html(client.get(f"/staff/cases/{case.number}/"))
    assert "已登记窗口缴费120.50元（银行卡（POS），票据号FS2026000123）。" in page
    assert 'id="action-payment_counter"' not in page  # nothing left to pay
    assert "窗口缴费" in page  # in the history
    case = finish_process(world, case)
    services.case_decide(case=case, actor=world.approver_a.user, outcome="grant")
    client.force_login(world.approver_a.user)
    issued = client.post(
        f"/staff/cases/{case.number}/licence_issue/",
        {
            "licence_issue-name": "食品经营许可证",
            "licence_issue-scope": "预包装食品销售",
            "licence_issue-valid_from": "2026-03-06",
        },
    )
    assert issued.status_code == 302
    assert Licence.objects.get().case_id == case.pk


def test_counter_payment_bad_input_changes_nothing(client, world, paid_item, case):
    fees.case_fee_assess(case=case, actor=world.clerk.user, fee=fee(paid_item, "检验费"))
    client.force_login(world.clerk.user)
    missing = client.post(counter_url(case), {"payment_counter-amount": "120.50"})
    assert missing.status_code == 422
    assert "此项为必填项。" in html(missing)
    wrong = post_counter(client, case, "100", "cash", "FS2026000124")
    assert wrong.status_code == 422
    assert "实收金额100.00元与应缴金额120.50元不一致。" in html(wrong)
    assert not Payment.objects.exists()
    assert fees.case_fee_outstanding(case=case) == Decimal("120.50")
