"""Reads of the org app, and the one definition of what an actor may see (scope).

Every scoped selector in every app starts from :func:`actor_scope`: it says which regions
(a subtree, by path prefix) and which departments the actor's roles reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from .models import (
    REGION_SCOPED_ROLES,
    ApiToken,
    Applicant,
    Department,
    Region,
    Role,
    Staff,
    Window,
)


@dataclass(frozen=True)
class Scope:
    """What one actor may see. ``everything`` is the platform administrator's view."""

    everything: bool = False
    region_paths: tuple[str, ...] = ()
    department_ids: frozenset[int] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)
    staff_id: int | None = None

    @property
    def is_staff(self) -> bool:
        return self.everything or self.staff_id is not None

    def has_role(self, *roles: str) -> bool:
        return self.everything or bool(self.roles.intersection(roles))

    def region_q(self, prefix: str) -> Q:
        """Q over ``<prefix>path`` (e.g. ``"department__region__"``) for the region subtrees."""
        if self.everything:
            return Q()
        q = Q(pk__in=[])
        for path in self.region_paths:
            q |= Q(**{f"{prefix}path__startswith": path})
        return q

    def department_q(self, department_field: str, region_prefix: str) -> Q:
        """Q reaching rows of the actor's departments or of their region subtrees."""
        if self.everything:
            return Q()
        q = Q(**{f"{department_field}__in": list(self.department_ids)})
        if self.region_paths:
            q |= self.region_q(region_prefix)
        return q

    def covers_region(self, region: Region) -> bool:
        return self.everything or any(region.path.startswith(p) for p in self.region_paths)

    def covers_department(self, department: Department) -> bool:
        if self.everything or department.pk in self.department_ids:
            return True
        return self.covers_region(department.region)


NO_SCOPE = Scope()


def staff_for_user(user: Any) -> Staff | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return Staff.objects.select_related("department__region").get(user=user, is_active=True)
    except Staff.DoesNotExist:
        return None


def actor_scope(user: Any) -> Scope:
    """The scope of a logged-in user; anonymous users and applicants get :data:`NO_SCOPE`."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NO_SCOPE
    cached = getattr(user, "_xn_scope", None)
    if cached is not None:
        return cached
    staff = staff_for_user(user)
    if staff is None:
        scope = Scope(everything=True) if user.is_superuser else NO_SCOPE
    else:
        roles = frozenset(staff.role_grants.values_list("role", flat=True))
        if user.is_superuser or Role.PLATFORM_ADMIN in roles:
            scope = Scope(everything=True, roles=roles, staff_id=staff.pk)
        else:
            region_paths: tuple[str, ...] = ()
            if roles & REGION_SCOPED_ROLES:
                region_paths = (staff.department.region.path,)
            scope = Scope(
                region_paths=region_paths,
                department_ids=frozenset({staff.department_id}),
                roles=roles,
                staff_id=staff.pk,
            )
    user._xn_scope = scope
    return scope


def region_list(*, actor: Any = None, within: Region | None = None) -> QuerySet[Region]:
    qs = Region.objects.all()
    if within is not None:
        qs = qs.filter(path__startswith=within.path)
    return qs.order_by("path")


def region_subtree(*, region: Region) -> QuerySet[Region]:
    return Region.objects.filter(path__startswith=region.path)


def department_list_public(*, region: Region | None = None) -> QuerySet[Department]:
    """Active departments, for the public catalogue (no scoping: departments are public)."""
    qs = Department.objects.filter(is_active=True).select_related("region")
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    return qs


def department_list(*, actor: Any) -> QuerySet[Department]:
    scope = actor_scope(actor)
    return Department.objects.filter(scope.department_q("pk", "region__")).select_related("region")


def staff_list(*, actor: Any, department: Department | None = None) -> QuerySet[Staff]:
    scope = actor_scope(actor)
    qs = Staff.objects.filter(scope.department_q("department_id", "department__region__"))
    if department is not None:
        qs = qs.filter(department=department)
    return qs.select_related("user", "department")


def window_list(*, actor: Any) -> QuerySet[Window]:
    scope = actor_scope(actor)
    if scope.everything:
        return Window.objects.all()
    q = Q(departments__in=list(scope.department_ids))
    if scope.region_paths:
        q |= scope.region_q("region__")
    return Window.objects.filter(q).distinct()


def staff_on_duty(*, staff: Staff) -> Staff:
    """Who does ``staff``'s work now: the B backup while A is absent (one hop)."""
    if not staff.is_absent:
        return staff
    pair = getattr(staff, "backup_pair", None)
    if pair is not None and not pair.backup.is_absent and pair.backup.is_active:
        return pair.backup
    return staff


def applicant_of(*, user: Any) -> Applicant | None:
    """The user's applicant profile, if they registered as an applicant."""
    if user is None or not getattr(user, "pk", None):
        return None
    return Applicant.objects.filter(user_id=user.pk).first()


def api_token_list(*, user: Any) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (never anyone else's)."""
    return ApiToken.objects.filter(user_id=user.pk).order_by("-created_at", "-id")
