"""Reads for the lifecycle: who hears about an establishment, which season or report period applies, what a
member has to do next. Everything a page shows comes from here in a bounded number of queries."""

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet

from jaim.dates import fiscal_year_of
from lifecycle.models import (
    RenewalNotice,
    RenewalSeason,
    WageReport,
    WageReportPeriod,
    WithdrawalRequest,
)
from members.models import Establishment, Membership, MembershipTerm
from members.selectors import contacts_by_establishment  # noqa: F401 - the lifecycle jobs' name for it

# --- people to tell --------------------------------------------------------------------------------------------


def billing_emails_by_establishment(establishment_ids) -> dict[int, str]:
    """The 請求書送付先 address of each establishment (its own, else its organisation's), F10. One query."""
    from fees.models import BillingContact

    ids = list({int(i) for i in establishment_ids if i})
    org_of = dict(Establishment.objects.filter(pk__in=ids).values_list("pk", "organisation_id"))
    own, org = {}, {}
    for c in BillingContact.objects.filter(
        Q(establishment_id__in=ids) | Q(organisation_id__in=set(org_of.values()))
    ):
        if c.establishment_id:
            own[c.establishment_id] = c.email
        else:
            org[c.organisation_id] = c.email
    return {e: email for e, o in org_of.items() if (email := own.get(e) or org.get(o))}


# --- renewal ---------------------------------------------------------------------------------------------------


def due_seasons(on: dt.date) -> QuerySet[RenewalSeason]:
    """Seasons whose renewal is due on `on`: the notice day has come and the fee year has not ended (so a member
    that becomes ACTIVE late in the year, or a missed run, is still caught up)."""
    return RenewalSeason.objects.filter(notice_on__lte=on, fiscal_year__gte=fiscal_year_of(on)).order_by(
        "fiscal_year"
    )


def renewal_due(season: RenewalSeason) -> QuerySet[Membership]:
    """Memberships to renew into the season's year and not renewed yet: ACTIVE (so without a withdrawal request),
    not leaving at the end of this year (F8), and admitted before that year (their first-year invoice is not for
    it)."""
    from fees import selectors as fee_selectors
    from jaim.dates import fiscal_year_start

    # NOT EXISTS, an anti-join: `NOT IN (subquery)` cannot be an anti-join (NULL semantics) and, once the year's
    # notices no longer fit a hashed subplan (≈ 65,000 rows and the table analysed), PostgreSQL scans them again
    # for every membership — minutes for a run that resumes after its first chunks.
    done = RenewalNotice.objects.filter(fiscal_year=season.fiscal_year, membership_id=OuterRef("pk"))
    return (
        fee_selectors.renewal_candidates(season.fiscal_year)
        .filter(fee_notice_date__lt=fiscal_year_start(season.fiscal_year))
        .filter(~Exists(done))
    )


def answerable_season(membership: Membership, on: dt.date) -> RenewalSeason | None:
    """The season whose renewal confirmation this membership may answer on `on` (notice received, deadline not
    passed), or None."""
    return (
        RenewalSeason.objects.filter(
            notice_on__lte=on,
            answer_deadline__gte=on,
            fiscal_year__in=RenewalNotice.objects.filter(membership=membership).values("fiscal_year"),
        )
        .order_by("fiscal_year")
        .first()
    )


def open_withdrawal(membership: Membership) -> WithdrawalRequest | None:
    return membership.withdrawal_requests.filter(status__in=WithdrawalRequest.OPEN_STATUSES).first()


# --- wage-increase report ----------------------------------------------------------------------------------------


def wage_report_owed(period: WageReportPeriod) -> QuerySet[Membership]:
    """Memberships that owe the year's report: ACTIVE and admitted (paid) by the day the window opens. A member
    leaving at the end of the year (WITHDRAWAL_REQUESTED) is not asked."""
    return Membership.objects.filter(status=Membership.Status.ACTIVE, activated_on__lte=period.opens_on)


def owes_wage_report(membership: Membership, period: WageReportPeriod) -> bool:
    return (
        membership.status == Membership.Status.ACTIVE
        and membership.activated_on is not None
        and membership.activated_on <= period.opens_on
    )


def current_wage_period(on: dt.date) -> WageReportPeriod | None:
    """The period a member sees on `on`: the latest one already open, while its additional reports may still be
    due (up to a year after it opened)."""
    return (
        WageReportPeriod.objects.filter(opens_on__lte=on, opens_on__gt=on - dt.timedelta(days=366))
        .order_by("-opens_on")
        .first()
    )


# --- My Page --------------------------------------------------------------------------------------------------


def establishment_status(establishment: Establishment, on: dt.date) -> dict:
    """What the establishment page shows about renewal, withdrawal, lapse and the wage report (fixed queries)."""
    from fees.models import Invoice

    membership = (
        establishment.memberships.filter(status__in=[*Membership.OPEN_STATUSES, Membership.Status.LAPSED])
        .order_by("-created_at")
        .first()
    )
    if membership is None:
        return {"membership": None}
    withdrawal = open_withdrawal(membership)
    season = answerable_season(membership, on)
    term = invoice = None
    if season is not None:
        term = MembershipTerm.objects.filter(membership=membership, fiscal_year=season.previous_year).first()
        invoice = (
            Invoice.objects.filter(membership=membership, fiscal_year=season.fiscal_year)
            .exclude(status=Invoice.Status.CREDITED)
            .first()
        )
    period = current_wage_period(on)
    report = None
    owes = False
    if period is not None:
        report = WageReport.objects.filter(period=period, membership=membership).first()
        owes = owes_wage_report(membership, period) or report is not None
    lapse = membership.lapses.filter(reinstated_on__isnull=True).select_related("invoice").first()
    return {
        "membership": membership,
        "withdrawal": withdrawal,
        "season": season,
        "term": term,
        "renewal_invoice": invoice,
        "period": period if owes else None,
        "report": report,
        "lapse": lapse,
    }


def todo_for_user(user, on: dt.date) -> list[dict]:
    """My Page: the lifecycle matters that need this user's action across their establishments, soonest first."""
    from members import selectors as member_selectors

    ests = member_selectors.establishments_for(user)
    items: list[dict] = []
    for season in RenewalSeason.objects.filter(notice_on__lte=on, answer_deadline__gte=on):
        terms = MembershipTerm.objects.filter(
            fiscal_year=season.previous_year,
            renewal_answer=MembershipTerm.Answer.PENDING,
            membership__status=Membership.Status.ACTIVE,
            membership__establishment__in=ests,
            membership__renewal_notices__fiscal_year=season.fiscal_year,
        ).select_related("membership__establishment")
        for t in terms:
            items.append(
                {
                    "kind": "renewal",
                    "is_renewal": True,
                    "due": season.answer_deadline,
                    "establishment": t.membership.establishment,
                    "season": season,
                }
            )
    period = current_wage_period(on)
    if period is not None:
        if on <= period.closes_on:
            reported = WageReport.objects.filter(
                period=period, status=WageReport.Status.SUBMITTED, membership_id=OuterRef("pk")
            )
            for m in (
                wage_report_owed(period)
                .filter(establishment__in=ests)
                .filter(~Exists(reported))
                .select_related("establishment")
            ):
                items.append(
                    {
                        "kind": "wage",
                        "is_wage": True,
                        "due": period.closes_on,
                        "establishment": m.establishment,
                        "period": period,
                    }
                )
        for r in (
            WageReport.objects.filter(
                period=period,
                membership__establishment__in=ests,
                membership__status=Membership.Status.ACTIVE,
            )
            .filter(
                Q(status=WageReport.Status.MISSING)
                | Q(below_target=True, additional_submitted_at__isnull=True)
            )
            .select_related("membership__establishment")
        ):
            kind = "wage_missing" if r.status == WageReport.Status.MISSING else "wage_additional"
            items.append(
                {
                    "kind": kind,
                    f"is_{kind}": True,
                    "due": r.additional_due_on or period.closes_on,
                    "establishment": r.membership.establishment,
                    "period": period,
                }
            )
    items.sort(key=lambda i: (i["due"], i["establishment"].pk))
    return items
