"""Previews of the lifecycle mails on a real member, for the administrators' mail wording pages
(jaim.mailtemplates.PREVIEWS): the context each mail's caller builds (lifecycle.services), from the member
number's membership and its newest season, lapse, wage report or withdrawal request. Read only."""

from applications.mail_previews import application_context
from applications.models import Document
from fees.mail_previews import newest_invoice, renewal_invoice
from jaim.dates import fiscal_year_end
from jaim.mailtemplates import preview
from lifecycle.models import Lapse, RenewalSeason, WageReport, WageReportPeriod, WithdrawalRequest
from lifecycle.services._common import establishment_url
from members.mail_previews import identity_change_effective, membership


def _base(m) -> dict:
    return {"membership": m, "establishment": m.establishment, "url": establishment_url(m.establishment_id)}


def _season() -> RenewalSeason | None:
    return RenewalSeason.objects.order_by("-fiscal_year").first()


@preview("lifecycle_renewal_notice")
def renewal_notice(member_number: str) -> dict | None:
    m = membership(member_number)
    season = _season()
    # before the run: the invoice it would issue (fees.mail_previews.renewal_invoice), so the preview is real
    invoice = renewal_invoice(member_number, season.fiscal_year) if m and season else None
    if m is None or season is None or invoice is None:
        return None
    return {
        **_base(m),
        "invoice": invoice,
        "season": season,
        "year_end": fiscal_year_end(season.previous_year),
    }


@preview("lifecycle_renewal_continued")
def renewal_continued(member_number: str) -> dict | None:
    m = membership(member_number)
    season = _season()
    return None if m is None or season is None else {**_base(m), "season": season}


@preview("lifecycle_reminder_renewal_answer")
def reminder_renewal_answer(member_number: str) -> dict | None:
    ctx = renewal_continued(member_number)
    return None if ctx is None else {**ctx, "anchor": ctx["season"].answer_deadline}


@preview("lifecycle_reminder_renewal_unpaid")
def reminder_renewal_unpaid(member_number: str) -> dict | None:
    m = membership(member_number)
    invoice = newest_invoice(member_number) if m else None
    if m is None or invoice is None:
        return None
    anchor = max(invoice.due_date, invoice.issue_date)
    season = RenewalSeason.objects.filter(fiscal_year=invoice.fiscal_year).first()
    lapse_day = season.lapse_day(anchor) if season else None
    return {**_base(m), "invoice": invoice, "anchor": anchor, "lapse_day": lapse_day}


def _lapse(member_number: str, **filters) -> dict | None:
    m = membership(member_number)
    lapse = (
        Lapse.objects.select_related("invoice").filter(membership=m, **filters).order_by("-pk").first()
        if m
        else None
    )
    return None if lapse is None else {**_base(m), "lapse": lapse, "invoice": lapse.invoice}


@preview("lifecycle_lapsed")
def lapsed(member_number: str) -> dict | None:
    return _lapse(member_number)


@preview("lifecycle_reinstated")
def reinstated(member_number: str) -> dict | None:
    return _lapse(member_number, reinstated_on__isnull=False) or _lapse(member_number)


@preview("lifecycle_reminder_returned_application")
def reminder_returned_application(member_number: str) -> dict | None:
    ctx = application_context(member_number, "RETURNED")
    return None if ctx is None else {**ctx, "anchor": ctx["application"].return_deadline}


@preview("lifecycle_reminder_identity_follow_up")
def reminder_identity_follow_up(member_number: str) -> dict | None:
    ctx = identity_change_effective(member_number)
    return None if ctx is None else {**ctx, "anchor": ctx["change"].follow_up_due_on}


@preview("lifecycle_reminder_document_expiry")
def reminder_document_expiry(member_number: str) -> dict | None:
    m = membership(member_number)
    doc = (
        Document.objects.select_related("document_type")
        .filter(application__establishment_id=m.establishment_id, valid_until__isnull=False)
        .order_by("valid_until", "pk")
        .first()
        if m
        else None
    )
    return None if doc is None else {**_base(m), "document": doc, "anchor": doc.valid_until}


def _period(member_number: str, anchor_field: str | None = None) -> dict | None:
    m = membership(member_number)
    period = WageReportPeriod.objects.order_by("-fiscal_year").first()
    if m is None or period is None:
        return None
    ctx = {**_base(m), "period": period, "url": establishment_url(m.establishment_id, "wage-report")}
    return {**ctx, "anchor": getattr(period, anchor_field)} if anchor_field else ctx


@preview("lifecycle_wage_opening")
def wage_opening(member_number: str) -> dict | None:
    return _period(member_number, "opens_on")


@preview("lifecycle_reminder_wage_report")
def reminder_wage_report(member_number: str) -> dict | None:
    return _period(member_number, "closes_on")


@preview("lifecycle_wage_missing")
def wage_missing(member_number: str) -> dict | None:
    return _period(member_number)


def _report(member_number: str) -> dict | None:
    m = membership(member_number)
    report = (
        WageReport.objects.select_related("period")
        .filter(membership=m)
        .order_by("-below_target", "-pk")
        .first()
        if m
        else None
    )
    if m is None or report is None:
        return None
    url = establishment_url(m.establishment_id, "wage-report")
    return {**_base(m), "report": report, "period": report.period, "url": url}


@preview("lifecycle_wage_below_target")
def wage_below_target(member_number: str) -> dict | None:
    return _report(member_number)


@preview("lifecycle_reminder_wage_additional")
def reminder_wage_additional(member_number: str) -> dict | None:
    ctx = _report(member_number)
    return None if ctx is None else {**ctx, "anchor": ctx["report"].additional_due_on}


@preview("lifecycle_withdrawal_requested")
@preview("lifecycle_withdrawal_confirmed")
@preview("lifecycle_withdrawal_cancelled")
def withdrawal(member_number: str) -> dict | None:
    m = membership(member_number)
    request = (
        WithdrawalRequest.objects.select_related("credited_invoice")
        .filter(membership=m)
        .order_by("-pk")
        .first()
        if m
        else None
    )
    return None if request is None else {**_base(m), "request": request}
