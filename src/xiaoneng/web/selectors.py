"""Reads for the staff home page, all scoped through ``actor_scope``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xiaoneng.org.models import BackupPair, Role, Staff, Window
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
