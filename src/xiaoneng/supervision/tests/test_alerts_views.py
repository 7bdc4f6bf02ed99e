"""Alert pages and API: who may see and do what (anonymous, applicant, another county's
supervisor, the responsible department, the region's supervisor), the forms' errors beside
their fields, stale versions (409) and the shared error body."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from xiaoneng.audit.models import AuditEvent
from xiaoneng.cases import services as case_services
from xiaoneng.cases.models import CaseTask
from xiaoneng.cases.tests.factories import world as make_world
from xiaoneng.org import services as org_services
from xiaoneng.org.models import Role
from xiaoneng.org.tests import factories as org
from xiaoneng.supervision.models import Alert
from xiaoneng.supervision.services import alerts as services
from xiaoneng.supervision.services import supervision_sweep

from .test_alerts import START, Land, land, make_alert
from .test_alerts import clock as clock

pytestmark = pytest.mark.django_db

API = "/api/v1/supervision"


def session(staff_or_user: Any) -> Client:
    client = Client()
    client.force_login(getattr(staff_or_user, "user", staff_or_user))
    return client


def bearer(staff: Any) -> Client:
    _token, key = org_services.api_token_issue(actor=staff.user, user=staff.user, name="监察客户端")
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


def html(response) -> str:
    return response.content.decode()


def post_json(client: Client, path: str, body: dict[str, Any], **headers: str):
    return client.post(f"{API}{path}", body, content_type="application/json", headers=headers)


@pytest.fixture
def g(clock) -> Land:
    return land()


# --------------------------------------------------------------------------- pages: who sees


@pytest.mark.parametrize("path", ["/staff/supervision/alerts/", "/staff/supervision/alerts/1/"])
def test_anonymous_visitors_are_sent_to_log_in(client, path):
    response = client.get(path)
    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={path}")


def test_an_applicant_gets_a_403(g):
    applicant = org.applicant()
    assert session(applicant.user).get("/staff/supervision/alerts/").status_code == 403


def test_a_county_supervisor_lists_only_their_countys_alerts(g):
    east = make_alert(g.east_dept, staff=g.east_clerk)
    west = make_alert(g.west_dept)

    page = html(session(g.east_supervisor).get("/staff/supervision/alerts/"))

    assert f'id="alert-{east.pk}"' in page
    assert f'id="alert-{west.pk}"' not in page
    assert "共 1 条" in page
    assert 'class="badge alert-chip alert-level-red" data-level="red">红牌纠错</span>' in page
    assert g.east_clerk.user.full_name in page
    assert '<a href="/staff/supervision/alerts/" aria-current="page">监察预警</a>' in page
    assert session(g.east_supervisor).get(f"/staff/supervision/alerts/{west.pk}/").status_code == (
        404
    )


def test_a_department_lists_its_own_alerts_and_the_empty_state_says_so(g):
    east = make_alert(g.east_dept)

    own = html(session(g.east_clerk).get("/staff/supervision/alerts/"))
    none = html(session(g.west_clerk).get("/staff/supervision/alerts/"))

    assert f'id="alert-{east.pk}"' in own
    assert "本部门的监察预警" in own
    assert 'id="alerts-empty">暂无监察预警。' in none


def test_filters_narrow_the_list_and_a_bad_range_is_a_422(g):
    red = make_alert(g.east_dept, level="red")
    yellow = make_alert(g.east_dept, level="yellow", rule="deadline_warning")
    client = session(g.city_supervisor)

    page = html(client.get("/staff/supervision/alerts/", {"level": "yellow"}))
    assert f'id="alert-{yellow.pk}"' in page
    assert f'id="alert-{red.pk}"' not in page
    empty = html(client.get("/staff/supervision/alerts/", {"state": "confirmed"}))
    assert 'id="alerts-empty">没有符合条件的预警。' in empty

    bad = client.get(
        "/staff/supervision/alerts/", {"raised_from": "2026-03-05", "raised_until": "2026-03-01"}
    )
    assert bad.status_code == 422
    assert "截止日期不能早于起始日期。" in html(bad)


def test_the_list_pages_by_25(g):
    for i in range(27):
        make_alert(g.east_dept, subject_id=f"p{i}", raised_at=START - dt.timedelta(minutes=i))
    client = session(g.east_supervisor)
    first = html(client.get("/staff/supervision/alerts/"))
    second = html(client.get("/staff/supervision/alerts/", {"page": 2}))
    assert first.count('<tr id="alert-') == 25
    assert second.count('<tr id="alert-') == 2
    assert "2 / 2" in second


# ----------------------------------------------------------------- pages: detail and actions


def test_the_department_sees_the_explain_form_only_and_explains(g):
    alert = make_alert(g.east_dept, staff=g.east_clerk)
    client = session(g.east_clerk)
    url = f"/staff/supervision/alerts/{alert.pk}/"

    page = html(client.get(url))
    assert 'id="action-explain"' in page
    assert 'id="action-confirm"' not in page
    assert "超期" in page  # the facts
    assert "东湖县市场监督管理局" in page

    empty = client.post(f"{url}explain/", {"explain-text": " ", "explain-version": "1"})
    assert empty.status_code == 422
    assert '<ul class="errorlist"><li>请填写情况说明。</li></ul>' in html(empty)
    assert Alert.objects.get(pk=alert.pk).state == "open"

    done = client.post(f"{url}explain/", {"explain-text": "材料补正中", "explain-version": "1"})
    assert (done.status_code, done["Location"]) == (302, url)
    after = html(client.get(url))
    assert 'id="alert-explanation">材料补正中</dd>' in after
    assert "责任部门作出情况说明" in after  # the history from the audit log
    assert 'id="action-explain"' not in after

    forbidden = client.post(f"{url}confirm/", {"confirm-reason": "自己确认"})
    assert forbidden.status_code == 403
    assert "只有预警所在区划的效能监察人员可以确认预警。" in html(forbidden)
    assert Alert.objects.get(pk=alert.pk).state == "explained"


def test_the_supervisor_confirms_with_a_reason_and_a_stale_form_is_refused(g):
    alert = make_alert(g.east_dept)
    client = session(g.east_supervisor)
    url = f"/staff/supervision/alerts/{alert.pk}/"

    page = html(client.get(url))
    assert 'id="action-confirm"' in page
    assert 'id="action-dismiss"' in page
    assert f'action="{url}confirm/"' in page  # the shared action form posts to the alert
    assert f'action="{url}dismiss/"' in page
    assert "确认表示预警成立，确认后结果不能再更改。" in page
    assert 'id="action-explain"' not in page
    assert f'href="/staff/supervision/orders/new/?alert={alert.pk}"' in page
    assert 'id="follow-accountability"' not in page  # only a confirmed alert is its basis

    missing = client.post(f"{url}confirm/", {"confirm-reason": "", "confirm-version": "1"})
    assert missing.status_code == 422
    assert '<ul class="errorlist"><li>请填写确认理由。</li></ul>' in html(missing)
    assert 'id="action-confirm" open' in html(missing)

    services.alert_explain(actor=g.east_clerk.user, alert=alert, text="说明")  # version 2
    stale = client.post(f"{url}dismiss/", {"dismiss-reason": "不成立", "dismiss-version": "1"})
    assert stale.status_code == 409
    assert "预警已被他人处理（您看到的是第1版，当前为第2版），请刷新后重试。" in html(stale)

    ok = client.post(f"{url}confirm/", {"confirm-reason": "超期属实", "confirm-version": "2"})
    assert ok.status_code == 302
    final = html(client.get(url))
    assert 'id="alert-reason">超期属实</dd>' in final
    assert 'data-state="confirmed">已确认</span>' in final
    assert 'id="action-confirm"' not in final
    # what follows a confirmed alert: an order or an accountability action
    assert f'href="/staff/supervision/accountability/new/?alert={alert.pk}"' in final
    assert 'id="follow-order"' in final
    clerk_page = html(session(g.east_clerk).get(url))
    assert 'id="follow-order"' not in clerk_page
    assert client.post(f"{url}unknown/", {}).status_code == 404


def test_the_alert_page_links_the_case_and_names_the_step(clock):
    w = make_world()
    sup = org.staff([Role.SUPERVISOR], w.other)
    case = case_services.case_accept(case=w.submit(), actor=w.clerk.user)
    lead = CaseTask.objects.get(case=case, step__position=2, department=w.lead)
    case_services.task_claim(task=lead, actor=w.approver_a.user)
    lead.refresh_from_db()
    assert lead.timer is not None
    assert lead.timer.due_at is not None
    clock.move_to(lead.timer.due_at + dt.timedelta(minutes=5))
    supervision_sweep()
    services.alerts_notify_pending()
    alert = Alert.objects.get(subject_type="cases.casetask", subject_id=str(lead.pk))

    page = html(session(sup).get(f"/staff/supervision/alerts/{alert.pk}/"))

    assert f'<a href="/staff/cases/{case.number}/">办件 {case.number} 的“主办审查”环节' in page
    assert f'id="alert-staff">{w.approver_a.user.full_name}</dd>' in page
    assert "通知责任人" in page
    assert f"已通知：{w.approver_a.user.full_name}、{w.head.user.full_name}" in page


# --------------------------------------------------------------------------- API


def test_api_needs_a_login_and_scopes_the_list(g):
    east = make_alert(g.east_dept)
    make_alert(g.west_dept)

    anonymous = Client().get(f"{API}/alerts")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "unauthenticated")
    applicant = session(org.applicant().user).get(f"{API}/alerts")
    assert (applicant.status_code, applicant.json()["count"]) == (200, 0)

    body = bearer(g.east_supervisor).get(f"{API}/alerts").json()
    assert body["count"] == 1
    [item] = body["items"]
    assert item["id"] == east.pk
    assert (item["level"], item["level_label"], item["state_label"]) == (
        "red",
        "红牌纠错",
        "待处理",
    )
    assert item["rule_label"] == "超过办理时限"
    assert item["department"] == {"id": g.east_dept.pk, "name": "东湖县市场监督管理局"}
    assert item["region_code"] == g.east.code

    city = bearer(g.city_supervisor)
    assert city.get(f"{API}/alerts").json()["count"] == 2
    filtered = city.get(f"{API}/alerts", {"department_id": g.west_dept.pk, "level": "red"}).json()
    assert filtered["count"] == 1
    assert filtered["items"][0]["department"]["id"] == g.west_dept.pk
    assert city.get(f"{API}/alerts", {"raised_from": "2026-03-03"}).json()["count"] == 0


def test_api_detail_is_404_outside_scope_and_carries_an_etag(g):
    alert = make_alert(g.east_dept)
    other = bearer(g.west_supervisor).get(f"{API}/alerts/{alert.pk}")
    assert (other.status_code, other.json()["message"]) == (404, "预警不存在或无权查看。")

    mine = bearer(g.east_clerk).get(f"{API}/alerts/{alert.pk}")
    assert mine.status_code == 200
    assert mine["ETag"] == '"1"'
    assert mine.json()["actions"] == ["explain"]
    assert mine.json()["facts"] == {"超期": "2个工作日"}


def test_api_explain_confirm_dismiss_with_versions_and_errors(g):
    alert = make_alert(g.east_dept)
    clerk, sup = bearer(g.east_clerk), bearer(g.east_supervisor)

    bad = post_json(clerk, f"/alerts/{alert.pk}/explain", {"text": ""})
    assert (bad.status_code, bad.json()["field"], bad.json()["message"]) == (
        422,
        "text",
        "请填写情况说明。",
    )
    explained = post_json(
        clerk, f"/alerts/{alert.pk}/explain", {"text": "已补正"}, **{"If-Match": '"1"'}
    )
    assert explained.status_code == 200
    assert (explained.json()["state"], explained.json()["version"]) == ("explained", 2)

    not_theirs = post_json(clerk, f"/alerts/{alert.pk}/confirm", {"reason": "自己确认"})
    assert (not_theirs.status_code, not_theirs.json()["code"]) == (403, "permission_denied")
    far = post_json(bearer(g.west_supervisor), f"/alerts/{alert.pk}/dismiss", {"reason": "越权"})
    assert far.status_code == 404
    stale = post_json(
        sup, f"/alerts/{alert.pk}/dismiss", {"reason": "不成立"}, **{"If-Match": '"1"'}
    )
    assert (stale.status_code, stale.json()["code"]) == (409, "stale_version")
    no_reason = post_json(sup, f"/alerts/{alert.pk}/confirm", {"reason": "", "expected_version": 2})
    assert (no_reason.status_code, no_reason.json()["field"]) == (422, "reason")
    bad_etag = post_json(sup, f"/alerts/{alert.pk}/confirm", {"reason": "x"}, **{"If-Match": "v"})
    assert (bad_etag.status_code, bad_etag.json()["field"]) == (422, "If-Match")

    ok = post_json(
        sup, f"/alerts/{alert.pk}/confirm", {"reason": "超期属实", "expected_version": 2}
    )
    assert ok.status_code == 200
    data = ok.json()
    assert (data["state"], data["handling_reason"], data["handled_by"]["id"]) == (
        "confirmed",
        "超期属实",
        g.east_supervisor.pk,
    )
    assert data["actions"] == ["accountability", "order"]  # what may follow a confirmed alert
    assert [e["action"] for e in data["history"]] == [
        "supervision.alert_explained",
        "supervision.alert_confirmed",
    ]
    again = post_json(sup, f"/alerts/{alert.pk}/dismiss", {"reason": "改判"})
    assert (again.status_code, again.json()["code"]) == (409, "alert_state")
    assert AuditEvent.objects.filter(object_type="supervision.alert").count() == 2


def test_the_openapi_document_lists_the_alert_operations(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for path in ("/alerts", "/alerts/{alert_id}", "/alerts/{alert_id}/explain"):
        assert f"{API}{path}" in paths
    confirm = paths[f"{API}/alerts/{{alert_id}}/confirm"]["post"]
    assert {"409", "422", "403", "404"} <= set(confirm["responses"])
    assert any(p["name"] == "If-Match" for p in confirm["parameters"])


def test_the_list_costs_the_same_queries_for_3_or_25_alerts(g):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = session(g.city_supervisor)
    client.get("/staff/supervision/alerts/")  # warm: session, scope
    for i in range(3):
        make_alert(g.east_dept, subject_id=f"a{i}", staff=g.east_clerk)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/staff/supervision/alerts/").status_code == 200
    for i in range(22):
        make_alert(g.west_dept, subject_id=f"b{i}", staff=g.west_clerk)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/staff/supervision/alerts/").status_code == 200
    assert len(many) == len(few)
    # the page's subjects are read per page (cases, tasks, specials), never per alert
    assert len(few) <= 10
