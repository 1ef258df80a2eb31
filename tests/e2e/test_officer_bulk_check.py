"""An immigration officer or support organisation (anonymous) checks many sites at once in a real browser: pastes
a list of 法人番号 and member numbers, picks the day the applications were filed, reads the table (a listed site,
a withdrawn one, a wrong check digit, a duplicate) and downloads it as CSV; then downloads the whole roster of
that past day from the roster page (domain.md §7: membership verified *on a date*)."""

import csv
import datetime as dt
import io

import pytest
from playwright.sync_api import expect

from jaim.dates import today
from tests.e2e import data
from tests.factories import withdraw
from tests.roster.factories import listed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MIDORI_NUMBER = "4011001098993"  # valid 法人番号 (domain.md §8)


def test_officer_checks_a_list_on_a_past_date_downloads_it_and_the_roster_of_that_day(visitor):
    on = today()
    midori = listed(
        org_name="株式会社ミドリ精工",
        est_name="豊橋工場",
        corporate_number=MIDORI_NUMBER,
        on=on - dt.timedelta(days=200),
    )
    aoba = listed(org_name="有限会社アオバ工業", est_name="仙台工場", on=on - dt.timedelta(days=400))
    withdraw(aoba, on=on - dt.timedelta(days=60))
    filed_on = on - dt.timedelta(days=30)  # after the withdrawal

    officer = visitor("officer")
    page = officer.page
    officer.goto("/roster/")
    officer.follow("複数の事業所を基準日でまとめて確認する（一括確認）")
    officer.check_page("bulk-check-form")

    page.fill(
        "#id_numbers", f"法人番号\n{MIDORI_NUMBER}\n{aoba.member_number}\n4011001098994\n{MIDORI_NUMBER}"
    )
    page.fill("#id_as_of", filed_on.isoformat())
    officer.submit("確認する")
    expect(page.locator(".asof")).to_contain_text(f"{data.jadate(filed_on)} 時点の確認結果")
    table = page.locator(".verify-table")
    expect(table.locator("tr.verify-listed")).to_contain_text("株式会社ミドリ精工")
    expect(table.locator("tr.verify-listed")).to_contain_text("5行目にも同じ番号があります")
    expect(table.locator("tr.verify-not")).to_contain_text("有限会社アオバ工業")
    expect(table.locator("tr.verify-invalid")).to_contain_text("チェックデジットが正しくありません")
    officer.check_page("bulk-check-results")

    content = officer.download(lambda: page.get_by_role("button", name="結果をCSVでダウンロード").click())
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [(r["入力値"], r["結果"]) for r in rows] == [
        (MIDORI_NUMBER, "掲載あり"),
        (aoba.member_number, "掲載なし（過去・後日の掲載あり）"),
        ("4011001098994", "番号の誤り"),
    ]
    assert rows[0]["会員番号"] == midori.member_number and rows[0]["基準日"] == filed_on.isoformat()

    # The whole roster of a day inside the withdrawn site's listing, from the roster page
    was_member_on = on - dt.timedelta(days=100)
    officer.goto(f"/roster/?as_of={was_member_on.isoformat()}")
    section = page.locator("#dated-downloads")
    expect(section).to_contain_text(f"{data.jadate(was_member_on)}時点の名簿をダウンロード")
    content = officer.download(lambda: section.get_by_role("link", name="CSV（Excelで開けます）").click())
    names = [r["法人名"] for r in csv.DictReader(io.StringIO(content.decode("utf-8-sig")))]
    assert sorted(names) == ["有限会社アオバ工業", "株式会社ミドリ精工"]
    officer.assert_clean()
