"""Helpers that write events through ``audit_record`` (the only way they are written)."""

from __future__ import annotations

from typing import Any

from xiaoneng.audit.models import AuditEvent
from xiaoneng.audit.services import audit_record


def events(n: int, *, action: str = "test.thing_done", **kwargs: Any) -> list[AuditEvent]:
    return [
        audit_record(
            actor=None,
            action=action,
            object_type="test.thing",
            object_id=str(i),
            payload={"n": i, "note": "审批"},
            **kwargs,
        )
        for i in range(1, n + 1)
    ]
