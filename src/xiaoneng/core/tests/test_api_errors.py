"""Every API refusal, ninja's own included, answers in the one error shape, in Chinese."""

import pytest
from django.test import Client

from xiaoneng.org.models import Role
from xiaoneng.org.tests import factories

pytestmark = pytest.mark.django_db


def test_a_session_post_without_csrf_gets_the_shared_error_body():
    office = factories.staff(roles=[Role.APPROVAL_OFFICE])
    client = Client(enforce_csrf_checks=True)
    client.force_login(office.user)
    response = client.post("/api/v1/catalog/items", {}, content_type="application/json")
    assert response.status_code == 403
    assert response.json() == {
        "code": "csrf_failed",
        "message": "CSRF 校验失败：请刷新页面后重试。",
        "field": None,
        "errors": [],
    }


def test_no_credentials_get_a_chinese_401(client):
    response = client.get("/api/v1/cases/cases")
    assert response.status_code == 401
    assert response.json()["code"] in {"unauthenticated", "not_authenticated"}
    assert "登录" in response.json()["message"]


def test_an_unknown_api_path_is_a_404_in_the_shared_shape(client):
    response = client.get("/api/v1/catalog/nothing-here")
    assert response.status_code == 404
