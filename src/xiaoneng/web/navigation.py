"""The header navigation, computed from the actor's roles (never from the template)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.urls import Resolver404, resolve, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from xiaoneng.org.models import Applicant, Role
from xiaoneng.org.selectors import Scope, actor_scope


class NavEntry(NamedTuple):
    """Templates unpack it: ``{% for label, url, active in nav_entries %}``."""

    label: str | Promise
    url: str
    active: bool


@dataclass(frozen=True)
class _Link:
    label: str | Promise
    url: Callable[[], str]
    roles: frozenset[str] | None  # None: every staff member; empty: everyone incl. public
    public: bool = False
    applicant: bool = False  # only for users with an applicant profile (org.Applicant)


def _static(path: str) -> Callable[[], str]:
    return lambda: path


def _named(name: str) -> Callable[[], str]:
    return lambda: reverse(name)


LINKS: tuple[_Link, ...] = (
    _Link(_("工作台"), _named("web:home"), roles=None),
    _Link(
        _("受理"),
        _static("/staff/cases/intake/"),
        roles=frozenset({Role.CLERK, Role.CHIEF_REPRESENTATIVE}),
    ),
    _Link(
        _("待办"),
        _static("/staff/cases/inbox/"),
        roles=frozenset({Role.APPROVER, Role.CHIEF_REPRESENTATIVE}),
    ),
    _Link(_("办件"), _static("/staff/cases/"), roles=None),
    _Link(
        _("监察看板"),
        _named("supervision:dashboard"),
        roles=frozenset({Role.SUPERVISOR, Role.LEADERSHIP_OFFICE, Role.PLATFORM_ADMIN}),
    ),
    # Every staff member: supervisors see their region's alerts, department staff their own
    # department's (to explain them); the page is scoped by the alerts selector.
    _Link(_("监察预警"), _static("/staff/supervision/alerts/"), roles=None),
    # Every staff member: supervisors issue and review orders, departments reply to theirs.
    _Link(_("督办"), _static("/staff/supervision/orders/"), roles=None),
    # Every staff member: supervisors record, heads and persons see theirs, bulletins for all.
    _Link(_("问责"), _static("/staff/supervision/accountability/"), roles=None),
    _Link(
        _("事项管理"),
        _static("/staff/catalog/"),
        roles=frozenset({Role.APPROVAL_OFFICE, Role.PLATFORM_ADMIN}),
    ),
    _Link(
        _("审计日志"),
        _static("/staff/audit/"),
        roles=frozenset({Role.SUPERVISOR, Role.PLATFORM_ADMIN}),
    ),
    _Link(_("工作日历"), _static("/staff/calendar/"), roles=frozenset({Role.PLATFORM_ADMIN})),
    _Link(_("系统管理"), _static("/admin/"), roles=frozenset({Role.PLATFORM_ADMIN})),
    _Link(_("办事指南"), _named("portal:item_list"), roles=frozenset(), public=True),
    _Link(_("我的办件"), _static("/me/cases/"), roles=frozenset(), applicant=True),
)


def url_exists(path: str) -> bool:
    """Whether some view answers ``path`` (pages built by other apps appear once they exist)."""
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def _visible(link: _Link, scope: Scope, is_applicant: bool) -> bool:
    if link.public:
        return True
    if link.applicant:
        return is_applicant
    if not scope.is_staff:
        return False
    if link.roles is None:
        return True
    return scope.has_role(*link.roles)


def _matches(url: str, path: str) -> bool:
    if url == "/":
        return path == "/"
    return path.startswith(url)


def nav_entries(
    scope: Scope,
    path: str,
    *,
    exists: Callable[[str], bool] = url_exists,
    is_applicant: bool = False,
) -> list[NavEntry]:
    """The entries ``scope`` may use, in header order; the longest match of ``path`` is active.
    ``is_applicant``: the user has an applicant profile (their own cases are linked)."""
    urls = [(link.label, link.url()) for link in LINKS if _visible(link, scope, is_applicant)]
    urls = [(label, url) for label, url in urls if exists(url)]
    matching = [url for _label, url in urls if _matches(url, path)]
    active = max(matching, key=len) if matching else None
    return [NavEntry(label=label, url=url, active=url == active) for label, url in urls]


def has_applicant_profile(user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return Applicant.objects.filter(user_id=user.pk).exists()


def nav_for_user(user: Any, path: str) -> list[NavEntry]:
    return nav_entries(actor_scope(user), path, is_applicant=has_applicant_profile(user))
