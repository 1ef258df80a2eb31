"""請求明細書 (statements): for a head office with several member sites, one document and one mail listing every
open invoice of its sites with one total, instead of one mail per invoice (the head office chooses on My Page).
The invoices stay separate and unchanged; a statement is never edited, a new one is issued when needed."""

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils.translation import gettext as _

from fees.models import BillingContact, BillingPreference, Invoice, Statement, StatementItem
from fees.selectors import outstanding_map
from fees.services.contacts import _manager_emails, _recipient
from fees.services.links import pdf_link_context
from jaim.dates import fiscal_year_of, today
from jaim.errors import DomainError
from jaim.formats import yen
from jaim.mail import queue_mail
from jaim.sequences import next_value
from jaim.states import audit
from members.models import Organisation

if TYPE_CHECKING:
    from members.models import User

STATEMENT_MAIL = "fees_statement_issued"


def statement_organisations(organisation_ids) -> set[int]:
    """Which of these organisations chose one statement instead of per-site invoice mails. One query."""
    return set(
        BillingPreference.objects.filter(
            organisation_id__in=list(organisation_ids), mode=BillingPreference.Mode.STATEMENT
        ).values_list("organisation_id", flat=True)
    )


def organisations_awaiting_statement(fiscal_years) -> set[int]:
    """Organisations that chose one statement and have an open invoice of these years on no statement yet: the
    renewal run's catch-up when a run stopped after its invoices but before their statements. One query."""
    return set(
        Invoice.objects.filter(
            fiscal_year__in=list(fiscal_years),
            status__in=Invoice.OPEN_STATUSES,
            payer__isnull=True,
            membership__establishment__organisation__billing_preference__mode=BillingPreference.Mode.STATEMENT,
            statement_items__isnull=True,
        )
        .values_list("membership__establishment__organisation_id", flat=True)
        .distinct()
    )


def prefers_statement(organisation: Organisation) -> bool:
    """The same, for an organisation loaded with select_related("billing_preference") (no query)."""
    try:
        pref = organisation.billing_preference
    except ObjectDoesNotExist:
        return False
    return pref is not None and pref.mode == BillingPreference.Mode.STATEMENT


def wants_statement(organisation_id: int) -> bool:
    return organisation_id in statement_organisations([organisation_id])


@transaction.atomic
def set_billing_preference(organisation: Organisation, *, mode: str, by: "User | None") -> BillingPreference:
    """The head office's choice (its managers only: the view checks it)."""
    if mode not in BillingPreference.Mode.values:
        raise DomainError(_("送り方を選択してください。"), code="invalid")
    pref, _created = BillingPreference.objects.select_for_update().get_or_create(organisation=organisation)
    pref.mode = mode
    pref.save()
    audit(pref, f"mode:{mode}", actor=by)
    return pref


def open_invoices(organisation: Organisation):
    """The organisation's own sites' open invoices (unpaid, not cancelled) that it pays itself (not those a
    support organisation pays for it), oldest due first."""
    return (
        Invoice.objects.filter(
            membership__establishment__organisation=organisation,
            status__in=Invoice.OPEN_STATUSES,
            payer__isnull=True,
        )
        .select_related("membership__establishment")
        .order_by("due_date", "number")
    )


def _recipients(organisation: Organisation):
    contact = BillingContact.objects.filter(organisation=organisation).first()
    managers = {} if contact else _manager_emails([organisation.pk])
    return contact, managers


@transaction.atomic
def issue_statement(
    organisation: Organisation,
    *,
    by: "User | None" = None,
    issue_date: dt.date | None = None,
    mail: bool = True,
) -> Statement:
    """Issue the organisation's statement of its open invoices and mail it to its billing contact (F10). When the
    latest statement already lists exactly these invoices with the same amounts, that one is returned (and its
    mail not sent twice): a job run twice issues nothing new."""
    org = Organisation.objects.select_for_update().get(pk=organisation.pk)
    invoices = list(open_invoices(org))
    due = outstanding_map([inv.pk for inv in invoices])
    rows = [(inv, due[inv.pk]) for inv in invoices if due.get(inv.pk)]
    if not rows:
        raise DomainError(_("未入金の請求書がないため、請求明細書は発行できません。"), code="nothing_open")
    latest = Statement.objects.filter(organisation=org).order_by("-created_at", "-id").first()
    if latest is not None and set(latest.items.values_list("invoice_id", "amount_yen")) == {
        (inv.pk, amount) for inv, amount in rows
    }:
        return latest
    contact, managers = _recipients(org)
    recipient = _recipient(rows[0][0].membership.establishment, contact, None, managers)
    issue_date = issue_date or today()
    fy = fiscal_year_of(issue_date)
    statement = Statement(
        number=f"S{fy}-{next_value(f'statement-{fy}'):05d}",
        organisation=org,
        issue_date=issue_date,
        total_yen=sum(amount for _inv, amount in rows),
        buyer_name=recipient.name,
        buyer_department=recipient.department,
        buyer_person=recipient.person,
        buyer_postal_code=recipient.postal_code,
        buyer_address=recipient.address,
        issued_by=by if getattr(by, "pk", None) else None,
    )
    statement.full_clean()
    statement.save(force_insert=True)
    StatementItem.objects.bulk_create(
        [
            StatementItem(statement=statement, invoice=inv, position=n, amount_yen=amount)
            for n, (inv, amount) in enumerate(rows, start=1)
        ]
    )
    audit(statement, "issued", actor=by, note=f"{yen(statement.total_yen)}（請求書 {len(rows)}件）")
    if mail:
        for email in recipient.emails:
            queue_mail(
                to=email,
                template=STATEMENT_MAIL,
                context={
                    "statement": statement,
                    "items": statement_items(statement),
                    **pdf_link_context(statement),
                },
                kind=STATEMENT_MAIL,
                dedupe_key=f"fees-statement:{statement.number}:{email}",
            )
    return statement


def issue_statements(organisation_ids, *, by: "User | None" = None, issue_date: dt.date | None = None) -> int:
    """One statement per organisation (after a batch of invoices, e.g. the renewal run); organisations with
    nothing open are skipped. Returns how many statements were issued or found already issued."""
    done = 0
    for org in Organisation.objects.filter(pk__in=list(organisation_ids)).order_by("pk"):
        try:
            issue_statement(org, by=by, issue_date=issue_date)
        except DomainError:
            continue
        done += 1
    return done


def statement_items(statement: Statement) -> list[StatementItem]:
    return list(statement.items.select_related("invoice__membership__establishment").order_by("position"))


def statement_pdf_bytes(statement: Statement) -> bytes:
    """The statement's PDF, rendered from its stored rows (never changes) with the issuer as it was then."""
    from fees.models import DebitOriginator
    from fees.services.documents import _Doc, _render

    transfer_text = (
        DebitOriginator.objects.values_list("transfer_bank_text", flat=True).first() or ""
    ).strip()
    return _render(
        statement,
        _Doc(
            "fees/pdf/statement.html",
            "",
            f"statement-{statement.number}.pdf",
            {"statement": statement, "items": statement_items(statement), "transfer_text": transfer_text},
        ),
    )


def open_statement_invoices(statement: Statement) -> tuple[list[Invoice], int]:
    """The statement's invoices still open, and what is still due on them (for the bank-statement matcher)."""
    invoices = list(
        Invoice.objects.filter(statement_items__statement=statement, status__in=Invoice.OPEN_STATUSES)
    )
    due = outstanding_map([inv.pk for inv in invoices])
    return invoices, sum(due.values())
