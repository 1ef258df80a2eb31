"""Reads reused by views, admin and other apps."""

from django.db.models import Prefetch, QuerySet

from fees.models import CreditNote, Invoice
from members import selectors as member_selectors


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
