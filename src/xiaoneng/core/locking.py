"""Plumbing of every write that changes one row: lock it, then check the version the
client saw (optimistic concurrency on top of the row lock).

No domain rules here: which related rows to read with the lock, what "not found" means
and the wording of the conflict stay with the service. The version check comes after the
service's scope and permission checks (a refusal is a 403 whatever the version).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

from .errors import Conflict

__all__ = ["row_lock", "version_check"]

M = TypeVar("M", bound=models.Model)


def row_lock(model: type[M], obj: M | int, *related: str) -> M | None:
    """``obj``'s row, fresh and locked until the transaction ends (``SELECT … FOR UPDATE
    OF`` the row only: the ``related`` rows are read with it, not locked); ``None`` when
    the row is gone. Call inside ``transaction.atomic()``."""
    pk = obj.pk if isinstance(obj, models.Model) else int(obj)
    qs = model._default_manager.select_for_update(of=("self",))
    if related:
        qs = qs.select_related(*related)
    return qs.filter(pk=pk).first()


def version_check(
    obj: Any,
    expected_version: int | None,
    message: Any,
    *,
    field: str | None = "version",
    **params: Any,
) -> None:
    """A :class:`Conflict` (409, ``stale_version``) when the client saw another version
    than ``obj.version``; nothing when it sent none. ``message`` is formatted with
    ``seen`` (the client's version), ``now`` (the row's) and ``params``."""
    if expected_version is None or obj.version == expected_version:
        return
    raise Conflict(
        message % {"seen": expected_version, "now": obj.version, **params},
        code="stale_version",
        field=field,
    )
