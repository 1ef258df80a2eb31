"""Documents: receipts (F11) and the PDFs of invoices, fee notices, credit notes and receipts."""

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from fees.models import CreditNote, Invoice, Receipt
from fees.selectors import paid_yen
from jaim.dates import fiscal_year_of, today
from jaim.errors import DomainError
from jaim.issuer import issuer_at
from jaim.queue import enqueue
from jaim.sequences import next_value
from jaim.states import audit

if TYPE_CHECKING:
    from members.models import User


@transaction.atomic
def request_receipt(invoice: Invoice, *, by: "User | None") -> Receipt:
    """The member asks for a receipt (領収書) once the invoice is paid. Asking again returns the same one."""
    inv = Invoice.objects.select_for_update().get(pk=invoice.pk)
    existing = Receipt.objects.filter(invoice=inv).first()
    if existing:
        return existing
    if inv.status != Invoice.Status.PAID:
        raise DomainError(_("領収書は入金の確認後に発行できます。"), code="not_paid")
    assert inv.paid_on is not None  # a paid invoice has its payment day
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
    enqueue("fees.tasks.render_document", "receipt", receipt.pk)
    return receipt


@dataclass
class _Doc:
    template: str
    field: str
    name: str
    context: dict = dataclasses.field(default_factory=dict)


def _document(kind: str, pk: int):
    from fees.models import DebitOriginator as _O

    transfer_text = (_O.objects.values_list("transfer_bank_text", flat=True).first() or "").strip()
    if kind in ("invoice", "notice"):
        inv = Invoice.objects.select_related("membership__establishment__organisation").get(pk=pk)
        ctx = {"invoice": inv, "lines": list(inv.lines.all()), "transfer_text": transfer_text}
        if kind == "invoice":
            return inv, _Doc("fees/pdf/invoice.html", "pdf", f"invoice-{inv.number}.pdf", ctx)
        return inv, _Doc("fees/pdf/notice.html", "notice_pdf", f"notice-{inv.number}.pdf", ctx)
    if kind == "credit_note":
        note = CreditNote.objects.select_related("invoice").get(pk=pk)
        return note, _Doc(
            "fees/pdf/credit_note.html",
            "pdf",
            f"credit-{note.number}.pdf",
            {"note": note, "invoice": note.invoice},
        )
    if kind == "receipt":
        receipt = Receipt.objects.select_related("invoice").get(pk=pk)
        return receipt, _Doc(
            "fees/pdf/receipt.html",
            "pdf",
            f"receipt-{receipt.number}.pdf",
            {"receipt": receipt, "invoice": receipt.invoice},
        )
    raise ValueError(kind)


def _render(obj, doc: _Doc) -> bytes:
    """The document's PDF: an archival PDF/A-3b with the issuer as it was when the document was made."""
    from fees.pdf import render_pdf
    from jaim.uploads import sniff

    issuer = issuer_at(obj.created_at)
    assets = {}
    if issuer["seal"]:
        mime = sniff(issuer["seal"][:16])
        if mime in ("image/png", "image/jpeg"):
            assets["seal"] = (issuer["seal"], mime)
    return render_pdf(
        doc.template,
        {**doc.context, "issuer": issuer, "has_seal": "seal" in assets},
        assets=assets,
        archival=True,
    )


def render_document_bytes(kind: str, pk: int) -> bytes:
    obj, doc = _document(kind, pk)
    return _render(obj, doc)


def store_document_pdf(kind: str, pk: int, *, force: bool = False) -> str:
    """Render a document's PDF and store it (default_storage). Idempotent: an already stored PDF is kept unless
    force; a re-render is written first and swapped in, so a failed render never loses the good file."""
    obj, doc = _document(kind, pk)
    current = getattr(obj, doc.field)
    if current and not force and current.storage.exists(current.name):
        return current.name
    data = _render(obj, doc)
    old_name = current.name if current else ""
    fieldfile = getattr(obj, doc.field)
    fieldfile.save(doc.name, ContentFile(data), save=False)
    type(obj).objects.filter(pk=obj.pk).update(**{doc.field: fieldfile.name})
    if old_name and old_name != fieldfile.name:
        fieldfile.storage.delete(old_name)
    return fieldfile.name
