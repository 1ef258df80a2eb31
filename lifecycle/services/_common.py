"""What every lifecycle job shares: the JobRun record, chunking, mail to an establishment's people."""

import datetime as dt
import itertools
from collections import Counter
from contextlib import contextmanager

from django.utils import timezone

from jaim.dates import today
from jaim.links import absolute_url
from jaim.mail import queue_mail
from jaim.models import JobRun


@contextmanager
def job_run(job: str, on: dt.date):
    """Record one run of a job (JobRun: started, finished, counts, error). The body fills the yielded Counter;
    its own transactions commit chunk by chunk, so a failure keeps what was done and is visible in the admin."""
    run = JobRun.objects.create(job=job, reference_date=on)
    counts: Counter = Counter()
    try:
        yield counts
    except BaseException as exc:
        run.counts = dict(counts)
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.finished_at = timezone.now()
        run.save(update_fields=["counts", "error", "finished_at"])
        raise
    run.counts = dict(counts)
    run.finished_at = timezone.now()
    run.save(update_fields=["counts", "finished_at"])


def reference_day(on: dt.date | None) -> dt.date:
    return on or today()


def batched(iterable, n: int):
    it = iter(iterable)
    while chunk := list(itertools.islice(it, n)):
        yield chunk


def establishment_url(establishment_id: int, anchor: str = "lifecycle") -> str:
    return absolute_url("members:establishment_detail", establishment_id) + f"#{anchor}"


def mail_each(emails, *, template: str, context: dict, kind: str, dedupe: str | None) -> int:
    """One outbox row per address (unique per dedupe key and address when a key is given). Returns rows made."""
    made = 0
    for email in dict.fromkeys(e for e in emails if e):
        msg = queue_mail(
            to=email,
            template=template,
            context=context,
            kind=kind,
            dedupe_key=f"{dedupe}:{email}"[:200] if dedupe else None,
        )
        made += msg is not None
    return made
