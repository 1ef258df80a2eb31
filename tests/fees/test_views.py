"""My Page: invoices panel, PDF downloads, receipts (F11), billing contact (F10), debit mandate (F7). Access: 404."""

import datetime as dt

import pytest
from django.urls import reverse

from fees import services
from fees.models import BillingContact, DebitMandate, Invoice, Receipt
from members.models import Access, SupportGrant
from tests.factories import (
    EstablishmentFactory,
    OrganisationFactory,
    UserFactory,
    head_office,
    membership_for,
)
from tests.fees.factories import FeeScheduleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_invoice(db, django_capture_on_commit_callbacks):
    FeeScheduleFactory(fiscal_year=2026)
    user, org = head_office()
    est = EstablishmentFactory(organisation=org)
    m = membership_for(est, fee_notice_date=dt.date(2026, 6, 10))
    # execute: the PDF task has run (until it has, the page shows 作成中 instead of the links — portal quality)
    with django_capture_on_commit_callbacks(execute=True):
        inv = services.bill_new_membership(
            m, notice_date=dt.date(2026, 6, 10), application_date=dt.date(2026, 5, 1)
        )
    return user, est, inv


def _page(client, est):
    return client.get(reverse("members:establishment_detail", args=[est.pk]))


def test_establishment_page_lists_invoices_with_status_and_documents(
    client, owner_invoice, django_assert_max_num_queries
):
    user, est, inv = owner_invoice
    client.force_login(user)
    with django_assert_max_num_queries(30):
        html = _page(client, est).content.decode()
    assert "会費・請求" in html and inv.number in html and "未入金" in html
    assert reverse("fees:invoice_document", args=[inv.pk, "invoice"]) in html
    assert reverse("fees:invoice_document", args=[inv.pk, "notice"]) in html
    assert "領収書を発行する" not in html  # only once paid (F11)
    assert "サンプル" in html


def test_invoice_pdf_is_an_attachment_for_the_member(client, owner_invoice):
    user, est, inv = owner_invoice
    client.force_login(user)
    for kind in ("invoice", "notice"):
        r = client.get(reverse("fees:invoice_document", args=[inv.pk, kind]))
        assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
        assert r["Content-Disposition"].startswith("attachment")
        assert b"".join(r.streaming_content).startswith(b"%PDF")


def test_another_organisations_invoices_and_pdfs_are_404(client, owner_invoice):
    _user, est, inv = owner_invoice
    services.issue_credit_note(inv, amount_yen=1000, reason="x", by=None)
    client.force_login(UserFactory())
    for url in (
        reverse("fees:invoice_document", args=[inv.pk, "invoice"]),
        reverse("fees:invoice_document", args=[inv.pk, "notice"]),
        reverse("fees:invoice_document", args=[inv.pk, "receipt"]),
        reverse("fees:credit_note_pdf", args=[inv.credit_notes.get().pk]),
        reverse("fees:billing_contact", args=[est.pk]),
        reverse("fees:debit_mandate", args=[est.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("fees:receipt_request", args=[inv.pk])).status_code == 404
    assert not Receipt.objects.exists()


def test_site_staff_of_a_sibling_establishment_cannot_see_this_sites_invoices(client, owner_invoice):
    _user, est, inv = owner_invoice
    sibling = EstablishmentFactory(organisation=est.organisation)
    site_user = UserFactory()
    Access.objects.create(user=site_user, establishment=sibling)
    client.force_login(site_user)
    assert client.get(reverse("fees:invoice_document", args=[inv.pk, "invoice"])).status_code == 404


def test_support_organisation_acting_for_the_client_sees_its_invoices(client, owner_invoice):
    owner, est, inv = owner_invoice
    helper, support = head_office(is_support_organisation=True)
    SupportGrant.objects.create(establishment=est, support_organisation=support, granted_by=owner)
    client.force_login(helper)
    assert client.get(reverse("fees:invoice_document", args=[inv.pk, "invoice"])).status_code == 200


def test_member_issues_its_own_receipt_once_paid_f11(client, owner_invoice):
    user, est, inv = owner_invoice
    client.force_login(user)
    r = client.post(reverse("fees:receipt_request", args=[inv.pk]), follow=True)
    assert "入金の確認後" in r.content.decode() and not Receipt.objects.exists()
    services.record_payment([inv], amount_yen=inv.total_yen, received_on=dt.date(2026, 7, 1))
    assert "領収書を発行する" in _page(client, est).content.decode()
    r = client.post(reverse("fees:receipt_request", args=[inv.pk]), follow=True)
    assert "領収書を発行しました" in r.content.decode()
    assert Receipt.objects.get().invoice == inv
    r = client.get(reverse("fees:invoice_document", args=[inv.pk, "receipt"]))
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")


def test_failed_debit_is_shown_to_the_member(client, owner_invoice):
    user, est, _inv = owner_invoice
    m = membership_for(
        EstablishmentFactory(organisation=est.organisation), fee_notice_date=dt.date(2026, 6, 1)
    )
    FeeScheduleFactory(fiscal_year=2027)
    from members import services as member_services

    member_services.activate_membership(m, on=dt.date(2026, 6, 20))
    services.issue_renewal_invoices(2027, memberships=[m.pk])
    inv = Invoice.objects.get(membership=m, fiscal_year=2027)
    Invoice.objects.filter(pk=inv.pk).update(status="DEBIT_FAILED")
    client.force_login(user)
    html = _page(client, m.establishment).content.decode()
    assert "口座振替不能" in html and "口座振替" in html and "できませんでした" in html


BILLING = {
    "addressee": "株式会社テスト 本社",
    "department": "経理部",
    "person_name": "請求 花子",
    "email": "keiri@example.jp",
    "postal_code": "100-0001",
    "prefecture": "13",
    "city": "千代田区",
    "address_line": "千代田1-1",
    "phone": "03-1234-5678",
}


def test_billing_contact_form_validates_next_to_the_field_and_saves(client, owner_invoice):
    user, est, _inv = owner_invoice
    client.force_login(user)
    url = reverse("fees:billing_contact", args=[est.pk])
    r = client.get(url)
    assert (
        r.status_code == 200 and est.organisation.name in r.content.decode()
    )  # prefilled from the organisation
    r = client.post(url, {**BILLING, "email": "not-an-address", "postal_code": "12"})
    html = r.content.decode()
    assert r.status_code == 200 and 'id="id_email_error"' in html and 'id="id_postal_code_error"' in html
    assert not BillingContact.objects.exists()
    r = client.post(url, BILLING)
    assert r.status_code == 302
    contact = BillingContact.objects.get()
    assert contact.establishment == est and contact.postal_code == "1000001" and contact.phone == "0312345678"
    r = client.post(url, {**BILLING, "for_organisation": "on"})
    assert BillingContact.objects.filter(organisation=est.organisation).exists()


def test_a_site_manager_sets_the_sites_billing_contact_but_not_the_organisations(client, owner_invoice):
    """Site managers may set their own site's contact (decisions.md, "Who may withdraw…"), never the company's."""
    _user, est, _inv = owner_invoice
    site_user = UserFactory()
    Access.objects.create(user=site_user, establishment=est, can_manage=True)
    client.force_login(site_user)
    url = reverse("fees:billing_contact", args=[est.pk])
    assert "for_organisation" not in client.get(url).content.decode()
    client.post(url, {**BILLING, "for_organisation": "on"})
    assert not BillingContact.objects.filter(organisation__isnull=False).exists()
    assert BillingContact.objects.filter(establishment=est).exists()


def test_debit_mandate_form_shows_errors_and_registers_a_valid_account(client, owner_invoice):
    user, est, _inv = owner_invoice
    client.force_login(user)
    url = reverse("fees:debit_mandate", args=[est.pk])
    r = client.post(
        url,
        {
            "bank_code": "12",
            "branch_code": "abc",
            "account_type": "1",
            "account_number": "1234567890",
            "holder_kana": "山田",
        },
    )
    html = r.content.decode()
    for f in ("bank_code", "branch_code", "account_number", "holder_kana"):
        assert f'id="id_{f}_error"' in html
    assert not DebitMandate.objects.exists()
    r = client.post(
        url,
        {
            "bank_code": "9998",
            "branch_code": "001",
            "account_type": "1",
            "account_number": "1234567",
            "holder_kana": "ｶ)ﾃｽﾄ",
        },
    )
    assert "見つかりません" in r.content.decode() and not DebitMandate.objects.exists()
    r = client.post(
        url,
        {
            "bank_code": "０００１",
            "branch_code": "210",
            "account_type": "2",
            "account_number": "12345",
            "holder_kana": "カ）テスト",
        },
    )
    assert r.status_code == 302
    md = DebitMandate.objects.get()
    assert (md.bank_code, md.account_number, md.holder_kana, md.bank_name_kana) == (
        "0001",
        "0012345",
        "ｶ)ﾃｽﾄ",
        "ﾐｽﾞﾎ",
    )
    assert "***2345" in _page(client, est).content.decode()


def test_mandate_may_be_paid_from_the_support_organisations_account_f12(client, owner_invoice):
    user, est, _inv = owner_invoice
    support = OrganisationFactory(is_support_organisation=True, name="協同組合ミライ")
    SupportGrant.objects.create(establishment=est, support_organisation=support, granted_by=user)
    client.force_login(user)
    url = reverse("fees:debit_mandate", args=[est.pk])
    assert "協同組合ミライ" in client.get(url).content.decode()
    data = {
        "bank_code": "0001",
        "branch_code": "210",
        "account_type": "1",
        "account_number": "1234567",
        "holder_kana": "ｷﾖｳｸﾐ)ﾐﾗｲ",
    }
    r = client.post(url, {**data, "paid_by_support": "on", "support_organisation": str(support.pk)})
    assert r.status_code == 302 and DebitMandate.objects.get().payer == support
