"""API authentication: bearer tokens for clients, the session for the browser.

Routers that serve both pass ``auth=API_AUTH``: a request with ``Authorization: Bearer
<key>`` is checked against :class:`~xiaoneng.org.models.ApiToken`; without that header the
Django session (with its CSRF check on writes) is used. ``API_AUTH_REQUIRED`` adds a last
check that answers an unauthenticated request with a 401 in the shared error body.

The staff pages call :func:`require_staff` first: a signed-in user who is no active staff
member gets a 403 page with the page's own message.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, django_auth

from xiaoneng.core.errors import PermissionDenied, Unauthenticated

from .selectors import Scope, actor_scope
from .services import api_token_authenticate

__all__ = ["API_AUTH", "API_AUTH_REQUIRED", "TokenAuth", "require_staff"]


class TokenAuth(HttpBearer):
    """``Authorization: Bearer xn_…``; a wrong or revoked key is a 401 in Chinese."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(key=token.strip())
        if user is None:
            raise Unauthenticated(_("API 令牌无效或已吊销。"), code="invalid_token")
        request.user = user
        return user


API_AUTH = [TokenAuth(), django_auth]


def _login_required(request: HttpRequest) -> Any:
    """Last in the auth list: nobody matched, so a 401 in the shared error body."""
    raise Unauthenticated(_("请先登录，或使用 API 令牌（Authorization: Bearer …）。"))


API_AUTH_REQUIRED = [*API_AUTH, _login_required]


def require_staff(user: Any, message: str | Promise) -> Scope:
    """``user``'s scope if they are staff, else :class:`PermissionDenied` with ``message``
    (what the page is, in the page's words)."""
    scope = actor_scope(user)
    if not scope.is_staff:
        raise PermissionDenied(message)
    return scope
