"""Staff home, language switch, error pages and the footer's audit checkpoint."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import override_settings

from xiaoneng.audit.models import AuditCheckpoint
from xiaoneng.audit.services import audit_seal
from xiaoneng.org import services as org_services
from xiaoneng.org.models import Role
from xiaoneng.org.tests import factories

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def test_staff_home_requires_login(client):
    response = client.get("/staff/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/staff/"


def test_clerk_home_shows_post_department_windows_and_backup(client):
    city = factories.region()
    dept = factories.department(name="示范市市场监督管理局", region_=city)
    clerk = factories.staff(roles=[Role.CLERK], department_=dept)
    backup = factories.staff(roles=[Role.CLERK], department_=dept)
    org_services.window_create(
        actor=None,
        region=city,
        code="A01",
        name="市场准入综合窗口",
        hall="市民中心一楼",
        departments=[dept],
        staff=[clerk],
    )
    org_services.backup_pair_set(actor=None, primary=clerk, backup=backup)
    client.force_login(clerk.user)

    response = client.get("/staff/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>工作台</h1>" in html
    assert f"您好，{clerk.user.full_name}。当前角色：窗口人员" in html
    assert "<dd>示范市市场监督管理局</dd>" in html
    assert "<dd>示范市</dd>" in html
    assert "A01 市场准入综合窗口" in html
    assert f"我的B岗：{backup.user.full_name}" in html
    assert "<h2>本部门</h2>" in html
    home = response.context["home"]
    assert (home.department_count, home.staff_count, home.window_count) == (1, 2, 1)


def test_supervisor_home_counts_the_region_subtree_only(client):
    city = factories.region()
    east = factories.county(code="990121000000", name="东湖县", city=city)
    west = factories.county(code="990122000000", name="西山县", city=city)
    own = factories.department(region_=east)
    factories.department(region_=east)
    factories.department(region_=west)
    supervisor = factories.staff(roles=[Role.SUPERVISOR], department_=own)
    client.force_login(supervisor.user)

    response = client.get("/staff/")

    home = response.context["home"]
    assert "<h2>管辖范围</h2>" in response.content.decode()
    assert (home.department_count, home.staff_count) == (2, 1)


def test_account_without_a_post_gets_a_friendly_empty_state(client):
    user = get_user_model().objects.create_user(username="applicant", password="x-Secret-2026")
    client.force_login(user)

    response = client.get("/staff/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "您的账号尚未配置工作岗位" in html
    assert "我的岗位" not in html


def test_language_switch_turns_headings_english(client):
    member = factories.staff(roles=[Role.CLERK])
    client.force_login(member.user)

    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/staff/"})
    html = client.get("/staff/").content.decode()

    assert switched.status_code == 302
    assert switched["Location"] == "/staff/"
    assert "<h1>Workbench</h1>" in html
    assert '<html lang="en">' in html
    assert ">中文</button>" in html
    assert "Log out" in html

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/staff/"})
    assert "<h1>工作台</h1>" in client.get("/staff/").content.decode()


@override_settings(DEBUG=False)
def test_unknown_page_renders_the_404_template(client):
    response = client.get("/no-such-page/")

    html = response.content.decode()
    assert response.status_code == 404
    assert "<h1>页面不存在</h1>" in html
    assert "返回首页" in html


def test_footer_says_no_checkpoint_yet_when_nothing_was_sealed_today(client):
    html = client.get("/accounts/login/").content.decode()

    assert AuditCheckpoint.objects.count() == 0
    assert "今日暂无检查点" in html


def test_footer_shows_the_checkpoint_sealed_today(client):
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 15, tzinfo=SHANGHAI), tick=False):
        factories.staff()
        sealed = audit_seal()
        checkpoint = AuditCheckpoint.objects.get()

        html = client.get("/accounts/login/").content.decode()

    assert sealed == checkpoint.last_seq
    assert f"第 {checkpoint.last_seq} 号事件，10:15 封存" in html
    assert f'<code title="{checkpoint.head_hash}">' in html
    assert "今日暂无检查点" not in html


def test_footer_ignores_yesterdays_checkpoint(client):
    with time_machine.travel(dt.datetime(2026, 3, 1, 23, 50, tzinfo=SHANGHAI), tick=False):
        factories.staff()
        audit_seal()
    with time_machine.travel(dt.datetime(2026, 3, 2, 0, 10, tzinfo=SHANGHAI), tick=False):
        html = client.get("/accounts/login/").content.decode()

    assert "今日暂无检查点" in html
