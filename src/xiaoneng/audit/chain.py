"""The hash of one link of the audit chain (pure functions, shared by sealer and verifier).

``hash = sha256(prev_hash + "\\n" + canonical JSON of the event's immutable fields)``, where
the canonical JSON has sorted keys, no spaces, UTF-8, and ``occurred_at`` in UTC with
microseconds. The event's ``seq`` and ``id`` are part of it, so moving an event breaks it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, NamedTuple

GENESIS_HASH = "0" * 64


class ChainRow(NamedTuple):
    """The columns of :class:`~xiaoneng.audit.models.AuditEvent` the chain reads, in order."""

    id: int
    seq: int | None
    prev_hash: str
    hash: str
    occurred_at: dt.datetime
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    region_code: str
    department_id: int | None
    payload: Any


CHAIN_FIELDS: tuple[str, ...] = ChainRow._fields


def canonical_json(row: ChainRow, seq: int) -> bytes:
    doc = {
        "seq": seq,
        "id": row.id,
        "occurred_at": row.occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": row.actor_id,
        "actor_label": row.actor_label,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "region_code": row.region_code,
        "department_id": row.department_id,
        "payload": row.payload,
    }
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def link_hash(prev_hash: str, row: ChainRow, seq: int) -> str:
    """The hash of ``row`` placed at ``seq`` after a link whose hash is ``prev_hash``."""
    digest = hashlib.sha256(prev_hash.encode())
    digest.update(b"\n")
    digest.update(canonical_json(row, seq))
    return digest.hexdigest()
