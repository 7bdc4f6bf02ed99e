"""Template context shared by every page: navigation by role, site name, audit checkpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy

from xiaoneng.audit.models import AuditCheckpoint
from xiaoneng.audit.selectors import audit_daily_checkpoint
from xiaoneng.notify.selectors import message_unread_count
from xiaoneng.org.selectors import actor_scope

from .navigation import has_applicant_profile, nav_for_user

# settings.SITE_NAME is a lazy translation; its English lives in this app's catalogue.
_SITE_NAME_MSGID = gettext_lazy("效能政务服务平台")


def todays_checkpoint() -> AuditCheckpoint | None:
    """The last audit checkpoint sealed today (local time), or ``None``."""
    return audit_daily_checkpoint(timezone.localdate())


class _Lazy:
    """Computed on first use in the template, at most once per request."""

    def __init__(self, func: Callable[[], Any]) -> None:
        self._func = func
        self._done = False
        self._value: Any = None

    def __call__(self) -> Any:
        if not self._done:
            self._value = self._func()
            self._done = True
        return self._value


def _unread(user: Any) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return message_unread_count(user=user)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "xn_site_name": settings.SITE_NAME,
        "nav_entries": _Lazy(lambda: nav_for_user(user, request.path)),
        "audit_checkpoint": _Lazy(todays_checkpoint),
        "unread_messages": _Lazy(lambda: _unread(user)),
        "xn_is_staff": _Lazy(lambda: actor_scope(user).is_staff),
        "xn_is_applicant": _Lazy(lambda: has_applicant_profile(user)),
    }
