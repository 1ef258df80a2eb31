"""Reads reused by views, admin and other apps."""

import datetime as dt

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum

from fees import kana
from fees.models import (
    BillingContact,
    CreditNote,
    DebitItem,
    DebitMandate,
    DebitRun,
    Invoice,
    PaymentAllocation,
)
from members import selectors as member_selectors
from members.models import Establishment, Membership, MembershipTerm


def invoices_for_user(user) -> QuerySet[Invoice]:
    """Invoices of the establishments the user may act for (anything else is a 404 in the views)."""
    return Invoice.objects.filter(membership__establishment__in=member_selectors.establishments_for(user))


def invoices_for_establishment(establishment) -> QuerySet[Invoice]:
    return (
        Invoice.objects.filter(membership__establishment=establishment)
        .select_related("receipt")
        .prefetch_related(Prefetch("credit_notes", queryset=CreditNote.objects.order_by("issue_date")))
        .order_by("-fiscal_year", "-issue_date", "-number")
    )


def billing_contact_for(establishment: Establishment) -> BillingContact | None:
    """The establishment's own 請求書送付先, else its organisation's."""
    return (
        BillingContact.objects.filter(
            Q(establishment=establishment) | Q(organisation_id=establishment.organisation_id)
        )
        # The establishment's own (organisation NULL) first; PostgreSQL sorts NULL last unless told.
        .order_by(F("organisation_id").asc(nulls_first=True))
        .first()
        if establishment.pk
        else None
    )


def renewal_candidates(fiscal_year: int):
    """Memberships that should get next year's invoice: ACTIVE, and not leaving at the end of the year (F8)."""
    leaving = MembershipTerm.objects.filter(
        fiscal_year=fiscal_year - 1,
        renewal_answer=MembershipTerm.Answer.WITHDRAW,
        membership_id=OuterRef("pk"),
    )
    return Membership.objects.filter(status=Membership.Status.ACTIVE).filter(~Exists(leaving))  # an anti-join


def paid_yen(invoice: Invoice) -> int:
    return invoice.allocations.aggregate(s=Sum("amount_yen"))["s"] or 0


def credited_yen(invoice: Invoice) -> int:
    return invoice.credit_notes.aggregate(s=Sum("amount_yen"))["s"] or 0


def outstanding_yen(invoice: Invoice) -> int:
    return max(invoice.total_yen - paid_yen(invoice) - credited_yen(invoice), 0)


def outstanding_map(invoice_ids) -> dict[int, int]:
    """Outstanding yen for many invoices in three queries."""
    ids = list(invoice_ids)
    totals = dict(Invoice.objects.filter(pk__in=ids).values_list("pk", "total_yen"))
    paid = dict(
        PaymentAllocation.objects.filter(invoice_id__in=ids)
        .values("invoice_id")
        .annotate(s=Sum("amount_yen"))
        .values_list("invoice_id", "s")
    )
    cred = dict(
        CreditNote.objects.filter(invoice_id__in=ids)
        .values("invoice_id")
        .annotate(s=Sum("amount_yen"))
        .values_list("invoice_id", "s")
    )
    return {i: max(totals[i] - paid.get(i, 0) - cred.get(i, 0), 0) for i in totals}


def active_mandate(establishment) -> DebitMandate | None:
    return DebitMandate.objects.filter(establishment=establishment, status="ACTIVE").first()


def debit_due_invoices(collection_date: dt.date):
    """Open direct-debit invoices due by the collection date and not waiting for another run's result."""
    waiting = DebitItem.objects.filter(run__status=DebitRun.Status.EXPORTED).values("invoice_id")
    return (
        Invoice.objects.filter(
            method=Invoice.Method.DEBIT, status__in=Invoice.OPEN_STATUSES, due_date__lte=collection_date
        )
        .exclude(pk__in=waiting)
        .select_related("membership__establishment")
        .order_by("membership__member_number", "fiscal_year")
    )


def failed_debits(establishment=None):
    """Invoices whose debit failed: for finance (all) and for a member's establishment."""
    qs = Invoice.objects.filter(status=Invoice.Status.DEBIT_FAILED)
    if establishment is not None:
        qs = qs.filter(membership__establishment=establishment)
    return qs


def match_suggestions(line) -> tuple[list[Invoice], list[Invoice]]:
    """For finance reviewing an unmatched statement line: open transfer invoices of the same amount, and those
    whose company kana starts like the payer's (20 of each, soonest due first). Suggestions only: nothing is
    settled without finance choosing (zengin.md §4)."""
    key = line.payer_key
    suggestions = (
        Invoice.objects.filter(method=Invoice.Method.TRANSFER, status__in=Invoice.OPEN_STATUSES)
        .select_related("membership__establishment__organisation")
        .order_by("due_date")
    )
    same_amount = [i for i in suggestions.filter(total_yen=line.amount_yen)[:20]]
    similar = [
        i
        for i in suggestions[:2000]
        if key
        and key[:4]
        and kana.payer_key(i.membership.establishment.organisation.name_kana).startswith(key[:4])
    ][:20]
    return same_amount, similar
