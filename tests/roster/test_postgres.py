"""PostgreSQL: the name search is served by the pg_trgm GIN index on the search key (Japanese included)."""

import datetime as dt

import pytest
from django.db import connection

from roster import selectors
from roster.models import RosterEntry, RosterLine
from roster.selectors import RosterQuery
from tests.pg import explain
from tests.roster.factories import listed

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def plan(qs) -> str:
    """EXPLAIN of a search (a RawQuerySet: selectors.search builds its SQL itself)."""
    sql, params = qs.query.sql.split(" ORDER BY ")[0], qs.query.params  # ordering aside (see below)
    return explain(sql, params, disable=("seqscan",))


def test_trigram_index_exists_on_the_search_key():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'rosterline_search_key_trgm'")
        (indexdef,) = cursor.fetchone()
    assert "gin" in indexdef and "gin_trgm_ops" in indexdef


def _many_lines():
    m = listed(org_name="株式会社サンプル精工")
    entry = RosterEntry.objects.get(membership=m)
    words = ["精密", "工業", "製作所", "金属", "機械", "電機", "化学", "鋳造", "鍛造", "技研"]
    RosterLine.objects.bulk_create(
        RosterLine(
            entry=entry,
            valid_from=dt.date(2026, 4, 1),
            listed_since=dt.date(2026, 4, 1),
            token=f"t{i}",
            member_number=f"X{i:07d}",
            organisation_name="x",
            establishment_name="y",
            prefecture="23",
            city="z",
            search_key=f"{words[i % 10]}{words[(i // 10) % 10]}{i}",
        )
        for i in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE roster_rosterline")


def test_partial_japanese_name_search_uses_the_trigram_index():
    _many_lines()
    qs = selectors.search(RosterQuery(as_of=dt.date(2026, 11, 2), name="サンプル精"))
    # The WHERE clause can use the index (no UPPER(), no cast); ordering aside, which the planner weighs
    # by the table's real size (measured on 100,000 rows: bitmap scan on this index, ~4 ms).
    assert "rosterline_search_key_trgm" in plan(qs)
    two = selectors.search(RosterQuery(as_of=dt.date(2026, 11, 2), name="サン"))  # start-of-name form
    assert "rosterline_search_key_trgm" in plan(two)
    assert "UPPER" not in str(qs.query)  # a case-folding lookup would bypass the index


def test_pg_trgm_extracts_trigrams_from_japanese_text():
    with connection.cursor() as cursor:
        cursor.execute("SELECT array_length(show_trgm(%s), 1)", ["サンプル精工"])
        assert cursor.fetchone()[0] >= 4


def test_a_page_of_a_rare_name_is_not_found_by_walking_the_roster_in_member_order():
    """With LIMIT on top the planner preferred the member-number index, filtering every line (80 ms at 100,000
    for a name matching four): the page's query finds the matches first (selectors._materialize)."""
    from django.test.utils import CaptureQueriesContext

    _many_lines()
    with CaptureQueriesContext(connection) as queries:
        page = selectors.ResultPage(
            RosterQuery(as_of=dt.date(2026, 11, 2), name="サンプル精"), 1, per_page=20, cap=1000
        )
    assert page.count == 1
    (query,) = queries.captured_queries
    explained = explain(query["sql"], disable=("seqscan",))
    assert "rosterline_search_key_trgm" in explained and "rosterline_member_number" not in explained


def test_a_prefecture_search_can_use_an_index_for_both_the_prefecture_and_a_pending_new_one():
    _many_lines()
    qs = selectors.search(RosterQuery(as_of=dt.date(2026, 11, 2), prefecture="21"))
    explained = plan(qs)
    # (prefecture = X OR new_prefecture = X): a bitmap OR of the two indexes, not a filter over every line.
    assert "rosterline_prefecture" in explained and "rosterline_new_prefecture" in explained


def _page_plan(query: RosterQuery, number: int = 1) -> str:
    """EXPLAIN of the page query (the first one on the roster's lines), without sequential scans: test tables are
    small."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        selectors.ResultPage(query, number, per_page=20, cap=1000)
    # The page's query (it counts its matches), not the JSIC counts that may come before it.
    sql = next(q["sql"] for q in queries.captured_queries if "result_count" in q["sql"])
    return explain(sql, disable=("seqscan",))


def test_a_prefecture_page_is_found_through_the_prefecture_indexes_not_by_walking_the_roster():
    """A prefecture with fewer than cap + 1 lines made the member-order walk read every line of the roster
    (9,261 buffers at 10,000 lines against 237 through the bitmap OR): its matches are found first."""
    _many_lines()
    for number in (1, 3):  # the first page and a deeper one (OFFSET inside the first cap + 1 matches)
        explained = _page_plan(RosterQuery(as_of=dt.date(2026, 11, 2), prefecture="21"), number)
        assert "rosterline_prefecture" in explained and "rosterline_new_prefecture" in explained
        assert (
            "rosterline_member_number" not in explained and "Seq Scan on roster_rosterline" not in explained
        )
        assert "CTE Scan" in explained  # found first, ordered after: the planner cannot choose the walk


def test_a_narrow_jsic_page_uses_the_trigram_index():
    """A minor or detailed JSIC code is rare (the jsic_codes trigram index); a major letter or a middle
    classification is walked in member order only where it has many lines (the next test)."""
    _many_lines()
    code = _page_plan(RosterQuery(as_of=dt.date(2026, 11, 2), jsic="259"))
    assert "rosterline_jsic_codes_trgm" in code and "Seq Scan on roster_rosterline" not in code
    # A middle classification as rare as here (one line of 3,001): found first through the trigram index — walking
    # in member order would pass every line (middle classification 21 at 100,000: 75 ms walked, 3 ms found).
    rare = _page_plan(RosterQuery(as_of=dt.date(2026, 11, 2), jsic="25"))
    assert (
        "rosterline_jsic_codes_trgm" in rare and "CTE Scan" in rare and "rosterline_member_number" not in rare
    )


def test_a_common_middle_classification_walks_in_member_order_and_a_rare_one_is_found_first():
    """selectors._walk_pays: walked when it has enough current lines for the walk to stop after cap + 1 matches
    (matches² > 0.44 × (cap + 1) × all lines), found first otherwise. Per-process counts, one grouped query."""
    _many_lines()
    RosterLine.objects.filter(member_number__startswith="X", member_number__lt="X0002000").update(
        jsic_codes="|2592|"
    )  # 2,000 of 3,001 lines under 25; one under 21 (below)
    RosterLine.objects.filter(member_number="X0002999").update(jsic_codes="|2111|")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE roster_rosterline")
    selectors.forget_estimates()
    assert selectors._middle_counts() == ({"25": 2001, "21": 1}, 3001)  # with the listed site's own 25xx
    assert selectors._walk_pays("25", 1000) and not selectors._walk_pays("21", 1000)
    assert selectors._walk_pays("E", 1000)  # a major letter: its middle classifications together
    for broad in ("25", "E"):  # here both have 2,001 of 3,001 lines: the walk stops after cap + 1 of them
        common = _page_plan(RosterQuery(as_of=dt.date(2026, 11, 2), jsic=broad), 2)
        assert "CTE" not in common and "rosterline_member_number" in common, broad
        assert "Seq Scan on roster_rosterline" not in common
    rare = _page_plan(RosterQuery(as_of=dt.date(2026, 11, 2), jsic="21"))
    assert "CTE Scan" in rare and "rosterline_member_number" not in rare
    page = selectors.ResultPage(RosterQuery(as_of=dt.date(2026, 11, 2), jsic="21"), 1, per_page=20, cap=1000)
    assert page.count == 1


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (RosterQuery(as_of=dt.date(2026, 11, 2), name="サンプル精"), "rosterline_search_key_trgm"),
        (RosterQuery(as_of=dt.date(2026, 11, 2), prefecture="21"), "rosterline_prefecture"),
        (RosterQuery(as_of=dt.date(2026, 11, 2), jsic="259"), "rosterline_jsic_codes_trgm"),
    ],
)
def test_the_page_of_stored_cards_finds_its_lines_as_the_page_of_lines_does(query, index):
    """The public page reads the lines' stored cards (ResultPage(card_language=…)): the matches are found and
    counted by the same plan, then 20 cards read by primary key — never a walk or a scan of the roster."""
    from django.test.utils import CaptureQueriesContext

    _many_lines()
    with CaptureQueriesContext(connection) as queries:
        selectors.ResultPage(query, 1, per_page=20, cap=1000, card_language="ja")
    (sql,) = [q["sql"] for q in queries.captured_queries]
    explained = explain(sql, disable=("seqscan",))
    assert index in explained and "roster_rostercard_pkey" in explained
    assert "rosterline_member_number" not in explained and "Seq Scan on roster_rosterline" not in explained
