"""Where SMS and e-mail go: one small protocol, chosen by the ``XN_NOTIFY_BACKEND`` setting.

A backend raises on failure; :func:`xiaoneng.notify.services.notify_send` retries, records
the outcome and never lets the failure reach its caller.
"""

from __future__ import annotations

import logging
import sys
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol, TextIO, runtime_checkable

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger("xiaoneng.notify.console")

DEFAULT_BACKEND = "xiaoneng.notify.backends.ConsoleBackend"


@runtime_checkable
class NotifyBackend(Protocol):
    def send_sms(self, mobile: str, text: str) -> None: ...

    def send_email(self, address: str, subject: str, body: str) -> None: ...


@dataclass(frozen=True)
class SentItem:
    channel: str
    to: str
    subject: str
    text: str
    sent_at: object = field(default_factory=timezone.now)


#: What the console backend "sent" in this process, newest last (tests and the embedded demo
#: read the verification code here; bounded so a long-running server does not grow).
outbox: deque[SentItem] = deque(maxlen=500)


class ConsoleBackend:
    """The embedded default: each SMS / e-mail goes to the server's console (stderr, like
    Django's console e-mail backend, so a demo user can read the code whatever the log
    level), to the log at INFO, and to :data:`outbox`."""

    stream: TextIO | None = None  # None: sys.stderr at the time of sending

    def _write(self, line: str) -> None:
        stream = self.stream or sys.stderr
        stream.write(line + "\n")
        stream.flush()

    def send_sms(self, mobile: str, text: str) -> None:
        outbox.append(SentItem(channel="sms", to=mobile, subject="", text=text))
        self._write(f"[SMS → {mobile}] {text}")
        logger.info("SMS to %s: %s", mobile, text)

    def send_email(self, address: str, subject: str, body: str) -> None:
        outbox.append(SentItem(channel="email", to=address, subject=subject, text=body))
        self._write(f"[E-mail → {address}] {subject}\n{body}")
        logger.info("E-mail to %s: %s\n%s", address, subject, body)


class FailingBackend:
    """Refuses everything (for tests of the failure path and for dry runs)."""

    def send_sms(self, mobile: str, text: str) -> None:
        raise ConnectionError("SMS gateway unavailable")

    def send_email(self, address: str, subject: str, body: str) -> None:
        raise ConnectionError("mail server unavailable")


class NullBackend:
    """Sends nothing and records nothing (simulations, whose applicants have no phones)."""

    def send_sms(self, mobile: str, text: str) -> None:
        return None

    def send_email(self, address: str, subject: str, body: str) -> None:
        return None


def backend_path() -> str:
    return str(getattr(settings, "XN_NOTIFY_BACKEND", None) or DEFAULT_BACKEND)


@lru_cache(maxsize=8)
def _load(path: str) -> NotifyBackend:
    backend = import_string(path)()
    if not isinstance(backend, NotifyBackend):
        raise TypeError(f"{path} does not implement send_sms and send_email")
    return backend


def get_backend() -> NotifyBackend:
    return _load(backend_path())
