"""Log-in and log-out pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from xiaoneng.org.models import Role
from xiaoneng.org.tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Secret-2026"


def test_login_page_shows_the_form_in_chinese(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>工作人员登录</h1>" in html
    assert "<span>效能政务服务平台</span>" in html  # not the auth view's own site_name
    assert 'name="username"' in html
    assert 'name="password"' in html


def test_login_with_the_right_password_lands_on_the_staff_home(client):
    factories.staff(roles=[Role.CLERK], username="clerk1")

    response = client.post("/accounts/login/", {"username": "clerk1", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    assert client.get("/staff/").context["user"].username == "clerk1"


def test_login_honours_a_safe_next_and_ignores_a_foreign_one(client):
    factories.staff(username="clerk2")

    ok = client.post(
        "/accounts/login/?next=/items/",
        {"username": "clerk2", "password": PASSWORD, "next": "/items/"},
    )
    client.logout()
    evil = client.post(
        "/accounts/login/",
        {"username": "clerk2", "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert ok["Location"] == "/items/"
    assert evil["Location"] == "/staff/"


def test_wrong_password_shows_the_chinese_message_and_logs_nobody_in(client):
    factories.staff(username="clerk3")

    response = client.post("/accounts/login/", {"username": "clerk3", "password": "wrong"})

    assert response.status_code == 200
    assert "用户名或密码不正确，请重新输入（密码区分大小写）。" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_empty_fields_are_named_in_the_errors(client):
    response = client.post("/accounts/login/", {"username": "", "password": ""})

    html = response.content.decode()
    assert "请填写用户名。" in html
    assert "请填写密码。" in html


def test_logged_in_user_visiting_login_goes_to_the_staff_home(client):
    member = factories.staff()
    client.force_login(member.user)

    response = client.get("/accounts/login/")

    assert response.status_code == 302
    assert response["Location"] == "/staff/"


def test_logout_is_a_post_and_returns_to_the_portal(client):
    member = factories.staff()
    client.force_login(member.user)

    refused = client.get("/accounts/logout/")
    assert refused.status_code == 405
    assert "_auth_user_id" in client.session

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert "_auth_user_id" not in client.session
    assert client.get("/staff/").status_code == 302
