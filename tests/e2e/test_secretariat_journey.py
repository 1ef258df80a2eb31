"""Portal quality, journey 5 — the secretariat's memory (issue 21), in a real browser, as JAIM staff would try it:
a reviewer opens an establishment in the admin, follows 「対応履歴・職員メモ」, sees its history (the invoice, its
mail) and writes down a phone call, which is then the newest line of the history; the filter by kind keeps only
the notes; the member's own pages never show the note."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from fees import services as fee_services
from tests.e2e import data
from tests.e2e.data import sign_in_with_second_factor
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


ADDED_LINE = "口座振替は振替日の前営業日までに残高を御確認ください（事務局 03-1234-5678）。"


def test_an_administrator_rewords_the_renewal_notice_previews_it_on_a_member_and_the_next_run_sends_it(
    visitor,
):
    """Issue 21 item 2: the administrator's version is what the next renewal run sends."""
    from jaim.models import MailTemplateVersion, OutboxMessage
    from lifecycle import services as lifecycle_services
    from tests.lifecycle.conftest import at
    from tests.lifecycle.factories import NOTICE_ON, fee_schedules, member, season

    fee_schedules()
    season()
    _user, m = member(name="株式会社三河精密")
    admin_user = data.staff("administrator", email="kanri@jaim.example", name="管理 四郎")

    adm = visitor("administrator")
    page = adm.page
    sign_in_with_second_factor(adm, admin_user, totp_device(admin_user))
    adm.goto("/admin/jaim/mailtemplate/")
    adm.follow("会員継続の確認", within="#result_list")
    body = page.input_value("#id_body_ja")
    assert "{{" in body and "マイページで「継続する」" in body  # the built-in text, as version 1 starts
    page.fill("#id_body_ja", body.rstrip("\n") + "\n" + ADDED_LINE + "\n")
    page.fill("#id_note", "口座振替の残高確認と問合せ先を追記")
    adm.submit("保存", within="#content")
    expect(page.locator(".messagelist")).to_be_visible()
    version = MailTemplateVersion.objects.get(template__kind="lifecycle_renewal_notice")
    assert (version.number, version.created_by, version.note) == (
        1,
        admin_user,
        "口座振替の残高確認と問合せ先を追記",
    )

    adm.goto(f"/admin/jaim/mailtemplate/{version.template_id}/change/")
    page.fill("#id_member_number", m.member_number)
    with page.expect_navigation():
        page.get_by_role("button", name="プレビュー").click()
    preview = page.locator("pre.mail-body")
    expect(preview).to_contain_text(ADDED_LINE)
    expect(preview).to_contain_text("株式会社三河精密")
    expect(page.locator("#content")).to_contain_text(
        f"会員番号 {m.member_number} の実際の内容で表示しています。"
    )
    adm.check_page("mail-wording-preview", phone=False)
    adm.assert_clean()

    with at(NOTICE_ON):
        lifecycle_services.run_renewal(on=NOTICE_ON)
    mail = OutboxMessage.objects.get(kind="lifecycle_renewal_notice")
    assert ADDED_LINE in mail.body and "株式会社三河精密" in mail.body
