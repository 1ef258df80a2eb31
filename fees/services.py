"""Fees (domain.md §5, F1–F13): quotes, invoices, credit notes, payments, statement import, direct debit,
receipts, billing contacts. Every write is a transaction; PDFs and e-mails happen after commit.

Rounding rule (F6): first-year fee = floor(annual fee after discounts × rate of the admission month), in whole
yen. Discounts are integer yen from the schedule and never make a fee negative.
"""

import calendar
import datetime as dt
import hashlib
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from fees import kana, statements, zengin
from fees.models import (
    BankStatementImport,
    BankStatementLine,
    BillingContact,
    CreditNote,
    DebitItem,
    DebitMandate,
    DebitOriginator,
    DebitRun,
    FeeSchedule,
    FirstYearRate,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    Receipt,
)
from jaim.dates import fiscal_year_of, fiscal_year_start, japanese_date, today
from jaim.errors import DomainError
from jaim.mail import queue_mail
from jaim.models import AuditEvent, Sequence
from jaim.queue import enqueue
from jaim.sequences import next_value
from jaim.states import audit, move
from members import services as member_services
from members.models import Access, AssociationMembership, Establishment, Membership, Organisation

SME_CAPITAL_LIMIT_YEN = 300_000_000  # F3, manufacturing thresholds of the SME Basic Act
SME_EMPLOYEE_LIMIT = 300


# --- quotes (pure) ----------------------------------------------------------------------------------------


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


def is_sme(organisation: Organisation) -> bool:
    """F3: capital ≤ ¥300,000,000 OR regular employees ≤ 300 (manufacturing thresholds, whatever the business),
    judged on figures whose proof document the secretariat accepted (sme_verified_on; domain.md §4)."""
    if organisation.sme_verified_on is None:
        return False
    capital, employees = organisation.capital_yen, organisation.regular_employees
    return (capital is not None and capital <= SME_CAPITAL_LIMIT_YEN) or (
        employees is not None and employees <= SME_EMPLOYEE_LIMIT
    )


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


# --- billing contacts (F10) -------------------------------------------------------------------------------

BILLING_FIELDS = [
    "addressee",
    "department",
    "person_name",
    "email",
    "postal_code",
    "prefecture",
    "city",
    "address_line",
    "phone",
]


@dataclass(frozen=True)
class Recipient:
    name: str
    department: str
    person: str
    postal_code: str
    address: str
    emails: tuple[str, ...]


def billing_contact_for(establishment: Establishment) -> BillingContact | None:
    """The establishment's own 請求書送付先, else its organisation's."""
    return (
        BillingContact.objects.filter(
            Q(establishment=establishment) | Q(organisation_id=establishment.organisation_id)
        )
        .order_by("organisation_id")  # NULL organisation (the establishment's own) first on both databases
        .first()
        if establishment.pk
        else None
    )


def _manager_emails(organisation_ids) -> dict[int, tuple[str, ...]]:
    out = defaultdict(list)
    for org_id, email in (
        Access.objects.filter(
            organisation_id__in=list(organisation_ids), can_manage=True, user__is_active=True
        )
        .order_by("created_at")
        .values_list("organisation_id", "user__email")
    ):
        out[org_id].append(email)
    return {k: tuple(v) for k, v in out.items()}


def _recipient(establishment, contact, payer, managers: dict) -> Recipient:
    if contact is not None:
        return Recipient(
            contact.addressee,
            contact.department,
            contact.person_name,
            contact.postal_code,
            contact.full_address,
            (contact.email,),
        )
    org = payer or establishment.organisation
    return Recipient(org.name, "", "", org.postal_code, org.full_address, managers.get(org.pk, ()))


@transaction.atomic
def save_billing_contact(
    establishment: Establishment, *, data: dict, for_organisation: bool = False, by
) -> BillingContact:
    """Set the 請求書送付先 of one establishment, or of its whole organisation (head office only)."""
    from members import selectors

    if for_organisation:
        if not selectors.organisations_for(by).filter(pk=establishment.organisation_id).exists():
            raise DomainError(_("法人全体の送付先を設定する権限がありません。"), code="forbidden")
        contact = (
            BillingContact.objects.select_for_update()
            .filter(organisation_id=establishment.organisation_id)
            .first()
        )
        contact = contact or BillingContact(organisation_id=establishment.organisation_id)
    else:
        contact = BillingContact.objects.select_for_update().filter(establishment=establishment).first()
        contact = contact or BillingContact(establishment=establishment)
    for f in BILLING_FIELDS:
        if f in data:
            setattr(contact, f, data[f] or "")
    try:
        contact.full_clean()
    except ValidationError as exc:
        raise DomainError("; ".join(exc.messages), code="invalid") from exc
    contact.save()
    audit(contact, "saved", actor=by)
    return contact


# --- invoices ---------------------------------------------------------------------------------------------


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
    membership, quote, recipient, *, kind, method, number, issue_date, due_date, notice_date, payer, by
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


def _lines(invoice, quote) -> list[InvoiceLine]:
    return [
        InvoiceLine(
            invoice=invoice,
            position=i,
            kind=line.kind,
            description=line.description,
            amount_yen=line.amount_yen,
        )
        for i, line in enumerate(quote.lines, start=1)
    ]


@transaction.atomic
def issue_invoice(
    membership: Membership,
    *,
    fiscal_year: int,
    notice_date: dt.date | None = None,
    application_date: dt.date | None = None,
    payer: Organisation | None = None,
    issue_date: dt.date | None = None,
    by=None,
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
    first_year = notice_date is not None
    quote = quote_fee(
        m.establishment, fiscal_year=fiscal_year, notice_date=notice_date, application_date=application_date
    )
    issue_date = issue_date or today()
    if first_year:
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
    InvoiceLine.objects.bulk_create(_lines(invoice, quote))
    audit(invoice, "issued", actor=by, to_status=invoice.status, note=f"{invoice.total_yen}")
    _after_issue([invoice.pk])
    return invoice


def bill_new_membership(membership, *, notice_date, application_date, payer=None, by=None):
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
    from fees import tasks

    enqueue(tasks.render_invoice_documents, invoice_ids)
    enqueue(tasks.send_invoice_mails, invoice_ids)


def _lock_counter(prefix: str) -> Sequence:
    """Lock (creating if needed) the jaim.sequences counter row of a prefix, as next_value() does."""
    row = Sequence.objects.select_for_update().filter(prefix=prefix).first()
    if row is None:
        try:
            with transaction.atomic():
                Sequence.objects.create(prefix=prefix, last_value=0)
        except IntegrityError:
            pass  # created concurrently
        row = Sequence.objects.select_for_update().get(prefix=prefix)
    return row


def _reserve_numbers(row: Sequence, count: int) -> int:
    """Reserve `count` consecutive numbers on a locked counter row; returns the first. Rolls back with the
    transaction, so no gap."""
    first = row.last_value + 1
    row.last_value += count
    row.save(update_fields=["last_value"])
    return first


def _batched(iterable, n):
    it = iter(iterable)
    while chunk := list(itertools.islice(it, n)):
        yield chunk


def renewal_candidates(fiscal_year: int):
    """Memberships that should get next year's invoice: ACTIVE, and not leaving at the end of the year (F8)."""
    from members.models import MembershipTerm

    leaving = MembershipTerm.objects.filter(
        fiscal_year=fiscal_year - 1, renewal_answer=MembershipTerm.Answer.WITHDRAW
    )
    return Membership.objects.filter(status=Membership.Status.ACTIVE).exclude(
        pk__in=leaving.values("membership_id")
    )


def issue_renewal_invoices(
    fiscal_year: int,
    *,
    memberships=None,
    chunk_size: int = 1000,
    issue_date: dt.date | None = None,
    by=None,
    notify: bool = True,
) -> dict:
    """Issue next year's direct-debit invoices (F7, F8) in bulk: a constant number of queries per chunk, one
    transaction per chunk. `memberships`: a queryset or ids (default: renewal_candidates). Safe to run twice:
    memberships that already have a live invoice for the year are skipped (and unique in the database).
    notify: queue the PDFs and invoice e-mails of each chunk after its commit (off for benchmarks)."""
    schedule = get_schedule(fiscal_year)
    rates: dict = {}
    if memberships is None:
        memberships = renewal_candidates(fiscal_year)
    if hasattr(memberships, "values_list"):
        ids = list(memberships.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted({int(i) for i in memberships})
    issue_date = issue_date or today()
    counts = {"candidates": len(ids), "issued": 0, "skipped": 0}
    for chunk in _batched(ids, chunk_size):
        with transaction.atomic():
            issued = _issue_renewal_chunk(schedule, rates, chunk, issue_date=issue_date, by=by, notify=notify)
        counts["issued"] += issued
        counts["skipped"] += len(chunk) - issued
    return counts


def _issue_renewal_chunk(schedule, rates, ids, *, issue_date, by, notify=True) -> int:
    fy = schedule.fiscal_year
    prefix = invoice_prefix(fy)
    # Lock the year's counter first: every issuer of this year's invoices queues here, so the existence check
    # below cannot race with another run.
    counter = _lock_counter(prefix)
    done = set(
        Invoice.objects.filter(membership_id__in=ids, fiscal_year=fy)
        .exclude(status=Invoice.Status.CREDITED)
        .values_list("membership_id", flat=True)
    )
    todo = [i for i in ids if i not in done]
    if not todo:
        return 0
    members = list(
        Membership.objects.filter(pk__in=todo, status=Membership.Status.ACTIVE)
        .select_related("establishment__organisation")
        .order_by("pk")
    )
    if not members:
        return 0
    est_ids = [m.establishment_id for m in members]
    org_ids = {m.establishment.organisation_id for m in members}
    assoc = defaultdict(list)
    for am in AssociationMembership.objects.filter(organisation_id__in=org_ids).select_related("association"):
        assoc[am.organisation_id].append(am)
    contacts_est, contacts_org = {}, {}
    for c in BillingContact.objects.filter(Q(establishment_id__in=est_ids) | Q(organisation_id__in=org_ids)):
        if c.establishment_id:
            contacts_est[c.establishment_id] = c
        else:
            contacts_org[c.organisation_id] = c
    payers = {
        md.establishment_id: md.payer
        for md in DebitMandate.objects.filter(establishment_id__in=est_ids, status="ACTIVE").select_related(
            "payer"
        )
    }
    managers = _manager_emails(org_ids | {p.pk for p in payers.values() if p})
    first = _reserve_numbers(counter, len(members))
    due = renewal_debit_date(schedule)
    invoices, quotes = [], []
    for n, m in enumerate(members):
        est = m.establishment
        quote = compute_quote(
            schedule,
            rates,
            sme=is_sme(est.organisation),
            group=group_discount_applies(assoc[est.organisation_id], fiscal_year=fy, application_date=None),
            notice_date=None,
        )
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
    Invoice.objects.bulk_create(invoices)
    if invoices[0].pk is None:  # databases that do not return ids from bulk inserts
        by_number = dict(
            Invoice.objects.filter(number__in=[i.number for i in invoices]).values_list("number", "pk")
        )
        for inv in invoices:
            inv.pk = inv.id = by_number[inv.number]
    InvoiceLine.objects.bulk_create(
        [line for inv, q in zip(invoices, quotes, strict=True) for line in _lines(inv, q)]
    )
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(Invoice)
    actor = by if getattr(by, "pk", None) else None
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                content_type=ct,
                object_id=str(inv.pk),
                action="issued",
                actor=actor,
                to_status=inv.status,
                note=str(inv.total_yen),
            )
            for inv in invoices
        ]
    )
    if notify:
        _after_issue([inv.pk for inv in invoices])
    return len(invoices)


# --- amounts due ------------------------------------------------------------------------------------------


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


# --- credit notes (F13) -----------------------------------------------------------------------------------


@transaction.atomic
def issue_credit_note(
    invoice: Invoice, *, amount_yen: int, reason: str, by, issue_date: dt.date | None = None
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
    audit(inv, "credit_note", actor=by, note=f"{note.number} {amount_yen}")
    if amount_yen == due:
        if paid_yen(inv):
            _mark_paid(
                inv, on=inv.allocations.order_by("-payment__received_on").first().payment.received_on, by=by
            )
        else:
            move(inv, Invoice.Status.CREDITED, transitions=Invoice.TRANSITIONS, actor=by, note=note.number)
            inv.save(update_fields=["status"])
    from fees import tasks

    enqueue(tasks.render_document, "credit_note", note.pk)
    return note


# --- payments ---------------------------------------------------------------------------------------------


def _mark_paid(inv: Invoice, *, on: dt.date, by) -> None:
    move(inv, Invoice.Status.PAID, transitions=Invoice.TRANSITIONS, actor=by)
    inv.paid_on = on
    inv.save(update_fields=["status", "paid_on"])
    membership = inv.membership
    if membership.status == Membership.Status.AWAITING_PAYMENT:
        # R9: the first full payment makes the membership ACTIVE; the roster lists it from that day.
        member_services.activate_membership(membership, on=on, by=by)
    _mail_billing(
        inv, "fees_payment_received", kind="fees_payment_received", dedupe=f"fees-paid:{inv.number}"
    )


def _mail_billing(inv: Invoice, template: str, *, kind: str, dedupe: str, extra: dict | None = None) -> None:
    """E-mail about money goes to the billing contact only (F10); without one, to the payer's managers."""
    est = inv.membership.establishment
    contact = billing_contact_for(est)
    if contact:
        emails = [contact.email]
    else:
        org_id = inv.payer_id or est.organisation_id
        emails = list(_manager_emails([org_id]).get(org_id, ()))
    for email in emails:
        queue_mail(
            to=email,
            template=template,
            context={"invoice": inv, "establishment": est, **(extra or {})},
            kind=kind,
            dedupe_key=f"{dedupe}:{email}",
        )


@transaction.atomic
def record_payment(
    invoices,
    *,
    amount_yen: int,
    received_on: dt.date,
    method: str = Payment.Method.TRANSFER,
    payer_name: str = "",
    reference: str = "",
    by=None,
    statement_line: BankStatementLine | None = None,
) -> Payment:
    """Record money received and settle the given open invoices (oldest due first). One transfer may settle
    several invoices of one company. A fully paid invoice becomes PAID and its membership ACTIVE (R9).
    More than is due is refused: the system never creates a refund (F13)."""
    ids = sorted({i.pk if hasattr(i, "pk") else int(i) for i in invoices})
    if not ids:
        raise DomainError(_("消込する請求書を選択してください。"), code="no_invoice")
    locked = list(
        Invoice.objects.select_for_update()
        .filter(pk__in=ids)
        .select_related("membership__establishment")
        .order_by("due_date", "number")
    )
    if len(locked) != len(ids):
        raise DomainError(_("請求書が見つかりません。"), code="missing")
    if any(inv.status not in Invoice.OPEN_STATUSES for inv in locked):
        raise DomainError(_("入金済み・取消済みの請求書が含まれています。"), code="not_open")
    companies = {inv.payer_id or inv.membership.establishment.organisation_id for inv in locked}
    if len(companies) > 1:
        raise DomainError(_("一度の入金で消込できるのは同じ会社の請求書だけです。"), code="several_companies")
    if amount_yen <= 0:
        raise DomainError(_("入金額は 1 円以上で入力してください。"), code="bad_amount")
    due = outstanding_map(ids)
    if amount_yen > sum(due.values()):
        raise DomainError(
            _(
                "入金額 %(a)s 円が請求残高 %(d)s 円を超えています（返金は行いません）。差額は個別に確認してください。"
            )
            % {"a": f"{amount_yen:,}", "d": f"{sum(due.values()):,}"},
            code="overpaid",
        )
    payment = Payment(
        method=method,
        received_on=received_on,
        amount_yen=amount_yen,
        payer_name=payer_name[:200],
        reference=reference[:200],
        recorded_by=by if getattr(by, "pk", None) else None,
    )
    payment.full_clean()
    payment.save()
    left = amount_yen
    for inv in locked:
        part = min(left, due[inv.pk])
        if part <= 0:
            continue
        PaymentAllocation.objects.create(payment=payment, invoice=inv, amount_yen=part)
        left -= part
        audit(inv, "payment", actor=by, note=f"{part} ({payment.get_method_display()} {received_on})")
        if part == due[inv.pk]:
            _mark_paid(inv, on=received_on, by=by)
    if statement_line is not None:
        statement_line.payment = payment
        statement_line.save(update_fields=["payment"])
    return payment


# --- bank statement import --------------------------------------------------------------------------------


def _dedupe_key(row: statements.StatementRow) -> str:
    raw = f"{row.booked_on}|{row.amount_yen}|{row.description_raw}|{row.balance_yen}|{row.direction}|{row.payer_name_raw}"
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def import_bank_statement(data: bytes, *, file_name: str, bank_format: str, by=None) -> BankStatementImport:
    """Import a statement CSV: every line or none (a malformed file is refused with its line number). Incoming
    lines are matched by exact amount AND normalised payer name; anything else waits for review, never guessed."""
    try:
        rows = statements.parse_statement(data, bank_format)
    except statements.StatementFormatError as exc:
        raise DomainError(
            _("%(line)d行目：%(msg)s ファイルは取り込んでいません。")
            % {"line": exc.line, "msg": exc.message},
            code="malformed",
        ) from exc
    stmt = BankStatementImport.objects.create(
        bank_format=bank_format,
        file_name=file_name[:200],
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=by if getattr(by, "pk", None) else None,
    )
    keys = [_dedupe_key(r) for r in rows]
    known = set(BankStatementLine.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))
    lines, seen = [], set()
    for row, key in zip(rows, keys, strict=True):
        if key in known or key in seen:
            continue
        seen.add(key)
        lines.append(
            BankStatementLine(
                statement=stmt,
                line_number=row.line_number,
                booked_on=row.booked_on,
                direction=row.direction,
                amount_yen=row.amount_yen,
                payer_name_raw=row.payer_name_raw[:200],
                description_raw=row.description_raw[:300],
                balance_yen=row.balance_yen,
                bank_reference=row.bank_reference[:100],
                payer_key=kana.payer_key(row.payer_name_raw or row.description_raw)[:200],
                dedupe_key=key,
                status=BankStatementLine.Status.UNMATCHED
                if row.direction == "in"
                else BankStatementLine.Status.IGNORED,
            )
        )
    BankStatementLine.objects.bulk_create(lines)
    matched = 0
    index = _open_transfer_index()
    for line in BankStatementLine.objects.filter(statement=stmt, direction="in").order_by(
        "booked_on", "line_number"
    ):
        if _auto_match(line, index, by=by):
            matched += 1
    stmt.counts = {
        "rows": len(rows),
        "new": len(lines),
        "duplicates": len(rows) - len(lines),
        "incoming": sum(1 for r in lines if r.direction == "in"),
        "matched": matched,
        "unmatched": sum(1 for r in lines if r.direction == "in") - matched,
    }
    stmt.save(update_fields=["counts"])
    audit(stmt, "imported", actor=by, note=str(stmt.counts))
    return stmt


def _invoice_keys(inv: Invoice) -> set[str]:
    keys = {kana.payer_key(inv.membership.establishment.organisation.name_kana)}
    if inv.payer_id:
        keys.add(kana.payer_key(inv.payer.name_kana))
    return {k for k in keys if k}


def _open_transfer_index() -> dict:
    """Open bank-transfer invoices by normalised company kana."""
    index = defaultdict(list)
    qs = Invoice.objects.filter(
        method=Invoice.Method.TRANSFER, status__in=Invoice.OPEN_STATUSES
    ).select_related("membership__establishment__organisation", "payer")
    for inv in qs:
        for key in _invoice_keys(inv):
            index[key].append(inv)
    return index


def _unique_subset(candidates: list[tuple[Invoice, int]], amount: int) -> list[Invoice] | None:
    """The one set of invoices whose outstanding amounts add up exactly to `amount`; None if none or several."""
    if len(candidates) > 12:
        return None
    found = []
    for r in range(1, len(candidates) + 1):
        for combo in itertools.combinations(candidates, r):
            if sum(due for _inv, due in combo) == amount:
                found.append([inv for inv, _due in combo])
                if len(found) > 1:
                    return None
    return found[0] if found else None


def _auto_match(line: BankStatementLine, index: dict, *, by) -> bool:
    key, _form, digits = kana.normalise_payer_name(line.payer_name_raw or line.description_raw)
    candidates = index.get(key, []) if key else []
    if digits:
        narrowed = [
            inv for inv in candidates if inv.member_number.lstrip("J").lstrip("0") == digits.lstrip("0")
        ]
        candidates = narrowed or candidates
    companies = {inv.payer_id or inv.membership.establishment.organisation_id for inv in candidates}
    if not candidates or len(companies) != 1:
        line.note = (
            _("名義が一致する未入金の請求がありません。")
            if not candidates
            else _("同じ名義の会社が複数あります。")
        )
        line.save(update_fields=["note"])
        return False
    due = outstanding_map([inv.pk for inv in candidates])
    pairs = [(inv, due[inv.pk]) for inv in candidates if due.get(inv.pk)]
    chosen = _unique_subset(pairs, line.amount_yen)
    if not chosen:
        line.note = _("名義は一致しますが、金額が一致する請求（の組合せ）が一つに決まりません。")
        line.save(update_fields=["note"])
        return False
    record_payment(
        chosen,
        amount_yen=line.amount_yen,
        received_on=line.booked_on,
        payer_name=line.payer_name_raw or line.description_raw,
        reference=_("入出金明細 %(id)s") % {"id": line.pk},
        by=by,
        statement_line=line,
    )
    line.status = BankStatementLine.Status.MATCHED
    line.note = ""
    line.save(update_fields=["status", "note"])
    audit(line, "status:MATCHED", actor=by, from_status="UNMATCHED", to_status="MATCHED")
    for inv in chosen:  # the index is reused for the next lines of the file
        for k in _invoice_keys(inv):
            if inv in index.get(k, []) and outstanding_yen(inv) == 0:
                index[k].remove(inv)
    return True


@transaction.atomic
def settle_statement_line(line: BankStatementLine, invoices, *, by, note: str = "") -> Payment:
    """Finance settles an unmatched incoming line against invoices it chose on the review screen."""
    ln = BankStatementLine.objects.select_for_update().get(pk=line.pk)
    if ln.direction != "in":
        raise DomainError(_("出金の明細は消込できません。"), code="not_incoming")
    move(ln, BankStatementLine.Status.MANUAL, transitions=BankStatementLine.TRANSITIONS, actor=by, note=note)
    payment = record_payment(
        invoices,
        amount_yen=ln.amount_yen,
        received_on=ln.booked_on,
        payer_name=ln.payer_name_raw or ln.description_raw,
        reference=_("入出金明細 %(id)s（手動）") % {"id": ln.pk},
        by=by,
        statement_line=ln,
    )
    ln.note = note[:300]
    ln.save(update_fields=["status", "note"])
    return payment


@transaction.atomic
def ignore_statement_line(line: BankStatementLine, *, by, note: str) -> BankStatementLine:
    """An incoming line that is not a member fee (e.g. something else paid into the account)."""
    ln = BankStatementLine.objects.select_for_update().get(pk=line.pk)
    if not note.strip():
        raise DomainError(_("対象外とする理由を入力してください。"), code="reason_required")
    move(ln, BankStatementLine.Status.IGNORED, transitions=BankStatementLine.TRANSITIONS, actor=by, note=note)
    ln.note = note.strip()[:300]
    ln.save(update_fields=["status", "note"])
    return ln


# --- direct-debit mandates (F7, F12) ----------------------------------------------------------------------

MANDATE_FIELDS = ["bank_code", "branch_code", "account_type", "account_number", "holder_kana"]


def bank_names(bank_code: str, branch_code: str) -> tuple[str, str] | None:
    """Half-width kana names of a bank and branch from zengin-code data; None if the codes do not exist."""
    from zengin_code import Bank

    bank = Bank.all.get(bank_code)
    if bank is None:
        return None
    branch = bank.branches.get(branch_code)
    if branch is None:
        return None

    def k(text):
        try:
            return kana.to_zengin_kana(text)[:15]
        except ValueError:
            return ""

    return k(bank.kana), k(branch.kana)


@transaction.atomic
def register_debit_mandate(
    establishment: Establishment, *, data: dict, payer: Organisation | None = None, by
) -> DebitMandate:
    """Register (or change) the account an establishment's fees are debited from. A change replaces the
    previous mandate; the next debit then carries 新規コード 2."""
    est = Establishment.objects.select_for_update().get(pk=establishment.pk)
    if payer is not None and not payer.is_support_organisation:
        raise DomainError(_("口座の名義人に指定できるのは登録支援機関だけです。"), code="payer_not_support")
    mandate = DebitMandate(
        establishment=est, payer=payer, registered_by=by if getattr(by, "pk", None) else None
    )
    for f in MANDATE_FIELDS:
        setattr(mandate, f, (data.get(f) or "").strip())
    try:
        mandate.holder_kana = kana.to_zengin_kana(mandate.holder_kana, allow_dot=True)
    except ValueError:
        pass  # full_clean reports the field
    names = bank_names(mandate.bank_code, mandate.branch_code)
    if names is None:
        raise DomainError(_("金融機関コード・支店コードの組合せが見つかりません。"), code="unknown_bank")
    mandate.bank_name_kana, mandate.branch_name_kana = names
    try:
        mandate.full_clean(exclude=["establishment"])
    except ValidationError as exc:
        raise DomainError("; ".join(exc.messages), code="invalid") from exc
    old = DebitMandate.objects.select_for_update().filter(establishment=est, status="ACTIVE").first()
    if old:
        same = (
            all(getattr(old, f) == getattr(mandate, f) for f in MANDATE_FIELDS)
            and old.payer_id == mandate.payer_id
        )
        if same:
            return old
        move(old, DebitMandate.Status.REPLACED, transitions=DebitMandate.TRANSITIONS, actor=by)
        old.save(update_fields=["status"])
        mandate.replaces = old
    mandate.save()
    audit(mandate, "registered", actor=by, to_status=mandate.status)
    return mandate


@transaction.atomic
def revoke_debit_mandate(mandate: DebitMandate, *, by) -> DebitMandate:
    md = DebitMandate.objects.select_for_update().get(pk=mandate.pk)
    move(md, DebitMandate.Status.REVOKED, transitions=DebitMandate.TRANSITIONS, actor=by)
    md.save(update_fields=["status"])
    return md


def active_mandate(establishment) -> DebitMandate | None:
    return DebitMandate.objects.filter(establishment=establishment, status="ACTIVE").first()


# --- debit runs (全銀 91) ---------------------------------------------------------------------------------


def customer_number(member_number: str) -> str:
    """顧客番号 N(20): the member number's digits (J0001001 → 1001)."""
    digits = "".join(c for c in member_number if c.isdigit())
    return str(int(digits or "0"))


def _originator() -> DebitOriginator:
    o = DebitOriginator.objects.first()
    if o is None:
        raise DomainError(
            _("口座振替の委託者情報が登録されていません（管理画面で登録してください）。"),
            code="no_originator",
        )
    return o


def _as_zengin_originator(o: DebitOriginator) -> zengin.Originator:
    return zengin.Originator(
        code=o.originator_code,
        name_kana=o.name_kana,
        bank_code=o.bank_code,
        bank_name_kana=o.bank_name_kana,
        branch_code=o.branch_code,
        branch_name_kana=o.branch_name_kana,
        account_type=o.account_type,
        account_number=o.account_number,
    )


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


@transaction.atomic
def export_debit_requests(collection_date: dt.date, *, by=None) -> DebitRun:
    """Build the 全銀 口座振替依頼データ for a collection date from due direct-debit invoices with an active
    mandate; store it and return the run. Invoices without a mandate are left out (listed for finance)."""
    originator = _originator()
    invoices = list(debit_due_invoices(collection_date).select_for_update(of=("self",)))
    mandates = {
        md.establishment_id: md
        for md in DebitMandate.objects.filter(
            establishment_id__in=[i.membership.establishment_id for i in invoices], status="ACTIVE"
        )
    }
    due = outstanding_map([i.pk for i in invoices])
    run = DebitRun.objects.create(
        collection_date=collection_date, created_by=by if getattr(by, "pk", None) else None
    )
    items, records, seen = [], [], set()
    for inv in invoices:
        md = mandates.get(inv.membership.establishment_id)
        cust = customer_number(inv.member_number)
        if md is None or cust in seen or not due.get(inv.pk):
            continue  # one debit per member and run; the older invoice goes first
        seen.add(cust)
        new_code = "0" if md.first_debit_done else ("2" if md.replaces_id else "1")
        items.append(
            DebitItem(
                run=run,
                invoice=inv,
                mandate=md,
                customer_number=cust,
                amount_yen=due[inv.pk],
                new_code=new_code,
            )
        )
        records.append(
            zengin.DebitRecord(
                bank_code=md.bank_code,
                bank_name_kana=md.bank_name_kana,
                branch_code=md.branch_code,
                branch_name_kana=md.branch_name_kana,
                account_type=md.account_type,
                account_number=md.account_number,
                holder_kana=md.holder_kana,
                amount_yen=due[inv.pk],
                new_code=new_code,
                customer_number=cust,
            )
        )
    if not items:
        raise DomainError(
            _("この振替日に引き落とす請求（口座登録済み）がありません。"), code="nothing_to_debit"
        )
    DebitItem.objects.bulk_create(items)
    data = zengin.build_file(
        _as_zengin_originator(originator), collection_date, records, crlf=originator.crlf
    )
    run.total_count = len(items)
    run.total_yen = sum(i.amount_yen for i in items)
    run.request_file.save(f"request-{collection_date:%Y%m%d}-{run.pk}.txt", ContentFile(data), save=False)
    run.save(update_fields=["total_count", "total_yen", "request_file"])
    audit(run, "exported", actor=by, note=f"{run.total_count} {run.total_yen}")
    return run


@transaction.atomic
def import_debit_results(run: DebitRun, data: bytes, *, by=None) -> dict:
    """Read the bank's result file for a run: collected → paid; any other code → DEBIT_FAILED, shown to finance
    and to the member. Records are matched by 顧客番号 and checked against account and amount. All or nothing."""
    r = DebitRun.objects.select_for_update().get(pk=run.pk)
    if r.status != DebitRun.Status.EXPORTED:
        raise DomainError(_("この口座振替データの結果は既に取り込まれています。"), code="already_imported")
    try:
        parsed = zengin.parse_file(data)
        zengin.check_result_totals(parsed)
    except zengin.ZenginFormatError as exc:
        raise DomainError(
            _("%(line)d行目：%(msg)s ファイルは取り込んでいません。")
            % {"line": exc.line, "msg": exc.message},
            code="malformed",
        ) from exc
    if parsed.collection_mmdd != r.collection_date.strftime("%m%d"):
        raise DomainError(
            _("1行目：振替日が依頼データと一致しません。ファイルは取り込んでいません。"), code="wrong_run"
        )
    items = {
        i.customer_number: i
        for i in r.items.select_related("invoice", "mandate").select_for_update(of=("self",))
    }
    results = []
    for rec, line in zip(parsed.records, parsed.record_lines, strict=True):
        item = items.get(str(int(rec.customer_number)))
        if item is None:
            raise DomainError(
                _("%(line)d行目：顧客番号 %(c)s はこの依頼データにありません。ファイルは取り込んでいません。")
                % {"line": line, "c": rec.customer_number},
                code="unknown_customer",
            )
        md = item.mandate
        if (rec.bank_code, rec.branch_code, rec.account_number, rec.amount_yen) != (
            md.bank_code,
            md.branch_code,
            md.account_number,
            item.amount_yen,
        ):
            raise DomainError(
                _("%(line)d行目：口座または金額が依頼データと一致しません。ファイルは取り込んでいません。")
                % {"line": line},
                code="mismatch",
            )
        results.append((item, rec.result_code))
    counts = {"collected": 0, "failed": 0, "no_result": len(items) - len(results)}
    for item, code in results:
        item.result_code = code
        item.save(update_fields=["result_code"])
        inv = Invoice.objects.select_for_update().get(pk=item.invoice_id)
        if code == "0":
            counts["collected"] += 1
            record_payment(
                [inv],
                amount_yen=item.amount_yen,
                received_on=r.collection_date,
                method=Payment.Method.DEBIT,
                payer_name=item.mandate.holder_kana,
                reference=_("口座振替 %(d)s") % {"d": r.collection_date},
                by=by,
            )
            if not item.mandate.first_debit_done:
                DebitMandate.objects.filter(pk=item.mandate_id).update(first_debit_done=True)
        else:
            counts["failed"] += 1
            if inv.status != Invoice.Status.DEBIT_FAILED:
                move(
                    inv,
                    Invoice.Status.DEBIT_FAILED,
                    transitions=Invoice.TRANSITIONS,
                    actor=by,
                    note=item.get_result_code_display(),
                )
                inv.save(update_fields=["status"])
            else:
                audit(inv, "debit_failed_again", actor=by, note=item.get_result_code_display())
            _mail_billing(
                inv,
                "fees_debit_failed",
                kind="fees_debit_failed",
                dedupe=f"fees-debit-failed:{r.pk}:{inv.number}",
                extra={"reason": item.get_result_code_display(), "collection_date": r.collection_date},
            )
    move(r, DebitRun.Status.RESULT_IMPORTED, transitions=DebitRun.TRANSITIONS, actor=by, note=str(counts))
    r.result_imported_at = timezone.now()
    r.result_file.save(f"result-{r.collection_date:%Y%m%d}-{r.pk}.txt", ContentFile(data), save=False)
    r.save(update_fields=["status", "result_imported_at", "result_file"])
    return counts


def failed_debits(establishment=None):
    """Invoices whose debit failed: for finance (all) and for a member's establishment."""
    qs = Invoice.objects.filter(status=Invoice.Status.DEBIT_FAILED)
    if establishment is not None:
        qs = qs.filter(membership__establishment=establishment)
    return qs


# --- receipts (F11) ---------------------------------------------------------------------------------------


@transaction.atomic
def request_receipt(invoice: Invoice, *, by) -> Receipt:
    """The member asks for a receipt (領収書) once the invoice is paid. Asking again returns the same one."""
    inv = Invoice.objects.select_for_update().get(pk=invoice.pk)
    existing = Receipt.objects.filter(invoice=inv).first()
    if existing:
        return existing
    if inv.status != Invoice.Status.PAID:
        raise DomainError(_("領収書は入金の確認後に発行できます。"), code="not_paid")
    issue_date = today()
    fy = fiscal_year_of(issue_date)
    receipt = Receipt(
        number=f"R{fy}-{next_value(f'receipt-{fy}'):06d}",
        invoice=inv,
        issue_date=issue_date,
        amount_yen=paid_yen(inv),
        addressee=inv.buyer_name,
        paid_on=inv.paid_on,
        requested_by=by if getattr(by, "pk", None) else None,
    )
    receipt.full_clean()
    receipt.save(force_insert=True)
    audit(inv, "receipt", actor=by, note=receipt.number)
    from fees import tasks

    enqueue(tasks.render_document, "receipt", receipt.pk)
    return receipt


# --- PDFs -------------------------------------------------------------------------------------------------


@dataclass
class _Doc:
    template: str
    field: str
    name: str
    context: dict = field(default_factory=dict)


def _document(kind: str, pk: int):
    from fees.models import DebitOriginator as _O

    transfer_text = (_O.objects.values_list("transfer_bank_text", flat=True).first() or "").strip()
    if kind in ("invoice", "notice"):
        obj = Invoice.objects.select_related("membership__establishment__organisation").get(pk=pk)
        ctx = {"invoice": obj, "lines": list(obj.lines.all()), "transfer_text": transfer_text}
        if kind == "invoice":
            return obj, _Doc("fees/pdf/invoice.html", "pdf", f"invoice-{obj.number}.pdf", ctx)
        return obj, _Doc("fees/pdf/notice.html", "notice_pdf", f"notice-{obj.number}.pdf", ctx)
    if kind == "credit_note":
        obj = CreditNote.objects.select_related("invoice").get(pk=pk)
        return obj, _Doc(
            "fees/pdf/credit_note.html",
            "pdf",
            f"credit-{obj.number}.pdf",
            {"note": obj, "invoice": obj.invoice},
        )
    if kind == "receipt":
        obj = Receipt.objects.select_related("invoice").get(pk=pk)
        return obj, _Doc(
            "fees/pdf/receipt.html",
            "pdf",
            f"receipt-{obj.number}.pdf",
            {"receipt": obj, "invoice": obj.invoice},
        )
    raise ValueError(kind)


def issuer() -> dict:
    from django.conf import settings

    return getattr(
        settings,
        "JAIM_ISSUER",
        {"name": "一般社団法人工業製品製造技能人材機構（JAIM）", "lines": ["事務局 会費担当"]},
    )


def render_document_bytes(kind: str, pk: int) -> bytes:
    from fees.pdf import render_pdf

    _obj, doc = _document(kind, pk)
    return render_pdf(doc.template, {**doc.context, "issuer": issuer()})


def store_document_pdf(kind: str, pk: int, *, force: bool = False) -> str:
    """Render a document's PDF and store it (default_storage). Idempotent: an already stored PDF is kept unless
    force; a re-render is written first and swapped in, so a failed render never loses the good file."""
    obj, doc = _document(kind, pk)
    current = getattr(obj, doc.field)
    if current and not force and current.storage.exists(current.name):
        return current.name
    from fees.pdf import render_pdf

    data = render_pdf(doc.template, {**doc.context, "issuer": issuer()})
    old_name = current.name if current else ""
    fieldfile = getattr(obj, doc.field)
    fieldfile.save(doc.name, ContentFile(data), save=False)
    type(obj).objects.filter(pk=obj.pk).update(**{doc.field: fieldfile.name})
    if old_name and old_name != fieldfile.name:
        fieldfile.storage.delete(old_name)
    return fieldfile.name


# --- e-mail -----------------------------------------------------------------------------------------------


def send_invoice_mails(invoice_ids) -> int:
    """One e-mail per issued invoice to its billing contact (F10); safe to run twice (outbox dedupe)."""
    sent = 0
    for inv in Invoice.objects.filter(pk__in=list(invoice_ids)).select_related(
        "membership__establishment__organisation"
    ):
        with transaction.atomic():
            _mail_billing(
                inv, "fees_invoice_issued", kind="fees_invoice_issued", dedupe=f"fees-invoice:{inv.number}"
            )
        sent += 1
    return sent
