"""Measurements made inside the harness process (production settings, same database): invoice PDF against the
Latin layout, full roster exports, and the renewal job."""

import datetime as dt
import tempfile
import time
from pathlib import Path


def pdf(*, runs: int) -> dict:
    """fees.bench.pdf_timings: median ms of one invoice PDF in Japanese and of the same layout in Latin script."""
    from fees.bench import pdf_timings

    return {**pdf_timings(runs=runs), "runs": runs}


def exports(*, formats=("csv", "xlsx", "pdf")) -> dict:
    """The whole roster as of today written by roster.exports (what the scheduled job stores), timed per
    format: rows per second. Written to a temporary file, not to storage."""
    from django.utils import timezone, translation

    from jaim.dates import today
    from roster import exports as roster_exports

    writers = {
        "csv": roster_exports.write_csv,
        "xlsx": roster_exports.write_xlsx,
        "pdf": roster_exports.write_pdf,
    }
    out = {}
    on, made_at = today(), timezone.now()
    with tempfile.TemporaryDirectory() as tmp, translation.override("ja"):
        for fmt in formats:
            path = Path(tmp) / f"roster.{fmt}"
            started = time.perf_counter()
            with path.open("wb") as handle:
                rows = writers[fmt](on, handle, made_at=made_at)
            seconds = time.perf_counter() - started
            out[fmt] = {
                "rows": rows,
                "seconds": round(seconds, 2),
                "rows_per_second": round(rows / seconds, 1) if seconds else 0.0,
                "bytes": path.stat().st_size,
            }
    return out


def renewal_function():
    """lifecycle.bench.renewal(n) once the lifecycle app provides it, else fees.bench.bulk_renewal(n)."""
    try:
        from lifecycle.bench import renewal  # type: ignore[import-not-found]

        return "lifecycle.bench.renewal", renewal
    except ImportError:
        from fees.bench import bulk_renewal

        return "fees.bench.bulk_renewal(chunk_size=1000)", lambda n: bulk_renewal(n, chunk_size=1000)


def renewal(n: int) -> dict:
    """Wall time for n memberships and queries per membership. Both bench functions seed their own n ACTIVE
    memberships and time only the job; their own figures are used when they report them, and the harness's
    timer and query count around the whole call are kept beside them."""
    from django.db import connection

    source, function = renewal_function()
    captured = _Counter()
    started = time.perf_counter()
    with connection.execute_wrapper(captured):
        result = function(n) or {}
    outer_seconds = time.perf_counter() - started
    result = dict(result) if isinstance(result, dict) else {"result": str(result)}
    memberships = _first(result, "issued", "memberships", "renewed", "n") or n
    seconds = _first(result, "seconds", "wall_seconds", "job_seconds")
    queries = _first(result, "queries", "job_queries")
    per_membership = _first(result, "queries_per_membership")
    if per_membership is None and queries is not None:
        per_membership = queries / max(1, memberships)
    return {
        "source": source,
        "n": n,
        "memberships": memberships,
        "seconds": round(seconds if seconds is not None else outer_seconds, 2),
        "queries": queries if queries is not None else len(captured),
        "queries_per_membership": round(
            per_membership if per_membership is not None else len(captured) / n, 4
        ),
        "ms_per_membership": round((seconds or outer_seconds) * 1000 / max(1, memberships), 3),
        "outer": {"seconds_incl_seeding": round(outer_seconds, 2), "queries_incl_seeding": len(captured)},
        "reported": {k: v for k, v in result.items() if isinstance(v, int | float | str)},
        "at": dt.datetime.now().isoformat(timespec="seconds"),
    }


class _Counter:
    """Counts queries without keeping them (100,000 memberships' worth would not fit)."""

    def __init__(self):
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _first(result: dict, *keys):
    for key in keys:
        value = result.get(key)
        if isinstance(value, int | float):
            return value
    return None
