"""Recovery without waiting: a PDF whose render task never ran (queued while the broker was down, lost with its
worker) is made by the periodic sweep — invoices and fee notices, receipts (F11) and credit notes (F13) alike."""

import datetime as dt

import pytest
from django.core.files.storage import default_storage

from fees import services
from fees.models import CreditNote, Invoice, Receipt
from fees.tasks import render_missing_documents
from tests.factories import EstablishmentFactory, membership_for
from tests.fees.factories import FeeScheduleFactory

pytestmark = pytest.mark.django_db


def test_the_sweep_renders_every_document_whose_render_task_never_ran():
    # No on-commit callback runs in this test: every render task queued here is lost, as with the broker down.
    FeeScheduleFactory(fiscal_year=2026)
    m = membership_for(EstablishmentFactory(), fee_notice_date=dt.date(2026, 6, 10))
    inv = services.bill_new_membership(
        m, notice_date=dt.date(2026, 6, 10), application_date=dt.date(2026, 5, 1)
    )
    services.issue_credit_note(inv, amount_yen=10_000, reason="割引の適用漏れ", by=None)
    services.record_payment([inv], amount_yen=inv.total_yen - 10_000, received_on=dt.date(2026, 7, 1))
    receipt = services.request_receipt(inv, by=None)
    note = CreditNote.objects.get(invoice=inv)
    inv.refresh_from_db()
    assert not inv.pdf and not inv.notice_pdf and not receipt.pdf and not note.pdf

    assert render_missing_documents() == 4
    inv, receipt, note = (
        Invoice.objects.get(pk=inv.pk),
        Receipt.objects.get(pk=receipt.pk),
        CreditNote.objects.get(pk=note.pk),
    )
    for f in (inv.pdf, inv.notice_pdf, receipt.pdf, note.pdf):
        assert f and default_storage.exists(f.name)
        with default_storage.open(f.name, "rb") as fh:
            assert fh.read(5) == b"%PDF-"
    assert render_missing_documents() == 0  # nothing left: safe to run every 15 minutes
