"""Fees and payments over the API: the standards and assessed fees, assessing (422 with
nothing saved), paying through the gateway's signed callback (forged 403, wrong amount
422, repeated 200), refund, the licence waiting for payment, and who may call what."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client

from xiaoneng.cases import fees, payments, services
from xiaoneng.cases.models import CaseFee, Licence, Payment

from .factories import fee
from .test_api import BASE, bearer, session
from .test_workflow import finish_process

pytestmark = pytest.mark.django_db


def post(client: Client, path: str, body: dict | None = None):
    return client.post(
        f"{BASE}{path}", data=json.dumps(body or {}), content_type="application/json"
    )


def pay_start(world, case):
    return post(session(world.applicant), f"/cases/{case.number}/payments").json()


def callback(reference: str, amount: str, signature: str | None = None):
    sig = signature or payments.SimulatedGateway().sign(reference=reference, paid_amount=amount)
    return post(
        Client(enforce_csrf_checks=True),
        "/payments/callback",
        {"reference": reference, "paid_amount": amount, "signature": sig},
    )


def test_fee_list_shows_the_standards_and_the_assessed_fees(world, paid_item, case):
    fees.case_fee_assess(case=case, actor=world.clerk.user, fee=fee(paid_item, "检验费"))
    body = bearer(world.clerk.user).get(f"{BASE}/cases/{case.number}/fees").json()
    assert [(s["name"], s["amount"], s["unit"]) for s in body["standards"]] == [
        ("证书工本费", "50.00", "元/本"),
        ("检验费", "120.50", "元/件"),
    ]
    assert [(f["name"], f["amount"], f["paid"]) for f in body["fees"]] == [
        ("检验费", "120.50", False)
    ]
    assert (body["total"], body["outstanding"]) == ("120.50", "120.50")


def test_assess_at_the_standard(world, paid_item, case):
    response = post(
        bearer(world.clerk.user),
        f"/cases/{case.number}/fees",
        {"fee_id": fee(paid_item, "证书工本费").pk, "quantity": 2},
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["amount"], body["standard_amount"], body["deviates"]) == (
        "100.00",
        "100.00",
        False,
    )
    assert CaseFee.objects.get().amount == Decimal("100.00")


def test_deviation_without_reason_is_422_and_nothing_saved(world, paid_item, case):
    response = post(
        bearer(world.clerk.user),
        f"/cases/{case.number}/fees",
        {"fee_id": fee(paid_item, "检验费").pk, "amount": "100"},
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["field"], e["message"]) for e in errors] == [
        (
            "deviation_reason",
            "实收金额100.00元与收费标准120.50元不一致，请填写理由（将留存备查）。",
        )
    ]
    assert not CaseFee.objects.exists()


def test_another_departments_clerk_and_the_applicant_cannot_assess(world, paid_item, case):
    body = {"fee_id": fee(paid_item, "检验费").pk}
    other = post(bearer(world.outsider.user), f"/cases/{case.number}/fees", body)
    assert other.status_code == 404
    own = post(session(world.applicant), f"/cases/{case.number}/fees", body)
    assert own.status_code == 403
    assert own.json()["message"] == "只有实施主体的工作人员可以核定收费。"
    assert not CaseFee.objects.exists()


def test_anonymous_gets_401_on_every_fee_operation(world, paid_item, case):
    anonymous = Client()
    for method, path in [
        ("get", f"/cases/{case.number}/fees"),
        ("post", f"/cases/{case.number}/fees"),
        ("post", f"/cases/{case.number}/payments"),
        ("post", "/payments/PAY1/refund"),
        ("post", f"/cases/{case.number}/payments/counter"),
    ]:
        response = getattr(anonymous, method)(f"{BASE}{path}")
        assert response.status_code == 401, path
        assert response.json()["code"] == "unauthenticated"
    assert not CaseFee.objects.exists()


def test_pay_by_callback_then_the_licence_is_issued(world, paid_item, case):
    fees.case_fee_assess(case=case, actor=world.clerk.user, fee=fee(paid_item, "检验费"))
    case = finish_process(world, case)
    services.case_decide(case=case, actor=world.approver_a.user, outcome="grant")
    approver = bearer(world.approver_a.user)
    licence = {"scope": "预包装食品销售", "valid_from": "2026-03-06"}

    refused = post(approver, f"/cases/{case.number}/licence", licence)
    assert refused.status_code == 409
    assert refused.json()["code"] == "fee_unpaid"
    assert refused.json()["message"] == "本办件尚有120.50元费用未缴纳，缴费后才能颁发证照。"
    assert not Licence.objects.exists()

    started = pay_start(world, case)
    assert (started["amount"], started["state"], started["gateway"]) == (
        "120.50",
        "pending",
        "simulated",
    )
    assert started["pay_url"] == (
        f"http://127.0.0.1:8000/pay/simulated/?ref={started['reference']}&amount=120.50"
    )
    paid = callback(started["reference"], "120.50")
    assert paid.status_code == 200
    assert (paid.json()["state"], paid.json()["paid_amount"]) == ("paid", "120.50")

    issued = post(approver, f"/cases/{case.number}/licence", licence)
    assert issued.status_code == 201
    assert Licence.objects.get().case_id == case.pk


def test_forged_callback_is_403_and_wrong_amount_422(world, paid_item, case):
    fees.case_fee_assess(case=case, actor=world.clerk.user, fee=fee(paid_item, "检验费"))
    reference = pay_start(world, case)["reference"]
    forged = callback(reference, "120.50", signature="0" * 64)
    assert forged.status_code == 403
    assert (forged.json()["code"], forged.json()["message"]) == (
        "bad_signature",
        "支付回调签名无效，已拒绝并记录。",
    )
    wrong = callback(reference, "1.00")
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "paid_amount"
    payment = Payment.objects.get()
    assert (payment.state, payment.rejected_callbacks) == ("pending", 2)
    assert fees.case_fee_outstanding(case=case) == Decimal("120.50")
    assert callback("PAY-NOPE", "1.00").status_code == 404


def test_repeated_callback_is_idempotent(world, paid_item, case):
    fees.case_fee_assess(case=case, actor=world.clerk.user, fee=fee(paid_item, "检验费"))
    reference = pay_start(world, case)["reference"]
    first = callback(reference, "120.50")
    again = callback(reference, "120.50")
    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json() == again.json()
    assert Payment.objects.get().rejected_callbacks == 0


def test_start_with_nothing_to_pay_is_409(world, paid_item, case):
    response = post(session(world.applicant), f"/cases/{case.number}/payments")
    assert (response.status_code, response.json()["code"]) == (409, "nothing_to_pay")
    assert not Payment.objects.exists()


def test_refund_by_the_department_staff_only(world, paid_item, case):
    fees.case_fee_assess(case=case, actor=world.clerk.user, fee=fee(paid_item, "检验费"))
    reference = pay_start(world, case)["reference"]
    callback(reference, "120.50")
    path = f"/payments/{reference}/refund"
    assert post(bearer(world.outsider.user), path, {"reason": "x"}).status_code == 404
    assert post(session(world.applicant), path, {"reason": "x"}).status_code == 403
    missing = post(bearer(world.clerk.user), path, {})
    assert (missing.status_code, missing.json()["field"]) == (422, "reason")
    assert Payment.objects.get().state == "paid"
    done = post(bearer(world.clerk.user), path, {"reason": "申请人撤回申请"})
    assert done.status_code == 200
    assert (done.json()["state"], done.json()["refund_reference"]) == (
        "refunded",
        f"SIMR-{reference}",
    )
    assert fees.case_fee_outstanding(case=case) == Decimal("120.50")


def test_counter_payment_by_the_department_staff_with_a_receipt(world, paid_item, case):
    fees.case_fee_assess(case=case, actor=world.clerk.user, fee=fee(paid_item, "检验费"))
    path = f"/cases/{case.number}/payments/counter"
    body = {"amount": "120.50", "method": "cash", "receipt_number": "FS2026000300"}
    assert post(session(world.applicant), path, body).status_code == 403
    missing = post(bearer(world.clerk.user), path, {"amount": "120.50", "method": "cash"})
    assert (missing.status_code, missing.json()["errors"][0]["field"]) == (422, "receipt_number")
    wrong = post(bearer(world.clerk.user), path, {**body, "amount": "120"})
    assert (wrong.status_code, wrong.json()["field"]) == (422, "amount")
    assert not Payment.objects.exists()
    done = post(bearer(world.clerk.user), path, body)
    assert done.status_code == 201
    data = done.json()
    assert (data["state"], data["method"], data["receipt_number"], data["paid_amount"]) == (
        "paid",
        "cash",
        "FS2026000300",
        "120.50",
    )
    assert fees.case_fee_outstanding(case=case) == Decimal("0.00")
    again = post(bearer(world.clerk.user), path, body)
    assert again.status_code == 422  # the receipt number is already recorded
