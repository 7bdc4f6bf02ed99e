from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

GUARD_MIGRATION = "0002_append_only_triggers"


def _reinstall_guard(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """Put the append-only triggers back if a migration dropped them.

    SQLite rebuilds a table (copy, drop, rename) for many schema changes, which drops its
    triggers; re-creating them after every migrate keeps the guard in place.
    """
    from django.db.migrations.recorder import MigrationRecorder

    from . import dbguard

    connection = connections[using]
    applied = MigrationRecorder(connection).applied_migrations()
    if ("audit", GUARD_MIGRATION) in applied and not dbguard.installed(connection):
        dbguard.install(connection)


class AuditConfig(AppConfig):
    name = "xiaoneng.audit"
    label = "audit"
    verbose_name = _("审计日志")

    def ready(self) -> None:
        post_migrate.connect(_reinstall_guard, sender=self, dispatch_uid="audit-guard")
