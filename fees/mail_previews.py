"""Previews of the fees app's mails on a real member, for the administrators' mail wording pages
(jaim.mailtemplates.PREVIEWS): the context each mail's caller builds, from the member number's newest invoice
(statement, credit note). Read only: a preview makes no PDF link."""

from fees.models import CreditNote, DebitItem, Invoice, Statement
from fees.services.billing_statements import statement_items
from jaim.mailtemplates import preview
from members.mail_previews import PREVIEW_LINK, membership

NO_LINK = {"pdf_link": PREVIEW_LINK, "pdf_link_days": 30}


def newest_invoice(member_number: str, **filters) -> Invoice | None:
    m = membership(member_number)
    if m is None:
        return None
    return (
        Invoice.objects.select_related("membership__establishment__organisation")
        .filter(membership=m, **filters)
        .order_by("-fiscal_year", "-pk")
        .first()
    )


def renewal_invoice(member_number: str, fiscal_year: int) -> Invoice | None:
    """The season's renewal invoice of the member; before the renewal run, the one it would issue (not saved:
    the amount from the fee schedule's quote, the debit date, 「発行時に採番」 for its number)."""
    from django.utils.translation import gettext as _

    from fees.models import FeeSchedule
    from fees.services.invoices import renewal_debit_date, renewal_quote

    m = membership(member_number)
    if m is None:
        return None
    issued = newest_invoice(member_number, fiscal_year=fiscal_year, kind=Invoice.Kind.ANNUAL)
    schedule = FeeSchedule.objects.filter(fiscal_year=fiscal_year).first()
    if issued is not None or schedule is None:
        return issued
    org = m.establishment.organisation
    quote = renewal_quote(schedule, {}, org, list(org.association_memberships.select_related("association")))
    return Invoice(
        membership=m, fiscal_year=fiscal_year, kind=Invoice.Kind.ANNUAL, method=Invoice.Method.DEBIT,
        number=_("発行時に採番"), total_yen=quote.total_yen, due_date=renewal_debit_date(schedule),
    )  # fmt: skip


def _invoice_context(member_number: str, **filters) -> dict | None:
    inv = newest_invoice(member_number, **filters)
    return None if inv is None else {"invoice": inv, "establishment": inv.membership.establishment}


@preview("fees_invoice_issued")
def invoice_issued(member_number: str) -> dict | None:
    ctx = _invoice_context(member_number)
    return None if ctx is None else {**ctx, **NO_LINK}


@preview("fees_payment_received")
def payment_received(member_number: str) -> dict | None:
    return _invoice_context(member_number, paid_on__isnull=False) or _invoice_context(member_number)


@preview("fees_debit_failed")
def debit_failed(member_number: str) -> dict | None:
    ctx = _invoice_context(member_number)
    if ctx is None:
        return None
    return {**ctx, "collection_date": ctx["invoice"].due_date, "reason": str(DebitItem.Result.NO_FUNDS.label)}


@preview("fees_credit_note_issued")
def credit_note_issued(member_number: str) -> dict | None:
    m = membership(member_number)
    note = (
        CreditNote.objects.select_related("invoice__membership__establishment")
        .filter(invoice__membership=m)
        .order_by("-pk")
        .first()
        if m
        else None
    )
    if note is None:
        return None
    inv = note.invoice
    cancelled = inv.status == Invoice.Status.CREDITED
    return {
        "invoice": inv, "establishment": inv.membership.establishment, "note": note, "cancelled": cancelled,
        "remaining": max(inv.total_yen - note.amount_yen, 0),
    }  # fmt: skip


@preview("fees_statement_issued")
def statement_issued(member_number: str) -> dict | None:
    m = membership(member_number)
    statement = (
        Statement.objects.filter(organisation_id=m.establishment.organisation_id).order_by("-pk").first()
        if m
        else None
    )
    if statement is None:
        return None
    return {"statement": statement, "items": statement_items(statement), **NO_LINK}
