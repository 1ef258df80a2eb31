"""Many new rows at once for the batch jobs: what `bulk_create` writes, at a fraction of its cost per row.

On PostgreSQL `insert` reserves the rows' ids from the table's identity sequence in one query and writes the rows
in one COPY (psycopg 3 formats them in C): no SQL text with thousands of placeholders to build and to split, no
per-value `get_db_prep_save` for plain columns, one timestamp for the batch's auto_now fields instead of
`timezone.now()` per row. The instances get their primary keys, as after `bulk_create`. Other databases
(SQLite for `make run`): `bulk_create` itself.

`Table` and `write`: rows of plain values rather than instances (what nobody reads back: a batch's invoice lines,
audit events, renewal notices; the benchmark's seeding), the other columns from the model's defaults.

`int_array(ids)` is the one parameter of a `field__any=ids` filter of integers (`jaim.lookups.AnyOf`:
`id = ANY('{1,2,…}'::bigint[])`) instead of one per id (Django resolves, quotes and splits each of an `__in`
list's values). `serial_plans()`: a job's session without parallel plans."""

import json
from collections.abc import Iterable
from contextlib import contextmanager, suppress
from typing import TypeVar

from django.db import DatabaseError, connection, models
from django.utils import timezone

# Columns whose Python values psycopg writes as they are (the model field's db-prep is the identity for them).
_PLAIN = {
    "AutoField", "BigAutoField", "SmallAutoField", "BigIntegerField", "BooleanField", "CharField", "DateField",
    "DateTimeField", "EmailField", "ForeignKey", "IntegerField", "OneToOneField", "PositiveBigIntegerField",
    "PositiveIntegerField", "PositiveSmallIntegerField", "SlugField", "SmallIntegerField", "TextField",
    "URLField",
}  # fmt: skip


def _columns(model) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _converter(field: models.Field):
    if field.get_internal_type() in _PLAIN:
        return None
    return lambda value: field.get_db_prep_save(value, connection)


def reserve_ids(model, count: int) -> list[int]:
    """`count` new primary keys of `model` from its table's identity sequence (PostgreSQL)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(table), model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


M = TypeVar("M", bound=models.Model)


def insert(objs: Iterable[M]) -> list[M]:
    """Insert new instances of one model (no primary key yet, no multi-table inheritance); returns them with
    their primary keys set. auto_now and auto_now_add fields get one timestamp for the whole batch. (Rows nobody
    needs as instances afterwards: `Table` and `write`, one statement instead of two.)"""
    objs = list(objs)
    if not objs:
        return []
    model = type(objs[0])
    fields = _columns(model)
    now = timezone.now()
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    for obj in objs:
        for f in stamped:
            setattr(obj, f.attname, now)
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_create(objs)
    ids = reserve_ids(model, len(objs))
    attnames = [f.attname for f in fields]
    converters = [(i, c) for i, c in enumerate(_converter(f) for f in fields) if c is not None]

    def rows():
        for pk_value, obj in zip(ids, objs, strict=True):
            values = obj.__dict__
            row = [values[a] for a in attnames]
            for i, convert in converters:
                row[i] = convert(row[i])
            yield [pk_value, *row]

    _copy(model, [model._meta.pk.column] + [f.column for f in fields], rows())
    for obj, pk_value in zip(objs, ids, strict=True):
        obj.pk = pk_value
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def _copy(model, columns: list[str], rows: Iterable) -> int:
    """One COPY of `rows` into the model's table (PostgreSQL), counted as one statement by the query counters: the
    connection's execute wrappers (the job's and the benchmark's counts) and, under a debug cursor,
    `connection.queries` (CaptureQueriesContext in the tests). Returns the number of rows."""
    qn = connection.ops.quote_name
    sql = f"COPY {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
    count = 0

    def copy_all(*_args):
        nonlocal count
        connection.validate_no_broken_transaction()
        with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1

    with connection.cursor() as cursor:
        if hasattr(cursor, "debug_sql"):  # CursorDebugWrapper
            with cursor.debug_sql(sql):
                cursor._execute_with_wrappers(sql, None, False, copy_all)
        else:
            cursor._execute_with_wrappers(sql, None, False, copy_all)
    return count


@contextmanager
def serial_plans():
    """A batch job's reads by a chunk's ids without parallel plans. On two cores PostgreSQL prices a parallel
    sequential scan of members_access (245,000 rows) below 1,000 index probes and takes 20 ms where the index takes
    2 ms; the job's own process already has the other core's share of the work. Session setting, put back after."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")
    try:
        yield
    finally:
        # A connection that broke meanwhile took the setting with it (and must not hide the job's own error).
        if connection.connection is not None and not connection.needs_rollback:
            with suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute("RESET max_parallel_workers_per_gather")


def int_array(values) -> str:
    """A PostgreSQL array literal of integers ('{1,2,3}'), for `field = ANY(%s::bigint[])`."""
    return "{" + ",".join(str(int(v)) for v in values) + "}"


_PER_ROW = object()


class Table:
    """The model fields a caller provides per row (by attname, in order); every other column gets the model field's
    default — so a field another app adds later (with a default, or nullable) does not break the writer, and one
    it cannot fill (NOT NULL, no default) fails loudly with its name. Callable defaults (uuid4, random tokens) are
    evaluated per row; auto_now fields take the table's creation time. Auto primary keys not provided are left to
    the database."""

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
            f"cannot fill {f.model._meta.label}.{f.name} (NOT NULL, no default): give it per row"
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
            values = list(out)
            for i in self.json_positions:
                values[i] = json.dumps(values[i], ensure_ascii=False)
            out = tuple(values)
        return out


def write(table: Table, rows: Iterable[tuple]) -> int:
    """Insert rows (tuples of the table's provided fields) in one COPY (one statement to the query counters);
    elsewhere in batches of executemany. Returns the count."""
    if connection.vendor == "postgresql":
        return _copy(table.model, table.columns, (table.complete(row) for row in rows))
    qn = connection.ops.quote_name
    count = 0
    with connection.cursor() as cursor:
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
