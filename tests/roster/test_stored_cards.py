"""The roster search's cold path (scale): result cards stored on the lines when they are written, read by the
page by primary key, and a visitor's GET taken through the short middleware path. Each must give exactly what
the full path gives."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from roster import cards, rebuild, selectors, views
from roster.models import RosterCard, RosterLine
from tests.roster.factories import listed

pytestmark = pytest.mark.django_db

URL = "/roster/"
DAY = dt.date(2026, 11, 2)


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 2, 3, tzinfo=dt.UTC))


@pytest.fixture(autouse=True)
def _fresh_shells():
    views._SHELLS.clear()
    yield
    views._SHELLS.clear()


def _lines():
    ms = [listed(org_name=f"株式会社格納工業{i:02d}", prefecture="13") for i in range(3)]
    # A pending relocation with markup in its names: the stored card escapes and shows both as the render does.
    line = RosterLine.objects.get(member_number=ms[1].member_number)
    line.change_kind, line.new_prefecture, line.new_city = "RELOCATION", "14", "横浜市<中区>"
    line.new_organisation_name, line.new_establishment_name = '株式会社格納工業"新"', "新&工場"
    line.save()
    RosterCard.objects.filter(line=line).delete()
    cards.write_cards([line])
    return ms


def _query() -> selectors.RosterQuery:
    return selectors.RosterQuery(as_of=DAY, name="格納工業")


@pytest.mark.parametrize("language", cards.CARD_LANGUAGES)
def test_stored_cards_are_the_cards_the_lines_render(language):
    _lines()
    with translation.override(language):
        stored = selectors.ResultPage(_query(), 1, per_page=20, cap=1000, card_language=language)
        models = selectors.ResultPage(_query(), 1, per_page=20, cap=1000)
        assert stored.count == models.count == 3
        for as_of in ("", "2026-05-01"):
            html = cards.stored_cards(stored.object_list, as_of_param=as_of)
            assert html == "".join(cards.line_cards(models.object_list, as_of_param=as_of))
            assert cards.AS_OF_MARK not in html
        assert "横浜市&lt;中区&gt;" in html and "?as_of=2026-05-01" in html


def test_a_line_stored_with_another_format_is_rendered_when_shown_and_rewritten_by_a_rebuild(client):
    ms = _lines()
    page = client.get(URL, {"q": "格納工業"}).content.decode()
    RosterLine.objects.filter(member_number=ms[0].member_number).update(card_format=1)  # older markup
    # written before the cards were stored (migration 0006)
    RosterCard.objects.filter(line__member_number=ms[2].member_number).delete()
    RosterLine.objects.filter(member_number=ms[2].member_number).update(card_format=0)
    views._SHELLS.clear()
    with CaptureQueriesContext(connection) as queries:
        again = client.get(URL, {"q": "格納工業", "x": "1"}).content.decode()  # another query: not cached
    strip = lambda html: re.sub(r'value="[^"]{64}"|x=1&amp;|&amp;x=1', "", html)  # noqa: E731
    assert strip(again) == strip(page)
    assert any("roster_rosterline" in q["sql"] and " IN (" in q["sql"] for q in queries.captured_queries)
    rebuild.rebuild()
    current = cards.card_format()
    assert set(RosterLine.objects.values_list("card_format", flat=True)) == {current}
    assert RosterCard.objects.count() == RosterLine.objects.count()


def test_the_card_format_changes_with_what_the_cards_are_rendered_with(monkeypatch):
    before = cards.card_format()
    labels = cards._card_labels
    monkeypatch.setattr(cards, "_card_labels", lambda: {**labels(), "location": "場所"})  # a new translation
    monkeypatch.setattr(cards, "_LABELS", {})
    monkeypatch.setattr(cards, "_FORMATS", {})
    assert cards.card_format() not in (before, 0)


def test_a_page_reads_one_query_for_one_result_as_for_twenty(client, django_assert_max_num_queries):
    listed(org_name="株式会社一件工業")
    for i in range(25):
        listed(org_name=f"株式会社多数工業{i:02d}")
    client.get(URL, {"q": "準備"})  # the process's once-per-version reads (latest exports)
    for q in ("一件工業", "多数工業"):
        with django_assert_max_num_queries(1):
            assert client.get(URL, {"q": q}).status_code == 200


def _masked(response) -> tuple:
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    headers = {k: v for k, v in response.headers.items() if k not in ("Date",)}
    cookies = {
        name: (m["max-age"], m["path"], m["samesite"], m["httponly"], m["secure"])
        for name, m in response.cookies.items()
    }
    return response.status_code, body, headers, cookies


@pytest.mark.parametrize("language", ["ja", "en"])
def test_a_visitors_search_takes_the_short_path_and_gets_what_the_full_path_gives(language):
    listed(org_name="株式会社短路工業")
    short, full = Client(), Client()
    if language == "en":
        short.cookies["django_language"] = full.cookies["django_language"] = "en"
    full.cookies["unrelated"] = "1"  # any other cookie: the full middleware path
    a = short.get(URL, {"q": "短路工業"})
    b = full.get(URL, {"q": "短路工業"})
    assert not hasattr(a.wsgi_request, "session") and hasattr(b.wsgi_request, "session")
    assert _masked(a) == _masked(b)
    headers = a.headers
    assert headers["Content-Language"] == language and headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"] and "Cookie" in headers["Vary"]
    assert headers["Referrer-Policy"] and headers["Permissions-Policy"] and "csrftoken" in a.cookies
    assert ("Member roster" if language == "en" else "会員名簿") in a.content.decode()


def test_the_short_path_is_only_for_a_visitors_get_of_the_search(client, django_user_model):
    post = Client().post(URL, {"q": "x"})
    assert post.status_code == 405 and hasattr(post.wsgi_request, "session")
    assert hasattr(Client().get("/roster/verify/").wsgi_request, "session")
    user = django_user_model.objects.create_user(email="short@example.jp", password="x-very-long-pass")
    client.force_login(user)
    signed_in = client.get(URL, {"q": "なにか工業"})
    assert hasattr(signed_in.wsgi_request, "session") and "ログアウト" in signed_in.content.decode()


def test_search_forms_share_their_fields_but_not_their_errors_or_data():
    from roster.forms import RosterSearchForm

    broken, good = RosterSearchForm({"q": "サ", "prefecture": "99"}), RosterSearchForm({"q": "格納工業"})
    assert broken.fields["q"] is good.fields["q"]  # no deep copy per form
    assert not broken.is_valid() and good.is_valid() and not good.errors
    assert good.cleaned_data["name_key"] and "prefecture" in broken.errors
    assert 'value="格納工業"' in str(good["q"]) and 'value="サ"' in str(broken["q"])
    assert "selected" not in str(good["prefecture"]) and 'placeholder="例：' in str(good["q"])


def test_a_card_is_deleted_with_its_line_by_the_database(django_assert_num_queries):
    ms = _lines()
    line = RosterLine.objects.get(member_number=ms[0].member_number)
    assert RosterCard.objects.filter(line_id=line.pk).exists()
    with django_assert_num_queries(1):  # one DELETE: the cards go by ON DELETE CASCADE
        RosterLine.objects.filter(pk=line.pk).delete()
    assert not RosterCard.objects.filter(line_id=line.pk).exists()
