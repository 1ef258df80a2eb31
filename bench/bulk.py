"""Writing many rows fast: PostgreSQL COPY (psycopg 3), or executemany on other databases.

A `Table` names the model fields a caller provides per row (by attname, in order); every other column gets the
model field's default — so a field another app adds later (with a default, or nullable) does not break the
seeder, and one it cannot fill (NOT NULL, no default) fails loudly with its name. Callable defaults (uuid4,
random tokens) are evaluated per row. Auto primary keys not provided are left to the database."""

import json
from collections.abc import Iterable

from django.core.management.color import no_style
from django.db import connection, models
from django.utils import timezone

_PER_ROW = object()


class Table:
    def __init__(self, model, fields: list[str]):
        self.model = model
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [a for a in fields if a not in by_attname]
        if unknown:
            raise ValueError(f"{model._meta.label} has no field(s) {unknown}")
        self.fields = [by_attname[a] for a in fields]
        now = timezone.now()
        self.extra: list[models.Field] = []
        self.defaults: list = []
        for f in model._meta.concrete_fields:
            if f.attname in fields or (f.primary_key and isinstance(f, models.AutoField)):
                continue
            self.extra.append(f)
            self.defaults.append(self._default(f, now))
        self.per_row = [i for i, d in enumerate(self.defaults) if d is _PER_ROW]
        self.columns = [f.column for f in self.fields + self.extra]
        self.json_positions = [
            i for i, f in enumerate(self.fields + self.extra) if isinstance(f, models.JSONField)
        ]

    @staticmethod
    def _default(f: models.Field, now):
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            return now
        if f.has_default():
            return _PER_ROW if callable(f.default) else f.default
        if f.null:
            return None
        if f.empty_strings_allowed:
            return ""
        raise ValueError(
            f"seed_bench cannot fill {f.model._meta.label}.{f.name} (NOT NULL, no default): add it to the seeder"
        )

    def complete(self, row: tuple) -> tuple:
        if not self.extra:
            out = row
        elif self.per_row:
            defaults = list(self.defaults)
            for i in self.per_row:
                defaults[i] = self.extra[i].get_default()
            out = row + tuple(defaults)
        else:
            out = row + tuple(self.defaults)
        if self.json_positions:
            out = list(out)
            for i in self.json_positions:
                out[i] = json.dumps(out[i], ensure_ascii=False)
            out = tuple(out)
        return out


def write(table: Table, rows: Iterable[tuple]) -> int:
    """Insert rows (tuples of the table's provided fields) in one COPY; returns the count."""
    qn = connection.ops.quote_name
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"COPY {qn(table.model._meta.db_table)} ({', '.join(qn(c) for c in table.columns)}) FROM STDIN"
            with cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(table.complete(row))
                    count += 1
            return count
        fields = table.fields + table.extra
        placeholders = ", ".join(["%s"] * len(fields))
        sql = (
            f"INSERT INTO {qn(table.model._meta.db_table)} ({', '.join(qn(c) for c in table.columns)}) "  # noqa: S608 - quoted model names
            f"VALUES ({placeholders})"
        )
        batch = []
        for row in rows:
            values = table.complete(row)
            batch.append(
                [
                    v if i in table.json_positions else f.get_db_prep_save(v, connection)
                    for i, (f, v) in enumerate(zip(fields, values, strict=True))
                ]
            )
            if len(batch) >= 2000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


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
