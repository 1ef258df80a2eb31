"""The figures of the staff dashboard, each aggregated in the database in one query (the page costs a constant
number of queries whatever the number of applications, members or invoices)."""

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db.models import Aggregate, Avg, Count, F, FloatField, Func, Max, Q, Sum
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy

from applications.models import Application, ReviewMessage
from backoffice.selectors import MEMBER_STATUSES
from fees.models import Invoice
from jaim.dates import today
from jaim.models import JobRun
from jaim.validators import PREFECTURE_NAMES
from members.models import JsicCode, Membership

WAITING = (Application.Status.SUBMITTED, Application.Status.IN_REVIEW)
AGE_BUCKETS = [  # (from days, to days, label): R7 says 2–3 months is the normal lead time
    (0, 14, gettext_lazy("2週間未満")),
    (14, 30, gettext_lazy("2週間〜1か月")),
    (30, 60, gettext_lazy("1〜2か月")),
    (60, 90, gettext_lazy("2〜3か月")),
    (90, None, gettext_lazy("3か月以上")),
]


class DaysBetween(Func):
    """(end - start) in days, as a float, in the database."""

    output_field = FloatField()

    def __init__(self, end, start):
        super().__init__(end, start)

    def as_postgresql(self, compiler, connection, **extra):
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)", (*end_params, *start_params)

    def as_sql(self, compiler, connection, **extra):  # SQLite
        end, end_params = compiler.compile(self.source_expressions[0])
        start, start_params = compiler.compile(self.source_expressions[1])
        return f"(julianday({end}) - julianday({start}))", (*end_params, *start_params)


class Percentile(Aggregate):
    """PostgreSQL's percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)."""

    function = "percentile_cont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks — what percentile_cont computes (used on SQLite)."""
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * fraction
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def month_starts(count: int, *, until: dt.date) -> list[dt.date]:
    """The first days of the last `count` months up to `until`'s month, oldest first."""
    y, m = until.year, until.month
    out = []
    for _ in range(count):
        out.append(dt.date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _month_key(value) -> dt.date:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().replace(day=1)
    return value.replace(day=1)


# --- applications ---------------------------------------------------------------------------------------------


def waiting_applications(now: dt.datetime | None = None) -> dict:
    """Applications waiting for the secretariat (submitted or in review), by how long since receipt; the oldest;
    and those returned to the applicant for correction. Two queries."""
    now = now or timezone.now()
    aggregates = {
        "waiting": Count("id", filter=Q(status__in=WAITING)),
        "returned": Count("id", filter=Q(status=Application.Status.RETURNED)),
    }
    for i, (lo, hi, _label) in enumerate(AGE_BUCKETS):
        q = Q(status__in=WAITING, submitted_at__lte=now - dt.timedelta(days=lo))
        if hi is not None:
            q &= Q(submitted_at__gt=now - dt.timedelta(days=hi))
        aggregates[f"b{i}"] = Count("id", filter=q)
    counts = Application.objects.aggregate(**aggregates)
    oldest = (
        Application.objects.filter(status__in=WAITING)
        .select_related("establishment__organisation")
        .order_by("submitted_at", "id")
        .first()
    )
    return {
        "total": counts["waiting"],
        "returned": counts["returned"],
        "buckets": [(str(label), counts[f"b{i}"]) for i, (_lo, _hi, label) in enumerate(AGE_BUCKETS)],
        "oldest": oldest,
        "oldest_days": (timezone.localdate(now) - timezone.localtime(oldest.submitted_at).date()).days
        if oldest
        else None,
    }


def review_times(months: int = 12, *, on: dt.date | None = None) -> list[dict]:
    """Per month of decision (approved or rejected): how many, average and 90th percentile of the days from
    receipt to decision (time with the applicant after a return included), and returns for correction sent that
    month. Two queries."""
    on = on or today()
    starts = month_starts(months, until=on)
    since = _aware(starts[0])
    decided = Application.objects.filter(
        status__in=Application.DECIDED_STATUSES, decided_at__gte=since, submitted_at__isnull=False
    )
    days = DaysBetween(F("decided_at"), F("submitted_at"))
    stats: dict = {}
    if settings.USING_POSTGRES:
        for r in (
            decided.annotate(month=TruncMonth("decided_at"))
            .values("month")
            .annotate(n=Count("id"), avg=Avg(days), p90=Percentile(days, 0.9))
            .order_by("month")
        ):
            stats[_month_key(r["month"])] = (r["n"], r["avg"], r["p90"])
    else:
        grouped = defaultdict(list)
        for month, d in decided.annotate(month=TruncMonth("decided_at"), days=days).values_list(
            "month", "days"
        ):
            grouped[_month_key(month)].append(d)
        for month, ds in grouped.items():
            stats[month] = (len(ds), sum(ds) / len(ds), percentile(ds, 0.9))
    returns = {
        _month_key(r["month"]): r["n"]
        for r in ReviewMessage.objects.filter(kind=ReviewMessage.Kind.RETURN, created_at__gte=since)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by()
    }
    out = []
    for month in starts:
        n, avg, p90 = stats.get(month, (0, None, None))
        out.append(
            {"month": month, "decided": n, "avg_days": avg, "p90_days": p90, "returns": returns.get(month, 0)}
        )
    return out


# --- members ------------------------------------------------------------------------------------------------------


def members_by_status() -> list[tuple[str, str, int]]:
    counts = dict(Membership.objects.values_list("status").annotate(n=Count("id")).order_by())
    return [(value, str(label), counts.get(value, 0)) for value, label in Membership.Status.choices]


def members_by_prefecture() -> list[tuple[str, str, int]]:
    """Members in force per prefecture of the establishment, most first (prefectures without members omitted)."""
    rows = (
        Membership.objects.filter(status__in=MEMBER_STATUSES)
        .values_list("establishment__prefecture")
        .annotate(n=Count("id"))
        .order_by("-n", "establishment__prefecture")
    )
    return [(code, PREFECTURE_NAMES.get(code, code), n) for code, n in rows]


def members_by_jsic_middle() -> list[tuple[str, str, int]]:
    """Members in force per JSIC middle category (中分類, the first two digits of their codes); a member with codes
    in two categories counts in both. Two queries."""
    through = Membership.jsic_codes.through
    rows = list(
        through.objects.filter(membership__status__in=MEMBER_STATUSES)
        .annotate(middle=Substr("jsiccode_id", 1, 2))
        .values_list("middle")
        .annotate(n=Count("membership_id", distinct=True))
        .order_by("-n", "middle")
    )
    names = dict(JsicCode.objects.filter(code__in=[m for m, _n in rows]).values_list("code", "name_ja"))
    return [(middle, names.get(middle, ""), n) for middle, n in rows]


# --- money and jobs ----------------------------------------------------------------------------------------------


def invoices_by_fiscal_year(*, on: dt.date | None = None) -> list[dict]:
    """Per fiscal year: invoices issued (credited ones apart), paid, open and overdue (open past the due date),
    with amounts. One query."""
    on = on or today()
    live = ~Q(status=Invoice.Status.CREDITED)
    open_ = Q(status__in=Invoice.OPEN_STATUSES)
    overdue = open_ & Q(due_date__lt=on)
    rows = (
        Invoice.objects.values("fiscal_year")
        .annotate(
            issued=Count("id", filter=live),
            issued_yen=Sum("total_yen", filter=live),
            paid=Count("id", filter=Q(status=Invoice.Status.PAID)),
            paid_yen=Sum("total_yen", filter=Q(status=Invoice.Status.PAID)),
            open=Count("id", filter=open_ & Q(due_date__gte=on)),
            overdue=Count("id", filter=overdue),
            overdue_yen=Sum("total_yen", filter=overdue),
            credited=Count("id", filter=Q(status=Invoice.Status.CREDITED)),
        )
        .order_by("fiscal_year")
    )
    return [{**r, **{k: r[k] or 0 for k in ("issued_yen", "paid_yen", "overdue_yen")}} for r in rows]


STUCK_AFTER = dt.timedelta(hours=2)


def job_runs(*, days: int = 30, now: dt.datetime | None = None) -> dict:
    """Per job over the last days: runs, failures (an error recorded, or never finished), last run and last
    failure; and the latest failed runs. Two queries."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    failed = ~Q(error="") | Q(finished_at__isnull=True, started_at__lt=now - STUCK_AFTER)
    per_job = list(
        JobRun.objects.filter(started_at__gte=since)
        .values("job")
        .annotate(
            runs=Count("id"),
            failures=Count("id", filter=failed),
            last_run=Max("started_at"),
            last_failure=Max("started_at", filter=failed),
        )
        .order_by("-failures", "job")
    )
    latest = list(JobRun.objects.filter(failed, started_at__gte=since).order_by("-started_at", "-id")[:5])
    return {
        "jobs": per_job,
        "latest_failures": latest,
        "days": days,
        "failures": sum(j["failures"] for j in per_job),
    }
