"""Invoices: issue (first year, renewal in bulk), numbers, credit notes (F13) and the invoice e-mail."""

import calendar
import datetime as dt
import itertools
from collections import defaultdict
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from fees.models import BillingContact, CreditNote, DebitMandate, FeeSchedule, Invoice, InvoiceLine
from fees.selectors import billing_contact_for, outstanding_yen, paid_yen, renewal_candidates
from fees.services.billing_statements import issue_statements, statement_organisations
from fees.services.contacts import _mail_billing, _manager_emails, _recipient, billing_mails
from fees.services.links import link_signer, pdf_link_context
from fees.services.payments import _mark_paid
from fees.services.quotes import Quote, compute_quote, get_schedule, group_discount_applies, is_sme, quote_fee
from jaim import bulk, sequences
from jaim.dates import fiscal_year_of, today
from jaim.errors import DomainError
from jaim.formats import yen
from jaim.mail import Mail, queue_mails
from jaim.models import AuditEvent
from jaim.queue import enqueue
from jaim.sequences import next_value
from jaim.states import audit, move
from members.models import AssociationMembership, Membership, Organisation

if TYPE_CHECKING:
    from members.models import User


def invoice_prefix(fiscal_year: int) -> str:
    return f"invoice-{fiscal_year}"


def format_invoice_number(fiscal_year: int, value: int) -> str:
    return f"{fiscal_year}-{value:06d}"


def transfer_due_date(notice_date: dt.date) -> dt.date:
    """First-year transfers are due at the end of the month after the notice (翌月末)."""
    y, m = (notice_date.year + 1, 1) if notice_date.month == 12 else (notice_date.year, notice_date.month + 1)
    return dt.date(y, m, calendar.monthrange(y, m)[1])


def renewal_debit_date(schedule: FeeSchedule) -> dt.date:
    """F8: next year's fee is debited around February of the current year (27 Feb unless the schedule says)."""
    return schedule.renewal_debit_date or dt.date(schedule.fiscal_year, 2, 27)


def _invoice_from_quote(
    membership,
    quote,
    recipient,
    *,
    kind,
    method,
    number,
    issue_date,
    due_date,
    notice_date,
    payer,
    by: "User | None",
):
    est = membership.establishment
    return Invoice(
        number=number,
        membership=membership,
        fiscal_year=quote.fiscal_year,
        kind=kind,
        method=method,
        issue_date=issue_date,
        due_date=due_date,
        notice_date=notice_date,
        total_yen=quote.total_yen,
        buyer_name=recipient.name,
        buyer_department=recipient.department,
        buyer_person=recipient.person,
        buyer_postal_code=recipient.postal_code,
        buyer_address=recipient.address,
        member_number=membership.member_number,
        establishment_name=f"{est.organisation.name} {est.name}",
        payer=payer,
        is_sample=quote.is_sample,
        issued_by=by if getattr(by, "pk", None) else None,
    )


def _write_lines(invoices, quotes) -> None:
    """The quote's lines of each saved invoice, numbered from 1, as plain rows in one statement."""
    bulk.write(
        bulk.Table(InvoiceLine, ["invoice_id", "position", "kind", "description", "amount_yen"]),
        (
            (inv.pk, i, line.kind, line.description, line.amount_yen)
            for inv, q in zip(invoices, quotes, strict=True)
            for i, line in enumerate(q.lines, start=1)
        ),
    )


@transaction.atomic
def issue_invoice(
    membership: Membership,
    *,
    fiscal_year: int,
    notice_date: dt.date | None = None,
    application_date: dt.date | None = None,
    payer: Organisation | None = None,
    issue_date: dt.date | None = None,
    by: "User | None" = None,
) -> Invoice:
    """Issue the invoice of one membership for one fiscal year: first year (with a notice date) by bank transfer,
    later years by direct debit (F7). Idempotent: an existing live invoice for that year is returned."""
    m = (
        Membership.objects.select_for_update()
        .select_related("establishment__organisation")
        .get(pk=membership.pk)
    )
    existing = (
        Invoice.objects.filter(membership=m, fiscal_year=fiscal_year)
        .exclude(status=Invoice.Status.CREDITED)
        .first()
    )
    if existing:
        return existing
    if (
        payer is not None
        and not payer.is_support_organisation
        and payer.pk != m.establishment.organisation_id
    ):
        raise DomainError(_("支払者に指定できるのは登録支援機関だけです。"), code="payer_not_support")
    quote = quote_fee(
        m.establishment, fiscal_year=fiscal_year, notice_date=notice_date, application_date=application_date
    )
    issue_date = issue_date or today()
    if notice_date is not None:  # first year
        kind, method, due = Invoice.Kind.FIRST_YEAR, Invoice.Method.TRANSFER, transfer_due_date(notice_date)
    else:
        schedule = get_schedule(fiscal_year)
        kind, method, due = Invoice.Kind.ANNUAL, Invoice.Method.DEBIT, renewal_debit_date(schedule)
        if payer is None:
            mandate = DebitMandate.objects.filter(
                establishment_id=m.establishment_id, status="ACTIVE"
            ).first()
            payer = mandate.payer if mandate else None
    contact = billing_contact_for(m.establishment)
    managers = _manager_emails([(payer or m.establishment.organisation).pk])
    recipient = _recipient(m.establishment, contact, payer, managers)
    number = format_invoice_number(fiscal_year, next_value(invoice_prefix(fiscal_year)))
    invoice = _invoice_from_quote(
        m,
        quote,
        recipient,
        kind=kind,
        method=method,
        number=number,
        issue_date=issue_date,
        due_date=due,
        notice_date=notice_date,
        payer=payer,
        by=by,
    )
    invoice.full_clean()
    try:
        with transaction.atomic():
            invoice.save(force_insert=True)
    except IntegrityError as exc:
        raise DomainError(_("この年度の請求書は既に発行されています。"), code="duplicate_invoice") from exc
    _write_lines([invoice], [quote])
    audit(invoice, "issued", actor=by, to_status=invoice.status, note=yen(invoice.total_yen))
    _after_issue([invoice.pk])
    return invoice


def bill_new_membership(membership, *, notice_date, application_date, payer=None, by: "User | None" = None):
    """Called when a NEW application is approved: quote the first-year fee (F6, by the month of notice_date;
    F4 judged on application_date) and issue the first-year invoice (bank transfer, F7).
    payer: a support organisation paying for the member (F12), or None. Returns the invoice."""
    return issue_invoice(
        membership,
        fiscal_year=fiscal_year_of(notice_date),
        notice_date=notice_date,
        application_date=application_date,
        payer=payer,
        by=by,
    )


def _after_issue(invoice_ids: list[int]) -> None:
    """After commit: render the PDFs and send the invoice e-mails (billing contact only, F10)."""
    enqueue("fees.tasks.render_invoice_documents", invoice_ids)
    enqueue("fees.tasks.send_invoice_mails", invoice_ids)


def _batched(iterable, n):
    it = iter(iterable)
    while chunk := list(itertools.islice(it, n)):
        yield chunk


def issue_renewal_invoices(
    fiscal_year: int,
    *,
    memberships=None,
    chunk_size: int = 1000,
    issue_date: dt.date | None = None,
    by: "User | None" = None,
    notify: bool = True,
    keep: bool = False,
) -> dict:
    """Issue next year's direct-debit invoices (F7, F8) in bulk: a constant number of queries per chunk, one
    transaction per chunk. `memberships`: a queryset or ids (default: renewal_candidates). Safe to run twice:
    memberships that already have a live invoice for the year are skipped (and unique in the database).
    notify: queue the PDFs and invoice e-mails of each chunk after its commit (off for benchmarks).
    keep: the issued invoices under "invoices", each with its membership, establishment and organisation as they
    were read to issue it (the renewal job's second transaction uses them instead of reading them again)."""
    schedule = get_schedule(fiscal_year)
    rates: dict = {}
    if memberships is None:
        memberships = renewal_candidates(fiscal_year)
    if hasattr(memberships, "values_list"):
        ids = list(memberships.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted({int(i) for i in memberships})
    issue_date = issue_date or today()
    counts: dict = {"candidates": len(ids), "issued": 0, "skipped": 0}
    kept: list[Invoice] = []
    for chunk in _batched(ids, chunk_size):
        with transaction.atomic():
            issued = _issue_renewal_chunk(schedule, rates, chunk, issue_date=issue_date, by=by, notify=notify)
        counts["issued"] += len(issued)
        counts["skipped"] += len(chunk) - len(issued)
        if keep:
            kept += issued
    if keep:
        counts["invoices"] = kept
    return counts


def renewal_quote(schedule, rates: dict, organisation, association_memberships) -> Quote:
    """F3, F4, F7: the annual fee a renewal invoice of `schedule`'s year charges an establishment of
    `organisation` (SME discount, group discount by its association memberships; no first-year rate)."""
    return compute_quote(
        schedule,
        rates,
        sme=is_sme(organisation),
        group=group_discount_applies(
            association_memberships, fiscal_year=schedule.fiscal_year, application_date=None
        ),
        notice_date=None,
    )


# What issuing a renewal invoice and the renewal job's two mails read of a membership, its establishment and
# organisation (the quote: F3's figures; the recipient without a billing contact: the organisation's name and
# address; the mails' declared variables, jaim.mailtemplates): 1,000 memberships' other ~60 columns are not loaded.
# A field used and not listed here costs a query per membership, which the chunk's query-count test catches.
_RENEWAL_FIELDS = (
    "member_number", "status", "establishment_id",
    "establishment__name", "establishment__organisation_id",
    "establishment__organisation__name", "establishment__organisation__postal_code",
    "establishment__organisation__prefecture", "establishment__organisation__city",
    "establishment__organisation__address_line", "establishment__organisation__sme_verified_on",
    "establishment__organisation__capital_yen", "establishment__organisation__regular_employees",
    "establishment__organisation__billing_preference__mode",
)  # fmt: skip


def _issue_renewal_chunk(
    schedule, rates, ids, *, issue_date, by: "User | None", notify=True
) -> list[Invoice]:
    fy = schedule.fiscal_year
    prefix = invoice_prefix(fy)
    # Lock the year's counter first: every issuer of this year's invoices queues here, so the existence check
    # below cannot race with another run.
    counter = sequences.lock(prefix)
    done = set(
        Invoice.objects.filter(membership_id__any=ids, fiscal_year=fy)
        .exclude(status=Invoice.Status.CREDITED)
        .values_list("membership_id", flat=True)
    )
    todo = [i for i in ids if i not in done]
    if not todo:
        return []
    members = list(
        Membership.objects.filter(pk__any=todo, status=Membership.Status.ACTIVE)
        .select_related("establishment__organisation__billing_preference")  # kept: the renewal job's mails
        .only(*_RENEWAL_FIELDS)
        .order_by("pk")
    )
    if not members:
        return []
    est_ids = [m.establishment_id for m in members]
    org_ids = {m.establishment.organisation_id for m in members}
    assoc = defaultdict(list)
    for am in AssociationMembership.objects.filter(organisation_id__any=org_ids).select_related(
        "association"
    ):
        assoc[am.organisation_id].append(am)
    contacts_est, contacts_org = {}, {}
    for c in BillingContact.objects.filter(
        Q(establishment_id__any=est_ids) | Q(organisation_id__any=org_ids)
    ):
        if c.establishment_id:
            contacts_est[c.establishment_id] = c
        else:
            contacts_org[c.organisation_id] = c
    payers = {
        md.establishment_id: md.payer
        for md in DebitMandate.objects.filter(establishment_id__any=est_ids, status="ACTIVE").select_related(
            "payer"
        )
    }
    managers = _manager_emails(org_ids | {p.pk for p in payers.values() if p})
    first = sequences.reserve(counter, len(members))
    due = renewal_debit_date(schedule)
    invoices, quotes = [], []
    for n, m in enumerate(members):
        est = m.establishment
        quote = renewal_quote(schedule, rates, est.organisation, assoc[est.organisation_id])
        payer = payers.get(est.pk)
        contact = contacts_est.get(est.pk) or contacts_org.get(est.organisation_id)
        invoices.append(
            _invoice_from_quote(
                m,
                quote,
                _recipient(est, contact, payer, managers),
                kind=Invoice.Kind.ANNUAL,
                method=Invoice.Method.DEBIT,
                number=format_invoice_number(fy, first + n),
                issue_date=issue_date,
                due_date=due,
                notice_date=None,
                payer=payer,
                by=by,
            )
        )
        quotes.append(quote)
    bulk.insert(invoices)
    # Lines and audit events are written as plain rows (nobody reads them back as instances here).
    _write_lines(invoices, quotes)
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(Invoice)
    actor_id = getattr(by, "pk", None) or None
    bulk.write(
        bulk.Table(AuditEvent, ["content_type_id", "object_id", "action", "actor_id", "to_status", "note"]),
        ((ct.pk, str(inv.pk), "issued", actor_id, inv.status, yen(inv.total_yen)) for inv in invoices),
    )
    if notify:
        _after_issue([inv.pk for inv in invoices])
    return invoices


@transaction.atomic
def issue_credit_note(
    invoice: Invoice, *, amount_yen: int, reason: str, by: "User | None", issue_date: dt.date | None = None
) -> CreditNote:
    """Correct an issued invoice by a credit note (赤伝) that refers to it. Only what is still unpaid can be
    credited: there are no refunds (F13). Crediting the whole unpaid invoice cancels it."""
    inv = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if not reason.strip():
        raise DomainError(_("赤伝の理由を入力してください。"), code="reason_required")
    if inv.status not in Invoice.OPEN_STATUSES:
        raise DomainError(
            _("入金済み・取消済みの請求書には赤伝を発行できません（返金は行いません）。"), code="not_open"
        )
    due = outstanding_yen(inv)
    if amount_yen <= 0 or amount_yen > due:
        raise DomainError(
            _("赤伝の金額は 1 円以上、未入金額 %(due)s 円以下で指定してください。") % {"due": f"{due:,}"},
            code="bad_amount",
        )
    issue_date = issue_date or today()
    fy = fiscal_year_of(issue_date)
    note = CreditNote(
        number=f"CN{fy}-{next_value(f'credit-{fy}'):05d}",
        invoice=inv,
        issue_date=issue_date,
        amount_yen=amount_yen,
        reason=reason.strip(),
        issued_by=by if getattr(by, "pk", None) else None,
    )
    note.full_clean()
    note.save(force_insert=True)
    audit(inv, "credit_note", actor=by, note=f"{note.number} {yen(amount_yen)}")
    if amount_yen == due:
        if paid_yen(inv):
            last = inv.allocations.order_by("-payment__received_on").first()
            assert last is not None  # something was paid: an allocation exists
            _mark_paid(inv, on=last.payment.received_on, by=by)
        else:
            move(inv, Invoice.Status.CREDITED, transitions=Invoice.TRANSITIONS, actor=by, note=note.number)
            inv.save(update_fields=["status"])
    enqueue("fees.tasks.render_document", "credit_note", note.pk)
    # The accounting department that received the invoice is told it was cancelled or reduced (F10: money mail
    # goes to the billing contact), e.g. next year's invoice cancelled because the member declared withdrawal.
    _mail_billing(
        inv,
        "fees_credit_note_issued",
        kind="fees_credit_note_issued",
        dedupe=f"fees-credit-note:{note.number}",
        extra={
            "note": note,
            "cancelled": inv.status == Invoice.Status.CREDITED,
            "remaining": due - amount_yen,
        },
    )
    return note


INVOICE_MAIL = "fees_invoice_issued"


def invoice_mails(invoices) -> list[Mail]:
    """The invoice e-mail of each issued invoice to its billing contact (F10), not queued yet (see
    jaim.mail.queue_mails): for a batch job that queues its chunk's messages together. Two queries. `invoices`
    come with membership__establishment__organisation. Each carries `pdf_link` (fees.services.links)."""
    mails = billing_mails(
        invoices, INVOICE_MAIL, kind=INVOICE_MAIL, dedupe=lambda inv: f"fees-invoice:{inv.number}"
    )
    links = {}
    signer = link_signer()  # one for the batch's links
    for mail in mails:  # a link that opens this invoice's PDF without signing in
        inv = mail.context["invoice"]
        if inv.pk not in links:
            links[inv.pk] = pdf_link_context(inv, signer)
        mail.context.update(links[inv.pk])
    return mails


@transaction.atomic
def send_invoice_mails(invoice_ids) -> int:
    """One e-mail per issued invoice to its billing contact (F10); safe to run twice (outbox dedupe). A constant
    number of queries whatever the number of invoices. The invoices of a head office that chose one 請求明細書
    (and pays them itself) get no mail each: the batch gives it one statement instead."""
    invoices = list(
        Invoice.objects.filter(pk__in=list(invoice_ids))
        .select_related("membership__establishment__organisation")
        .order_by("pk")
    )
    org_of = {inv.pk: inv.membership.establishment.organisation_id for inv in invoices}
    grouped = statement_organisations({org_of[inv.pk] for inv in invoices if inv.payer_id is None})
    per_site = [inv for inv in invoices if inv.payer_id is not None or org_of[inv.pk] not in grouped]
    queue_mails(invoice_mails(per_site))
    issue_statements(grouped)
    return len(invoices)
