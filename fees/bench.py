"""Benchmarks for `make bench` (not run by the tests): invoice PDF cost against the same layout in Latin script,
and bulk renewal issuing with a constant number of queries per chunk.

    from fees import bench
    bench.pdf_timings()                       # {'ja_ms': …, 'latin_ms': …, 'ratio': …}
    bench.bulk_renewal(100_000, chunk_size=1000)   # seeds ACTIVE memberships in bulk, then times the run
"""

import datetime as dt
import statistics
import time

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from weasyprint import HTML

from fees import services
from fees.pdf import STATIC_SCHEME, SafeFetcher
from jaim.issuer import issuer_at
from members import selectors as member_selectors

_LATIN = "abcdefghijklmnopqrstuvwxyz"


def _latinise(html: str) -> str:
    """The same document with every non-ASCII character outside markup replaced by a Latin letter (same layout,
    Latin script)."""
    out, in_tag = [], False
    for ch in html:
        if ch == "<":
            in_tag = True
        elif ch == ">":
            in_tag = False
        out.append(_LATIN[ord(ch) % 26] if (ord(ch) > 127 and not in_tag) else ch)
    return "".join(out)


def _sample_invoice():
    from fees.models import FeeSchedule, FirstYearRate, Invoice
    from members import services as member_services
    from members.models import Establishment, Organisation

    inv = Invoice.objects.order_by("pk").first()
    if inv:
        return inv
    schedule, _ = FeeSchedule.objects.get_or_create(
        fiscal_year=2026,
        defaults=dict(
            label="ベンチマーク用（サンプル）", is_sample=True, base_fee_yen=120_000, sme_discount_yen=30_000
        ),
    )
    FirstYearRate.objects.get_or_create(
        schedule=schedule, month=6, defaults={"numerator": 10, "denominator": 12}
    )
    org = Organisation.objects.create(
        kind="SOLE_PROPRIETOR",
        name="ベンチマーク精機",
        name_kana="ベンチマークセイキ",
        **member_selectors.representative_fields("sole", "事業主"),
        representative_name="性能 太郎",
        postal_code="1000001",
        prefecture="13",
        city="千代田区",
        address_line="千代田1-1",
        phone="0312345678",
        regular_employees=10,
    )
    est = Establishment.objects.create(
        organisation=org,
        name="本社工場",
        name_kana="ホンシャコウジョウ",
        postal_code="1000001",
        prefecture="13",
        city="千代田区",
        address_line="千代田1-1",
        phone="0312345678",
    )
    m = member_services.create_membership(est, jsic_codes=["2592"], fee_notice_date=dt.date(2026, 6, 10))
    return services.bill_new_membership(
        m, notice_date=dt.date(2026, 6, 10), application_date=dt.date(2026, 5, 1)
    )


def pdf_timings(runs: int = 5) -> dict:
    """Median ms for one invoice PDF in Japanese and for the same layout in Latin script (same WeasyPrint, same
    pinned CSS), after one warm-up each."""
    from django.template.loader import render_to_string
    from django.utils import translation

    with transaction.atomic():
        inv = _sample_invoice()
        ctx = {
            "invoice": inv,
            "lines": list(inv.lines.all()),
            "issuer": issuer_at(),
            "static_scheme": STATIC_SCHEME,
        }
        with translation.override("ja"):
            ja = render_to_string("fees/pdf/invoice.html", ctx)
    latin = _latinise(ja)

    def once(html):
        t = time.perf_counter()
        HTML(string=html, base_url=STATIC_SCHEME, url_fetcher=SafeFetcher()).write_pdf()
        return (time.perf_counter() - t) * 1000

    once(ja), once(latin)
    ja_ms = statistics.median(once(ja) for _ in range(runs))
    latin_ms = statistics.median(once(latin) for _ in range(runs))
    return {"ja_ms": round(ja_ms, 1), "latin_ms": round(latin_ms, 1), "ratio": round(ja_ms / latin_ms, 2)}


def seed_active_memberships(n: int, *, fiscal_year: int = 2026) -> list[int]:
    """n ACTIVE memberships (one organisation and establishment each) inserted in bulk, for the renewal benchmark."""
    from jaim.models import Sequence
    from members.models import Establishment, Membership, Organisation

    stamp = int(time.time())
    rep = member_selectors.representative_fields("sole", "事業主")
    with transaction.atomic():
        orgs = Organisation.objects.bulk_create(
            [
                Organisation(
                    kind="SOLE_PROPRIETOR",
                    name=f"ベンチ工業{stamp}-{i}",
                    name_kana=f"ベンチコウギョウ{i}",
                    **rep,
                    representative_name="性能 太郎",
                    postal_code="1000001",
                    prefecture="13",
                    city="千代田区",
                    address_line="千代田1-1",
                    phone="0312345678",
                    regular_employees=10 + i % 500,
                )
                for i in range(n)
            ],
            batch_size=2000,
        )
        ests = Establishment.objects.bulk_create(
            [
                Establishment(
                    organisation=o,
                    name="工場",
                    name_kana="コウジョウ",
                    postal_code="1000001",
                    prefecture="13",
                    city="千代田区",
                    address_line="千代田1-1",
                    phone="0312345678",
                )
                for o in orgs
            ],
            batch_size=2000,
        )
        seq, _ = Sequence.objects.select_for_update().get_or_create(
            prefix="member", defaults={"last_value": 0}
        )
        first = seq.last_value + 1
        seq.last_value += n
        seq.save(update_fields=["last_value"])
        members = Membership.objects.bulk_create(
            [
                Membership(
                    establishment=e,
                    member_number=f"J{first + i:07d}",
                    status=Membership.Status.ACTIVE,
                    fee_notice_date=dt.date(fiscal_year, 6, 1),
                    activated_on=dt.date(fiscal_year, 6, 20),
                )
                for i, e in enumerate(ests)
            ],
            batch_size=2000,
        )
    return [m.pk for m in members]


def bulk_renewal(n: int, *, fiscal_year: int = 2027, chunk_size: int = 1000) -> dict:
    """Seed n ACTIVE memberships, then issue next year's invoices for them; report time and queries per chunk."""
    from fees.models import FeeSchedule

    FeeSchedule.objects.get_or_create(
        fiscal_year=fiscal_year,
        defaults=dict(
            label="ベンチマーク用（サンプル）", is_sample=True, base_fee_yen=120_000, sme_discount_yen=30_000
        ),
    )
    ids = seed_active_memberships(n, fiscal_year=fiscal_year - 1)
    t = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        counts = services.issue_renewal_invoices(
            fiscal_year, memberships=ids, chunk_size=chunk_size, notify=False
        )
    seconds = time.perf_counter() - t
    chunks = -(-n // chunk_size)
    return {
        **counts,
        "seconds": round(seconds, 2),
        "ms_per_invoice": round(seconds * 1000 / max(counts["issued"], 1), 3),
        "queries": len(queries),
        "queries_per_chunk": round(len(queries) / chunks, 1),
    }
