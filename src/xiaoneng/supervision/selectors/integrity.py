"""Reads of the audit-chain integrity page: the runs, the checkpoints, the broken link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from xiaoneng.audit.chain import CHAIN_FIELDS, ChainRow, link_hash
from xiaoneng.audit.models import AuditCheckpoint, AuditEvent
from xiaoneng.audit.selectors import DailyCheckpoint, audit_checkpoints_by_day
from xiaoneng.core.errors import PermissionDenied
from xiaoneng.org.models import Role
from xiaoneng.org.selectors import actor_scope

from ..models import IntegrityCheck

__all__ = ["INTEGRITY_ROLES", "IntegrityOverview", "integrity_overview", "integrity_require"]

#: Who verifies the chain: the supervision office and the platform administrator.
INTEGRITY_ROLES = (Role.SUPERVISOR, Role.PLATFORM_ADMIN)
#: Events shown on each side of the first broken link.
CONTEXT = 2


def integrity_require(actor: Any) -> int | None:
    """The acting staff id; anyone but the supervision office or the admin is refused."""
    scope = actor_scope(actor)
    if not scope.has_role(*INTEGRITY_ROLES):
        raise PermissionDenied(_("只有效能监察人员和平台管理员可以核验审计链。"))
    return scope.staff_id


@dataclass(frozen=True)
class LinkRow:
    """One sealed event near the broken link, with what the chain expects of it."""

    event: AuditEvent
    recomputed_hash: str
    hash_matches: bool  # its content still gives its stored hash
    links_to_previous: bool  # its prev_hash is the stored hash of the event before it
    is_broken: bool  # the event the verification names


@dataclass(frozen=True)
class IntegrityOverview:
    latest: IntegrityCheck | None
    running: bool
    history: list[IntegrityCheck]
    links: list[LinkRow]
    checkpoints: list[DailyCheckpoint]
    head: AuditCheckpoint | None
    unsealed: int


def _links_around(seq: int) -> list[LinkRow]:
    rows = list(
        AuditEvent.objects.filter(seq__gte=seq - CONTEXT - 1, seq__lte=seq + CONTEXT).order_by(
            "seq"
        )
    )
    values = {
        r[0]: ChainRow._make(r[1:])
        for r in AuditEvent.objects.filter(pk__in=[e.pk for e in rows]).values_list(
            "pk", *CHAIN_FIELDS
        )
    }
    links: list[LinkRow] = []
    previous: AuditEvent | None = None
    for event in rows:
        if event.seq is None:  # the query reads sealed events only
            continue
        own = link_hash(event.prev_hash, values[event.pk], event.seq)
        row = LinkRow(
            event=event,
            recomputed_hash=own,
            hash_matches=own == event.hash,
            links_to_previous=previous is None
            or (previous.seq == event.seq - 1 and previous.hash == event.prev_hash),
            is_broken=event.seq == seq,
        )
        if event.seq >= seq - CONTEXT:
            links.append(row)
        previous = event
    return links


def integrity_overview(*, actor: Any) -> IntegrityOverview:
    integrity_require(actor)
    history = list(IntegrityCheck.objects.select_related("requested_by__user")[:10])
    latest = history[0] if history else None
    links: list[LinkRow] = []
    if latest is not None and latest.ok is False and latest.first_broken_seq is not None:
        links = _links_around(latest.first_broken_seq)
    return IntegrityOverview(
        latest=latest,
        running=any(c.ok is None for c in history),
        history=history,
        links=links,
        checkpoints=audit_checkpoints_by_day(14),
        head=AuditCheckpoint.objects.order_by("-last_seq").first(),
        unsealed=AuditEvent.objects.filter(seq__isnull=True).count(),
    )
