"""Make the audit tables append-only with database triggers (SQLite and PostgreSQL)."""

from django.db import migrations

from xiaoneng.audit import dbguard


def install(apps, schema_editor):
    dbguard.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    dbguard.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
