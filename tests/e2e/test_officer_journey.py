"""Portal quality, journey 3 — an immigration officer (anonymous) checks the public roster in a real browser: searches by a
company name typed in half-width katakana and by 法人番号, opens the entry URL read from the QR code of a member's
confirmation PDF (decoded from the rendered page, as a phone camera would), and checks that a withdrawn
establishment was a member on a past date (domain.md §7: membership verified *on a date*)."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from jaim.dates import today
from roster import services as roster_services
from tests.e2e import data
from tests.factories import AccessFactory, UserFactory, withdraw
from tests.roster.factories import listed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MIDORI_NUMBER = "4011001098993"  # valid 法人番号 (domain.md §8)


def test_officer_finds_members_by_half_width_kana_and_corporate_number_follows_the_qr_and_checks_a_past_date(
    visitor,
):
    on = today()
    midori = listed(
        org_name="株式会社ミドリ精工",
        est_name="豊橋工場",
        prefecture="23",
        city="豊橋市",
        corporate_number=MIDORI_NUMBER,
        on=on - dt.timedelta(days=200),
    )
    listed(
        org_name="株式会社ミドリ化成",
        est_name="浜松工場",
        prefecture="22",
        city="浜松市中区",
        on=on - dt.timedelta(days=150),
    )
    aoba = listed(
        org_name="有限会社アオバ工業",
        est_name="仙台工場",
        prefecture="04",
        city="仙台市宮城野区",
        on=on - dt.timedelta(days=400),
    )
    listed(  # a kanji name: only its reading (フリガナ) is kana
        org_name="株式会社東海精密",
        name_kana="トウカイセイミツ",
        est_name="名古屋工場",
        on=on - dt.timedelta(days=200),
    )
    withdrawn_on = on - dt.timedelta(days=60)
    withdraw(aoba, on=withdrawn_on)
    was_member_on = on - dt.timedelta(days=100)

    # The confirmation the member printed for its immigration filing (journey 1 downloads it from My Page)
    member = UserFactory()
    AccessFactory(user=member, organisation=midori.establishment.organisation, can_manage=True)
    confirmation = roster_services.issue_confirmation(midori.establishment, by=member).content

    officer = visitor("officer")
    page = officer.page

    # The roster from the home page
    officer.goto("/")
    officer.follow("会員名簿", within="header")
    officer.check_page("roster-search")

    # A name as typed on a phone in half-width katakana, with the legal form: ｶﾌﾞｼｷｶﾞｲｼｬ ﾐﾄﾞﾘ
    page.fill("#id_q", "ｶﾌﾞｼｷｶﾞｲｼｬ ﾐﾄﾞﾘ")
    officer.submit("検索")
    results = page.locator(".results")
    expect(results).to_contain_text("株式会社ミドリ精工")
    expect(results).to_contain_text("株式会社ミドリ化成")
    expect(results).not_to_contain_text("アオバ")
    officer.check_page("roster-results-kana")

    # A kanji-named company found by its reading typed in hiragana (the reading itself is never shown)
    page.fill("#id_q", "とうかいせいみつ")
    officer.submit("検索")
    expect(results).to_contain_text("株式会社東海精密")
    expect(results).not_to_contain_text("トウカイセイミツ")
    officer.shot("roster-results-reading")

    # 法人番号, typed in full-width digits with hyphens as it is often copied
    page.fill("#id_q", "４－０１１０－０１０９－８９９３")
    officer.submit("検索")
    expect(results).to_contain_text("株式会社ミドリ精工")
    expect(results).not_to_contain_text("ミドリ化成")
    officer.shot("roster-results-corporate-number")

    # The QR code on the confirmation PDF, read from the rendered page
    urls = data.qr_urls(confirmation)
    assert len(urls) == 1 and urls[0].startswith(officer.base_url + "/roster/e/")
    assert urls[0] in data.pdf_text(confirmation).replace("\n", "")  # the printed URL is the same
    officer.goto(urls[0])
    status = page.locator(".status-box")
    expect(status).to_contain_text("（本日）現在、JAIM 賛助会員名簿に掲載されています")
    expect(page.locator(".facts")).to_contain_text(MIDORI_NUMBER)
    officer.check_page("roster-entry-from-qr")

    # The withdrawn site: not on today's roster …
    officer.goto("/roster/")
    page.fill("#id_q", "アオバ工業")
    officer.submit("検索")
    expect(page.locator(".empty-state")).to_be_visible()
    officer.shot("withdrawn-not-listed-today")

    # … but listed on the day the officer asks about (e.g. the day a visa application was filed)
    if not page.locator("#id_as_of").is_visible():
        page.locator("details.filters-box summary").click()
    page.fill("#id_as_of", was_member_on.isoformat())
    officer.submit("検索")
    expect(page.locator(".asof")).to_contain_text(data.jadate(was_member_on) + " 時点の名簿")
    expect(results).to_contain_text("有限会社アオバ工業")
    officer.check_page("withdrawn-listed-on-past-date")
    with page.expect_navigation():
        results.get_by_role("link").first.click()
    expect(status).to_contain_text(f"{data.jadate(was_member_on)} に JAIM 賛助会員名簿に掲載されていました")
    expect(page.locator(".periods")).to_contain_text(f"{data.jadate(withdrawn_on)}に掲載終了")
    officer.check_page("withdrawn-entry-past-date")

    # The same entry today says it is no longer listed
    officer.follow("本日の状況を見る")
    expect(status).to_contain_text("（本日）現在、名簿に掲載されていません")
    officer.shot("withdrawn-entry-today")
    officer.assert_clean()
