"""Portal quality, journey 2 — JAIM staff in the Django admin, in a real browser: a reviewer signs in with the second
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
from tests.e2e.data import sign_in_with_second_factor
from tests.factories import EstablishmentFactory, head_office
from tests.security.helpers import totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

RETURN_MESSAGE = "製造設備・工場内部の画像が不鮮明です。設備の全体が分かる画像を提出し直してください。"


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


def test_reviewer_finishes_a_relocation_the_roster_turns_that_day_and_the_member_uploads_the_documents(
    visitor,
):
    """R14 (FAQ 3-2-3): the member reported the new site operating; the reviewer finds it in the identity-change
    queue, confirms 「新事業所の稼働を確認」 with the date; from that day the roster shows only the new name (the old
    one for earlier days); the member is asked for the follow-up documents and uploads them on My Page."""
    from applications.models import Document
    from applications.services import report_change_effective
    from jaim.models import OutboxMessage
    from tests.applications.factories import approved_change
    from tests.roster.factories import listed

    member, org = head_office(name="株式会社岐阜精機", corporate_number=data.OTHER_CORPORATE_NUMBER)
    day = data.today()
    membership = listed(organisation=org, est_name="岐阜工場", prefecture="21", city="岐阜市",
                        on=day - dt.timedelta(days=200))  # fmt: skip
    site = membership.establishment
    _user, app, change = approved_change("RELOCATION", est=site, user=member, accepted_days_ago=20)
    operating = day - dt.timedelta(days=3)
    report_change_effective(app, effective_on=operating, by=member)

    reviewer = data.reviewer()
    rev = visitor("reviewer")
    page = rev.page
    sign_in_with_second_factor(rev, reviewer, totp_device(reviewer))
    rev.goto("/admin/members/identitychange/?state=reported")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("各務原新工場")
    expect(rows.nth(0)).to_contain_text("会員から稼働の報告あり")
    rev.shot("identity-change-queue")
    with page.expect_navigation():
        rows.nth(0).locator("th a, td a").first.click()
    expect(page.locator("#content")).not_to_contain_text("効力")
    assert page.locator("input[name=effective_on]").count() == 0  # the date is never typed into the record
    rev.shot("identity-change")
    rev.follow("新事業所の稼働を確認", within="#content")
    assert (
        page.input_value("input[name=effective_on]") == operating.isoformat()
    )  # the member's date, to check
    rev.shot("confirm-relocation")
    rev.submit("新事業所の稼働を確認", within="#content")
    expect(page.locator(".messagelist")).to_contain_text("稼働を確認しました")
    rev.shot("relocation-finished")
    rev.assert_clean()

    change.refresh_from_db()
    site.refresh_from_db()
    assert change.effective_on == operating and change.completed_by == reviewer
    assert (site.name, site.city) == ("各務原新工場", "各務原市")
    before = roster_selectors.lines_on(operating - dt.timedelta(days=1)).get(entry__membership=membership)
    after = roster_selectors.lines_on(operating).get(entry__membership=membership)
    assert (before.establishment_name, before.new_establishment_name) == ("岐阜工場", "各務原新工場")
    assert (after.establishment_name, after.new_establishment_name) == ("各務原新工場", "")
    assert OutboxMessage.objects.filter(kind="identity_change_effective", to=member.email).exists()

    # The member: My Page asks for the two documents with the due date; both are uploaded
    me = visitor("member")
    mp = me.page
    me.goto("/accounts/login/")
    mp.fill("#id_username", member.email)
    mp.fill("#id_password", "correct-horse-battery")
    me.submit("ログイン")
    me.goto(f"/mypage/establishments/{site.pk}/")
    expect(mp.locator("#identity-change")).to_contain_text("追加書類を")
    me.follow("手続の画面へ")
    expect(mp.locator("#identity-change")).to_contain_text(data.jadate(change.follow_up_due_on))
    me.check_page("follow-up-documents")
    for label, name in (("新事業所名に変更されたことが確認できる公的書類等", "賃貸借契約書.pdf"),
                        ("新しい名称での製造品出荷額等の証明書類", "納品書.pdf")):  # fmt: skip
        mp.select_option("#identity-change select[name=document_type]", label=label)
        mp.set_input_files("#identity-change input[type=file]", str(data.pdf_file(me.folder, name, label)))
        me.submit("アップロードする", within="#identity-change")
        expect(mp.locator("ul.messages")).to_contain_text(name)
    expect(mp.locator("#identity-change")).to_contain_text("追加書類がそろいました")
    me.shot("follow-up-complete")
    me.assert_clean()
    change.refresh_from_db()
    assert change.follow_up_submitted_at is not None
    assert Document.objects.filter(application=app, is_follow_up=True).count() == 2
