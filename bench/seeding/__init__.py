"""Seeding N establishments in bulk for the benchmark (`manage.py seed_bench --n 100000`).

`seed(n)` tops the database up to n establishments: it plans the missing ones in memory (bench.seeding.plan),
numbers them from the jaim.Sequence counters, writes every table with COPY in one transaction
(bench.seeding.write), then rebuilds the roster through roster's own bulk rebuild path and runs VACUUM ANALYZE.
Run it again with a larger n to grow the same data set (the harness measures at N/10, then grows it to N)."""

import datetime as dt
import multiprocessing
import os
import resource
import time
from collections import defaultdict
from functools import cache

from django.db import connection, transaction

from bench import bulk
from bench.cpu import process_seconds
from bench.names import FastRandom, NameMaker, corporate_number, load_addresses
from bench.seeding.plan import Planner
from bench.seeding.records import Context
from jaim.dates import fiscal_year_of, today

MY_PAGE_EMAIL = "bench-mypage@example.jp"
ADMIN_EMAIL = "bench-admin@example.jp"
FINANCE_EMAIL = "bench-finance@example.jp"
REVIEWER_EMAILS = [f"bench-reviewer{i}@example.jp" for i in range(1, 6)]
MY_PAGE_SITES = 50
# The 50 sites of the My Page company: mostly active members, and one of each other situation.
MY_PAGE_STORIES = ["active"] * 41 + [
    "awaiting_payment",
    "withdrawn",
    "rejoined",
    "relocated",
    "change_pending",
    "withdrawal_requested",
    "lapsed",
    "reinstated",
    "applicant",
]
ASSOCIATIONS = [
    ("日本金属加工協会", "ニホンキンゾクカコウキョウカイ"),
    ("全国精密部品工業会", "ゼンコクセイミツブヒンコウギョウカイ"),
    ("日本樹脂成形工業会", "ニホンジュシセイケイコウギョウカイ"),
    ("中部機械器具工業会", "チュウブキカイキグコウギョウカイ"),
    ("関西鋳造協同組合連合会", "カンサイチュウゾウキョウドウクミアイレンゴウカイ"),
    ("全国産業機械工業協会", "ゼンコクサンギョウキカイコウギョウキョウカイ"),
    ("日本縫製工業協会", "ニホンホウセイコウギョウキョウカイ"),
    ("九州ものづくり工業会", "キュウシュウモノヅクリコウギョウカイ"),
]
BANK_CODES = ["0001", "0005", "0009", "0010", "0017", "0116", "0130", "0138", "0149", "0150", "0151"]


def seed(
    n: int,
    *,
    seed_value: int = 20251226,
    log=print,
    rebuild: bool = True,
    analyze: bool = True,
    trusted: bool = True,
    parallel: bool = True,
) -> dict:
    """Top the database up to n establishments. Returns what was done and how long each part took.

    trusted: on PostgreSQL as a superuser, skip the foreign-key triggers while copying (session_replication_role
    = replica), as bulk loaders do: the rows are generated with their keys, and the tests seed with every
    constraint checked row by row (trusted=False, constraints IMMEDIATE). Unique and check constraints always
    apply."""
    from members.models import Establishment

    started = time.perf_counter()
    existing = Establishment.objects.count()
    stats = {"n": n, "existing": existing, "added": 0, "seconds": {}}
    to_add = n - existing
    if to_add <= 0:
        log(f"{existing:,} establishments already; nothing to add")
        stats["seconds"]["total"] = round(time.perf_counter() - started, 2)
        return stats
    pg_cpu = 0.0
    pg_start = backend_cpu_seconds()
    with transaction.atomic():
        ctx = context()
        rng = FastRandom(f"{seed_value}:{existing}")
        t = time.perf_counter()
        planner = Planner(rng, NameMaker(rng, load_addresses()), ctx)
        plan_companies(planner, to_add)
        number(planner)
        stats["seconds"]["plan"] = round(time.perf_counter() - t, 2)
        log(
            f"planned {to_add:,} establishments of {len(planner.orgs):,} companies in {stats['seconds']['plan']} s"
        )
        t = time.perf_counter()
        stats["trusted_copy"] = trusted and skip_fk_triggers()
        stats["rows"] = write_rows(planner, log)
        stats["seconds"]["write"] = round(time.perf_counter() - t, 2)
        log(f"wrote {sum(stats['rows'].values()):,} rows in {stats['seconds']['write']} s")
    pg_cpu += _delta(pg_start)
    stats["added"] = to_add
    if rebuild:
        listed = [m.number for o in planner.orgs for s in o.sites for m in s.memberships if m.activated]
        t = time.perf_counter()
        workers = max(1, min(os.cpu_count() or 1, len(listed) // 5000 or 1)) if parallel else 1
        before = backend_cpu_seconds() if workers <= 1 else None
        stats["roster"] = rebuild_roster(listed, workers=workers)
        pg_cpu += stats["roster"].pop("postgres_cpu_seconds", 0.0) + _delta(before)
        stats["roster"]["workers"] = workers
        stats["seconds"]["roster_rebuild"] = round(time.perf_counter() - t, 2)
        log(
            f"roster rebuilt ({workers} processes) in {stats['seconds']['roster_rebuild']} s: {stats['roster']}"
        )
    if analyze and connection.vendor == "postgresql":
        t = time.perf_counter()
        before = backend_cpu_seconds()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        pg_cpu += _delta(before)
        stats["seconds"]["analyze"] = round(time.perf_counter() - t, 2)
    stats["seconds"]["total"] = round(time.perf_counter() - started, 2)
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    stats["python_cpu_seconds"] = round(
        own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime, 1
    )
    stats["postgres_cpu_seconds"] = round(pg_cpu, 1) if pg_start is not None else None
    stats["load_average"] = [round(x, 2) for x in os.getloadavg()]
    log(f"seed_bench: {n:,} establishments ({to_add:,} added) in {stats['seconds']['total']} s "
        f"(CPU: Python {stats['python_cpu_seconds']} s, PostgreSQL {stats['postgres_cpu_seconds']} s; "
        f"load average {stats['load_average']})")  # fmt: skip
    return stats


def backend_cpu_seconds() -> float | None:
    """CPU used so far by this connection's PostgreSQL backend process (from /proc; a local server only)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return process_seconds(pid)


def _delta(before: float | None) -> float:
    after = backend_cpu_seconds() if before is not None else None
    return (after - before) if (before is not None and after is not None) else 0.0


def rebuild_roster(member_numbers: list[str], *, workers: int) -> dict:
    """roster's own rebuild path for the new memberships, split over `workers` processes (disjoint member
    numbers; each batch is its own transaction in roster.rebuild)."""
    from django.db import connections

    from roster.services import rebuild_roster as rebuild

    if workers <= 1 or connection.vendor != "postgresql":
        return rebuild(member_numbers=member_numbers, batch_size=1000)
    slices = [member_numbers[i::workers] for i in range(workers)]
    connections.close_all()  # each forked worker opens its own connection
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        results = pool.map(_rebuild_slice, slices)
    total: dict = {}
    for counts in results:
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
    return total


def _rebuild_slice(member_numbers: list[str]) -> dict:
    from roster.services import rebuild_roster as rebuild

    try:
        before = backend_cpu_seconds()
        counts = rebuild(member_numbers=sorted(member_numbers), batch_size=1000)
        counts["postgres_cpu_seconds"] = _delta(before)
        return counts
    finally:
        connection.close()


def skip_fk_triggers() -> bool:
    """For the current transaction only; True when allowed (PostgreSQL superuser)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
        if not (row and row[0]):
            return False
        cursor.execute("SET LOCAL session_replication_role = replica")
    return True


def write_rows(planner: Planner, log) -> dict:
    from applications.models import Application
    from bench.seeding.write import write_all
    from fees.models import DebitMandate, Invoice, Payment
    from members.models import (
        Access,
        Establishment,
        IdentityChange,
        Membership,
        Organisation,
        SupportGrant,
        User,
    )

    counts = write_all(planner, log=log)
    models = [User, Organisation, Access, Establishment, SupportGrant, Membership, IdentityChange, DebitMandate,
              Invoice, Payment, Application]  # fmt: skip
    bulk.reset_sequences(models)
    return counts


def plan_companies(planner: Planner, to_add: int) -> None:
    from members.models import User

    for _ in range(max(2, to_add // 1000)):
        planner.company(support=True)
    planned = 0
    if to_add >= MY_PAGE_SITES * 2 and not User.objects.filter(email=MY_PAGE_EMAIL).exists():
        org = planner.company(sole=False, stories=MY_PAGE_STORIES)
        org.email = MY_PAGE_EMAIL
        planned = MY_PAGE_SITES
    for size in planner.company_sizes(to_add - planned):
        planner.company(stories=[""] * size)


def number(planner: Planner) -> None:
    """Member numbers, invoice numbers (per fiscal year) and receipt numbers (per fiscal year) in date order
    from the gapless counters, as the services would have drawn them."""
    from fees.services import format_invoice_number, invoice_prefix
    from members.services import MEMBER_NUMBER_PREFIX, format_member_number

    sites = [s for o in planner.orgs for s in o.sites]
    mems = sorted((m for s in sites for m in s.memberships), key=lambda m: (m.moves[0][0], m.id))
    first = reserve(MEMBER_NUMBER_PREFIX, len(mems))
    for k, m in enumerate(mems):
        m.number = format_member_number(first + k)
    by_year = defaultdict(list)
    for m in mems:
        for inv in m.invoices:
            by_year[inv.fy].append(inv)
    for fy, invoices in by_year.items():
        invoices.sort(key=lambda i: (i.events[0][0], i.id))
        first = reserve(invoice_prefix(fy), len(invoices))
        for k, inv in enumerate(invoices):
            inv.number = format_invoice_number(fy, first + k)
    apps = defaultdict(list)
    for s in sites:
        for a in s.apps:
            if a.submitted:
                apps[fiscal_year_of(a.submitted.date())].append(a)
    for fy, items in apps.items():
        items.sort(key=lambda a: (a.submitted, a.id))
        first = reserve(f"application-{fy}", len(items))
        for k, a in enumerate(items):
            a.receipt = f"A{fy}-{first + k:06d}"


def reserve(prefix: str, count: int) -> int:
    from jaim.models import Sequence

    row, _ = Sequence.objects.select_for_update().get_or_create(prefix=prefix, defaults={"last_value": 0})
    first = row.last_value + 1
    row.last_value += count
    row.save(update_fields=["last_value"])
    return first


# --- what the planner needs from the database -----------------------------------------------------------


def context() -> Context:
    from applications.models import Application, PledgeText, kinds_contains
    from fees import services as fees_services
    from fees.models import BillingContact, DebitMandate, Invoice
    from fees.services import quotes as fee_quotes
    from members.models import Access, Establishment, IdentityChange, Membership, Organisation, User
    from members.selectors import eligibility_map

    staff = ensure_staff()
    schedules = ensure_schedules()
    ensure_originator()
    associations = ensure_associations()
    eligible = {
        code: entry
        for code, entry in eligibility_map().items()
        if entry and entry.eligible and len(code) == 4 and code.isdigit() and code[2:] not in ("00", "09")
    }
    by_middle = defaultdict(list)
    for code in sorted(eligible):
        by_middle[code[:2]].append(code)
    pledges = {}
    for kind in Application.Kind.values:
        latest = {}
        for p in PledgeText.objects.filter(is_active=True).order_by("code", "version"):
            if kinds_contains(p.kinds, kind):
                latest[p.code] = p.pk
        pledges[kind] = list(latest.values())
    rates = {s.fiscal_year: fee_quotes._rates(s) for s in schedules.values()}

    @cache
    def quote(fy, sme, group, notice):
        return fees_services.compute_quote(schedules[fy], rates[fy], sme=sme, group=group, notice_date=notice)

    taken = set(
        Organisation.objects.exclude(corporate_number=None).values_list("corporate_number", flat=True)
    )
    serial = Organisation.objects.count() + 1
    while corporate_number(serial) in taken:
        serial += 1
    return Context(
        today=today(),
        ids={
            "org": bulk.next_id(Organisation),
            "site": bulk.next_id(Establishment),
            "user": bulk.next_id(User),
            "access": bulk.next_id(Access),
            "membership": bulk.next_id(Membership),
            "app": bulk.next_id(Application),
            "invoice": bulk.next_id(Invoice),
            "mandate": bulk.next_id(DebitMandate),
            "change": bulk.next_id(IdentityChange),
            "contact": bulk.next_id(BillingContact),
        },
        reviewers=staff["reviewers"],
        finance_id=staff["finance"],
        codes_by_middle=dict(by_middle),
        code_addons={code: entry.addon for code, entry in eligible.items()},
        associations=associations,
        pledges=pledges,
        banks=banks(),
        debit_dates={fy: fees_services.renewal_debit_date(s) for fy, s in schedules.items()},
        corporate_serial=serial,
        quote=quote,
    )


def ensure_staff() -> dict:
    """JAIM staff for the benchmark: an administrator (with a confirmed TOTP device, so a session can pass the
    second factor), reviewers and finance. No usable passwords: the harness opens sessions for them."""
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from members.models import User

    def staff(email, group, name):
        user, created = User.objects.get_or_create(
            email=email, defaults={"full_name": name, "is_staff": True, "email_verified_at": None}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=group))
        return user

    admin = staff(ADMIN_EMAIL, "administrator", "ベンチ 管理者")
    TOTPDevice.objects.get_or_create(user=admin, name="ベンチマーク", defaults={"confirmed": True})
    reviewers = [staff(e, "reviewer", f"審査 担当{i}") for i, e in enumerate(REVIEWER_EMAILS, start=1)]
    finance = staff(FINANCE_EMAIL, "finance", "経理 担当")
    return {"admin": admin.pk, "reviewers": [r.pk for r in reviewers], "finance": finance.pk}


def ensure_schedules() -> dict:
    """The demo's SAMPLE fee schedules (F2: no official amounts are public), for every fiscal year the data
    touches and the next one (the renewal benchmark issues next year's invoices)."""
    from demo.fees import SAMPLE_AMOUNTS, SAMPLE_LABEL
    from demo.fees import ensure_schedules as demo_schedules
    from fees.models import FeeSchedule, FirstYearRate
    from fees.services import default_first_year_rate

    demo_schedules()
    last = max(SAMPLE_AMOUNTS)
    for fy in range(last + 1, fiscal_year_of(today()) + 2):
        base, sme, group, _debit = SAMPLE_AMOUNTS[last]
        schedule, created = FeeSchedule.objects.get_or_create(
            fiscal_year=fy,
            defaults=dict(label=f"{fy}年度 {SAMPLE_LABEL}", is_sample=True, base_fee_yen=base, sme_discount_yen=sme,
                          group_discount_yen=group, renewal_debit_date=dt.date(fy, 2, 26)),
        )  # fmt: skip
        if created:
            for month in range(1, 13):
                num, den = default_first_year_rate(month)
                FirstYearRate.objects.create(schedule=schedule, month=month, numerator=num, denominator=den)
    return {s.fiscal_year: s for s in FeeSchedule.objects.all()}


def ensure_originator() -> None:
    from fees.models import DebitOriginator

    if not DebitOriginator.objects.exists():
        from demo.fees import _originator

        _originator()


def ensure_associations() -> list[tuple[int, bool]]:
    from members.models import Association

    for name, kana in ASSOCIATIONS:
        Association.objects.get_or_create(name=name, defaults={"name_kana": kana, "proof_required": False})
    return list(Association.objects.filter(is_active=True).values_list("pk", "is_regular_member"))


def banks() -> list[tuple[str, str, str, str]]:
    """(bank code, bank kana, branch code, branch kana) of real branches (zengin-code data), for mandates."""
    from zengin_code import Bank

    from fees.services import bank_names

    out = []
    for code in BANK_CODES:
        bank = Bank.all.get(code)
        if bank is None:
            continue
        for branch in sorted(bank.branches)[:25]:
            names = bank_names(code, branch)
            if names and all(names):
                out.append((code, names[0], branch, names[1]))
    return out
