"""Chinese first: an English browser still gets Chinese pages until it flips the switch."""

from __future__ import annotations

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

MIDDLEWARE = [
    "xiaoneng.web.middleware.ChineseFirstLocaleMiddleware"
    if m == "django.middleware.locale.LocaleMiddleware"
    else m
    for m in settings.MIDDLEWARE
]


@pytest.fixture(autouse=True)
def chinese_first(settings):
    settings.MIDDLEWARE = MIDDLEWARE


def test_english_browser_gets_chinese_by_default(client):
    response = client.get("/accounts/login/", headers={"accept-language": "en-US,en;q=0.9"})

    assert "<h1>工作人员登录</h1>" in response.content.decode()
    assert response["Content-Language"] == "zh-hans"


def test_the_switch_turns_pages_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    response = client.get("/accounts/login/")

    assert "<h1>Staff log-in</h1>" in response.content.decode()
    assert response["Content-Language"] == "en"


def test_unknown_cookie_language_falls_back_to_chinese(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    response = client.get("/accounts/login/")

    assert "<h1>工作人员登录</h1>" in response.content.decode()


def test_the_api_still_honours_accept_language(client):
    response = client.get("/api/v1/catalog/items/NO-SUCH", headers={"accept-language": "en"})

    assert response["Content-Language"] == "en"
