"""Reports for staff: each is a table (downloadable as CSV) with a chart, aggregated in the database."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.models import Application, ReviewMessage
from backoffice import charts
from backoffice.dashboard import DaysBetween, Percentile, percentile
from backoffice.selectors import MEMBER_STATUSES
from fees.models import CreditNote, Invoice, InvoiceLine, PaymentAllocation
from jaim.dates import fiscal_year_end, fiscal_year_of, fiscal_year_start, japanese_date, today
from members.models import Association


@dataclass
class Report:
    title: str
    header: list[str]
    rows: list[list]
    chart: SafeString | None = None
    notes: list[str] = field(default_factory=list)
    numeric: set[int] = field(default_factory=set)  # column indexes right-aligned


def _fy_bounds(fiscal_year: int | None):
    if fiscal_year is None:
        return None
    from django.utils import timezone

    start = timezone.make_aware(dt.datetime.combine(fiscal_year_start(fiscal_year), dt.time.min))
    end = timezone.make_aware(
        dt.datetime.combine(fiscal_year_end(fiscal_year) + dt.timedelta(days=1), dt.time.min)
    )
    return start, end


def _round(v):
    return None if v is None else round(v, 1)


# --- review time per reviewer --------------------------------------------------------------------------------


def review_time_per_reviewer(fiscal_year: int | None = None) -> Report:
    """Decided applications per reviewer (the assigned reviewer, else the one who decided): how many, approved,
    rejected, average and 90th percentile of days from receipt to decision, returns for correction sent."""
    bounds = _fy_bounds(fiscal_year)
    decided = Application.objects.filter(status__in=Application.DECIDED_STATUSES, submitted_at__isnull=False)
    returns = ReviewMessage.objects.filter(kind=ReviewMessage.Kind.RETURN)
    if bounds:
        decided = decided.filter(decided_at__gte=bounds[0], decided_at__lt=bounds[1])
        returns = returns.filter(created_at__gte=bounds[0], created_at__lt=bounds[1])
    days = DaysBetween(F("decided_at"), F("submitted_at"))
    decided = decided.annotate(person=Coalesce("reviewer_id", "decided_by_id"))
    stats = {}
    if settings.USING_POSTGRES:
        for r in decided.values("person").annotate(
            n=Count("id"),
            approved=Count("id", filter=Q(status=Application.Status.APPROVED)),
            rejected=Count("id", filter=Q(status=Application.Status.REJECTED)),
            avg=Avg(days),
            p90=Percentile(days, 0.9),
        ):
            stats[r["person"]] = r
    else:
        grouped = defaultdict(list)
        for person, status, d in decided.annotate(days=days).values_list("person", "status", "days"):
            grouped[person].append((status, d))
        for person, items in grouped.items():
            ds = [d for _s, d in items]
            stats[person] = {
                "n": len(items),
                "approved": sum(1 for s, _d in items if s == Application.Status.APPROVED),
                "rejected": sum(1 for s, _d in items if s == Application.Status.REJECTED),
                "avg": sum(ds) / len(ds),
                "p90": percentile(ds, 0.9),
            }
    returned = dict(returns.values_list("author_id").annotate(n=Count("id")).order_by())
    people = set(stats) | set(returned)
    names = {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=[p for p in people if p])}
    rows = []
    for person in sorted(people, key=lambda p: (-(stats.get(p, {}).get("n") or 0), names.get(p, ""))):
        s = stats.get(person, {})
        rows.append(
            [
                names.get(person, _("（担当者なし）")),
                s.get("n", 0),
                s.get("approved", 0),
                s.get("rejected", 0),
                returned.get(person, 0),
                _round(s.get("avg")),
                _round(s.get("p90")),
            ]
        )
    chart = charts.hbars([(r[0], r[5]) for r in rows], title=_("平均審査日数（担当者別）"), unit=_("日"))
    return Report(
        title=_("審査担当者別の審査日数"),
        header=[
            _("審査担当"),
            _("決定件数"),
            _("承認"),
            _("却下"),
            _("差戻し"),
            _("平均日数"),
            _("90%点（日）"),
        ],
        rows=rows,
        chart=chart,
        numeric={1, 2, 3, 4, 5, 6},
        notes=[_("受付（初回提出）から承認・却下までの日数。差戻し後に申請者が修正していた期間を含みます。")],
    )


# --- revenue by fiscal year and discount type ------------------------------------------------------------------

DISCOUNT_TYPES = {
    (False, False): gettext_lazy("割引なし"),
    (True, False): gettext_lazy("中小企業割引"),
    (False, True): gettext_lazy("正会員団体割引"),
    (True, True): gettext_lazy("中小企業割引＋団体割引"),
}


def _discounts(invoice_ref):
    line = InvoiceLine.objects.filter(invoice_id=invoice_ref)
    return (
        Exists(line.filter(kind=InvoiceLine.Kind.SME_DISCOUNT)),
        Exists(line.filter(kind=InvoiceLine.Kind.GROUP_DISCOUNT)),
    )


def revenue_by_fiscal_year() -> Report:
    """Per fiscal year and discount type: invoices (credited ones apart), amount invoiced, received, credited;
    and the discounts given (the discount lines' amounts)."""
    sme, group = _discounts(OuterRef("pk"))
    live = Invoice.objects.exclude(status=Invoice.Status.CREDITED).annotate(sme=sme, grp=group)
    invoiced = {
        (r["fiscal_year"], r["sme"], r["grp"]): r
        for r in live.values("fiscal_year", "sme", "grp")
        .annotate(n=Count("id"), yen=Sum("total_yen"))
        .order_by()
    }
    a_sme, a_group = _discounts(OuterRef("invoice_id"))
    received = {
        (r["invoice__fiscal_year"], r["sme"], r["grp"]): r["yen"]
        for r in PaymentAllocation.objects.exclude(invoice__status=Invoice.Status.CREDITED)
        .annotate(sme=a_sme, grp=a_group)
        .values("invoice__fiscal_year", "sme", "grp")
        .annotate(yen=Sum("amount_yen"))
        .order_by()
    }
    credited = {
        (r["invoice__fiscal_year"], r["sme"], r["grp"]): r["yen"]
        for r in CreditNote.objects.annotate(sme=a_sme, grp=a_group)
        .values("invoice__fiscal_year", "sme", "grp")
        .annotate(yen=Sum("amount_yen"))
        .order_by()
    }
    discounts = {
        (r["invoice__fiscal_year"], r["sme"], r["grp"]): -(r["yen"] or 0)
        for r in InvoiceLine.objects.exclude(invoice__status=Invoice.Status.CREDITED)
        .filter(kind__in=[InvoiceLine.Kind.SME_DISCOUNT, InvoiceLine.Kind.GROUP_DISCOUNT])
        .annotate(sme=a_sme, grp=a_group)
        .values("invoice__fiscal_year", "sme", "grp")
        .annotate(yen=Sum("amount_yen"))
        .order_by()
    }
    keys = sorted(set(invoiced) | set(received) | set(credited))
    rows = []
    for key in keys:
        fy, s, g = key
        inv = invoiced.get(key, {})
        rows.append(
            [
                fy,
                str(DISCOUNT_TYPES[(bool(s), bool(g))]),
                inv.get("n", 0),
                inv.get("yen") or 0,
                received.get(key) or 0,
                credited.get(key) or 0,
                discounts.get(key, 0),
            ]
        )
    years = sorted({r[0] for r in rows})
    chart = charts.stacked(
        [
            (
                _("%(fy)s年度") % {"fy": fy},
                [
                    sum(r[4] for r in rows if r[0] == fy),
                    max(0, sum(r[3] - r[4] - r[5] for r in rows if r[0] == fy)),
                ],
            )
            for fy in years
        ],
        [(_("入金済み"), "bo-s2"), (_("未入金"), "bo-s3")],
        title=_("年度別の請求額（入金済み・未入金、円）"),
    )
    return Report(
        title=_("年度別・割引種別の会費収入"),
        header=[
            _("年度"),
            _("割引の種類"),
            _("請求書数"),
            _("請求額（円）"),
            _("入金額（円）"),
            _("赤伝（円）"),
            _("割引額（円）"),
        ],
        rows=rows,
        chart=chart,
        numeric={0, 2, 3, 4, 5, 6},
        notes=[
            _("取り消し（全額赤伝）済みの請求書を除きます。会費は不課税です（F9）。"),
            _("割引額は請求書の割引行（中小企業割引・団体割引）の合計です。"),
        ],
    )


# --- members per association -------------------------------------------------------------------------------------


def members_per_association(on: dt.date | None = None) -> Report:
    """Per association: member organisations on the day (加入完了 and not left), pending applications to it, and
    the JAIM members in force among their establishments (those the group discount concerns, F4)."""
    on = on or today()
    in_force = Q(memberships__complete_on__lte=on) & (
        Q(memberships__ended_on__isnull=True) | Q(memberships__ended_on__gt=on)
    )
    rows = list(
        Association.objects.annotate(
            orgs=Count("memberships", filter=in_force, distinct=True),
            pending=Count("memberships", filter=Q(memberships__complete_on__isnull=True), distinct=True),
            members=Count(
                "memberships__organisation__establishments__memberships",
                filter=in_force
                & Q(memberships__organisation__establishments__memberships__status__in=MEMBER_STATUSES),
                distinct=True,
            ),
        )
        .order_by("-members", "name_kana", "name")
        .values_list("name", "is_regular_member", "orgs", "pending", "members")
    )
    table = [
        [name, "○" if regular else "", orgs, pending, members]
        for name, regular, orgs, pending, members in rows
    ]
    chart = charts.hbars(
        [(r[0], r[4]) for r in table if r[4]][:20],
        title=_("団体別のJAIM会員事業所数"),
        unit=_("件"),
        label_width=190,
    )
    return Report(
        title=_("団体別の会員数"),
        header=[_("団体"), _("正会員団体"), _("所属法人数"), _("加入手続中"), _("JAIM会員の事業所数")],
        rows=table,
        chart=chart,
        numeric={2, 3, 4},
        notes=[
            _("%(date)s時点。所属法人は加入完了日を過ぎ、退会していない法人です。")
            % {"date": japanese_date(on)}
        ],
    )


# --- wage-increase report compliance (lifecycle) ------------------------------------------------------------------


def wage_report_compliance() -> Report:
    """Per report year (lifecycle's wage-increase report, domain.md §6): members that owe it, submitted on time,
    late, flagged missing, not yet submitted, below the target, and additional reports still due."""
    from lifecycle import selectors as lifecycle_selectors
    from lifecycle.models import WageReport, WageReportPeriod

    submitted = Q(status=WageReport.Status.SUBMITTED)
    per_year = {
        r["period_id"]: r
        for r in WageReport.objects.values("period_id")
        .annotate(
            on_time=Count("id", filter=submitted & Q(is_late=False)),
            late=Count("id", filter=submitted & Q(is_late=True)),
            missing=Count("id", filter=Q(status=WageReport.Status.MISSING)),
            below=Count("id", filter=submitted & Q(below_target=True)),
            additional_done=Count("id", filter=Q(below_target=True, additional_submitted_at__isnull=False)),
        )
        .order_by()
    }
    rows = []
    for period in WageReportPeriod.objects.order_by("-fiscal_year"):
        r = per_year.get(period.pk, {})
        # Owing members without any report row yet (before the deadline job flags them missing).
        not_yet = lifecycle_selectors.wage_report_owed(period).exclude(wage_reports__period=period).count()
        on_time, late, missing = r.get("on_time", 0), r.get("late", 0), r.get("missing", 0)
        owed = on_time + late + missing + not_yet
        below, done = r.get("below", 0), r.get("additional_done", 0)
        rows.append(
            [
                period.fiscal_year,
                owed,
                on_time,
                late,
                missing,
                not_yet,
                round(100 * (on_time + late) / owed, 1) if owed else None,
                below,
                below - done,
            ]
        )
    chart = charts.stacked(
        [(_("%(fy)s年度") % {"fy": r[0]}, [r[2], r[3], r[4] + r[5]]) for r in rows],
        [(_("期限内に提出"), "bo-s2"), (_("期限後に提出"), "bo-s3"), (_("未提出"), "bo-warn")],
        title=_("年度別の賃上げ報告の提出状況"),
    )
    return Report(
        title=_("賃上げ報告の提出状況（年度別）"),
        header=[
            _("報告の年度"),
            _("報告対象の会員"),
            _("期限内に提出"),
            _("期限後に提出"),
            _("未提出（期限超過）"),
            _("未提出（受付中）"),
            _("提出率（％）"),
            _("目標未達"),
            _("追加報告の未提出"),
        ],
        rows=rows,
        chart=chart,
        numeric={0, 1, 2, 3, 4, 5, 6, 7, 8},
        notes=[
            _("報告対象は受付開始日までに入会（初回入金）した有効な会員です。"),
            _("目標未達の会員は追加報告（理由と今後の取組）を提出します。"),
        ],
    )


REPORTS = {
    "review-time": (gettext_lazy("審査担当者別の審査日数"), review_time_per_reviewer),
    "revenue": (gettext_lazy("年度別・割引種別の会費収入"), revenue_by_fiscal_year),
    "associations": (gettext_lazy("団体別の会員数"), members_per_association),
    "wage-reports": (gettext_lazy("賃上げ報告の提出状況（年度別）"), wage_report_compliance),
}


def current_fiscal_year() -> int:
    return fiscal_year_of(today())
