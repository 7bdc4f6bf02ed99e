"""The public progress page: case number + query code, no personal data."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from xiaoneng.cases import services
from xiaoneng.cases.tests.factories import world as make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    monday = dt.datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(monday, tick=False):
        yield make_world()


def test_the_qr_link_shows_steps_and_state_without_personal_data(client, world):
    case = world.submit()
    services.case_accept(case=case, actor=world.clerk.user)

    response = client.get(f"/progress/?n={case.number}&c={case.query_code}")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="progress-state">办理中<' in page
    for step in ("受理", "联合审查", "审批决定"):
        assert step in page
    assert "2026-03-02" in page
    assert case.applicant_name not in page
    assert case.id_number not in page
    assert case.mobile not in page
    assert response["Cache-Control"] == "no-store"


def test_the_query_code_is_case_insensitive_and_the_notice_link_works(client, world):
    case = world.submit()
    response = client.get(f"/progress/?number={case.number}&code={case.query_code.lower()}")
    assert response.status_code == 200
    assert "已收件" in response.content.decode()


def test_a_wrong_query_code_is_a_404_with_a_message(client, world):
    case = world.submit()
    response = client.get(f"/progress/?n={case.number}&c=WRONG123")
    assert response.status_code == 404
    page = response.content.decode()
    assert "办件编号或查询码不正确。" in page
    assert "progress-result" not in page


def test_a_number_without_code_asks_for_both(client, world):
    case = world.submit()
    response = client.get(f"/progress/?n={case.number}")
    assert response.status_code == 422
    assert "请同时填写办件编号和查询码。" in response.content.decode()


def test_the_empty_form(client, db):
    response = client.get("/progress/")
    assert response.status_code == 200
    assert 'id="progress-form"' in response.content.decode()
