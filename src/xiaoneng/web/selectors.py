"""Reads for the staff pages (home, audit log), all scoped through ``actor_scope``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from xiaoneng.audit.models import AuditEvent
from xiaoneng.audit.selectors import audit_event_list
from xiaoneng.org.models import BackupPair, Department, Region, Role, Staff, Window
from xiaoneng.org.selectors import (
    actor_scope,
    department_list,
    staff_for_user,
    staff_list,
    window_list,
)


@dataclass
class StaffHome:
    staff: Staff | None
    role_labels: list[str] = field(default_factory=list)
    region_scoped: bool = False
    my_windows: list[Window] = field(default_factory=list)
    backup: Staff | None = None  # who covers me (B post)
    covering: list[Staff] = field(default_factory=list)  # whom I cover
    department_count: int = 0
    staff_count: int = 0
    window_count: int = 0


def staff_home(*, actor: Any) -> StaffHome:
    """What the staff home shows ``actor``: their post, windows, backups and scope sizes."""
    scope = actor_scope(actor)
    staff = staff_for_user(actor)
    home = StaffHome(staff=staff)
    if staff is None and not scope.everything:
        return home
    labels = dict(Role.choices)
    home.role_labels = [str(labels[r]) for r in Role.values if r in scope.roles]
    home.region_scoped = scope.everything or bool(scope.region_paths)
    if staff is not None:
        home.my_windows = list(staff.windows.select_related("region").order_by("code"))
        pair = BackupPair.objects.filter(primary=staff).select_related("backup__user").first()
        home.backup = pair.backup if pair else None
        home.covering = [
            p.primary
            for p in BackupPair.objects.filter(backup=staff).select_related("primary__user")
        ]
    home.department_count = department_list(actor=actor).count()
    home.staff_count = staff_list(actor=actor).count()
    home.window_count = window_list(actor=actor).count()
    return home


def can_read_audit_log(*, actor: Any) -> bool:
    return actor_scope(actor).has_role(Role.SUPERVISOR, Role.PLATFORM_ADMIN)


def audit_log(
    *, actor: Any, action: str = "", object_type: str = "", object_id: str = ""
) -> QuerySet[AuditEvent]:
    """Audit events the actor may read: everything for the platform admin, the events of
    their region subtree (by region code or department) for a supervisor, nothing else."""
    scope = actor_scope(actor)
    if not can_read_audit_log(actor=actor):
        return AuditEvent.objects.none()
    region_codes: list[str] | None = None
    department_ids: list[int] | None = None
    if not scope.everything:
        regions = Region.objects.filter(scope.region_q(""))
        region_codes = list(regions.values_list("code", flat=True))
        department_ids = list(
            Department.objects.filter(region__in=regions).values_list("pk", flat=True)
        )
        department_ids += [d for d in scope.department_ids if d not in department_ids]
    return audit_event_list(
        actor=actor,
        region_codes=region_codes,
        department_ids=department_ids,
        action=action or None,
        object_type=object_type or None,
        object_id=object_id or None,
    )
