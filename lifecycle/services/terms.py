"""A membership's renewal answer for a fiscal year, and the invoice a taken-back withdrawal makes due again:
shared by renewal and withdrawal (both import this; it imports neither)."""

from typing import TYPE_CHECKING

from django.utils import timezone

from fees import services as fee_services
from fees.models import Invoice
from jaim.dates import fiscal_year_end, today
from jaim.states import audit
from members.models import Membership, MembershipTerm

if TYPE_CHECKING:
    from members.models import User


def _locked_term(membership: Membership, fiscal_year: int) -> MembershipTerm:
    MembershipTerm.objects.get_or_create(membership=membership, fiscal_year=fiscal_year)
    return MembershipTerm.objects.select_for_update().get(membership=membership, fiscal_year=fiscal_year)


def record_answer(
    membership: Membership, fiscal_year: int, answer: str, *, by: "User | None"
) -> MembershipTerm:
    """Write the renewal answer on the term of `fiscal_year` (the year being left or continued from)."""
    term = _locked_term(membership, fiscal_year)
    if term.renewal_answer != answer:
        old = term.renewal_answer
        term.renewal_answer = answer
        term.answered_at = timezone.now() if answer != MembershipTerm.Answer.PENDING else term.answered_at
        term.answered_by = by if getattr(by, "pk", None) else term.answered_by
        term.full_clean()
        term.save(update_fields=["renewal_answer", "answered_at", "answered_by"])
        audit(term, "renewal_answer", actor=by, from_status=old, to_status=answer)
    return term


def reissue_renewal_invoice(membership: Membership, fiscal_year: int, *, by: "User | None") -> Invoice | None:
    """A withdrawal declared by the deadline was taken back: next year's fee is due again. Issues a new invoice
    if the year has none live (the credited one freed it); its mail and PDF follow after commit."""
    live = Invoice.objects.filter(membership=membership, fiscal_year=fiscal_year).exclude(
        status=Invoice.Status.CREDITED
    )
    if live.exists() or today() > fiscal_year_end(fiscal_year):
        return None
    return fee_services.issue_invoice(membership, fiscal_year=fiscal_year, by=by)
