"""Indexes measured on 100,000 establishments: the validity index matched nearly every row (useless, and it
lured the planner away from the trigram index); a JSIC filter ('|25' in jsic_codes) gets a trigram index on
PostgreSQL. Nothing PostgreSQL-specific runs on SQLite."""

from django.db import migrations

INDEX = "rosterline_jsic_codes_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON roster_rosterline USING gin (jsic_codes gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("roster", "0002_search_key_trigram_index")]

    operations = [
        migrations.RemoveIndex(model_name="rosterline", name="rosterline_validity"),
        migrations.RunPython(create, drop, elidable=False),
    ]
