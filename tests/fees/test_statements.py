"""請求明細書 (one statement per head office): it lists exactly the organisation's open invoices with their total,
goes as one mail to the billing contact with a link that opens its PDF without sign-in, replaces the per-site
invoice mails when the head office chose it (also in the renewal run), and a bank transfer of its total — or of the
one subset of open invoices that adds up — pays those invoices; anything ambiguous or partial stays for finance."""

import datetime as dt
import re
import subprocess

import pytest
from django.urls import reverse

from fees import services
from fees.models import BillingPreference, Invoice, Statement
from jaim.models import OutboxMessage
from lifecycle import services as lifecycle_services
from tests.factories import EstablishmentFactory, head_office, membership_for
from tests.fees.factories import BillingContactFactory, FeeScheduleFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://127\.0\.0\.1:8000(/mypage/fees/s/[^/\s]+/)")
TOKYO = dt.timezone(dt.timedelta(hours=9))
HEADER = "booked_on,direction,amount_yen,payer_name_raw,description_raw,balance_yen,bank_reference\n"


def _csv(*rows):
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


def pdf_text(raw: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=raw, capture_output=True, check=True).stdout.decode()


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to(dt.datetime(2026, 7, 10, 10, tzinfo=TOKYO), tick=False)


def _bill(org, notice, *, capture=None, name=None):
    est = EstablishmentFactory(organisation=org, **({"name": name} if name else {}))
    m = membership_for(est, fee_notice_date=notice)
    if capture is None:
        return services.bill_new_membership(m, notice_date=notice, application_date=dt.date(2026, 5, 1))
    with capture(execute=True):  # the invoice-mail task runs after commit
        return services.bill_new_membership(m, notice_date=notice, application_date=dt.date(2026, 5, 1))


@pytest.fixture
def yamada(db):
    FeeScheduleFactory(fiscal_year=2026)
    user, org = head_office(
        name="株式会社ヤマダ製作所",
        name_kana="ヤマダセイサクショ",
        capital_yen=900_000_000,
        regular_employees=900,
    )
    BillingContactFactory(organisation=org, email="keiri@yamada.example.jp")
    return user, org


@pytest.fixture
def three_sites(yamada):
    """Three sites invoiced by transfer: 100,000 (June), 90,000 (July), 80,000 (August) by the month rate."""
    _user, org = yamada
    return [
        _bill(org, dt.date(2026, 6, 10), name="本社工場"),
        _bill(org, dt.date(2026, 7, 1), name="名古屋工場"),
        _bill(org, dt.date(2026, 8, 3), name="大阪工場"),
    ]


def test_the_statement_lists_exactly_the_open_invoices_with_their_total(yamada, three_sites):
    _user, org = yamada
    a, b, c = three_sites
    services.record_payment([a], amount_yen=a.total_yen, received_on=dt.date(2026, 7, 3))  # paid: not listed
    services.issue_credit_note(
        b, amount_yen=10_000, reason="事業所数の訂正", by=None
    )  # listed with what is left
    other_user, other = head_office()
    _bill(other, dt.date(2026, 6, 10))  # another company's invoice is not on it
    st = services.issue_statement(org)
    rows = {item.invoice_id: item.amount_yen for item in st.items.all()}
    assert rows == {b.pk: b.total_yen - 10_000, c.pk: c.total_yen}
    assert st.total_yen == b.total_yen - 10_000 + c.total_yen
    assert st.number.startswith("S2026-")
    # Issued again with nothing changed: the same statement, no second mail.
    assert services.issue_statement(org) == st
    assert OutboxMessage.objects.filter(kind="fees_statement_issued").count() == 1
    for inv in three_sites:  # the invoices themselves are untouched
        assert Invoice.objects.get(pk=inv.pk).total_yen == inv.total_yen


def test_one_mail_to_the_billing_contact_whose_link_opens_the_pdf_without_sign_in(
    yamada, three_sites, client
):
    _user, org = yamada
    st = services.issue_statement(org)
    [mail] = OutboxMessage.objects.filter(kind="fees_statement_issued")
    assert mail.to == "keiri@yamada.example.jp"
    for inv in three_sites:
        assert inv.number in mail.body
    assert f"{st.total_yen:,}円" in mail.body and st.number in mail.body
    response = client.get(LINK.search(mail.body).group(1))  # no session
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(b"".join(response.streaming_content))
    assert "請求明細書" in text and st.number in text
    for inv in three_sites:
        assert inv.number in text
    assert f"¥{st.total_yen:,}" in text
    # The statement's token opens no invoice, and a tampered one is refused.
    token = LINK.search(mail.body).group(1).split("/")[-2]
    assert client.get(reverse("fees:invoice_link", args=[token])).status_code == 404
    assert client.get(reverse("fees:statement_link", args=[token[:-2] + "xx"])).status_code == 404


def test_with_statement_chosen_new_invoices_mail_one_statement_not_one_mail_each(
    yamada, django_capture_on_commit_callbacks
):
    _user, org = yamada
    services.set_billing_preference(org, mode=BillingPreference.Mode.STATEMENT, by=None)
    a = _bill(org, dt.date(2026, 6, 10), capture=django_capture_on_commit_callbacks)
    b = _bill(org, dt.date(2026, 7, 1), capture=django_capture_on_commit_callbacks)
    assert not OutboxMessage.objects.filter(kind="fees_invoice_issued").exists()
    latest = Statement.objects.order_by("-id").first()
    assert set(latest.items.values_list("invoice_id", flat=True)) == {a.pk, b.pk}
    # Per-site (the default) for another head office: one invoice mail each, no statement.
    _u, other = head_office()
    c = _bill(other, dt.date(2026, 6, 10), capture=django_capture_on_commit_callbacks)
    assert (
        OutboxMessage.objects.filter(kind="fees_invoice_issued", dedupe_key__contains=c.number).count() == 1
    )
    assert not Statement.objects.filter(organisation=other).exists()


def test_the_renewal_run_respects_the_preference(db):
    from tests.lifecycle.conftest import at
    from tests.lifecycle.factories import NOTICE_ON, fee_schedules, member, season

    fee_schedules()
    season()
    user, m1 = member()
    grouped = m1.establishment.organisation
    _u, m2 = member(grouped)
    _u, m3 = member(grouped)
    BillingContactFactory(organisation=grouped, email="honsha@example.jp")
    services.set_billing_preference(grouped, mode=BillingPreference.Mode.STATEMENT, by=None)
    _u2, single = member()  # per-site
    with at(NOTICE_ON):
        counts = lifecycle_services.run_renewal(on=NOTICE_ON, chunk_size=2)
        again = lifecycle_services.run_renewal(on=NOTICE_ON, chunk_size=2)
    assert counts["statements"] == 1 and again["statements"] == 0
    invoices = Invoice.objects.filter(fiscal_year=2027)
    grouped_invoices = set(invoices.filter(membership__in=[m1, m2, m3]).values_list("pk", flat=True))
    assert len(grouped_invoices) == 3
    [st] = Statement.objects.filter(organisation=grouped)
    assert set(st.items.values_list("invoice_id", flat=True)) == grouped_invoices  # spans the chunks
    mails = OutboxMessage.objects.filter(kind="fees_invoice_issued")
    assert [x.dedupe_key.split(":")[1] for x in mails] == [invoices.get(membership=single).number]
    assert list(OutboxMessage.objects.filter(kind="fees_statement_issued").values_list("to", flat=True)) == [
        "honsha@example.jp"
    ]


def test_a_renewal_run_stopped_before_its_statements_is_completed_by_the_next_run(db):
    """Jobs catch up: the chunks ran (invoices issued, their per-site mails left out) but the run stopped before
    the statements; the next run issues the statement once."""
    from lifecycle.services.renewal import renew_chunk
    from tests.lifecycle.conftest import at
    from tests.lifecycle.factories import NOTICE_ON, fee_schedules, member, season

    fee_schedules()
    the_season = season()
    _user, m1 = member()
    grouped = m1.establishment.organisation
    _u, m2 = member(grouped)
    services.set_billing_preference(grouped, mode=BillingPreference.Mode.STATEMENT, by=None)
    with at(NOTICE_ON):
        renew_chunk(the_season, [m1.pk, m2.pk], on=NOTICE_ON)  # the run is killed here
        assert not Statement.objects.exists()
        counts = lifecycle_services.run_renewal(on=NOTICE_ON)
        again = lifecycle_services.run_renewal(on=NOTICE_ON)
    assert (counts["renewed"], counts["statements"], again["statements"]) == (0, 1, 0)
    [st] = Statement.objects.filter(organisation=grouped)
    assert set(st.items.values_list("invoice__membership_id", flat=True)) == {m1.pk, m2.pk}
    assert OutboxMessage.objects.filter(kind="fees_statement_issued").count() == 1


def test_a_transfer_of_the_statement_total_pays_all_three_invoices(yamada, three_sites):
    _user, org = yamada
    st = services.issue_statement(org)
    imported = services.import_bank_statement(
        _csv(f"2026-07-20,in,{st.total_yen},ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,振込　ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,,"),
        file_name="s.csv",
        bank_format="canonical",
    )
    line = imported.lines.get()
    assert line.status == "MATCHED"
    assert sorted(line.payment.allocations.values_list("invoice_id", flat=True)) == sorted(
        i.pk for i in three_sites
    )
    assert set(
        Invoice.objects.filter(pk__in=[i.pk for i in three_sites]).values_list("status", flat=True)
    ) == {"PAID"}


def test_the_statement_number_in_the_description_pays_it_even_under_another_name(yamada, three_sites):
    _user, org = yamada
    st = services.issue_statement(org)
    imported = services.import_bank_statement(
        _csv(f"2026-07-20,in,{st.total_yen},ｹｲﾘﾀﾞｲｺｳ(ｶ,振込　{st.number} ｹｲﾘﾀﾞｲｺｳ,,"),
        file_name="r.csv",
        bank_format="canonical",
    )
    assert imported.lines.get().status == "MATCHED"
    assert not Invoice.objects.filter(pk__in=[i.pk for i in three_sites], status="ISSUED").exists()


def test_a_transfer_equal_to_exactly_one_subset_pays_those_invoices(yamada, three_sites):
    a, b, c = three_sites  # 100,000 / 90,000 / 80,000: 170,000 is only b + c
    assert (a.total_yen, b.total_yen, c.total_yen) == (100_000, 90_000, 80_000)
    imported = services.import_bank_statement(
        _csv("2026-07-20,in,170000,ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,,,"), file_name="u.csv", bank_format="canonical"
    )
    assert imported.lines.get().status == "MATCHED"
    statuses = dict(Invoice.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("pk", "status"))
    assert statuses == {a.pk: "ISSUED", b.pk: "PAID", c.pk: "PAID"}


def test_an_ambiguous_subset_and_a_partial_amount_stay_unmatched(yamada, three_sites):
    _user, org = yamada
    _bill(org, dt.date(2026, 6, 11))  # a second 100,000: 190,000 is a+b or d+b
    st = services.issue_statement(org)
    imported = services.import_bank_statement(
        _csv(
            "2026-07-20,in,190000,ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,,,",  # two subsets add up
            f"2026-07-21,in,{st.total_yen - 1000},ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,,,",  # partial (bank fee deducted)
            f"2026-07-22,in,{st.total_yen - 1000},ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,{st.number},,",  # quoted, but short
        ),
        file_name="x.csv",
        bank_format="canonical",
    )
    assert list(imported.lines.values_list("status", flat=True)) == ["UNMATCHED"] * 3
    assert not Invoice.objects.filter(membership__establishment__organisation=org, status="PAID").exists()


def test_only_head_office_managers_choose_the_statement_on_my_page(yamada, three_sites, client):
    from members.models import Access
    from tests.factories import UserFactory

    user, org = yamada
    est = three_sites[0].membership.establishment
    url = reverse("fees:billing_preference", args=[est.pk])
    staff = UserFactory()
    Access.objects.create(user=staff, organisation=org, can_manage=False)
    site_manager = UserFactory()
    Access.objects.create(user=site_manager, establishment=est, can_manage=True)
    page = reverse("members:establishment_detail", args=[est.pk])
    for someone in (staff, site_manager):  # not the head office's managers
        client.force_login(someone)
        assert client.post(url, {"mode": "STATEMENT"}).status_code == 403
        assert url not in client.get(page).content.decode()
    assert not services.wants_statement(org.pk)
    client.force_login(user)
    assert url in client.get(page).content.decode()
    assert client.get(url).status_code == 200
    assert client.post(url, {"mode": "STATEMENT"}).status_code == 302
    assert services.wants_statement(org.pk)


def test_the_pdf_renders_every_invoice_and_the_total(yamada, three_sites, tmp_path):
    _user, org = yamada
    st = services.issue_statement(org)
    raw = services.statement_pdf_bytes(st)
    text = pdf_text(raw)
    for inv in three_sites:
        assert inv.number in text and inv.membership.establishment.name in text
    assert "¥270,000" in text and "270,000" in text
    (tmp_path / "statement.pdf").write_bytes(raw)
    pdf = tmp_path / "statement.pdf"
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-singlefile", str(pdf), str(tmp_path / "page")], check=True
    )
    assert (tmp_path / "page.png").stat().st_size > 10_000  # one page, looked at when the layout was made


def test_the_access_log_never_shows_a_statement_token(yamada, three_sites):
    from jaim.gunicorn import redact_path

    _user, org = yamada
    path = reverse(
        "fees:statement_link",
        args=[services.statement_pdf_link(services.issue_statement(org)).split("/")[-2]],
    )
    assert redact_path(path) == "/mypage/fees/s/…/"


def test_the_demo_has_a_head_office_with_three_sites_and_its_statement(db):
    from django.core.management import call_command

    call_command("seed_demo")
    [pref] = BillingPreference.objects.filter(mode=BillingPreference.Mode.STATEMENT)
    [st] = Statement.objects.filter(organisation=pref.organisation)
    sites = {
        item.invoice.membership.establishment_id for item in st.items.select_related("invoice__membership")
    }
    assert len(sites) == 3 and st.total_yen == sum(st.items.values_list("amount_yen", flat=True))
    assert (
        OutboxMessage.objects.filter(kind="fees_statement_issued", dedupe_key__contains=st.number).count()
        == 1
    )
    for inv in st.invoices.all():  # the head office chose the statement: no per-site invoice mail
        assert not OutboxMessage.objects.filter(dedupe_key__startswith=f"fees-invoice:{inv.number}:").exists()


def test_a_statement_partly_paid_since_leaves_the_transfer_to_the_invoice_matching(yamada, three_sites):
    _user, org = yamada
    a, b, c = three_sites
    st = services.issue_statement(org)
    assert st.total_yen == 270_000
    services.record_payment(
        [a], amount_yen=a.total_yen, received_on=dt.date(2026, 7, 12)
    )  # 170,000 left on it
    d = _bill(org, dt.date(2026, 6, 11))  # a fourth site since: b + c + d = 270,000, the only combination
    imported = services.import_bank_statement(
        _csv("2026-07-20,in,270000,ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,,,"), file_name="p.csv", bank_format="canonical"
    )
    line = imported.lines.get()
    assert line.status == "MATCHED"
    assert sorted(line.payment.allocations.values_list("invoice_id", flat=True)) == sorted([b.pk, c.pk, d.pk])


def test_finance_issues_statements_from_the_invoice_admin(client, yamada, three_sites):
    from tests.security.helpers import staff_user, verified_login

    _user, org = yamada
    finance = staff_user(group="finance")
    verified_login(client, finance)
    r = client.post(
        reverse("admin:fees_invoice_changelist"),
        {"action": "issue_statements", "_selected_action": [three_sites[0].pk]},
        follow=True,
    )
    assert "1法人に請求明細書を発行し" in r.content.decode()
    [st] = Statement.objects.filter(organisation=org)
    assert st.items.count() == 3 and st.issued_by == finance


def test_finance_revokes_a_statement_link_and_a_reviewer_may_not(client, yamada, three_sites):
    """Issue 21 item 4: the statement mail's link is revocable, like the invoice's."""
    from jaim.models import AuditEvent
    from tests.security.helpers import staff_user, verified_login

    _user, org = yamada
    st = services.issue_statement(org)
    [mail] = OutboxMessage.objects.filter(kind="fees_statement_issued")
    old = LINK.search(mail.body).group(1)
    invoice_links = [
        services.invoice_pdf_link(inv).removeprefix("http://127.0.0.1:8000") for inv in three_sites
    ]

    reviewer = staff_user(group="reviewer")
    verified_login(client, reviewer)
    client.post(
        reverse("admin:fees_statement_changelist"),
        {"action": "revoke_pdf_links", "_selected_action": [st.pk]},
    )
    st.refresh_from_db()
    assert st.pdf_link_version == 1
    client.logout()

    finance = staff_user(group="finance")
    verified_login(client, finance)
    r = client.post(
        reverse("admin:fees_statement_changelist"),
        {"action": "revoke_pdf_links", "_selected_action": [st.pk]},
        follow=True,
    )
    assert "1件の請求明細書について" in r.content.decode()
    assert AuditEvent.objects.filter(action="pdf_links_revoked", object_id=str(st.pk), actor=finance).exists()
    client.logout()
    refused = client.get(old)
    assert (
        refused.status_code == 410
        and "このリンクは事務局により無効にされています。" in refused.content.decode()
    )
    for link in invoice_links:  # the invoices' own links are untouched
        assert client.get(link).status_code == 200
    st.refresh_from_db()
    fresh = services.statement_pdf_link(st).removeprefix("http://127.0.0.1:8000")
    assert client.get(fresh).status_code == 200
