"""notify: in-site messages, SMS through the backend, verification codes and their limits."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from xiaoneng.core.errors import NotFound, ValidationFailed
from xiaoneng.notify import backends
from xiaoneng.notify.models import Delivery, Message, VerificationCode
from xiaoneng.notify.selectors import message_list, message_unread_count
from xiaoneng.notify.services import (
    RateLimited,
    message_mark_read,
    notify_messages_add,
    notify_send,
    notify_send_many,
    verification_code_issue,
    verification_code_purge,
    verification_code_verify,
)
from xiaoneng.notify.tasks import notify_deliver, notify_deliver_many
from xiaoneng.notify.tests import factories

pytestmark = pytest.mark.django_db

MOBILE = "13800138000"
# 2026-03-02 10:00 Asia/Shanghai (a Monday)
T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _empty_outbox():
    backends.outbox.clear()
    yield
    backends.outbox.clear()


def _issue(django_capture_on_commit_callbacks, mobile: str = MOBILE, purpose: str = "login"):
    with django_capture_on_commit_callbacks(execute=True):
        verification_code_issue(mobile=mobile, purpose=purpose)
    return _last_code(mobile)


def _last_code(mobile: str = MOBILE) -> str:
    sms = [item for item in backends.outbox if item.to == mobile]
    match = re.search(r"验证码为 (\d{6})", sms[-1].text)
    assert match
    return match.group(1)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# --------------------------------------------------------------------------- sending


def test_console_backend_records_the_sms_and_the_delivery_log_masks_the_number():
    notify_send(mobile=MOBILE, kind="case.accepted", subject="受理通知", body="您的申请已受理。")

    assert [(i.channel, i.to, i.text) for i in backends.outbox] == [
        ("sms", MOBILE, "受理通知：您的申请已受理。")
    ]
    delivery = Delivery.objects.get()
    assert delivery.channel == "sms"
    assert delivery.kind == "case.accepted"
    assert delivery.recipient_masked == "138****8000"
    assert delivery.status == "sent"
    assert delivery.attempts == 1
    assert delivery.backend == "xiaoneng.notify.backends.ConsoleBackend"
    assert Message.objects.count() == 0


def test_in_site_message_goes_to_the_user_only():
    user = factories.user("u1")

    notify_send(user_id=user.pk, kind="case.accepted", subject="已受理", body="正文", link="/x/")

    message = Message.objects.get()
    assert (message.recipient_id, message.subject, message.body, message.link) == (
        user.pk,
        "已受理",
        "正文",
        "/x/",
    )
    assert message.read_at is None
    assert not backends.outbox
    assert Delivery.objects.count() == 0


@override_settings(XN_NOTIFY_BACKEND="xiaoneng.notify.backends.FailingBackend")
def test_a_failing_backend_is_retried_recorded_and_never_raised():
    notify_send(mobile=MOBILE, kind="case.accepted", subject="受理通知", body="x")

    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.attempts == 3
    assert delivery.error == "ConnectionError: SMS gateway unavailable"


@override_settings(XN_NOTIFY_BACKEND="xiaoneng.notify.no_such.Backend")
def test_a_backend_that_cannot_be_loaded_is_recorded_not_raised():
    user = factories.user("u2")

    notify_send(user_id=user.pk, mobile=MOBILE, kind="k", subject="s", body="b")

    assert Message.objects.filter(recipient=user).count() == 1  # in-site still arrives
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 0)
    assert delivery.error.startswith("ModuleNotFoundError: No module named")


def test_email_goes_through_the_backend_with_a_masked_log():
    notify_send(email="zhang@example.cn", kind="k", subject="主题", body="正文")

    assert [(i.channel, i.to, i.subject, i.text) for i in backends.outbox] == [
        ("email", "zhang@example.cn", "主题", "正文")
    ]
    assert Delivery.objects.get().recipient_masked == "z***@example.cn"


def test_many_in_site_messages_are_one_insert_and_commit_or_roll_back_with_the_caller():
    alice = factories.user("many-alice")
    bob = factories.user("many-bob")
    items = [
        {"user_id": u.pk, "kind": "k", "subject": f"第{i}条", "body": "正文", "link": f"/m/{i}/"}
        for i, u in enumerate([alice, bob, alice])
    ]

    with transaction.atomic():
        notify_messages_add(messages=items)
        transaction.set_rollback(True)
    assert Message.objects.count() == 0

    with CaptureQueriesContext(connection) as queries:
        notify_messages_add(messages=items * 20)
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["INSERT"]
    assert [m.subject for m in message_list(user=alice)][:2] == ["第2条", "第0条"]
    assert message_unread_count(user=alice) == 40
    assert message_unread_count(user=bob) == 20
    assert not backends.outbox


def test_several_notices_are_each_sent_and_stored_together():
    user = factories.user("u-many")
    notices = [
        {"user_id": user.pk, "mobile": MOBILE, "kind": "k", "subject": "一", "body": "甲"},
        {"mobile": "13900139000", "kind": "k", "subject": "二", "body": "乙"},
        {"user_id": user.pk, "kind": "k", "subject": "三", "body": "丙", "link": "/3/"},
    ]

    with CaptureQueriesContext(connection) as queries:
        notify_deliver_many.delay(notices=notices)

    assert [(i.to, i.text) for i in backends.outbox] == [
        (MOBILE, "一：甲"),
        ("13900139000", "二：乙"),
    ]
    assert sorted(Message.objects.values_list("subject", "link")) == [("一", ""), ("三", "/3/")]
    assert sorted(Delivery.objects.values_list("recipient_masked", "status")) == [
        ("138****8000", "sent"),
        ("139****9000", "sent"),
    ]
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 2  # one per table, however many notices


@override_settings(XN_NOTIFY_BACKEND="xiaoneng.notify.backends.FailingBackend")
def test_several_notices_with_a_failing_backend_are_each_recorded_as_failed():
    notify_send_many(
        notices=[
            {"mobile": MOBILE, "kind": "k", "subject": "s", "body": "b"},
            {"mobile": "13900139000", "kind": "k", "subject": "s", "body": "b"},
        ]
    )

    assert list(Delivery.objects.values_list("status", "attempts")) == [("failed", 3)] * 2


def test_mark_read_is_own_messages_only_and_idempotent():
    alice = factories.user("alice")
    bob = factories.user("bob")
    notify_send(user_id=alice.pk, kind="k", subject="给 alice", body="")
    notify_send(user_id=bob.pk, kind="k", subject="给 bob", body="")
    bobs = Message.objects.get(recipient=bob)

    with pytest.raises(NotFound):
        message_mark_read(user=alice, message_id=bobs.pk)
    bobs.refresh_from_db()
    assert bobs.read_at is None

    with time_machine.travel(T0, tick=False):
        message_mark_read(user=bob, message_id=bobs.pk)
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        message_mark_read(user=bob, message_id=bobs.pk)
    bobs.refresh_from_db()
    assert bobs.read_at == T0
    assert [m.subject for m in message_list(user=alice)] == ["给 alice"]
    assert list(message_list(user=bob, unread_only=True)) == []
    assert message_unread_count(user=alice) == 1


# --------------------------------------------------------------------------- codes


def test_a_code_is_six_digits_stored_hashed_and_sent_after_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        verification_code_issue(mobile=MOBILE, purpose="login")
    assert not backends.outbox  # nothing is sent before the commit
    for callback in callbacks:
        callback()

    code = _last_code()
    row = VerificationCode.objects.get()
    assert re.fullmatch(r"\d{6}", code)
    assert code not in row.code_hash
    assert (
        backends.outbox[-1].text
        == f"【效能政务】您的验证码为 {code}，5 分钟内有效。如非本人操作，请忽略。"
    )
    assert Delivery.objects.get().kind == "verification_code.login"


def test_the_right_code_passes_once(django_capture_on_commit_callbacks):
    code = _issue(django_capture_on_commit_callbacks)

    verification_code_verify(mobile=MOBILE, purpose="login", code=code)
    with pytest.raises(ValidationFailed) as exc:
        verification_code_verify(mobile=MOBILE, purpose="login", code=code)

    assert exc.value.field == "code"
    assert str(exc.value.message) == "验证码已失效或未获取，请重新获取验证码。"


def test_a_code_is_bound_to_its_purpose_and_number(django_capture_on_commit_callbacks):
    code = _issue(django_capture_on_commit_callbacks, purpose="register")

    with pytest.raises(ValidationFailed):
        verification_code_verify(mobile=MOBILE, purpose="login", code=code)
    with pytest.raises(ValidationFailed):
        verification_code_verify(mobile="13900139000", purpose="register", code=code)
    verification_code_verify(mobile=MOBILE, purpose="register", code=code)


def test_a_code_expires_after_five_minutes(django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False):
        code = _issue(django_capture_on_commit_callbacks)
    with (
        time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False),
        pytest.raises(ValidationFailed) as exc,
    ):
        verification_code_verify(mobile=MOBILE, purpose="login", code=code)
    assert exc.value.code == "code_expired"

    with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
        code = _issue(django_capture_on_commit_callbacks)
    with time_machine.travel(T0 + dt.timedelta(minutes=14, seconds=59), tick=False):
        verification_code_verify(mobile=MOBILE, purpose="login", code=code)


def test_five_wrong_attempts_kill_the_code(django_capture_on_commit_callbacks):
    code = _issue(django_capture_on_commit_callbacks)
    messages = []
    for _ in range(5):
        with pytest.raises(ValidationFailed) as exc:
            verification_code_verify(mobile=MOBILE, purpose="login", code=_wrong(code))
        assert exc.value.field == "code"
        messages.append(str(exc.value.message))

    assert messages == [
        "验证码不正确，还可尝试 4 次。",
        "验证码不正确，还可尝试 3 次。",
        "验证码不正确，还可尝试 2 次。",
        "验证码不正确，还可尝试 1 次。",
        "验证码错误次数过多，已失效，请重新获取验证码。",
    ]
    with pytest.raises(ValidationFailed) as exc:  # even the right one is refused now
        verification_code_verify(mobile=MOBILE, purpose="login", code=code)
    assert exc.value.code == "code_expired"
    row = VerificationCode.objects.get()
    assert row.attempts == 5
    assert row.used_at is None
    assert row.dead_at is not None


def test_a_malformed_code_does_not_count_an_attempt(django_capture_on_commit_callbacks):
    code = _issue(django_capture_on_commit_callbacks)
    with pytest.raises(ValidationFailed) as exc:
        verification_code_verify(mobile=MOBILE, purpose="login", code="12ab")

    assert str(exc.value.message) == "请输入6位数字验证码。"
    assert VerificationCode.objects.get().attempts == 0
    verification_code_verify(mobile=MOBILE, purpose="login", code=code)


def test_a_new_code_replaces_the_old_one(django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False):
        old = _issue(django_capture_on_commit_callbacks)
    with time_machine.travel(T0 + dt.timedelta(seconds=61), tick=False):
        new = _issue(django_capture_on_commit_callbacks)
        if old != new:
            with pytest.raises(ValidationFailed):
                verification_code_verify(mobile=MOBILE, purpose="login", code=old)
        verification_code_verify(mobile=MOBILE, purpose="login", code=new)


def test_one_code_per_sixty_seconds_with_the_wait_in_the_message(
    django_capture_on_commit_callbacks,
):
    with time_machine.travel(T0, tick=False):
        _issue(django_capture_on_commit_callbacks)
    with (
        time_machine.travel(T0 + dt.timedelta(seconds=45), tick=False),
        pytest.raises(RateLimited) as exc,
    ):
        verification_code_issue(mobile=MOBILE, purpose="register")  # any purpose
    assert exc.value.status == 429
    assert exc.value.field == "mobile"
    assert str(exc.value.message) == "验证码发送过于频繁，请 15 秒后再试。"
    assert VerificationCode.objects.count() == 1
    with time_machine.travel(T0 + dt.timedelta(seconds=60), tick=False):
        _issue(django_capture_on_commit_callbacks)
    assert VerificationCode.objects.count() == 2


def test_ten_codes_per_day_then_wait_until_midnight_shanghai(django_capture_on_commit_callbacks):
    for i in range(10):
        with time_machine.travel(T0 + dt.timedelta(minutes=2 * i), tick=False):
            _issue(django_capture_on_commit_callbacks)
    # 10:20 + 5 min = 10:25 Shanghai: 13 h 35 min to midnight
    with time_machine.travel(T0 + dt.timedelta(minutes=25), tick=False):
        with pytest.raises(RateLimited) as exc:
            verification_code_issue(mobile=MOBILE, purpose="login")
        other = _issue(django_capture_on_commit_callbacks, mobile="13900139000")  # per number
    assert str(exc.value.message) == (
        "该手机号码今天已获取 10 次验证码，已达上限，请 13 小时 35 分钟后再试。"
    )
    assert other
    assert VerificationCode.objects.filter(mobile=MOBILE).count() == 10
    # 2026-03-03 00:00 Shanghai = 03-02 16:00 UTC: a new day
    with time_machine.travel(dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC), tick=False):
        _issue(django_capture_on_commit_callbacks)
    assert VerificationCode.objects.filter(mobile=MOBILE).count() == 11


def test_bad_mobile_and_purpose_are_named():
    with pytest.raises(ValidationFailed) as exc:
        verification_code_issue(mobile="12345", purpose="login")
    assert exc.value.field == "mobile"
    assert str(exc.value.message) == "手机号码无效：应为11位中国大陆手机号。"
    with pytest.raises(ValidationFailed) as exc:
        verification_code_issue(mobile=MOBILE, purpose="Bad Purpose")
    assert exc.value.field == "purpose"
    assert VerificationCode.objects.count() == 0


def test_old_codes_are_purged_but_todays_kept(django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False):
        _issue(django_capture_on_commit_callbacks)
    with time_machine.travel(T0 + dt.timedelta(days=2, minutes=1), tick=False):
        _issue(django_capture_on_commit_callbacks)
        assert verification_code_purge() == 1
    assert VerificationCode.objects.count() == 1


def test_the_deliver_task_sends_like_notify_send():
    user = factories.user()

    notify_deliver.delay(user_id=user.pk, mobile=MOBILE, kind="k", subject="标题", body="正文")

    assert Message.objects.get().recipient_id == user.pk
    assert backends.outbox[-1].text == "标题：正文"
