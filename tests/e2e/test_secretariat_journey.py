"""Portal quality, journey 5 — the secretariat's memory (issue 21), in a real browser, as JAIM staff would try it:
a reviewer opens an establishment in the admin, follows 「対応履歴・職員メモ」, sees its history (the invoice, its
mail) and writes down a phone call, which is then the newest line of the history; the filter by kind keeps only
the notes; the member's own pages never show the note."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from fees import services as fee_services
from tests.e2e import data
from tests.e2e.test_staff_journey import sign_in_with_second_factor
from tests.factories import EstablishmentFactory, head_office, membership_for
from tests.security.helpers import PASSWORD, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CALL = "総務部の佐藤様より電話。来月、岐阜第二工場の入会申請を提出予定。必要書類を案内した。"


def test_a_reviewer_sees_the_whole_history_and_the_phone_call_just_written(visitor):
    data.fee_schedule_for_this_year()
    member, org = head_office(name="株式会社岐阜精機", corporate_number=data.OTHER_CORPORATE_NUMBER)
    site = EstablishmentFactory(organisation=org, name="大垣工場")
    notice = data.today() - dt.timedelta(days=10)
    m = membership_for(site, fee_notice_date=notice)
    invoice = fee_services.bill_new_membership(m, notice_date=notice, application_date=notice)

    reviewer = data.reviewer()
    rev = visitor("reviewer")
    page = rev.page
    sign_in_with_second_factor(rev, reviewer, totp_device(reviewer))
    rev.goto(f"/admin/members/establishment/{site.pk}/change/")
    rev.follow("対応履歴・職員メモ", within="#content")
    history = page.locator("table.bo-timeline tbody")
    expect(history).to_contain_text(invoice.number)  # the invoice issued ten days ago is on the history

    page.get_by_label("電話").check()
    page.fill("textarea[name=text]", CALL)
    rev.submit("記録する", within="#content")
    expect(page.locator(".messagelist")).to_contain_text("職員メモを記録しました")
    newest = page.locator("table.bo-timeline tbody tr").first
    expect(newest).to_contain_text(CALL)
    expect(newest).to_contain_text("電話")
    expect(newest).to_contain_text(reviewer.get_full_name())
    rev.check_page("timeline-with-note", phone=False)

    page.select_option("select[name=kind]", label="職員メモ：電話")
    with page.expect_navigation():
        page.locator("form.bo-filter [type=submit]").click()
    rows = page.locator("table.bo-timeline tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(CALL)
    rev.assert_clean()

    # The member signs in: the note is nowhere on their pages.
    me = visitor("member")
    me.goto("/accounts/login/")
    me.page.fill("#id_username", member.email)
    me.page.fill("#id_password", PASSWORD)
    me.submit("ログイン")
    for path in ("/mypage/", f"/mypage/establishments/{site.pk}/"):
        me.goto(path)
        assert "佐藤様" not in me.text()
