"""The public page: search by name / 法人番号 / member number, filters, paging, the as-of date stated."""

import datetime as dt

import pytest
from django.urls import reverse

from members import services as members
from tests.factories import withdraw
from tests.roster.factories import listed

pytestmark = pytest.mark.django_db

D = dt.date
URL = "/roster/"


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 2, 3, tzinfo=dt.UTC))  # 2026-11-02 12:00 in Tokyo


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_roster_page_is_public_and_linked_as_roster_search(client):
    assert reverse("roster:search") == URL
    page = html(client.get(URL))
    assert "JAIM 賛助会員名簿" in page and 'name="q"' in page


def test_search_by_partial_name_ignores_legal_form_width_and_kana(client):
    m = listed(org_name="株式会社サンプル精工", est_name="本社工場")
    listed(org_name="有限会社ほかの印刷", est_name="東京工場")
    for typed in ["ｻﾝﾌﾟﾙ", "さんぷる", "(株)サンプル", "サンプル 精工", "ｶﾌﾞｼｷｶﾞｲｼｬｻﾝﾌﾟﾙ"]:
        page = html(client.get(URL, {"q": typed}))
        assert m.member_number in page, typed
        assert "ほかの印刷" not in page, typed


def test_search_by_establishment_name(client):
    m = listed(org_name="株式会社サンプル精工", est_name="各務原第三工場")
    assert m.member_number in html(client.get(URL, {"q": "第三工場"}))


def test_name_search_needs_two_characters_after_normalisation(client):
    listed(org_name="株式会社サンプル精工")
    page = html(client.get(URL, {"q": "株式会社 サ"}))
    assert "2文字以上" in page and 'class="roster-item"' not in page


def test_search_by_corporate_number_is_exact_and_accepts_full_width_digits(client):
    m = listed(org_name="株式会社サンプル精工", corporate_number="4011001098993")
    other = listed(org_name="株式会社サンプル工業")
    page = html(client.get(URL, {"q": "４０１１００１０９８９９３"}))
    assert m.member_number in page and other.member_number not in page
    assert other.member_number not in html(
        client.get(URL, {"q": "401100109899"})
    )  # 12 digits: not a partial match


def test_search_by_member_number(client):
    m = listed()
    other = listed(org_name="株式会社べつ")
    page = html(client.get(URL, {"q": m.member_number.lower()}))
    assert m.member_number in page and other.member_number not in page


def test_filter_by_prefecture(client):
    aichi = listed(org_name="株式会社愛知工業", prefecture="23", city="豊田市")
    gifu = listed(org_name="株式会社岐阜工業", prefecture="21", city="岐阜市")
    page = html(client.get(URL, {"prefecture": "21"}))
    assert gifu.member_number in page and aichi.member_number not in page
    assert "岐阜県岐阜市" in page


def test_middle_and_minor_jsic_filters_match_their_detail_codes(client):
    machine = listed(org_name="株式会社機械", codes=("2592",))  # 259 ⊂ 25
    plating = listed(org_name="株式会社めっき", codes=("2464",))  # 246 ⊂ 24
    for code, inside, outside in [
        ("25", machine, plating),
        ("259", machine, plating),
        ("24", plating, machine),
    ]:
        page = html(client.get(URL, {"jsic": code}))
        assert inside.member_number in page and outside.member_number not in page, code


def test_results_show_the_public_columns(client):
    m = listed(
        org_name="株式会社サンプル精工",
        est_name="本社工場",
        prefecture="23",
        city="名古屋市中村区",
        codes=("2592",),
        on=D(2026, 4, 1),
        corporate_number="4011001098993",
    )
    page = html(client.get(URL, {"q": "サンプル"}))
    for expected in [
        m.member_number,
        "株式会社サンプル精工",
        "本社工場",
        "愛知県名古屋市中村区",
        "2592",
        "4011001098993",
        "2026年4月1日",
    ]:
        assert expected in page, expected


def test_page_states_the_date_of_the_answer(client):
    listed()
    assert "2026年11月2日（本日）時点の名簿" in html(client.get(URL, {"q": "テスト"}))
    assert "2026年5月1日 時点の名簿" in html(client.get(URL, {"q": "テスト", "as_of": "2026-05-01"}))


def test_future_as_of_date_is_refused_with_a_message(client):
    page = html(client.get(URL, {"q": "テスト", "as_of": "2026-11-03"}))
    assert "未来の日付は指定できません" in page


def test_as_of_search_answers_for_that_day(client):
    m = listed(org_name="株式会社退会済み", on=D(2026, 4, 1))
    withdraw(m, on=D(2026, 10, 1))
    assert m.member_number not in html(client.get(URL, {"q": "退会済み"}))
    assert m.member_number in html(client.get(URL, {"q": "退会済み", "as_of": "2026-09-30"}))
    assert m.member_number not in html(client.get(URL, {"q": "退会済み", "as_of": "2026-10-01"}))
    assert m.member_number not in html(client.get(URL, {"q": "退会済み", "as_of": "2026-03-31"}))


def test_pending_relocation_shows_old_and_new_side_by_side_on_the_page(client):
    m = listed(org_name="株式会社サンプル精工", est_name="岐阜工場", prefecture="21", city="岐阜市")
    members.record_identity_change(
        m.establishment,
        kind="RELOCATION",
        new_organisation_name="",
        new_establishment_name="各務原新工場",
        accepted_on=D(2026, 10, 1),
        new_postal_code="5040000",
        new_prefecture="21",
        new_city="各務原市",
        new_address_line="1-1",
    )
    page = html(client.get(URL, {"q": "各務原"}))
    assert "移転手続中" in page and "岐阜工場" in page and "各務原新工場" in page and "岐阜県各務原市" in page


def test_results_are_paged(client):
    ms = [listed(org_name=f"株式会社ページ工業{i:02d}") for i in range(23)]
    first = html(client.get(URL, {"q": "ページ工業"}))
    second = html(client.get(URL, {"q": "ページ工業", "page": "2"}))
    assert "23件" in first and "1 / 2 ページ" in first
    assert ms[0].member_number in first and ms[22].member_number not in first
    assert ms[22].member_number in second


def test_query_count_per_page_is_constant(client, django_assert_max_num_queries):
    from django.core.cache import cache

    for i in range(3):
        listed(org_name=f"株式会社定数工業{i}")
    client.get(URL, {"q": "定数工業", "page": "9"})  # warm the process caches (JSIC choices, exports list)
    cache.clear()
    with django_assert_max_num_queries(2):
        small = client.get(URL, {"q": "定数工業"})
    for i in range(3, 45):
        listed(org_name=f"株式会社定数工業{i}")
    cache.clear()
    with django_assert_max_num_queries(2):
        big = client.get(URL, {"q": "定数工業", "page": "2"})
    assert html(small).count('class="roster-item"') == 3 and html(big).count('class="roster-item"') == 20


def test_a_repeated_search_is_served_from_the_cache_until_the_roster_changes(
    client, django_assert_num_queries
):
    m = listed(org_name="株式会社キャッシュ工業", on=D(2026, 4, 1))
    assert m.member_number in html(client.get(URL, {"q": "キャッシュ工業"}))
    with django_assert_num_queries(0):
        assert m.member_number in html(client.get(URL, {"q": "キャッシュ工業"}))
    withdraw(m, on=D(2026, 11, 2))  # delisted today
    assert m.member_number not in html(client.get(URL, {"q": "キャッシュ工業"}))
    api = "/roster/api/v1/entries"
    assert client.get(api, {"q": "キャッシュ工業", "as_of": "2026-11-01"}).json()["count"] == 1
    with django_assert_num_queries(0):
        assert client.get(api, {"q": "キャッシュ工業", "as_of": "2026-11-01"}).json()["count"] == 1
    listed(org_name="株式会社キャッシュ工業第二", on=D(2026, 10, 1))
    assert client.get(api, {"q": "キャッシュ工業", "as_of": "2026-11-01"}).json()["count"] == 2


def test_entry_page_by_token_shows_status_and_periods(client):
    m = listed(org_name="株式会社サンプル精工", on=D(2026, 4, 1))
    withdraw(m, on=D(2026, 10, 1))
    token = m.roster_entry.token
    page = html(client.get(reverse("roster:entry", args=[token])))
    assert (
        "名簿に掲載されていません" in page
        and "2026年4月1日" in page
        and "2026年9月30日" in page
        and "2026年10月1日に掲載終了" in page
    )
    past = html(client.get(reverse("roster:entry", args=[token]), {"as_of": "2026-09-30"}))
    assert "2026年9月30日 に JAIM 賛助会員名簿に掲載されていました" in past


def test_unknown_token_is_404_and_ids_do_not_work(client):
    m = listed()
    assert client.get(reverse("roster:entry", args=["nope"])).status_code == 404
    assert client.get(f"/roster/e/{m.pk}/").status_code == 404
    assert client.get(f"/roster/e/{m.roster_entry.pk}/").status_code == 404


def test_two_character_names_match_the_start_of_a_name(client):
    kao = listed(org_name="花王株式会社", est_name="和歌山工場")
    other = listed(org_name="株式会社大花王国", est_name="本社工場")  # 花王 inside a name: not a 2-char match
    page = html(client.get(URL, {"q": "花王"}))
    assert kao.member_number in page and other.member_number not in page
    assert kao.member_number in html(client.get(URL, {"q": "和歌"}))  # the establishment name's start too
    assert other.member_number in html(client.get(URL, {"q": "花王国"}))  # three characters: any part


def test_broad_searches_count_at_most_a_thousand(client, settings, monkeypatch):
    from roster import forms

    monkeypatch.setattr(forms, "MAX_PAGES", 1)
    monkeypatch.setattr("roster.page.MAX_PAGES", 1)
    monkeypatch.setattr("roster.page.PAGE_SIZE", 2)
    for i in range(4):
        listed(org_name=f"株式会社広い検索{i}")
    page = html(client.get(URL, {"q": "広い検索"}))
    assert "2件以上" in page and "条件を絞り込むか" in page and page.count('class="roster-item"') == 2


def test_unknown_prefecture_is_an_error_next_to_the_field(client):
    page = html(client.get(URL, {"prefecture": "99"}))
    assert "都道府県を選択してください" in page and 'class="roster-item"' not in page
