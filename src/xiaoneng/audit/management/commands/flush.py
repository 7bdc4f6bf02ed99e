"""``flush`` that lifts the audit triggers for the wipe (Django's own flush, otherwise).

Django's flush empties every table (``DELETE`` on SQLite, ``TRUNCATE`` on PostgreSQL), which
the append-only triggers refuse. A flush is an operator's deliberate wipe of the whole
database (and what test teardown does between transactional tests), so the triggers are
lifted for it, inside one transaction, and put back at once.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as DjangoFlushCommand
from django.db import DEFAULT_DB_ALIAS, transaction

from xiaoneng.audit.dbguard import guard_lifted


class Command(DjangoFlushCommand):
    def handle(self, **options: Any) -> None:
        database = options.get("database") or DEFAULT_DB_ALIAS
        with transaction.atomic(using=database), guard_lifted(database):
            super().handle(**options)
