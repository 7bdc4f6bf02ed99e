"""Index ``Item.search_text`` for substring search.

PostgreSQL: a pg_trgm GIN index serves ``LIKE '%term%'`` (created only when the extension
can be enabled; without it the query still works, by scanning). SQLite: the published
catalogue is scanned (a few thousand rows: well under a millisecond per query).
"""

from django.db import migrations, transaction


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:  # noqa: BLE001 - no privilege to create the extension: stay without
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS catalog_item_search_trgm "
        "ON catalog_item USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS catalog_item_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(create_trigram_index, drop_trigram_index)]
