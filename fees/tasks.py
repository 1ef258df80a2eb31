"""Thin Celery adapters: ids in, one service call. Queued only after commit (jaim.queue.enqueue)."""

import logging

from celery import shared_task

from fees import services
from fees.models import CreditNote, Invoice, Receipt

log = logging.getLogger(__name__)

RETRY = dict(
    bind=True, acks_late=True, max_retries=5, autoretry_for=(Exception,), retry_backoff=30, retry_jitter=True
)


@shared_task(**RETRY)
def render_document(self, kind: str, pk: int, force: bool = False):
    """Render and store one PDF (invoice, notice, credit_note, receipt). Safe to run twice."""
    return services.store_document_pdf(kind, pk, force=force)


@shared_task(**RETRY)
def render_invoice_documents(self, invoice_ids: list[int]):
    """Invoice and fee-notice PDFs for freshly issued invoices (one task per bulk chunk)."""
    for pk in invoice_ids:
        services.store_document_pdf("invoice", pk)
        services.store_document_pdf("notice", pk)
    return len(invoice_ids)


@shared_task(**RETRY)
def send_invoice_mails(self, invoice_ids: list[int]):
    return services.send_invoice_mails(invoice_ids)


@shared_task(acks_late=True)
def render_missing_documents(limit: int = 500):
    """Sweep: PDFs not rendered yet (queued while the broker was down, a render lost with its worker): invoices and
    fee notices, receipts, credit notes."""
    todo = [
        ("invoice", Invoice.objects.filter(pdf="")),
        ("notice", Invoice.objects.filter(notice_pdf="")),
        ("receipt", Receipt.objects.filter(pdf="")),
        ("credit_note", CreditNote.objects.filter(pdf="")),
    ]
    done = 0
    for kind, qs in todo:
        for pk in list(qs.order_by("pk").values_list("pk", flat=True)[:limit]):
            try:
                services.store_document_pdf(kind, pk)
                done += 1
            except Exception:  # noqa: BLE001 - logged; the next sweep retries
                log.exception("PDF %s %s failed", kind, pk)
    return done
