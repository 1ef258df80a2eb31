"""PostgreSQL query plans for the tests that check an index is used."""

from django.db import connection


def explain(sql: str, params=None, *, disable: tuple[str, ...] = ()) -> str:
    """EXPLAIN of `sql`, with the planner's `disable` methods ("seqscan", "sort") switched off for this transaction:
    test tables are small, and the planner would read a few rows without an index that production needs."""
    with connection.cursor() as cursor:
        for method in disable:
            cursor.execute(f"SET LOCAL enable_{method} = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def plan(queryset, **kwargs) -> str:
    """EXPLAIN of a QuerySet's SQL."""
    sql, params = queryset.query.sql_with_params()
    return explain(sql, params, **kwargs)
