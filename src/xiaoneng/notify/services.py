"""Writes of the notify app: sending messages, verification codes, marking messages read.

notify sits in the bottom layer: it knows users only by id and phone numbers only as
strings, and it imports nothing above ``core``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from xiaoneng.core.errors import DomainError, NotFound, ValidationFailed
from xiaoneng.core.identifiers import mask_mobile, normalize_mobile

from .backends import NotifyBackend, backend_path, get_backend
from .models import Channel, Delivery, DeliveryStatus, Message, VerificationCode

__all__ = [
    "CODE_DAILY_LIMIT",
    "CODE_MAX_ATTEMPTS",
    "CODE_RESEND_SECONDS",
    "CODE_TTL_SECONDS",
    "RateLimited",
    "message_mark_read",
    "notify_message_add",
    "notify_messages_add",
    "notify_send",
    "notify_send_many",
    "verification_code_issue",
    "verification_code_purge",
    "verification_code_verify",
]

logger = logging.getLogger(__name__)

SEND_ATTEMPTS = 3
CODE_TTL_SECONDS = 5 * 60
CODE_RESEND_SECONDS = 60
CODE_DAILY_LIMIT = 10
CODE_MAX_ATTEMPTS = 5
_PURPOSE_RE = re.compile(r"^[a-z][a-z_]{0,31}$")
_CODE_RE = re.compile(r"^\d{6}$")


class RateLimited(DomainError):
    """Too many requests of one kind for one subject; the message says how long to wait."""

    status = 429
    default_code = "rate_limited"


# --------------------------------------------------------------------------- sending


def _mask_email(address: str) -> str:
    local, _sep, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def _send(
    *, channel: str, to_masked: str, kind: str, send: Callable[[NotifyBackend], None]
) -> Delivery:
    """Hand one item to the backend (a few tries); the unsaved record of the outcome."""
    attempts = 0
    error = ""
    path = backend_path()
    try:
        backend = get_backend()
    except Exception as exc:  # a misconfigured backend must not break the caller
        logger.exception("notify backend %s cannot be loaded", path)
        backend = None
        error = f"{type(exc).__name__}: {exc}"
    ok = False
    while backend is not None and attempts < SEND_ATTEMPTS and not ok:
        attempts += 1
        try:
            send(backend)
            ok = True
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            logger.warning(
                "%s %s to %s failed (try %d): %s", channel, kind, to_masked, attempts, error
            )
    return Delivery(
        channel=channel,
        kind=kind,
        recipient_masked=to_masked,
        status=DeliveryStatus.SENT if ok else DeliveryStatus.FAILED,
        attempts=attempts,
        backend=path[:200],
        error="" if ok else error[:500],
    )


def _store(messages: list[Message], deliveries: list[Delivery]) -> None:
    """Save the in-site messages and the delivery records: one transaction (one commit)
    when all goes well, else each on its own so one bad row loses nothing else.

    A single row outside any transaction is one autocommitted INSERT (atomic by itself:
    no BEGIN / COMMIT round trips); inside the caller's transaction it gets a savepoint so
    a failure cannot break the caller."""
    rows: list[Message | Delivery] = [*messages, *deliveries]
    if not rows:
        return
    if len(rows) > 1:
        try:
            with transaction.atomic():  # (one INSERT per table)
                if messages:
                    Message.objects.bulk_create(messages)
                if deliveries:
                    Delivery.objects.bulk_create(deliveries)
            return
        except Exception:
            logger.warning("notify rows could not be saved together; saving them one by one")
    for row in rows:
        row.pk = None
        try:
            if connection.in_atomic_block:
                with transaction.atomic():
                    row.save(force_insert=True)
            else:
                row.save(force_insert=True)
        except Exception:
            if isinstance(row, Message):
                logger.exception("in-site message %s to user %s failed", row.kind, row.recipient_id)
            else:
                logger.exception("could not record the %s delivery of %s", row.channel, row.kind)


def _message(*, user_id: int, kind: str, subject: Any, body: Any, link: str = "") -> Message:
    """The unsaved in-site message (``subject`` and ``body`` may be lazy translations)."""
    return Message(
        recipient_id=user_id,
        kind=kind[:64],
        subject=str(subject)[:200],
        body=str(body),
        link=link[:500],
    )


def notify_message_add(
    *, user_id: int, kind: str, subject: str, body: str, link: str = ""
) -> Message:
    """Put an in-site message in the user's inbox as part of the caller's transaction.

    For a service that reports its own change: the message is one more INSERT in the
    change's transaction, so it appears exactly when the change commits (and never if it
    rolls back) without a transaction of its own after the commit. Outside a transaction
    it is one autocommitted INSERT. Sends nothing; SMS and e-mail go through
    :func:`notify_send` after the commit.
    """
    message = _message(user_id=user_id, kind=kind, subject=subject, body=body, link=link)
    message.save(force_insert=True)
    return message


def notify_messages_add(*, messages: Iterable[Mapping[str, Any]]) -> list[Message]:
    """:func:`notify_message_add` for many messages (each a mapping of its arguments): one
    INSERT in the caller's transaction, whatever their number."""
    rows = [_message(**m) for m in messages]
    if rows:
        Message.objects.bulk_create(rows)
    return rows


def notify_send(
    *,
    user_id: int | None = None,
    mobile: str | None = None,
    kind: str,
    subject: str,
    body: str,
    link: str = "",
    email: str | None = None,
) -> None:
    """Send one notice: an in-site message to ``user_id``, an SMS to ``mobile``, an e-mail.

    Meant to be called from ``transaction.on_commit`` of the writing service. The message
    and the delivery records are stored in one transaction after the sends. Failures are
    logged and recorded in :class:`~xiaoneng.notify.models.Delivery`, never raised.
    """
    notify_send_many(
        notices=[
            {
                "user_id": user_id,
                "mobile": mobile,
                "kind": kind,
                "subject": subject,
                "body": body,
                "link": link,
                "email": email,
            }
        ]
    )


def notify_send_many(*, notices: Iterable[Mapping[str, Any]]) -> None:
    """:func:`notify_send` for several notices (each a mapping of its arguments): each is
    sent as it would be alone, and all their messages and delivery records are stored
    together (one INSERT per table). For a writer with many notices after one commit."""
    messages: list[Message] = []
    deliveries: list[Delivery] = []
    for notice in notices:
        _prepare(messages, deliveries, **notice)
    _store(messages, deliveries)


def _prepare(
    messages: list[Message],
    deliveries: list[Delivery],
    *,
    user_id: int | None = None,
    mobile: str | None = None,
    kind: str,
    subject: Any,
    body: Any,
    link: str = "",
    email: str | None = None,
) -> None:
    """Send one notice's SMS and e-mail; add its unsaved message and delivery records."""
    subject, body = str(subject), str(body)
    if user_id is not None:
        messages.append(_message(user_id=user_id, kind=kind, subject=subject, body=body, link=link))
    if mobile:
        text = f"{subject}：{body}" if subject and body else (body or subject)
        deliveries.append(
            _send(
                channel=Channel.SMS,
                to_masked=mask_mobile(mobile),
                kind=kind,
                send=lambda b: b.send_sms(mobile, text),
            )
        )
    if email:
        deliveries.append(
            _send(
                channel=Channel.EMAIL,
                to_masked=_mask_email(email),
                kind=kind,
                send=lambda b: b.send_email(email, subject, body),
            )
        )


@transaction.atomic
def message_mark_read(*, user: Any, message_id: int) -> Message:
    """Mark one of the user's own messages read (idempotent); others' are "not found"."""
    message = (
        Message.objects.select_for_update().filter(pk=message_id, recipient_id=user.pk).first()
    )
    if message is None:
        raise NotFound(_("消息不存在。"), field="message_id")
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])
    return message


# --------------------------------------------------------------------------- codes


def _code_hash(mobile: str, purpose: str, code: str) -> str:
    return salted_hmac(
        "xiaoneng.notify.verification_code", f"{mobile}:{purpose}:{code}", algorithm="sha256"
    ).hexdigest()


def _wait_text(seconds: int) -> str:
    seconds = max(1, seconds)
    if seconds < 120:
        return ngettext("%(n)d 秒", "%(n)d 秒", seconds) % {"n": seconds}
    minutes = -(-seconds // 60)
    if minutes < 120:
        return ngettext("%(n)d 分钟", "%(n)d 分钟", minutes) % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    return _("%(h)d 小时 %(m)d 分钟") % {"h": hours, "m": minutes}


def _check_purpose(purpose: str) -> None:
    if not _PURPOSE_RE.match(purpose or ""):
        raise ValidationFailed(_("验证码用途无效。"), field="purpose")


def _lock_mobile(mobile: str) -> None:
    """Serialise code issues for one number (SQLite's IMMEDIATE transactions already do)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"notify.code:{mobile}"])


def verification_code_issue(*, mobile: str, purpose: str) -> None:
    """Send a fresh 6-digit code by SMS; it replaces any live code of the same purpose.

    At most one code per number every 60 s and 10 per calendar day (Asia/Shanghai);
    beyond that :class:`RateLimited` (HTTP 429) says how long to wait.
    """
    mobile = normalize_mobile(mobile or "")
    _check_purpose(purpose)
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        _lock_mobile(mobile)
        now = timezone.now()
        recent = VerificationCode.objects.filter(mobile=mobile)
        last = recent.order_by("-created_at").values_list("created_at", flat=True).first()
        if last is not None and (now - last).total_seconds() < CODE_RESEND_SECONDS:
            wait = CODE_RESEND_SECONDS - int((now - last).total_seconds())
            raise RateLimited(
                _("验证码发送过于频繁，请 %(wait)s后再试。") % {"wait": _wait_text(wait)},
                field="mobile",
            )
        local_now = timezone.localtime(now)
        midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
        if recent.filter(created_at__gte=midnight).count() >= CODE_DAILY_LIMIT:
            tomorrow = midnight + dt.timedelta(days=1)
            wait = int((tomorrow - local_now).total_seconds())
            raise RateLimited(
                _("该手机号码今天已获取 %(limit)d 次验证码，已达上限，请 %(wait)s后再试。")
                % {"limit": CODE_DAILY_LIMIT, "wait": _wait_text(wait)},
                field="mobile",
            )
        VerificationCode.objects.filter(
            mobile=mobile, purpose=purpose, used_at__isnull=True, dead_at__isnull=True
        ).update(dead_at=now)
        VerificationCode.objects.create(
            mobile=mobile,
            purpose=purpose,
            code_hash=_code_hash(mobile, purpose, code),
            created_at=now,
            expires_at=now + dt.timedelta(seconds=CODE_TTL_SECONDS),
        )
        text = _(
            "【效能政务】您的验证码为 %(code)s，%(minutes)d 分钟内有效。如非本人操作，请忽略。"
        ) % {
            "code": code,
            "minutes": CODE_TTL_SECONDS // 60,
        }
        # Sent after commit: the code is valid only once it is stored.
        transaction.on_commit(
            lambda: notify_send(
                mobile=mobile,
                kind=f"verification_code.{purpose}",
                subject="",
                body=text,
            ),
            robust=True,
        )


def verification_code_verify(*, mobile: str, purpose: str, code: str) -> None:
    """Accept the live code once, or raise :class:`ValidationFailed` on field ``code``.

    A wrong code counts an attempt; the fifth wrong attempt kills the code. The attempt is
    committed even though the call raises, so call this outside an enclosing transaction.
    """
    mobile = normalize_mobile(mobile or "")
    _check_purpose(purpose)
    code = (code or "").strip()
    if not _CODE_RE.match(code):
        raise ValidationFailed(_("请输入6位数字验证码。"), field="code", code="invalid_code")
    failure: ValidationFailed | None = None
    with transaction.atomic():
        now = timezone.now()
        row = (
            VerificationCode.objects.select_for_update()
            .filter(mobile=mobile, purpose=purpose, used_at__isnull=True, dead_at__isnull=True)
            .order_by("-created_at", "-id")
            .first()
        )
        if row is None or row.expires_at <= now:
            raise ValidationFailed(
                _("验证码已失效或未获取，请重新获取验证码。"), field="code", code="code_expired"
            )
        if constant_time_compare(row.code_hash, _code_hash(mobile, purpose, code)):
            row.used_at = now
            row.save(update_fields=["used_at"])
            return
        row.attempts += 1
        left = CODE_MAX_ATTEMPTS - row.attempts
        if left <= 0:
            row.dead_at = now
            failure = ValidationFailed(
                _("验证码错误次数过多，已失效，请重新获取验证码。"),
                field="code",
                code="code_dead",
            )
        else:
            failure = ValidationFailed(
                _("验证码不正确，还可尝试 %(left)d 次。") % {"left": left},
                field="code",
                code="code_wrong",
            )
        row.save(update_fields=["attempts", "dead_at"])
    raise failure


def verification_code_purge(*, older_than: dt.timedelta = dt.timedelta(days=2)) -> int:
    """Delete codes older than ``older_than`` (the daily limit needs only today's)."""
    deleted, _by_model = VerificationCode.objects.filter(
        created_at__lt=timezone.now() - older_than
    ).delete()
    return deleted
