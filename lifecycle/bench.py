"""Benchmark of the renewal job for `make bench` (not run by the tests).

    from lifecycle import bench
    bench.renewal(100_000)        # {'memberships': 100000, 'seconds': …, 'queries_per_membership': …, …}

Seeds n ACTIVE memberships in bulk (one organisation, establishment and head-office manager each), a fee
schedule and a renewal season, then renews them as the renewal job does (chunk by chunk) as of the notice day: next year's invoices, the invoice
e-mails and the renewal confirmations into the outbox, the RenewalNotice rows. Queueing the Celery tasks that
send those mails and render the PDFs is switched off (a worker does that work, not the job). Queries are counted,
not stored, so 100,000 memberships fit in memory.
"""

import datetime as dt
import time
from contextlib import contextmanager
from unittest import mock

from django.db import connection, transaction

from jaim.dates import fiscal_year_start


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def _no_task_queueing():
    """Every module that queues a task during the job imported enqueue by name: patch it there."""
    with (
        mock.patch("jaim.queue.enqueue"),
        mock.patch("jaim.mail.enqueue"),
        mock.patch("lifecycle.services.renewal.enqueue"),
    ):
        yield


def seed(n: int, *, fiscal_year: int) -> list[int]:
    """n ACTIVE memberships of FY fiscal_year-1, each organisation with one manager (who receives the notice)."""
    from django.contrib.auth.hashers import make_password

    from fees.bench import seed_active_memberships
    from members.models import Access, Membership, User

    ids = seed_active_memberships(n, fiscal_year=fiscal_year - 1)
    stamp = int(time.time() * 1000)
    password = make_password(None)
    with transaction.atomic():
        org_ids = list(
            Membership.objects.filter(pk__in=ids)
            .order_by("pk")
            .values_list("establishment__organisation_id", flat=True)
        )
        users = User.objects.bulk_create(
            [User(email=f"bench-{stamp}-{i}@bench.invalid", password=password) for i in range(len(org_ids))],
            batch_size=2000,
        )
        Access.objects.bulk_create(
            [Access(user=u, organisation_id=o, can_manage=True) for u, o in zip(users, org_ids, strict=True)],
            batch_size=2000,
        )
    _analyze()
    return ids


# The tables the seeding just filled and the job reads (joins planned on their statistics) or writes.
_SEEDED_TABLES = (
    "members_organisation", "members_establishment", "members_membership", "members_user", "members_access",
    "members_membershipterm", "fees_invoice", "fees_billingcontact", "fees_debitmandate", "jaim_outboxmessage",
    "lifecycle_renewalnotice",
)  # fmt: skip


def _analyze() -> None:
    """Statistics of the freshly seeded tables, as autovacuum keeps them on a live database (within a minute of
    such a change): without them PostgreSQL plans the job's reads of 1,000 ids for tables it believes a tenth of
    their size (a seeded 185,000 members_access rows estimated at 11,165: hash joins over every row, 56 ms a
    query instead of 11 ms)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in _SEEDED_TABLES))


def renewal(n: int, *, chunk_size: int | None = None, fiscal_year: int = 2027) -> dict:
    """Seed n memberships, run the renewal job once; wall time and queries per membership. The count of queries
    per membership stays the same whatever n is (a fixed number per chunk plus a fixed number per mail)."""
    from fees.models import FeeSchedule
    from jaim import bulk
    from jaim.jobs import job_run
    from lifecycle import selectors, services
    from lifecycle.models import RenewalSeason
    from lifecycle.services._common import batched
    from lifecycle.services.renewal import CHUNK_SIZE

    chunk_size = chunk_size or CHUNK_SIZE

    FeeSchedule.objects.get_or_create(
        fiscal_year=fiscal_year,
        defaults=dict(
            label="ベンチマーク用（サンプル）",
            is_sample=True,
            base_fee_yen=120_000,
            sme_discount_yen=30_000,
            renewal_debit_date=dt.date(fiscal_year, 2, 26),
        ),
    )
    season, _ = RenewalSeason.objects.get_or_create(
        fiscal_year=fiscal_year,
        defaults=dict(
            notice_on=dt.date(fiscal_year, 2, 1),
            answer_deadline=dt.date(fiscal_year, 2, 19),
            note="ベンチマーク",
        ),
    )
    assert season.notice_on < fiscal_year_start(fiscal_year)  # noqa: S101 - a sanity check of the bench's data
    ids = seed(n, fiscal_year=fiscal_year)
    counter = _QueryCounter()
    started, cpu_started = time.perf_counter(), time.process_time()
    with (
        _no_task_queueing(),
        connection.execute_wrapper(counter),
        job_run("lifecycle.renewal.bench", season.notice_on) as counts,
        bulk.serial_plans(),
    ):
        # What run_renewal does, limited to the memberships seeded here (a bench database may hold earlier ones).
        due = list(
            selectors.renewal_due(season)
            .filter(pk__gte=min(ids), pk__lte=max(ids))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for chunk in batched(due, chunk_size):
            done = services.renew_chunk(season, chunk, on=season.notice_on)
            for key in ("issued", "renewed", "mails"):
                counts[key] += done[key]
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    renewed = max(counts.get("renewed", 0), 1)
    return {
        "memberships": n,
        "renewed": counts.get("renewed", 0),
        "invoices_issued": counts.get("issued", 0),
        "mails": counts.get("mails", 0),
        "chunk_size": chunk_size,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),  # this process only (PostgreSQL's share is the rest)
        "ms_per_membership": round(seconds * 1000 / renewed, 3),
        "queries": counter.count,
        "queries_per_membership": round(counter.count / renewed, 2),
    }
