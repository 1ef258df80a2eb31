"""Search by reading (フリガナ): an officer often has only the kana from a bank or insurance document.

The registered readings of the company and the site are searchable like the names — half- and full-width
katakana, hiragana, with or without the legal form's reading or its bank abbreviation (ｶ), (ｶ, small kana and
long vowels as bank kana are compared (zengin.md §3, §4) — on the page and in the API; a part of three
characters or more matches; names or readings that start with the query come first. Readings are never shown:
they are in the search key only. On PostgreSQL (the trigram index serves the reading too)."""

import datetime as dt
import re

import pytest
from django.core.management import call_command

from members import services as members
from roster import selectors
from roster.forms import RosterSearchForm
from roster.models import RosterLine
from tests.pg import explain
from tests.roster.factories import listed

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

API = "/roster/api/v1"
D = dt.date


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 2, 3, tzinfo=dt.UTC))


def listed_with(org_name, org_kana, est_name="本社工場", est_kana="ホンシャコウジョウ", **kwargs):
    m = listed(org_name=org_name, est_name=est_name, name_kana=org_kana, **kwargs)
    members.update_establishment(m.establishment, by=None, data={"name_kana": est_kana})  # the roster follows
    m.refresh_from_db()
    return m


@pytest.fixture
def yamada():
    """The issue's case: 株式会社山田製作所 registered with フリガナ ヤマダセイサクショ and listed."""
    return listed_with(
        "株式会社山田製作所", "ヤマダセイサクショ", est_name="岐阜工場", est_kana="ギフコウジョウ"
    )


def api_numbers(client, **params) -> list[str]:
    body = client.get(f"{API}/entries", params).json()
    return [hit["member_number"] for hit in body["results"]]


def page_numbers(client, q) -> list[str]:
    html = client.get("/roster/", {"q": q}).content.decode()
    if 'class="results"' not in html:
        return []
    return list(dict.fromkeys(re.findall(r"J\d{7}", html.split('class="results"', 1)[1])))


@pytest.mark.parametrize(
    "q",
    [
        "ﾔﾏﾀﾞｾｲｻｸｼｮ",  # half-width, small ｮ
        "ﾔﾏﾀﾞｾｲｻｸｼﾖ",  # as the bank writes it: small kana enlarged
        "ヤマダセイサクショ",
        "やまだせいさくしょ",
        "ｶ)ﾔﾏﾀﾞｾｲｻｸｼｮ",  # the bank abbreviation of 株式会社 in front
        "ﾔﾏﾀﾞｾｲｻｸｼﾖ(ｶ",  # … and at the end
        "カブシキガイシャ ヤマダセイサクショ",  # the legal form's reading spelt out
        "かぶしきがいしゃやまだせいさくしょ",
    ],
)
def test_the_company_reading_finds_the_site_in_every_spelling_on_the_page_and_in_the_api(client, yamada, q):
    assert api_numbers(client, q=q) == [yamada.member_number]
    assert yamada.member_number in page_numbers(client, q)


def test_the_api_counts_a_half_width_reading(client, yamada):
    body = client.get(f"{API}/entries", {"q": "ﾔﾏﾀﾞｾｲｻｸｼｮ"}).json()  # the request: count 0 before
    assert body["count"] == 1
    assert api_numbers(client, name="ﾔﾏﾀﾞｾｲｻｸｼｮ") == [yamada.member_number]  # the name parameter too


def test_the_establishment_reading_finds_the_site(client, yamada):
    assert api_numbers(client, q="ｷﾞﾌｺｳｼﾞｮｳ") == [yamada.member_number]
    assert api_numbers(client, q="ぎふこうじょう") == [yamada.member_number]


def test_other_legal_forms_readings_and_abbreviations_are_ignored(client):
    m = listed_with("有限会社東海プレス", "トウカイプレス")
    for q in ("ﾕ)ﾄｳｶｲﾌﾟﾚｽ", "ユウゲンガイシャトウカイプレス", "とうかいぷれす", "ﾄｳｶｲﾌﾟﾚｽ(ﾕ"):
        assert api_numbers(client, q=q) == [m.member_number], q


def test_long_vowels_are_compared_as_bank_kana_compare_them(client):
    """zengin.md §4: ー and every dash are dropped (banks write ｰ as '-' or leave it out)."""
    m = listed_with("株式会社サンプル精工", "サンプルセイコー")
    for q in ("ｻﾝﾌﾟﾙｾｲｺ-", "ｻﾝﾌﾟﾙｾｲｺ", "さんぷるせいこー"):
        assert api_numbers(client, q=q) == [m.member_number], q


def test_a_part_of_a_reading_of_three_characters_matches_two_only_at_the_start(client, yamada):
    assert api_numbers(client, q="ｾｲｻｸ") == [yamada.member_number]
    assert api_numbers(client, q="せいさ") == [yamada.member_number]  # three characters, inside the reading
    assert api_numbers(client, q="やま") == [yamada.member_number]  # two: the start of the reading
    assert api_numbers(client, q="さく") == []  # two, inside: too broad to match


def test_results_rank_names_or_readings_that_start_with_the_query_first(client):
    """Ranking: names or readings that start with the query, then the rest (member-number order within)."""
    inside = listed_with("株式会社東海サンプル", "トウカイサンプル")  # the lowest member number
    by_name = listed_with("株式会社サンプル精工", "サンプルセイコウ")
    by_reading = listed_with("三風工業株式会社", "サンプコウギョウ")  # 三風: the name has no kana
    assert inside.member_number < by_name.member_number < by_reading.member_number
    expected = [by_name.member_number, by_reading.member_number, inside.member_number]
    assert api_numbers(client, q="サンプ") == expected
    assert page_numbers(client, "サンプ") == expected
    assert api_numbers(client, q="ｻﾝﾌﾟ") == expected
    # An exact 法人番号 or member number is a lookup of its own: that site alone.
    assert api_numbers(client, q=inside.member_number) == [inside.member_number]
    number = inside.establishment.organisation.corporate_number
    assert api_numbers(client, q=number) == [inside.member_number]


def test_ranking_holds_across_pages(client):
    inside = [listed_with(f"株式会社東海サンプル{i}", f"トウカイサンプル{i}") for i in range(3)]
    first = listed_with("株式会社サンプル精工", "サンプルセイコウ")
    body = client.get(f"{API}/entries", {"q": "サンプル", "page_size": 2}).json()
    assert body["count"] == 4
    assert [h["member_number"] for h in body["results"]] == [first.member_number, inside[0].member_number]
    body = client.get(f"{API}/entries", {"q": "サンプル", "page_size": 2, "page": 2}).json()
    assert [h["member_number"] for h in body["results"]] == [m.member_number for m in inside[1:]]


def test_readings_are_never_shown_in_results_entry_pages_or_downloads(client, yamada):
    from django.core.files.storage import default_storage

    from roster import services
    from roster.models import RosterExport

    spellings = ("ヤマダセイサクショ", "ヤマダセイサクシヨ", "ﾔﾏﾀﾞ", "ギフコウジョウ", "ギフコウジヨウ")
    q = "やまだせいさくしょ"  # the page repeats the query typed: none of the spellings looked for
    page = client.get("/roster/", {"q": q}).content.decode()
    api = client.get(f"{API}/entries", {"q": q}).content.decode("unicode_escape")
    assert page.count("株式会社山田製作所") and '"count":1' in api.replace(" ", "")
    token = yamada.roster_entry.token
    entry = client.get(f"/roster/e/{token}/").content.decode()
    entry_api = client.get(f"{API}/entries/{token}").content.decode("unicode_escape")
    assert "株式会社山田製作所" in page and "株式会社山田製作所" in entry
    services.build_exports(formats=["csv"])
    with default_storage.open(RosterExport.objects.get(format="csv").file_name, "rb") as f:
        csv_text = f.read().decode("utf-8-sig")
    for text in (page, api, entry, entry_api, csv_text):
        assert not any(s in text for s in spellings)
    # The line has no column for a reading: only the search key holds it.
    assert not [f.name for f in RosterLine._meta.fields if "kana" in f.name]
    assert "ヤマダセイサクシヨ" in selectors.lines_on(D(2026, 11, 2)).get(entry__membership=yamada).search_key


def test_a_changed_reading_is_searchable_at_once_and_the_old_one_is_not(client, yamada):
    org = yamada.establishment.organisation
    members.update_organisation(org, by=None, data={"name_kana": "ヤマダコウギョウ"})
    assert api_numbers(client, q="ﾔﾏﾀﾞｺｳｷﾞｮｳ") == [yamada.member_number]
    assert api_numbers(client, q="ﾔﾏﾀﾞｾｲｻｸｼｮ") == []


def test_a_name_search_without_kana_is_looked_up_by_its_name_alone(yamada):
    """A query in kanji or Latin letters is no reading: it is looked for as a name only, as before."""
    for q in ("山田製作所", "株式会社山田", "abc", "ﾔﾏﾀﾞ製作所"):
        form = RosterSearchForm({"q": q})
        assert form.is_valid(), form.errors
        query = form.query()
        assert query.reading == ""
        assert selectors._name_keys(query) == [query.name]


def test_a_reading_search_is_served_by_the_trigram_index(yamada):
    form = RosterSearchForm({"q": "ﾔﾏﾀﾞｾｲｻｸｼｮ"})
    assert form.is_valid()
    where, params = selectors._where(form.query())
    sql = f"SELECT id FROM roster_rosterline WHERE {where}"  # noqa: S608 - fixed SQL
    assert "rosterline_search_key_trgm" in explain(sql, params, disable=("seqscan",))


def test_the_rebuild_keeps_the_readings(client, yamada):
    call_command("rebuild_roster", "--full")
    assert api_numbers(client, q="ﾔﾏﾀﾞｾｲｻｸｼｮ") == [yamada.member_number]


def test_the_migration_fills_readings_of_existing_lines(client, yamada):
    """Lines written before readings were kept (names only in the key) are searchable after the migration."""
    import importlib

    from django.apps import apps

    from roster.models import NameVersion

    NameVersion.objects.update(organisation_name_kana="", establishment_name_kana="")
    RosterLine.objects.update(search_key="山田製作所 岐阜工場")
    assert api_numbers(client, q="ﾔﾏﾀﾞｾｲｻｸｼｮ") == []
    selectors.bump_roster_version()
    migration = importlib.import_module("roster.migrations.0005_nameversion_readings")
    migration.fill(apps, None)
    selectors.bump_roster_version()
    assert set(NameVersion.objects.values_list("organisation_name_kana", flat=True)) == {"ヤマダセイサクショ"}
    assert api_numbers(client, q="ﾔﾏﾀﾞｾｲｻｸｼｮ") == [yamada.member_number]


def test_the_demo_sites_are_found_by_their_readings(client):
    """The issue's demo cases: トウカイプレス and さんぷるせいこう."""
    call_command("seed_demo")
    assert [
        h["organisation_name"]
        for h in client.get(f"{API}/entries", {"q": "トウカイプレス"}).json()["results"]
    ] == ["株式会社東海プレス工業"]
    names = {
        h["organisation_name"]
        for h in client.get(f"{API}/entries", {"q": "さんぷるせいこう"}).json()["results"]
    }
    assert "株式会社サンプル精工" in names
