"""The seeder's bulk writes: `Table` and `write` (one COPY on PostgreSQL) are jaim.bulk's, shared with the batch
jobs; the ids and sequences of rows written with explicit ids are handled here."""

from django.core.management.color import no_style
from django.db import connection, models

from jaim.bulk import Table, write  # noqa: F401 - the seeder's names for them


def next_id(model) -> int:
    value = model.objects.aggregate(m=models.Max("pk"))["m"]
    return (value or 0) + 1


def reset_sequences(model_list) -> None:
    """After inserting explicit ids: move each table's id sequence past the largest id."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def history_model(model):
    """simple_history's historical model of `model`, or None when it keeps no history."""
    manager = getattr(model, "history", None)
    return getattr(manager, "model", None) if manager is not None else None
