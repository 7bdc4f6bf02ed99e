"""Database triggers that keep the audit tables append-only (installed by migration 0002).

* ``audit_auditevent``: INSERT only of unsealed rows (no seq, hashes or sealed_at); UPDATE
  only as the sealer's one-time setting of seq/prev_hash/hash/sealed_at on an unsealed row,
  every other column unchanged; DELETE never.
* ``audit_auditcheckpoint``: INSERT only; UPDATE and DELETE never.
* PostgreSQL also refuses TRUNCATE of either table.

The triggers stop mistakes and casual edits. They do not stop someone who can drop them:
that is what the hash chain and the published checkpoints are for (``audit_verify``).
Only the ``flush`` command (a whole-database wipe, see ``management/commands/flush.py``)
and tests that simulate tampering lift them, through :func:`guard_lifted`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

EVENT_TABLE = "audit_auditevent"
CHECKPOINT_TABLE = "audit_auditcheckpoint"

# The columns a sealed event is hashed over: never to change after insert.
IMMUTABLE_COLUMNS = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "region_code",
    "department_id",
    "payload",
)

_SQLITE_TRIGGERS = {
    "audit_event_insert_guard": f"""
        CREATE TRIGGER IF NOT EXISTS audit_event_insert_guard
        BEFORE INSERT ON {EVENT_TABLE}
        WHEN NEW.seq IS NOT NULL OR NEW.sealed_at IS NOT NULL
             OR NEW.hash <> '' OR NEW.prev_hash <> ''
        BEGIN SELECT RAISE(ABORT, 'audit events are inserted unsealed'); END
    """,
    "audit_event_update_guard": f"""
        CREATE TRIGGER IF NOT EXISTS audit_event_update_guard
        BEFORE UPDATE ON {EVENT_TABLE}
        WHEN OLD.sealed_at IS NOT NULL OR NEW.sealed_at IS NULL OR NEW.seq IS NULL
             OR NEW.hash = ''
             OR {" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in IMMUTABLE_COLUMNS)}
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only: only sealing may update'); END
    """,
    "audit_event_delete_guard": f"""
        CREATE TRIGGER IF NOT EXISTS audit_event_delete_guard
        BEFORE DELETE ON {EVENT_TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit events are append-only: no delete'); END
    """,
    "audit_checkpoint_update_guard": f"""
        CREATE TRIGGER IF NOT EXISTS audit_checkpoint_update_guard
        BEFORE UPDATE ON {CHECKPOINT_TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END
    """,
    "audit_checkpoint_delete_guard": f"""
        CREATE TRIGGER IF NOT EXISTS audit_checkpoint_delete_guard
        BEFORE DELETE ON {CHECKPOINT_TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END
    """,
}

_PG_NEW = ", ".join(f"NEW.{c}" for c in IMMUTABLE_COLUMNS)
_PG_OLD = ", ".join(f"OLD.{c}" for c in IMMUTABLE_COLUMNS)

_PG_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION audit_event_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF NEW.seq IS NOT NULL OR NEW.sealed_at IS NOT NULL
               OR NEW.hash <> '' OR NEW.prev_hash <> '' THEN
                RAISE EXCEPTION 'audit events are inserted unsealed'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        ELSIF TG_OP = 'UPDATE' THEN
            IF OLD.sealed_at IS NOT NULL OR NEW.sealed_at IS NULL OR NEW.seq IS NULL
               OR NEW.hash = '' OR ({_PG_NEW}) IS DISTINCT FROM ({_PG_OLD}) THEN
                RAISE EXCEPTION 'audit events are append-only: only sealing may update'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit events are append-only: no %', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END $$;
    """,
    """
    CREATE OR REPLACE FUNCTION audit_checkpoint_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit checkpoints are append-only: no %', TG_OP
            USING ERRCODE = 'integrity_constraint_violation';
    END $$;
    """,
    f"DROP TRIGGER IF EXISTS audit_event_row_guard ON {EVENT_TABLE}",
    f"""CREATE TRIGGER audit_event_row_guard BEFORE INSERT OR UPDATE OR DELETE
        ON {EVENT_TABLE} FOR EACH ROW EXECUTE FUNCTION audit_event_guard()""",
    f"DROP TRIGGER IF EXISTS audit_event_truncate_guard ON {EVENT_TABLE}",
    f"""CREATE TRIGGER audit_event_truncate_guard BEFORE TRUNCATE
        ON {EVENT_TABLE} FOR EACH STATEMENT EXECUTE FUNCTION audit_event_guard()""",
    f"DROP TRIGGER IF EXISTS audit_checkpoint_row_guard ON {CHECKPOINT_TABLE}",
    f"""CREATE TRIGGER audit_checkpoint_row_guard BEFORE UPDATE OR DELETE
        ON {CHECKPOINT_TABLE} FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_guard()""",
    f"DROP TRIGGER IF EXISTS audit_checkpoint_truncate_guard ON {CHECKPOINT_TABLE}",
    f"""CREATE TRIGGER audit_checkpoint_truncate_guard BEFORE TRUNCATE
        ON {CHECKPOINT_TABLE} FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoint_guard()""",
]

_PG_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS audit_event_row_guard ON {EVENT_TABLE}",
    f"DROP TRIGGER IF EXISTS audit_event_truncate_guard ON {EVENT_TABLE}",
    f"DROP TRIGGER IF EXISTS audit_checkpoint_row_guard ON {CHECKPOINT_TABLE}",
    f"DROP TRIGGER IF EXISTS audit_checkpoint_truncate_guard ON {CHECKPOINT_TABLE}",
    "DROP FUNCTION IF EXISTS audit_event_guard()",
    "DROP FUNCTION IF EXISTS audit_checkpoint_guard()",
]

_PG_DISABLE = [
    f"ALTER TABLE {EVENT_TABLE} DISABLE TRIGGER USER",
    f"ALTER TABLE {CHECKPOINT_TABLE} DISABLE TRIGGER USER",
]
_PG_ENABLE = [
    f"ALTER TABLE {EVENT_TABLE} ENABLE TRIGGER USER",
    f"ALTER TABLE {CHECKPOINT_TABLE} ENABLE TRIGGER USER",
]


def _run(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install(connection: BaseDatabaseWrapper) -> None:
    """Create (or re-create) the guard triggers. Idempotent."""
    if connection.vendor == "sqlite":
        _run(connection, list(_SQLITE_TRIGGERS.values()))
    elif connection.vendor == "postgresql":
        _run(connection, _PG_INSTALL)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    """Drop the guard triggers (the reverse of migration 0002)."""
    if connection.vendor == "sqlite":
        _run(connection, [f"DROP TRIGGER IF EXISTS {name}" for name in _SQLITE_TRIGGERS])
    elif connection.vendor == "postgresql":
        _run(connection, _PG_UNINSTALL)


def installed(connection: BaseDatabaseWrapper) -> bool:
    """Whether the guard triggers are present (and, on PostgreSQL, enabled)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT COUNT(*) FROM sqlite_master"
                " WHERE type = 'trigger' AND tbl_name IN (%s, %s)",
                [EVENT_TABLE, CHECKPOINT_TABLE],
            )
            return int(cursor.fetchone()[0]) == len(_SQLITE_TRIGGERS)
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT COUNT(*) FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'"
                " AND tgrelid IN (%s::regclass, %s::regclass)",
                [EVENT_TABLE, CHECKPOINT_TABLE],
            )
            return int(cursor.fetchone()[0]) == 4
    return False


@contextmanager
def guard_lifted(using: str = "default") -> Iterator[None]:
    """Lift the triggers for the enclosed statements, then put them back.

    Use it inside a transaction: the DDL is transactional on both SQLite and PostgreSQL, so
    a rollback restores the triggers too. Meant for ``flush`` and for tamper tests only.
    """
    connection = connections[using]
    if connection.vendor == "sqlite":
        uninstall(connection)
        try:
            yield
        finally:
            install(connection)
    elif connection.vendor == "postgresql":
        _run(connection, _PG_DISABLE)
        try:
            yield
        finally:
            _run(connection, _PG_ENABLE)
    else:
        yield
