"""The messages page shows the logged-in user's own messages only."""

from __future__ import annotations

import pytest
from django.utils import translation

from xiaoneng.notify.models import Message
from xiaoneng.notify.services import notify_send
from xiaoneng.notify.tests import factories

pytestmark = pytest.mark.django_db


def test_messages_page_needs_login(client):
    response = client.get("/accounts/messages/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/messages/"


def test_messages_page_shows_only_own_messages(client):
    alice = factories.user()
    bob = factories.user()
    notify_send(user_id=alice.pk, kind="case.accepted", subject="您的申请已受理", body="办件号 X1")
    notify_send(user_id=bob.pk, kind="case.accepted", subject="鲍勃的办件已受理", body="Y2")
    client.force_login(alice)

    response = client.get("/accounts/messages/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>我的消息</h1>" in html
    assert "您的申请已受理" in html
    assert "办件号 X1" in html
    assert "鲍勃" not in html
    assert "未读 1 条" in html


def test_mark_read_then_follow_the_link(client):
    alice = factories.user()
    notify_send(user_id=alice.pk, kind="k", subject="补正通知", body="", link="/items/")
    message = Message.objects.get()
    client.force_login(alice)

    response = client.post(f"/accounts/messages/{message.pk}/read/")

    assert response.status_code == 302
    assert response["Location"] == "/items/"
    message.refresh_from_db()
    assert message.read_at is not None
    assert "没有未读消息。" in client.get("/accounts/messages/?unread=1").content.decode()


def test_a_foreign_link_is_not_followed(client):
    alice = factories.user()
    notify_send(user_id=alice.pk, kind="k", subject="s", body="", link="https://evil.example/")
    client.force_login(alice)

    response = client.post(f"/accounts/messages/{Message.objects.get().pk}/read/")

    assert response["Location"] == "/accounts/messages/"


def test_someone_elses_message_cannot_be_marked(client):
    alice = factories.user()
    bob = factories.user()
    notify_send(user_id=bob.pk, kind="k", subject="s", body="")
    client.force_login(alice)

    response = client.post(f"/accounts/messages/{Message.objects.get().pk}/read/")

    assert response.status_code == 404
    assert Message.objects.get().read_at is None


def test_messages_page_in_english(client, settings):
    client.force_login(factories.user())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    with translation.override("zh-hans"):  # the request switches this thread to English
        html = client.get("/accounts/messages/").content.decode()

    assert "<h1>My messages</h1>" in html
    assert "0 unread" in html
