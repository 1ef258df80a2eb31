"""PostgreSQL only: the pg_trgm extension and a GIN trigram index on RosterLine.search_key, so a partial name
search (LIKE '%…%') is an index scan — pg_trgm handles Japanese text in this database's locale. On SQLite
this migration does nothing (the search falls back to icontains there)."""

from django.db import migrations

INDEX = "rosterline_search_key_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON roster_rosterline USING gin (search_key gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("roster", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
