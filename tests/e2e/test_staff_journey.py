"""Issue 9, journey 2 — JAIM staff in the Django admin, in a real browser: a reviewer signs in with the second
factor (TOTP), works the queue oldest first (R7: in order of receipt), returns one application with the
deficiencies and approves the next; finance records the bank transfer (F7) and the membership becomes active and
listed (R9). The applications were filled and submitted through the services (journey 1 drives the portal)."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from applications import services
from applications.models import Application
from backoffice.models import CouncilRecord
from fees.models import Invoice
from members.models import Membership
from roster import selectors as roster_selectors
from tests.applications.factories import complete, draft
from tests.e2e import data
from tests.factories import EstablishmentFactory, head_office
from tests.security.helpers import PASSWORD, code_for, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RETURN_MESSAGE = "製造設備・工場内部の画像が不鮮明です。設備の全体が分かる画像を提出し直してください。"


def sign_in_with_second_factor(person, user, device):
    """The admin's sign-in: e-mail and password, then the six-digit code of the authenticator app."""
    page = person.page
    person.goto("/admin/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    person.shot("admin-login")
    with page.expect_navigation():
        page.click("input[type=submit]")
    assert "/accounts/2fa/verify/" in page.url  # no admin page before the second factor
    person.check_page("two-factor", phone=False)
    page.fill("#id_code", code_for(device))
    with page.expect_navigation():
        page.click("main button.btn[type=submit]")
    assert page.url == person.base_url + "/admin/"


def test_reviewer_returns_the_oldest_and_approves_the_next_finance_records_the_transfer(visitor):
    data.fee_schedule_for_this_year()
    applicant, org = head_office(name="株式会社岐阜精機", corporate_number=data.OTHER_CORPORATE_NUMBER)
    later_site = EstablishmentFactory(organisation=org, name="関工場")
    first_site = EstablishmentFactory(organisation=org, name="大垣工場")
    # Drafted in the other order: the queue follows the receipt time, not the row id.
    later = complete(draft(later_site, applicant), applicant)
    first = complete(draft(first_site, applicant), applicant)
    first = services.submit_application(first, by=applicant)
    later = services.submit_application(later, by=applicant)
    assert first.submitted_at < later.submitted_at and first.pk > later.pk
    # The first site was a member of the former council (R17): the reviewer sees its record on the review screen.
    CouncilRecord.objects.create(
        source_key="e2e-k-1", council_number="K-000777", company_name=org.name, establishment_name="大垣工場",
        corporate_number=org.corporate_number, prefecture=first_site.prefecture, address=first_site.city,
        council_joined_on=dt.date(2020, 4, 1), jsic_codes=["2592"], organisation=org, establishment=first_site,
    )  # fmt: skip

    reviewer, finance = data.reviewer(), data.finance()
    reviewer_device, finance_device = totp_device(reviewer), totp_device(finance)

    # The reviewer: second factor, then the queue, oldest first
    rev = visitor("reviewer")
    page = rev.page
    sign_in_with_second_factor(rev, reviewer, reviewer_device)
    rev.shot("admin-home")
    rev.goto("/admin/applications/application/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(first.receipt_number)
    expect(rows.nth(0)).to_contain_text("大垣工場")
    expect(rows.nth(1)).to_contain_text(later.receipt_number)
    rev.shot("queue-oldest-first")

    # Oldest: start the review, return it with what is missing
    with page.expect_navigation():
        rows.nth(0).get_by_role("link", name=first.receipt_number).click()
    expect(page.locator("#content")).to_contain_text("協議会の記録")
    expect(page.locator("#content")).to_contain_text("K-000777")
    rev.shot("application-submitted")
    rev.submit("審査を開始する（自分を担当にする）", within="#content")
    rev.follow("差し戻す", within="#content")
    page.fill("textarea[name=message]", RETURN_MESSAGE)
    rev.shot("return-form")
    rev.submit("差し戻す", within="#content")
    expect(page.locator(".messagelist")).to_contain_text("差し戻し")
    first.refresh_from_db()
    assert first.status == Application.Status.RETURNED and first.return_message == RETURN_MESSAGE
    rev.shot("queue-after-return")

    # Next in the queue: approve
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)  # the returned one waits for the applicant, out of the queue
    with page.expect_navigation():
        rows.nth(0).get_by_role("link", name=later.receipt_number).click()
    rev.submit("審査を開始する（自分を担当にする）", within="#content")
    rev.shot("in-review")
    rev.follow("承認する", within="#content")
    rev.shot("approve-form")
    rev.submit("承認する", within="#content")
    expect(page.locator(".messagelist")).to_contain_text("承認しました")
    later.refresh_from_db()
    assert later.status == Application.Status.APPROVED
    membership = Membership.objects.get(establishment=later_site)
    assert membership.status == Membership.Status.AWAITING_PAYMENT
    invoice = Invoice.objects.get(membership=membership)
    rev.assert_clean()

    # Finance: second factor, the open invoice, the bank transfer recorded
    fin = visitor("finance")
    page = fin.page
    sign_in_with_second_factor(fin, finance, finance_device)
    fin.goto("/admin/fees/invoice/")
    fin.shot("invoices")
    with page.expect_navigation():
        page.locator("#result_list").get_by_role("link", name=invoice.number).click()
    fin.shot("invoice")
    fin.follow("入金を記録する", within="#content")
    assert page.input_value("input[name=amount_yen]") == str(invoice.total_yen)
    page.fill("input[name=payer_name]", "カ)ギフセイキ")
    fin.shot("payment-form")
    with page.expect_navigation():
        page.locator("#content").locator("[type=submit]").first.click()
    expect(page.locator(".messagelist")).to_contain_text("入金を記録しました")
    fin.shot("invoice-paid")
    invoice.refresh_from_db()
    membership.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert membership.status == Membership.Status.ACTIVE

    # The membership is active: in the admin, and listed on the public roster
    fin.goto(f"/admin/members/membership/{membership.pk}/change/")
    expect(page.locator("#content")).to_contain_text("有効")
    fin.shot("membership-active")
    assert roster_selectors.current_line_for_establishment(later_site, on=data.today()) is not None
    fin.assert_clean()
