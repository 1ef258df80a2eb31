"""Quotes (F2–F6): the fee of an establishment for a fiscal year and its lines. Pure except for reading the
schedule; writes nothing.

Rounding rule (F6): first-year fee = floor(annual fee after discounts × rate of the admission month), in whole
yen. Discounts are integer yen from the schedule and never make a fee negative.
"""

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from django.utils.translation import gettext as _

from fees.models import FeeSchedule, FirstYearRate
from jaim.dates import fiscal_year_of, fiscal_year_start, japanese_date
from jaim.errors import DomainError
from members.models import AssociationMembership, Establishment, Organisation

SME_CAPITAL_LIMIT_YEN = 300_000_000  # F3, manufacturing thresholds of the SME Basic Act
SME_EMPLOYEE_LIMIT = 300


@dataclass(frozen=True)
class QuoteLine:
    kind: str  # InvoiceLine.Kind
    description: str
    amount_yen: int


@dataclass(frozen=True)
class Quote:
    fiscal_year: int
    lines: tuple[QuoteLine, ...]
    is_sme: bool
    group_discount: bool
    first_year_month: int | None
    rate: Fraction | None
    is_sample: bool

    @property
    def total_yen(self) -> int:
        return sum(line.amount_yen for line in self.lines)


def meets_sme_thresholds(capital_yen: int | None, regular_employees: int | None) -> bool:
    """The SME rule (F3), pure: capital ≤ ¥300,000,000 OR regular employees ≤ 300 — the manufacturing thresholds
    of the SME Basic Act, whatever the main business (FAQ 2-4-5). An unknown figure meets nothing."""
    return (capital_yen is not None and capital_yen <= SME_CAPITAL_LIMIT_YEN) or (
        regular_employees is not None and regular_employees <= SME_EMPLOYEE_LIMIT
    )


def is_sme(organisation: Organisation) -> bool:
    """F3 judged on figures whose proof document the secretariat accepted (sme_verified_on; domain.md §4)."""
    if organisation.sme_verified_on is None:
        return False
    return meets_sme_thresholds(organisation.capital_yen, organisation.regular_employees)


def group_discount_applies(
    association_memberships, *, fiscal_year: int, application_date: dt.date | None
) -> bool:
    """F4: a regular-member association membership counts for `fiscal_year` if it was complete on the JAIM
    application date (first year), or completed before that fiscal year began (from the next fiscal year on).
    A pending membership (no complete_on) never counts; one that ended before the year does not either."""
    start = fiscal_year_start(fiscal_year)
    for am in association_memberships:
        if am.complete_on is None or not am.association.is_regular_member:
            continue
        counts_from_application = application_date is not None and am.complete_on <= application_date
        counts_from_year = am.complete_on < start
        still_member = am.ended_on is None or am.ended_on >= start
        if (counts_from_application or counts_from_year) and still_member:
            return True
    return False


def default_first_year_rate(month: int) -> tuple[int, int]:
    """The first-year rate (F6) a new schedule starts from for an admission month: the months left in the fiscal
    year, of twelve (April 12/12, May 11/12 … March 1/12). Finance may change it; the schedule's table is data."""
    return (15 - month) % 12 + 1, 12


def first_year_amount(annual_yen: int, rate: Fraction) -> int:
    """The one rounding rule (F6): annual × rate (an exact fraction), rounded down to whole yen."""
    return (annual_yen * rate.numerator) // rate.denominator


def compute_quote(
    schedule: FeeSchedule,
    rates: dict[int, tuple[int, int]],
    *,
    sme: bool,
    group: bool,
    notice_date: dt.date | None,
) -> Quote:
    """Pure: the fee and its lines from a schedule, the discounts that apply and (first year) the notice month."""
    base = schedule.base_fee_yen
    lines = [QuoteLine("BASE", _("%(fy)d年度 年会費") % {"fy": schedule.fiscal_year}, base)]
    remaining = base
    if sme and schedule.sme_discount_yen:
        d = min(schedule.sme_discount_yen, remaining)
        lines.append(QuoteLine("SME_DISCOUNT", _("中小企業割引"), -d))
        remaining -= d
    if group and schedule.group_discount_yen:
        d = min(schedule.group_discount_yen, remaining)
        lines.append(QuoteLine("GROUP_DISCOUNT", _("正会員団体割引"), -d))
        remaining -= d
    month = rate = None
    if notice_date is not None:
        month = notice_date.month
        if month not in rates:
            raise DomainError(
                _("%(fy)d年度の会費表に%(m)d月入会の初年度割合が登録されていません。")
                % {"fy": schedule.fiscal_year, "m": month},
                code="no_first_year_rate",
            )
        num, den = rates[month]
        rate = Fraction(num, den)
        adjustment = first_year_amount(remaining, rate) - remaining
        if adjustment:
            lines.append(
                QuoteLine(
                    "FIRST_YEAR",
                    _("初年度調整（%(m)d月入会・年会費の%(n)d/%(d)d）") % {"m": month, "n": num, "d": den},
                    adjustment,
                )
            )
    return Quote(
        fiscal_year=schedule.fiscal_year,
        lines=tuple(lines),
        is_sme=sme,
        group_discount=group,
        first_year_month=month,
        rate=rate,
        is_sample=schedule.is_sample,
    )


def get_schedule(fiscal_year: int) -> FeeSchedule:
    schedule = FeeSchedule.objects.filter(fiscal_year=fiscal_year).first()
    if schedule is None:
        raise DomainError(
            _("%(fy)d年度の会費表が登録されていません。経理担当が管理画面で登録してください。")
            % {"fy": fiscal_year},
            code="no_schedule",
        )
    return schedule


def _rates(schedule: FeeSchedule) -> dict[int, tuple[int, int]]:
    return {
        month: (num, den)
        for month, num, den in FirstYearRate.objects.filter(schedule=schedule).values_list(
            "month", "numerator", "denominator"
        )
    }


def quote_fee(
    establishment: Establishment,
    *,
    fiscal_year: int,
    notice_date: dt.date | None = None,
    application_date: dt.date | None = None,
) -> Quote:
    """The fee of one establishment for a fiscal year, with its breakdown (reads only; writes nothing).

    First year: pass the fee-notice date (its month picks the first-year rate, F6) and the application date
    (F4). A later year: leave both out. One fee per establishment whatever its JSIC codes (R3)."""
    if notice_date is not None and fiscal_year_of(notice_date) != fiscal_year:
        raise DomainError(
            _("会費請求通知日 %(d)s は %(fy)d年度ではありません。")
            % {"d": japanese_date(notice_date), "fy": fiscal_year},
            code="wrong_fiscal_year",
        )
    schedule = get_schedule(fiscal_year)
    org = establishment.organisation
    memberships = AssociationMembership.objects.filter(organisation=org).select_related("association")
    return compute_quote(
        schedule,
        _rates(schedule) if notice_date else {},
        sme=is_sme(org),
        group=group_discount_applies(memberships, fiscal_year=fiscal_year, application_date=application_date),
        notice_date=notice_date,
    )


def quote_with_claims(
    establishment: Establishment,
    *,
    notice_date: dt.date,
    application_date: dt.date | None,
    sme_figures: tuple[int | None, int | None] | None = None,
    association_claim: tuple | None = None,
) -> Quote:
    """The first-year fee an application will be billed if it is approved on `notice_date` and its claims are
    accepted: an SME claim's figures (capital, employees; F3) and an association membership it declares (association,
    complete_on; F4) count as the secretariat would record them on approval. Reads only; a 見込み (estimate)."""
    return quotes_with_claims(
        [(establishment, application_date, sme_figures, association_claim)], notice_date=notice_date
    )[0]


def quotes_with_claims(claims, *, notice_date: dt.date) -> list[Quote]:
    """quote_with_claims for several applications at one fee-notice date, in a fixed number of queries whatever
    their number (a head office's My Page): `claims` holds (establishment, application_date, sme_figures,
    association_claim) tuples; the quotes come back in the same order. No schedule → DomainError."""
    fiscal_year = fiscal_year_of(notice_date)
    schedule = get_schedule(fiscal_year)
    rates = _rates(schedule)
    org_ids = {est.organisation_id for est, *_rest in claims}
    by_org: dict[int, list] = {pk: [] for pk in org_ids}
    for am in AssociationMembership.objects.filter(organisation_id__in=org_ids).select_related("association"):
        by_org[am.organisation_id].append(am)
    quotes = []
    for establishment, application_date, sme_figures, association_claim in claims:
        org = establishment.organisation
        sme = is_sme(org) or (sme_figures is not None and meets_sme_thresholds(*sme_figures))
        memberships = list(by_org[org.pk])
        if association_claim is not None and association_claim[0] is not None:
            association, complete_on = association_claim
            memberships.append(
                AssociationMembership(organisation=org, association=association, complete_on=complete_on)
            )
        quotes.append(
            compute_quote(
                schedule,
                rates,
                sme=sme,
                group=group_discount_applies(
                    memberships, fiscal_year=fiscal_year, application_date=application_date
                ),
                notice_date=notice_date,
            )
        )
    return quotes
