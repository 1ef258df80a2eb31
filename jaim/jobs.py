"""The record of a scheduled job's run, written once for every job: `with job_run("lifecycle.renewal", on) as
counts:` creates the JobRun (started), and on leaving records the counts the body put in the Counter, the time it
finished and — when the body raised — the error, then re-raises. The body's own transactions commit chunk by
chunk, so a failure keeps what was done and is visible on the dashboard and in the admin.

Every dated job uses it (lifecycle's jobs, the deadline of returned applications, the roster files, the purge of
old exports). The sweeps that run every few minutes (the outbox, missing PDFs) are retries, not jobs of a day,
and are not recorded here."""

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

from jaim.models import JobRun


class JobCounts(Counter):
    """The counts of a run, and the errors the body noted while it went on (one failed part of several)."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[str] = []


@contextmanager
def job_run(job: str, on: dt.date) -> Iterator[JobCounts]:
    run = JobRun.objects.create(job=job, reference_date=on)
    counts = JobCounts()
    try:
        yield counts
    except BaseException as exc:
        run.counts = dict(counts)
        run.error = "; ".join(counts.errors or [f"{type(exc).__name__}: {exc}"])[:2000]
        run.finished_at = timezone.now()
        run.save(update_fields=["counts", "error", "finished_at"])
        raise
    run.counts = dict(counts)
    run.error = "; ".join(counts.errors)[:2000]
    run.finished_at = timezone.now()
    run.save(update_fields=["counts", "error", "finished_at"])
