"""Pages and API of accountability (问责) and bulletins (通报): who sees what, the forms,
errors, the prefill from an alert, downloads."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from xiaoneng.org.models import Role
from xiaoneng.org.tests import factories as org
from xiaoneng.supervision.models import AccountabilityAction, AlertLevel, AlertState, Bulletin
from xiaoneng.supervision.services import accountability as services
from xiaoneng.web.navigation import nav_for_user

from .clients import client, post_json
from .test_accountability import Org, _pdf_text, alert, at, make_org, record

URL = "/staff/supervision/accountability/"
API = "/api/v1/supervision/accountability"


@pytest.fixture
def o(db) -> Iterator[Org]:
    with time_machine.travel(at("2026-04-02 10:00"), tick=False):
        yield make_org()


def test_the_list_shows_each_actor_their_actions(o):
    city = record(o, kind="public_criticism")
    county = record(o, actor=o.county_supervisor.user, department=o.water)
    text = client(o.supervisor).get(URL).content.decode()
    assert f"#{city.pk}<" in text
    assert f"#{county.pk}<" in text
    assert "记录问责" in text
    text = client(o.county_supervisor).get(URL).content.decode()
    assert f"#{city.pk}<" not in text
    assert f"#{county.pk}<" in text
    text = client(o.head).get(URL).content.decode()
    assert f"#{city.pk}<" in text
    assert "记录问责" not in text
    assert f"#{city.pk}<" not in client(o.water_clerk).get(URL).content.decode()
    filtered = client(o.supervisor).get(f"{URL}?kind=public_criticism&state=recorded")
    text = filtered.content.decode()
    assert f"#{city.pk}<" in text
    assert f"#{county.pk}<" not in text  # an efficiency warning
    assert '<option value="public_criticism" selected>' in text
    assert '<option value="recorded" selected>' in text
    assert client(None).get(URL).status_code == 302
    assert client(o.head).get(f"{URL}new/").status_code == 403
    assert client(o.county_supervisor).get(f"{URL}{city.pk}/").status_code == 404
    # the header links the page for every staff member
    entries = [(str(e.label), e.url, e.active) for e in nav_for_user(o.clerk.user, URL)]
    assert ("问责", URL, True) in entries


def test_record_from_an_alert_page_then_revoke(o):
    red = alert(o.market, AlertLevel.RED, AlertState.CONFIRMED)
    sup = client(o.supervisor)
    form = sup.get(f"{URL}new/?alert={red.pk}")
    assert form.status_code == 200
    text = form.content.decode()
    assert f'value="{red.pk}"' in text  # alert_ids prefilled
    assert f'<option value="{o.market.pk}" selected>' in text
    assert client(o.county_supervisor).get(f"{URL}new/?alert={red.pk}").status_code == 404
    response = sup.post(
        f"{URL}new/",
        {
            "kind": "ordered_rectification",
            "department": o.market.pk,
            "reason": "红牌纠错：办件超期",
            "basis": "《示范市行政效能问责办法》第八条",
            "decided_on": "2026-04-02",
            "rectification_limit": "10个工作日",
            "alert_ids": f"#{red.pk}",
            "case_numbers": "",
        },
    )
    action = AccountabilityAction.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{URL}{action.pk}/"
    assert list(action.alerts.all()) == [red]
    page = sup.get(f"{URL}{action.pk}/").content.decode()
    assert "责令限期整改" in page
    assert "2026-04-17 17:30" in page  # the rectification deadline
    assert f"/staff/supervision/alerts/{red.pk}/" in page
    assert f'action="{URL}{action.pk}/revoke/"' in page
    assert f'action="{URL}{action.pk}/rectified/"' in page
    assert "撤销后记录仍保留并标明撤销理由" in page
    # revoke: the reason is required, then the record stays, marked revoked
    bad = sup.post(f"{URL}{action.pk}/revoke/", {"revoke-reason": ""})
    assert bad.status_code == 422
    assert "此项必填" in bad.content.decode()
    done = sup.post(f"{URL}{action.pk}/revoke/", {"revoke-reason": "复核后撤销"})
    assert done.status_code == 302
    page = sup.get(f"{URL}{action.pk}/").content.decode()
    assert "已撤销" in page
    assert "复核后撤销" in page
    again = sup.post(f"{URL}{action.pk}/revoke/", {"revoke-reason": "再撤"})
    assert again.status_code == 409
    assert (
        client(o.head).post(f"{URL}{action.pk}/revoke/", {"revoke-reason": "x"}).status_code == 403
    )


def test_the_form_shows_errors_beside_the_fields_and_saves_nothing(o):
    opened = alert(o.market, AlertLevel.YELLOW, AlertState.OPEN)
    response = client(o.supervisor).post(
        f"{URL}new/",
        {
            "kind": "disciplinary_sanction",
            "department": o.market.pk,
            "reason": "x",
            "basis": "y",
            "decided_on": "2026-04-02",
            "alert_ids": str(opened.pk),
        },
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "只能针对个人" in text
    assert "行政处分须选择处分等级" in text
    assert "尚未确认" in text
    assert AccountabilityAction.objects.count() == 0


def test_bulletin_pages_issue_and_downloads(o):
    record(o, kind="public_criticism", decided_on=dt.date(2026, 3, 5))
    sup = client(o.office)
    page = sup.get(f"{URL}bulletins/").content.decode()
    assert 'value="2026-03-01"' in page  # last month by default
    assert 'value="2026-03-31"' in page
    response = sup.post(
        f"{URL}bulletins/issue/",
        {"region": o.city.pk, "period_start": "2026-03-01", "period_end": "2026-03-31"},
    )
    bulletin = Bulletin.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{URL}bulletins/{bulletin.pk}/"
    detail = sup.get(response["Location"]).content.decode()
    assert "2026年第1期" in detail
    assert "通报批评" in detail
    again = sup.post(
        f"{URL}bulletins/issue/",
        {"region": o.city.pk, "period_start": "2026-03-01", "period_end": "2026-03-31"},
    )
    assert again.status_code == 409
    assert "已发布" in again.content.decode()
    pdf = client(o.clerk).get(f"{URL}bulletins/{bulletin.pk}/pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert "2026年第1期" in "".join(_pdf_text(pdf.content).split())
    xlsx = client(o.clerk).get(f"{URL}bulletins/{bulletin.pk}/xlsx/")
    assert xlsx.status_code == 200
    assert xlsx["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(xlsx.content))["问责通报"]
    assert sheet["F2"].value == "通报批评"
    # the clerk may read, not issue
    assert "发布通报" not in client(o.clerk).get(f"{URL}bulletins/").content.decode()
    assert client(o.clerk).post(f"{URL}bulletins/issue/", {}).status_code == 403
    far_clerk = org.staff([Role.CLERK], o.far, password=None)
    assert client(far_clerk).get(f"{URL}bulletins/{bulletin.pk}/").status_code == 404
    assert client(far_clerk).get(f"{URL}bulletins/{bulletin.pk}/pdf/").status_code == 404


def test_a_draft_is_issued_from_its_page(o):
    services.bulletins_draft_monthly(today=dt.date(2026, 4, 1))
    draft = Bulletin.objects.get(region=o.city)
    sup = client(o.supervisor)
    text = sup.get(f"{URL}bulletins/{draft.pk}/").content.decode()
    assert "发布本期通报" in text
    assert client(o.clerk).get(f"{URL}bulletins/{draft.pk}/").status_code == 404  # not yet
    response = sup.post(f"{URL}bulletins/{draft.pk}/issue/")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.number == "2026年第1期"
    assert client(o.clerk).get(f"{URL}bulletins/{draft.pk}/").status_code == 200


# --------------------------------------------------------------------------- API


def test_api_record_get_list_revoke(o):
    api = client(o.supervisor)
    red = alert(o.market)
    created = post_json(
        api,
        f"{API}/actions",
        {
            "kind": "disciplinary_sanction",
            "sanction_grade": "demotion",
            "staff_id": o.clerk.pk,
            "reason": "多次超期",
            "basis": "《行政机关公务员处分条例》",
            "decided_on": "2026-04-01",
            "alert_ids": [red.pk],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind_label"] == "行政处分（降级）"
    assert body["department_id"] == o.market.pk
    assert body["alert_ids"] == [red.pk]
    assert body["state"] == "recorded"
    action_id = body["id"]
    assert api.get(f"{API}/actions/{action_id}").json()["staff_id"] == o.clerk.pk
    assert client(o.county_supervisor).get(f"{API}/actions/{action_id}").status_code == 404
    assert client(None).get(f"{API}/actions").status_code == 401
    listed = client(o.clerk).get(f"{API}/actions").json()
    assert [i["id"] for i in listed["items"]] == [action_id]
    bad = post_json(
        api,
        f"{API}/actions",
        {"kind": "admonition", "department_id": o.market.pk, "reason": "", "basis": ""},
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"staff", "reason", "basis"}
    denied = post_json(
        client(o.county_supervisor),
        f"{API}/actions",
        {"kind": "efficiency_warning", "department_id": o.market.pk, "reason": "x", "basis": "y"},
    )
    assert denied.status_code == 403
    revoked = post_json(api, f"{API}/actions/{action_id}/revoke", {"reason": "复核撤销"})
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"
    assert post_json(api, f"{API}/actions/{action_id}/revoke", {"reason": "x"}).status_code == 409


def test_api_score_effects_and_bulletins(o):
    alert(o.market, AlertLevel.YELLOW, AlertState.CONFIRMED)
    record(
        o,
        kind="disciplinary_sanction",
        sanction_grade="warning",
        staff=o.clerk,
        decided_on=dt.date(2026, 3, 11),
    )
    api = client(o.office)
    query = f"department_id={o.market.pk}&period_start=2026-03-01&period_end=2026-03-31"
    effects = api.get(f"{API}/score-effects?{query}")
    assert effects.status_code == 200
    data = effects.json()
    assert data["total"] == -15
    assert [(line["rule"], line["points"]) for line in data["lines"]] == [
        ("yellow_alert", -5),
        ("disciplinary_sanction", -10),
    ]
    assert client(o.head).get(f"{API}/score-effects?{query}").status_code == 403
    assert client(o.county_supervisor).get(f"{API}/score-effects?{query}").status_code == 403
    issued = post_json(
        api,
        f"{API}/bulletins",
        {"region_code": o.city.code, "period_start": "2026-03-01", "period_end": "2026-03-31"},
    )
    assert issued.status_code == 201, issued.content
    bulletin = issued.json()
    assert bulletin["number"] == "2026年第1期"
    assert [e["kind_label"] for e in bulletin["entries"]] == ["行政处分"]
    assert api.get(f"{API}/bulletins").json()["count"] == 1
    assert client(o.clerk).get(f"{API}/bulletins/{bulletin['id']}").status_code == 200
    pdf = api.get(f"{API}/bulletins/{bulletin['id']}/pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    xlsx = api.get(f"{API}/bulletins/{bulletin['id']}/xlsx")
    assert load_workbook(io.BytesIO(xlsx.content))["问责通报"]["G2"].value == "警告"
    denied = post_json(
        client(o.clerk),
        f"{API}/bulletins",
        {"region_code": o.city.code, "period_start": "2026-02-01", "period_end": "2026-02-28"},
    )
    assert denied.status_code == 403


def _queries(c: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert c.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_pages_cost_the_same_for_3_or_12_rows(o):
    sup = client(o.supervisor)

    def add(actions: int, period: tuple[dt.date, dt.date]) -> tuple[int, int, int]:
        """Record ``actions`` more actions and issue one more bulletin; then what the
        action page, the action API and the bulletin page cost."""
        for _ in range(actions):
            record(o, kind="admonition", staff=o.clerk, alert_ids=[alert(o.market).pk])
        services.bulletin_issue(
            actor=o.office.user, region=o.city, period_start=period[0], period_end=period[1]
        )
        return (
            _queries(sup, URL),
            _queries(sup, f"{API}/actions"),
            _queries(sup, f"{URL}bulletins/"),
        )

    few = add(3, (dt.date(2026, 4, 1), dt.date(2026, 4, 2)))
    many = add(9, (dt.date(2026, 3, 1), dt.date(2026, 3, 31)))
    assert many == few
