"""PDFs: pinned Japanese TrueType font, no URL fetched, user text escaped, rendered after commit, idempotent."""

import datetime as dt
import shutil
import subprocess

import pytest
from django.core.files.storage import default_storage
from weasyprint import HTML

from fees import services
from fees.models import Invoice
from fees.pdf import SafeFetcher, font_path, render_pdf
from jaim.issuer import issuer_at
from tests.canary import counting_server
from tests.factories import EstablishmentFactory, OrganisationFactory, membership_for
from tests.fees.factories import FeeScheduleFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("pdffonts"), reason="needs poppler-utils (pdffonts, pdftotext)"),
]


@pytest.fixture
def trap():
    """A local HTTP server that counts every request made to it."""
    with counting_server("image/png", b"") as server:
        yield server


def _text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def _fonts(pdf: bytes) -> list[list[str]]:
    out = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def _invoice(org=None):
    FeeScheduleFactory(fiscal_year=2026)
    m = membership_for(
        EstablishmentFactory(organisation=org or OrganisationFactory()), fee_notice_date=dt.date(2026, 6, 10)
    )
    return services.bill_new_membership(
        m, notice_date=dt.date(2026, 6, 10), application_date=dt.date(2026, 5, 1)
    )


def test_invoice_pdf_uses_only_the_pinned_japanese_truetype_font():
    inv = _invoice()
    fetcher = SafeFetcher()
    pdf = render_pdf(
        "fees/pdf/invoice.html",
        {"invoice": inv, "lines": list(inv.lines.all()), "issuer": issuer_at()},
        fetcher=fetcher,
    )
    fonts = _fonts(pdf)
    assert fonts, "no font in the PDF"
    for row in fonts:
        assert "JAIM-Gothic" in row[0]
        assert row[1:3] == ["CID", "TrueType"]  # never a CFF/OpenType collection
        assert row[-5:-2] == ["yes", "yes", "yes"]  # embedded, subset, unicode map
    assert "jaim-font:gothic" in fetcher.served and font_path().name == "ipaexg.ttf"
    text = _text(pdf).replace(" ", "")
    assert "請求書" in text and inv.number in text and "不課税" in text
    assert f"¥{inv.total_yen:,}" in text


def test_hostile_company_name_is_printed_as_text_and_fetches_nothing(trap):
    url, hits = trap
    org = OrganisationFactory(
        name=f'<img src="{url}/logo.png"><link rel=stylesheet href="{url}/x.css">悪意株式会社'
    )
    inv = _invoice(org)
    for kind in ("invoice", "notice"):
        name = services.store_document_pdf(kind, inv.pk)
        with default_storage.open(name, "rb") as f:
            text = _text(f.read())
        assert "<img src=" in text and "悪意株式会社" in text
    assert hits == []


def test_fetcher_refuses_every_url_but_the_projects_static_files(trap):
    url, hits = trap
    fetcher = SafeFetcher()
    html = f"""<html><head><link rel="stylesheet" href="jaim-static:fees/pdf.css">
    <style>@import url("{url}/import.css"); body {{ background: url("file:///etc/hostname"); }}</style></head>
    <body><img src="{url}/a.png"><img src="file:///etc/passwd"><img src="data:image/png;base64,iVBORw0KGgo=">
    <img src="jaim-static:../../jaim/settings/core.py"><img src="jaim-static:admin/img/icon-yes.svg">ようこそ</body></html>"""
    HTML(string=html, base_url="jaim-static:", url_fetcher=fetcher).write_pdf()
    assert hits == []
    assert fetcher.served == ["jaim-static:fees/pdf.css", "jaim-font:gothic"] or set(fetcher.served) == {
        "jaim-static:fees/pdf.css",
        "jaim-font:gothic",
    }
    refused = " ".join(fetcher.refused)
    for bad in (
        f"{url}/import.css",
        f"{url}/a.png",
        "file:///etc/passwd",
        "file:///etc/hostname",
        "settings/core.py",
        "admin/img",
    ):
        assert bad in refused


def test_pdfs_are_rendered_after_commit_and_stored(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        inv = _invoice()
    inv.refresh_from_db()
    assert inv.pdf.name.endswith(".pdf") and inv.notice_pdf.name.endswith(".pdf")
    assert default_storage.exists(inv.pdf.name) and default_storage.exists(inv.notice_pdf.name)
    with default_storage.open(inv.notice_pdf.name, "rb") as f:
        assert "会費請求通知書" in _text(f.read()).replace(" ", "")


def test_rendering_again_is_idempotent_and_a_forced_rerender_replaces_the_file():
    inv = _invoice()
    first = services.store_document_pdf("invoice", inv.pk)
    assert services.store_document_pdf("invoice", inv.pk) == first
    second = services.store_document_pdf("invoice", inv.pk, force=True)
    assert default_storage.exists(second) and (second == first or not default_storage.exists(first))
    assert Invoice.objects.get(pk=inv.pk).pdf.name == second
    files = default_storage.listdir("fees/invoices")[1]
    assert len(files) == 1


def test_receipt_and_credit_note_pdfs(django_capture_on_commit_callbacks):
    inv = _invoice()
    services.issue_credit_note(inv, amount_yen=10_000, reason="割引の適用漏れ", by=None)
    due = inv.total_yen - 10_000
    services.record_payment([inv], amount_yen=due, received_on=dt.date(2026, 7, 1))
    with django_capture_on_commit_callbacks(execute=True):
        receipt = services.request_receipt(inv, by=None)
    assert services.request_receipt(inv, by=None) == receipt  # asking again gives the same receipt
    receipt.refresh_from_db()
    with default_storage.open(receipt.pdf.name, "rb") as f:
        text = _text(f.read())
    assert "領収書" in text.replace(" ", "") and f"{due:,}" in text and receipt.number in text
    note = inv.credit_notes.get()
    text = _text(services.render_document_bytes("credit_note", note.pk))
    assert "請求取消書" in text.replace(" ", "") and inv.number in text and "割引の適用漏れ" in text


def test_no_receipt_before_payment_f11():
    from jaim.errors import DomainError

    with pytest.raises(DomainError, match="入金の確認後"):
        services.request_receipt(_invoice(), by=None)
