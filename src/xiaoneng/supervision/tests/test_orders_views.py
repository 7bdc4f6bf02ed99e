"""Pages and API of supervision orders: who sees what, the forms, errors, PDF downloads."""

from __future__ import annotations

import pytest

from xiaoneng.supervision.models import Alert, OrderState, SupervisionOrder
from xiaoneng.supervision.services import order_reply
from xiaoneng.web.navigation import nav_for_user

from .clients import client, post_json
from .test_orders import START, Org, issue, make_org

URL = "/staff/supervision/orders/"
API = "/api/v1/supervision/orders"


@pytest.fixture
def o(db) -> Org:
    return make_org()


def test_the_list_shows_each_actor_their_orders(o):
    mine = issue(o)
    theirs = issue(o, actor=o.supervisor_b.user, department=o.other_dept)
    page = client(o.supervisor).get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert mine.number in text
    assert theirs.number not in text
    assert "向部门下发督办" in text
    page = client(o.clerk).get(URL)
    assert mine.number in page.content.decode()
    assert "向部门下发督办" not in page.content.decode()
    assert client(None).get(URL).status_code == 302  # to the login page
    # the navigation links the page for staff
    assert ("督办", URL) in [(str(e.label), e.url) for e in nav_for_user(o.clerk.user, URL)]


def test_the_detail_page_offers_the_actions_of_the_actor(o):
    order = issue(o)
    url = f"{URL}{order.number}/"
    text = client(o.clerk).get(url).content.decode()
    assert "回复办理情况" in text
    assert "东湖县市场监督管理局" in text
    assert '<details class="action-panel" id="action-reply" open>' in text
    assert f'action="{url}reply/"' in text
    text = client(o.supervisor).get(url).content.decode()
    assert "回复办理情况" not in text
    assert "审核通过" not in text
    assert client(o.outsider).get(url).status_code == 404
    assert client(o.supervisor_b).get(url).status_code == 404


def test_issue_from_an_alert_reply_and_accept_through_the_pages(o):
    alert = Alert.objects.create(
        rule="fee_anomaly",
        level="red",
        subject_type="org.department",
        subject_id=str(o.market.pk),
        region=o.county,
        department=o.market,
        raised_at=START,
    )
    sup = client(o.supervisor)
    form = sup.get(f"{URL}new/?alert={alert.pk}")
    assert form.status_code == 200
    assert f"预警 #{alert.pk}" in form.content.decode()
    # a missing field: 422, the message beside it, nothing created
    bad = sup.post(
        f"{URL}new/",
        {
            "target_kind": "alert",
            "alert": alert.pk,
            "subject": "",
            "requirements": "x",
            "limit_value": 5,
            "limit_unit": "working_days",
        },
    )
    assert bad.status_code == 422
    assert "此项必填。" in bad.content.decode()
    assert SupervisionOrder.objects.count() == 0
    done = sup.post(
        f"{URL}new/",
        {
            "target_kind": "alert",
            "alert": alert.pk,
            "subject": "违规收费",
            "requirements": "退还并说明",
            "limit_value": 3,
            "limit_unit": "working_days",
        },
    )
    order = SupervisionOrder.objects.get()
    assert done.status_code == 302
    assert done["Location"] == f"{URL}{order.number}/"
    assert (order.alert, order.department, order.limit_value) == (alert, o.market, 3)

    # the department replies; a blank reply is refused beside the field
    clerk = client(o.clerk)
    bad = clerk.post(f"{URL}{order.number}/reply/", {"reply-text": " ", "reply-version": 1})
    assert bad.status_code == 422
    assert (
        clerk.post(
            f"{URL}{order.number}/reply/", {"reply-text": "已退还", "reply-version": 1}
        ).status_code
        == 302
    )
    order.refresh_from_db()
    assert order.state == OrderState.REPLIED
    # a stale form is a conflict shown at the top, nothing changed
    stale = sup.post(f"{URL}{order.number}/accept/", {"accept-note": "", "accept-version": 1})
    assert stale.status_code == 409
    assert "已被他人更新" in stale.content.decode()
    ok = sup.post(f"{URL}{order.number}/accept/", {"accept-note": "好", "accept-version": 2})
    assert ok.status_code == 302
    order.refresh_from_db()
    assert order.state == OrderState.ACCEPTED


def test_pdfs_are_streamed_only_to_those_who_see_the_order(o):
    order = issue(o)
    reply = order_reply(actor=o.clerk.user, order=order, text="已办", at=START)
    for staff in (o.supervisor, o.clerk, o.city_supervisor):
        response = client(staff).get(f"{URL}{order.number}/pdf/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
        response = client(staff).get(f"{URL}{order.number}/replies/{reply.pk}/pdf/")
        assert response.status_code == 200
    assert client(o.outsider).get(f"{URL}{order.number}/pdf/").status_code == 404
    assert client(o.supervisor_b).get(f"{API}/{order.number}/pdf").status_code == 404


def test_api_issue_reply_return_accept(o):
    sup = client(o.supervisor)
    created = post_json(
        sup,
        API,
        {
            "target_kind": "department",
            "department_id": o.market.pk,
            "subject": "窗口服务态度差",
            "requirements": "核查整改",
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    number = body["number"]
    assert (body["state"], body["department"], body["limit"], body["version"]) == (
        "issued",
        "东湖县市场监督管理局",
        "5个工作日",
        1,
    )
    clerk = client(o.clerk)
    replied = post_json(clerk, f"{API}/{number}/reply", {"text": "已整改", "expected_version": 1})
    assert replied.status_code == 201
    assert replied.json()["number"] == f"{number}-HF01"
    returned = post_json(
        sup, f"{API}/{number}/return", {"reason": "不具体", "limit_value": 2, "expected_version": 2}
    )
    assert returned.status_code == 200
    assert (returned.json()["state"], returned.json()["limit"]) == ("returned", "2个工作日")
    assert post_json(clerk, f"{API}/{number}/reply", {"text": "补充"}).status_code == 201
    accepted = post_json(sup, f"{API}/{number}/accept", {"note": "可以"})
    assert accepted.status_code == 200
    data = accepted.json()
    assert data["state"] == "accepted"
    assert [(r["seq"], r["review"]) for r in data["replies"]] == [(1, "returned"), (2, "accepted")]
    listed = clerk.get(API).json()
    assert [item["number"] for item in listed["items"]] == [number]


def test_api_errors_and_scope(o):
    sup = client(o.supervisor)
    bad = post_json(sup, API, {"target_kind": "department", "subject": "", "requirements": ""})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"subject", "requirements"}
    other = post_json(
        sup,
        API,
        {
            "target_kind": "department",
            "department_id": o.other_dept.pk,
            "subject": "x",
            "requirements": "y",
        },
    )
    assert other.status_code == 404  # a department outside the region is not even found
    denied = post_json(
        client(o.clerk),
        API,
        {
            "target_kind": "department",
            "department_id": o.market.pk,
            "subject": "x",
            "requirements": "y",
        },
    )
    assert denied.status_code == 404  # clerks find no department to order
    assert post_json(client(None), API, {}).status_code == 401
    order = issue(o)
    assert client(o.outsider).get(f"{API}/{order.number}").status_code == 404
    wrong = post_json(client(o.outsider), f"{API}/{order.number}/reply", {"text": "x"})
    assert wrong.status_code == 404
    early = post_json(sup, f"{API}/{order.number}/accept", {})
    assert early.status_code == 409
    assert early.json()["code"] == "order_state"
    assert SupervisionOrder.objects.count() == 1
