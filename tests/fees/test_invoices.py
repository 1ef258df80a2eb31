"""Invoices: issue on approval (first year, transfer), renewal in bulk (debit), numbering, immutability,
credit notes (F7, F9, F12, F13)."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from fees import selectors, services
from fees.models import CreditNote, DebitMandate, Invoice, InvoiceLine
from fees.services import invoices as invoice_services
from jaim.errors import DomainError
from jaim.models import AuditEvent, OutboxMessage
from members.models import Membership, MembershipTerm
from tests.factories import (
    EstablishmentFactory,
    OrganisationFactory,
    UserFactory,
    head_office,
    membership_for,
)
from tests.fees.factories import BillingContactFactory, FeeScheduleFactory

pytestmark = pytest.mark.django_db

NOTICE = dt.date(2026, 6, 10)


@pytest.fixture(autouse=True)
def _schedules(db):
    FeeScheduleFactory(fiscal_year=2026)
    FeeScheduleFactory(fiscal_year=2027, renewal_debit_date=dt.date(2027, 2, 26))


def _member(org=None, *, notice=NOTICE, active_on=None):
    est = EstablishmentFactory(
        organisation=org or OrganisationFactory(capital_yen=500_000_000, regular_employees=900)
    )
    return membership_for(est, fee_notice_date=notice, active_on=active_on)


def _bill(m, notice=NOTICE, **kw):
    return services.bill_new_membership(m, notice_date=notice, application_date=dt.date(2026, 4, 20), **kw)


@time_machine.travel(dt.datetime(2026, 6, 10, 10, tzinfo=dt.UTC))
def test_approval_issues_a_first_year_transfer_invoice_with_the_buyer_copied_f7_f9():
    m = _member()
    org = m.establishment.organisation
    inv = _bill(m)
    assert inv.number == "2026-000001"
    assert (inv.kind, inv.method, inv.status) == ("FIRST_YEAR", "TRANSFER", "ISSUED")
    assert inv.total_yen == 100_000  # June: 10/12 of 120,000
    assert inv.issue_date == dt.date(2026, 6, 10) and inv.notice_date == NOTICE
    assert inv.due_date == dt.date(2026, 7, 31)  # end of the following month
    assert inv.buyer_name == org.name and inv.buyer_address == org.full_address
    assert inv.member_number == m.member_number
    assert inv.establishment_name.endswith(m.establishment.name)
    assert "不課税" in inv.tax_note
    assert [(li.kind, li.amount_yen) for li in inv.lines.all()] == [
        ("BASE", 120_000),
        ("FIRST_YEAR", -20_000),
    ]
    assert AuditEvent.objects.filter(object_id=str(inv.pk), action="issued").exists()


def test_billing_twice_returns_the_same_invoice_and_uses_no_number():
    m = _member()
    first = _bill(m)
    assert _bill(m).pk == first.pk
    other = _bill(_member())
    assert other.number == "2026-000002"


def test_due_date_at_the_end_of_february_in_a_leap_year():
    FeeScheduleFactory(fiscal_year=2027)
    assert services.transfer_due_date(dt.date(2028, 1, 31)) == dt.date(2028, 2, 29)
    assert services.transfer_due_date(dt.date(2027, 1, 31)) == dt.date(2027, 2, 28)
    assert services.transfer_due_date(dt.date(2026, 12, 1)) == dt.date(2027, 1, 31)


def test_billing_contact_is_copied_and_later_edits_do_not_change_the_invoice_f10():
    m = _member()
    contact = BillingContactFactory(
        establishment=m.establishment, addressee="請求先株式会社", department="経理部"
    )
    inv = _bill(m)
    assert (inv.buyer_name, inv.buyer_department, inv.buyer_person) == (
        "請求先株式会社",
        "経理部",
        "請求 花子",
    )
    contact.addressee = "別の会社"
    contact.save()
    m.establishment.organisation.name = "社名変更後"
    m.establishment.organisation.save()
    inv.refresh_from_db()
    assert inv.buyer_name == "請求先株式会社"


def test_organisation_contact_applies_when_the_site_has_none_f10():
    m = _member()
    BillingContactFactory(organisation=m.establishment.organisation, addressee="本社経理")
    assert _bill(m).buyer_name == "本社経理"


def test_the_sites_own_contact_wins_over_the_organisations_on_the_invoice_and_its_mail_f10(
    django_capture_on_commit_callbacks,
):
    m = _member()
    BillingContactFactory(
        organisation=m.establishment.organisation, addressee="本社経理", email="honsha@example.jp"
    )
    BillingContactFactory(establishment=m.establishment, addressee="工場経理", email="kojo@example.jp")
    assert selectors.billing_contact_for(m.establishment).addressee == "工場経理"
    with django_capture_on_commit_callbacks(execute=True):
        inv = _bill(m)
    assert inv.buyer_name == "工場経理"
    assert list(OutboxMessage.objects.filter(kind="fees_invoice_issued").values_list("to", flat=True)) == [
        "kojo@example.jp"
    ]


def test_invoice_mails_for_many_invoices_take_the_same_queries_as_for_one_and_are_sent_once_f10():
    def members(n):  # each organisation with one head-office manager, who gets the mail without a contact
        return [_member(head_office()[1], active_on=dt.date(2026, 7, 1)) for _ in range(n)]

    services.issue_renewal_invoices(2027, memberships=[m.pk for m in members(1)])
    one = list(Invoice.objects.filter(fiscal_year=2027).values_list("pk", flat=True))
    twelve = members(12)
    for m in twelve[:4]:
        BillingContactFactory(establishment=m.establishment)
    BillingContactFactory(organisation=twelve[4].establishment.organisation)
    services.issue_renewal_invoices(2027, memberships=[m.pk for m in twelve])
    many = list(Invoice.objects.filter(fiscal_year=2027).exclude(pk__in=one).values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as few_queries:
        assert services.send_invoice_mails(one) == 1
    with CaptureQueriesContext(connection) as many_queries:
        assert services.send_invoice_mails(many) == 12
    assert len(many_queries) == len(few_queries)
    rows = OutboxMessage.objects.filter(kind="fees_invoice_issued")
    assert rows.count() == 13  # one address per invoice: the contact's, else the one manager's
    services.send_invoice_mails(one + many)  # twice: nothing more (dedupe key per invoice and address)
    assert rows.count() == 13
    for inv in Invoice.objects.filter(pk__in=many).select_related("membership__establishment"):
        contact = selectors.billing_contact_for(inv.membership.establishment)
        (mail,) = rows.filter(dedupe_key__startswith=f"fees-invoice:{inv.number}:")
        if contact:
            assert mail.to == contact.email
        assert inv.number in mail.subject and f"{inv.total_yen:,}円" in mail.body


def test_a_support_organisation_may_be_the_payer_f12():
    support = OrganisationFactory(is_support_organisation=True, name="協同組合支援センター")
    inv = _bill(_member(), payer=support)
    assert inv.payer == support and inv.buyer_name == "協同組合支援センター"
    with pytest.raises(DomainError):
        _bill(_member(), payer=OrganisationFactory())


def test_issued_invoice_cannot_be_saved_or_deleted_through_the_models():
    inv = _bill(_member())
    inv.total_yen = 1
    with pytest.raises(ValidationError):
        inv.save()
    with pytest.raises(ValidationError):
        inv.save(update_fields=["total_yen"])
    with pytest.raises(ValidationError):
        inv.delete()
    line = inv.lines.first()
    line.amount_yen = 0
    with pytest.raises(ValidationError):
        line.save()
    with pytest.raises(ValidationError):
        line.delete()
    inv.refresh_from_db()
    assert inv.total_yen == 100_000


@pytest.mark.postgres
def test_database_refuses_changing_or_deleting_an_issued_invoice():
    inv = _bill(_member())
    for statement in (
        lambda: Invoice.objects.filter(pk=inv.pk).update(total_yen=1),
        lambda: Invoice.objects.filter(pk=inv.pk).update(buyer_name="改ざん"),
        lambda: Invoice.objects.filter(pk=inv.pk).delete(),
        lambda: InvoiceLine.objects.filter(invoice=inv).update(amount_yen=0),
        lambda: InvoiceLine.objects.filter(invoice=inv).delete(),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            statement()
    # What moves after issue still may.
    Invoice.objects.filter(pk=inv.pk).update(pdf="fees/invoices/x.pdf")
    inv.refresh_from_db()
    assert inv.total_yen == 100_000 and inv.buyer_name != "改ざん"


def test_admin_cannot_edit_or_delete_issued_invoices(client):
    from django.contrib.auth.models import Group

    inv = _bill(_member())
    finance = UserFactory(is_staff=True)
    finance.groups.add(Group.objects.get(name="finance"))
    from django.contrib import admin

    model_admin = admin.site._registry[Invoice]

    class R:
        user = finance

    assert model_admin.has_view_permission(R, inv)
    assert not model_admin.has_change_permission(R, inv)
    assert not model_admin.has_delete_permission(R, inv)
    assert not model_admin.has_add_permission(R)
    client.force_login(finance)
    response = client.post(f"/admin/fees/invoice/{inv.pk}/delete/", {"post": "yes"})
    assert response.status_code in (302, 403)
    assert Invoice.objects.filter(pk=inv.pk).exists()


def test_a_failed_issue_leaves_no_gap_in_the_numbers(monkeypatch):
    _bill(_member())
    broken = _member()

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    with monkeypatch.context() as mp:
        mp.setattr(invoice_services, "_write_lines", fail)  # after the invoice row, before its lines
        with pytest.raises(RuntimeError):
            _bill(broken)
    assert not Invoice.objects.filter(membership=broken).exists()
    assert _bill(_member()).number == "2026-000002"


# --- credit notes -------------------------------------------------------------------------------------------


def test_credit_note_reduces_what_is_due_and_refers_to_the_invoice_f13():
    m = _member()
    contact = BillingContactFactory(establishment=m.establishment)
    inv = _bill(m)
    note = services.issue_credit_note(inv, amount_yen=20_000, reason="団体割引の適用漏れ", by=None)
    assert note.invoice == inv and note.number.startswith("CN")
    assert selectors.outstanding_yen(inv) == 80_000
    inv.refresh_from_db()
    assert inv.status == "ISSUED" and inv.total_yen == 100_000  # the invoice itself never changes
    from jaim.models import OutboxMessage

    told = OutboxMessage.objects.get(kind="fees_credit_note_issued")  # the billing contact hears of it (F10)
    assert told.to == contact.email
    assert told.subject == f"【JAIM】請求書 {inv.number} の減額のお知らせ（{note.number}）"
    assert "減額した金額：20,000円" in told.body and "お支払いいただく残額：80,000円" in told.body


def test_crediting_the_whole_unpaid_invoice_cancels_it_and_frees_the_year_for_a_corrected_one():
    m = _member()
    inv = _bill(m)
    services.issue_credit_note(inv, amount_yen=100_000, reason="請求先の誤り", by=None)
    inv.refresh_from_db()
    assert inv.status == "CREDITED"
    again = _bill(m)
    assert again.pk != inv.pk and again.status == "ISSUED"


def test_no_credit_note_on_a_paid_invoice_because_there_are_no_refunds_f13():
    inv = _bill(_member())
    services.record_payment([inv], amount_yen=100_000, received_on=dt.date(2026, 7, 1))
    with pytest.raises(DomainError, match="返金"):
        services.issue_credit_note(inv, amount_yen=1, reason="x", by=None)
    assert not CreditNote.objects.exists()


def test_credit_note_cannot_exceed_what_is_unpaid():
    inv = _bill(_member())
    services.record_payment([inv], amount_yen=60_000, received_on=dt.date(2026, 7, 1))
    with pytest.raises(DomainError):
        services.issue_credit_note(inv, amount_yen=40_001, reason="x", by=None)
    services.issue_credit_note(inv, amount_yen=40_000, reason="差額の免除", by=None)
    inv.refresh_from_db()
    assert inv.status == "PAID"


# --- renewal in bulk ----------------------------------------------------------------------------------------


def _active_members(n, **org):
    org = org or {"capital_yen": 500_000_000, "regular_employees": 900}
    return [_member(OrganisationFactory(**org), active_on=dt.date(2026, 7, 1)) for _ in range(n)]


def test_renewal_issues_next_year_debit_invoices_due_on_the_debit_date_f7_f8():
    members = _active_members(3)
    support = OrganisationFactory(is_support_organisation=True)
    DebitMandate.objects.create(
        establishment=members[0].establishment,
        bank_code="0001",
        branch_code="210",
        account_type="1",
        account_number="1234567",
        holder_kana="ｶ)ﾃｽﾄ",
        payer=support,
    )
    counts = services.issue_renewal_invoices(2027, chunk_size=2, issue_date=dt.date(2027, 1, 15))
    assert counts == {"candidates": 3, "issued": 3, "skipped": 0}
    invoices = Invoice.objects.filter(fiscal_year=2027).order_by("number")
    assert [i.number for i in invoices] == ["2027-000001", "2027-000002", "2027-000003"]
    assert {(i.kind, i.method, i.due_date, i.total_yen) for i in invoices} == {
        ("ANNUAL", "DEBIT", dt.date(2027, 2, 26), 120_000)
    }
    assert invoices.get(membership=members[0]).payer == support
    assert all(list(i.lines.values_list("kind", flat=True)) == ["BASE"] for i in invoices)


def test_renewal_run_twice_creates_nothing_new():
    _active_members(3)
    services.issue_renewal_invoices(2027)
    assert services.issue_renewal_invoices(2027) == {"candidates": 3, "issued": 0, "skipped": 3}
    assert Invoice.objects.filter(fiscal_year=2027).count() == 3


def test_renewal_skips_members_leaving_at_year_end_and_those_not_active_f8():
    staying, leaving = _active_members(2)
    MembershipTerm.objects.create(membership=leaving, fiscal_year=2026, renewal_answer="WITHDRAW")
    _member()  # awaiting its first payment
    services.issue_renewal_invoices(2027)
    assert list(Invoice.objects.filter(fiscal_year=2027).values_list("membership_id", flat=True)) == [
        staying.pk
    ]


def test_renewal_group_discount_counts_an_association_completed_during_the_previous_year_f4():
    from tests.factories import AssociationMembershipFactory

    (m,) = _active_members(1)
    AssociationMembershipFactory(organisation=m.establishment.organisation, complete_on=dt.date(2026, 9, 1))
    services.issue_renewal_invoices(2027, memberships=[m.pk])
    assert Invoice.objects.get(fiscal_year=2027).total_yen == 100_000


def test_renewal_runs_a_constant_number_of_queries_per_chunk():
    services.issue_renewal_invoices(
        2027, memberships=[m.pk for m in _active_members(1)]
    )  # the year's counter exists
    small = _active_members(2)
    with CaptureQueriesContext(connection) as few:
        services.issue_renewal_invoices(2027, memberships=[m.pk for m in small], chunk_size=100)
    big = _active_members(25)
    with CaptureQueriesContext(connection) as many:
        services.issue_renewal_invoices(2027, memberships=[m.pk for m in big], chunk_size=100)
    assert Invoice.objects.filter(fiscal_year=2027).count() == 28
    assert len(many) == len(few)
    assert len(many) <= 20


def test_renewal_invoice_mail_goes_to_the_billing_contact_only_f10(django_capture_on_commit_callbacks):
    (m,) = _active_members(1)
    BillingContactFactory(establishment=m.establishment, email="seikyu@example.jp")
    user, _org = head_office()
    with django_capture_on_commit_callbacks(execute=True):
        services.issue_renewal_invoices(2027)
    mails = OutboxMessage.objects.filter(kind="fees_invoice_issued")
    assert list(mails.values_list("to", flat=True)) == ["seikyu@example.jp"]
    assert "2027年度" in mails.get().subject


def test_without_a_billing_contact_the_invoice_mail_goes_to_the_organisations_managers(
    django_capture_on_commit_callbacks,
):
    user, org = head_office()
    m = _member(org)
    with django_capture_on_commit_callbacks(execute=True):
        _bill(m)
    assert list(OutboxMessage.objects.filter(kind="fees_invoice_issued").values_list("to", flat=True)) == [
        user.email
    ]


# --- numbering under concurrency ----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_issuing_gives_no_duplicate_and_no_gap():
    FeeScheduleFactory(fiscal_year=2026)
    members = [_member() for _ in range(12)]
    errors: list = []
    barrier = threading.Barrier(6)

    def worker(chunk):
        try:
            barrier.wait(timeout=10)
            for m in chunk:
                _bill(m)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(members[i::6],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"2026-{n:06d}" for n in range(1, 13)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_bulk_renewal_and_single_issues_in_parallel_share_one_gapless_counter():
    FeeScheduleFactory(fiscal_year=2027)
    active = [_member(active_on=dt.date(2026, 7, 1)) for _ in range(10)]
    errors: list = []

    def bulk():
        try:
            services.issue_renewal_invoices(2027, memberships=[m.pk for m in active], chunk_size=3)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    def singles():
        try:
            for _ in range(4):
                m = _member(notice=dt.date(2027, 5, 1))
                services.bill_new_membership(
                    m, notice_date=dt.date(2027, 5, 1), application_date=dt.date(2027, 4, 2)
                )
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=bulk), threading.Thread(target=singles)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    numbers = sorted(Invoice.objects.filter(fiscal_year=2027).values_list("number", flat=True))
    assert numbers == [f"2027-{n:06d}" for n in range(1, 15)]
    assert Membership.objects.count() == 14
