"""Finance staff's admin screens: every fees page opens; issued invoices are read-only; actions go through services."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fees import services
from fees.models import BankStatementImport, BankStatementLine, CreditNote, DebitRun, FeeSchedule, Invoice
from tests.factories import EstablishmentFactory, OrganisationFactory, membership_for
from tests.fees.factories import FeeScheduleFactory, originator
from tests.security.helpers import staff_user, verified_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(client):
    user = staff_user(group="finance")
    verified_login(client, user)
    return user


@pytest.fixture
def invoice(db):
    FeeScheduleFactory(fiscal_year=2026)
    org = OrganisationFactory(name="株式会社ヤマダ製作所", name_kana="ヤマダセイサクショ")
    m = membership_for(EstablishmentFactory(organisation=org), fee_notice_date=dt.date(2026, 6, 10))
    return services.bill_new_membership(
        m, notice_date=dt.date(2026, 6, 10), application_date=dt.date(2026, 5, 1)
    )


def test_every_fees_admin_page_opens_for_finance(client, finance, invoice):
    originator()
    services.import_bank_statement(
        "booked_on,direction,amount_yen,payer_name_raw,description_raw\n2026-07-01,in,5,ｽｽﾞｷ,\n".encode(),
        file_name="x.csv",
        bank_format="canonical",
    )
    line = BankStatementLine.objects.get()
    urls = [
        reverse(f"admin:fees_{name}_changelist")
        for name in (
            "feeschedule",
            "invoice",
            "creditnote",
            "payment",
            "receipt",
            "bankstatementimport",
            "bankstatementline",
            "debitmandate",
            "debitrun",
            "debitoriginator",
            "billingcontact",
        )
    ] + [
        reverse("admin:fees_feeschedule_add"),
        reverse("admin:fees_invoice_change", args=[invoice.pk]),
        reverse("admin:fees_invoice_payment", args=[invoice.pk]),
        reverse("admin:fees_invoice_credit", args=[invoice.pk]),
        reverse("admin:fees_statement_upload"),
        reverse("admin:fees_statementline_review", args=[line.pk]),
        reverse("admin:fees_debitrun_export"),
    ]
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, url
    html = client.get(reverse("admin:fees_feeschedule_add")).content.decode()
    assert 'name="first_year_rates-0-numerator" value="12"' in html  # April: the whole year by default


def test_issued_invoice_has_no_save_or_delete_in_the_admin(client, finance, invoice):
    html = client.get(reverse("admin:fees_invoice_change", args=[invoice.pk])).content.decode()
    assert 'name="_save"' not in html and "deletelink" not in html
    assert (
        client.post(reverse("admin:fees_invoice_delete", args=[invoice.pk]), {"post": "yes"}).status_code
        == 403
    )
    r = client.post(reverse("admin:fees_invoice_change", args=[invoice.pk]), {"total_yen": "1"})
    assert r.status_code == 403
    invoice.refresh_from_db()
    assert invoice.total_yen != 1


def test_finance_records_a_payment_and_issues_a_credit_note_in_the_admin(client, finance, invoice):
    r = client.post(
        reverse("admin:fees_invoice_credit", args=[invoice.pk]), {"amount_yen": "5000", "reason": "割引漏れ"}
    )
    assert r.status_code == 302 and CreditNote.objects.get().amount_yen == 5000
    due = invoice.total_yen - 5000
    r = client.post(
        reverse("admin:fees_invoice_payment", args=[invoice.pk]),
        {"received_on": "2026-07-01", "amount_yen": str(due + 1), "payer_name": "ｶ)ﾔﾏﾀﾞ"},
    )
    assert r.status_code == 200 and "超えています" in r.content.decode()  # shown, nothing recorded
    client.post(
        reverse("admin:fees_invoice_payment", args=[invoice.pk]),
        {"received_on": "2026-07-01", "amount_yen": str(due), "payer_name": "ｶ)ﾔﾏﾀﾞ"},
    )
    invoice.refresh_from_db()
    assert invoice.status == "PAID"


def test_statement_upload_in_the_admin_matches_and_reports_malformed_lines(client, finance, invoice):
    url = reverse("admin:fees_statement_upload")
    bad = SimpleUploadedFile(
        "bad.csv", b"booked_on,direction,amount_yen,payer_name_raw,description_raw\n2026-07-01,in,x,a,b\n"
    )
    r = client.post(url, {"bank_format": "canonical", "file": bad})
    assert "2行目" in r.content.decode() and not BankStatementLine.objects.exists()
    good = SimpleUploadedFile(
        "good.csv",
        f"booked_on,direction,amount_yen,payer_name_raw,description_raw\n2026-07-01,in,{invoice.total_yen},ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,\n".encode(),
    )
    r = client.post(url, {"bank_format": "canonical", "file": good})
    assert r.status_code == 302
    assert Invoice.objects.get(pk=invoice.pk).status == "PAID"


def test_statement_upload_with_a_cell_over_the_csv_limit_is_reported_and_nothing_is_imported(
    client, finance, invoice
):
    # A cell longer than csv.field_size_limit() (131,072 characters) made the csv module raise: a 500 before.
    header = "booked_on,direction,amount_yen,payer_name_raw,description_raw\n"
    good = f"2026-07-01,in,{invoice.total_yen},ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,\n"  # would match and settle the invoice
    huge = "2026-07-02,in,1000," + "ｱ" * 140_000 + ",\n"
    upload = SimpleUploadedFile("huge.csv", (header + good + huge).encode())
    r = client.post(reverse("admin:fees_statement_upload"), {"bank_format": "canonical", "file": upload})
    assert r.status_code == 200
    page = r.content.decode()
    assert "3行目：CSV として読み取れません（長すぎる項目があるか、形式が崩れています）。" in page
    assert "ファイルは取り込んでいません。" in page
    assert not BankStatementImport.objects.exists() and not BankStatementLine.objects.exists()
    assert Invoice.objects.get(pk=invoice.pk).status != "PAID"


def test_unmatched_line_is_settled_from_the_review_screen(client, finance, invoice):
    services.import_bank_statement(
        f"booked_on,direction,amount_yen,payer_name_raw,description_raw\n2026-07-01,in,{invoice.total_yen},ﾔﾏﾀﾞ ﾀﾛｳ,\n".encode(),
        file_name="x.csv",
        bank_format="canonical",
    )
    line = BankStatementLine.objects.get()
    url = reverse("admin:fees_statementline_review", args=[line.pk])
    assert invoice.number in client.get(url).content.decode()  # offered as a candidate (same amount)
    r = client.post(url, {"action": "settle", "s-invoices": invoice.number, "s-note": "代表者個人名義"})
    assert r.status_code == 302
    line.refresh_from_db()
    assert line.status == "MANUAL" and Invoice.objects.get(pk=invoice.pk).status == "PAID"


def test_debit_export_in_the_admin_downloads_a_zengin_file(client, finance):
    originator()
    FeeScheduleFactory(fiscal_year=2027, renewal_debit_date=dt.date(2027, 2, 26))
    m = membership_for(
        EstablishmentFactory(), fee_notice_date=dt.date(2026, 6, 1), active_on=dt.date(2026, 6, 2)
    )
    services.register_debit_mandate(
        m.establishment,
        data={
            "bank_code": "0001",
            "branch_code": "210",
            "account_type": "1",
            "account_number": "1234567",
            "holder_kana": "ｶ)ﾃｽﾄ",
        },
        by=None,
    )
    services.issue_renewal_invoices(2027)
    r = client.post(reverse("admin:fees_debitrun_export"), {"collection_date": "2027-02-26"})
    run = DebitRun.objects.get()
    assert r.status_code == 302
    r = client.get(reverse("admin:fees_debitrun_file", args=[run.pk, "request"]))
    data = b"".join(r.streaming_content)
    assert (
        len(data) == 4 * 122 and data.startswith(b"191") and r["Content-Disposition"].startswith("attachment")
    )
    assert FeeSchedule.objects.count() == 1


def test_invoice_list_years_and_fiscal_years_are_those_a_distinct_over_every_invoice_gives(
    client, finance, invoice
):
    """The date hierarchy's years and the fiscal-year choices come from index probes, not from a DISTINCT over every
    invoice (scale); they must offer the same years, filtered or not."""
    from fees.admin import InvoiceListQuerySet, distinct_values_by_index

    FeeScheduleFactory(fiscal_year=2028)
    later = membership_for(EstablishmentFactory(), fee_notice_date=dt.date(2028, 6, 10))
    services.issue_invoice(
        later,
        fiscal_year=2028,
        notice_date=dt.date(2028, 6, 10),
        application_date=dt.date(2028, 5, 1),
        issue_date=dt.date(2028, 6, 10),
    )
    everything = Invoice.objects.all()
    assert distinct_values_by_index(Invoice, "fiscal_year") == list(
        everything.order_by("fiscal_year").values_list("fiscal_year", flat=True).distinct()
    )
    assert len(distinct_values_by_index(Invoice, "fiscal_year")) == 2
    assert len(everything.dates("issue_date", "year")) == 2
    probed = InvoiceListQuerySet(Invoice)
    for filters in ({}, {"status": invoice.status}, {"fiscal_year": 2028}, {"status": "CREDITED"}):
        for order in ("ASC", "DESC"):
            expected = list(everything.filter(**filters).dates("issue_date", "year", order))
            assert list(probed.filter(**filters).dates("issue_date", "year", order)) == expected, (
                filters,
                order,
            )
    html = client.get(reverse("admin:fees_invoice_changelist")).content.decode()
    for year in (invoice.issue_date.year, Invoice.objects.get(membership=later).issue_date.year):
        assert f"issue_date__year={year}" in html
    assert "fiscal_year=2026" in html and "fiscal_year=2028" in html
