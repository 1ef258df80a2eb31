"""The roster search's hot path (scale, profiled in bench/RESULTS.md): the pre-rendered page shell, answers
cached with their roster version, the search in SQL (LIKE taken literally, one query for a page and its count),
the inputs rendered in Python. Each must give what the ordinary path gave."""

import datetime as dt
import re

import pytest
from django import forms
from django.http import QueryDict
from django.template.loader import render_to_string
from django.test import Client

from roster import selectors, views
from roster.forms import FastDateInput, FastTextInput
from tests.roster.factories import listed

pytestmark = pytest.mark.django_db

URL = "/roster/"


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 2, 3, tzinfo=dt.UTC))


@pytest.fixture(autouse=True)
def _fresh_shells():
    views._SHELLS.clear()
    yield
    views._SHELLS.clear()


def _csrf(page: str) -> list[str]:
    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)


def test_the_shell_gives_the_page_the_template_gives(client, rf):
    m = listed(org_name="株式会社シェル工業")
    page = client.get(URL, {"q": "シェル工業"}).content.decode()
    assert views._SHELLS, "a visitor's page is built from the shell"
    assert m.member_number in page
    # The same page through the ordinary render (what a signed-in user or DEBUG gets), tokens aside.
    request = rf.get(URL, {"q": "シェル工業"})
    request.user = __import__("django.contrib.auth.models", fromlist=["AnonymousUser"]).AnonymousUser()
    request.session = {}
    body = selectors.cached_answer("page", request.GET).value
    ordinary = render_to_string(
        "roster/search.html", {"body": views.mark_safe(body), "searched": True}, request=request
    )
    strip = lambda html: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)  # noqa: E731
    assert strip(page) == strip(ordinary)


def test_the_shell_carries_a_working_csrf_token_and_the_escaped_path(settings):
    settings.LANGUAGE_COOKIE_NAME = "django_language"
    client = Client(enforce_csrf_checks=True)
    page = client.get(URL, {"q": '"><script>alert(1)</script>'}).content.decode()
    tokens = _csrf(page)
    assert len(tokens) == 1 and "\x00" not in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page  # the language form's next
    # The token is this visitor's: the language switch in the header works with it.
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": URL, "csrfmiddlewaretoken": tokens[0]}
    )
    assert response.status_code == 302
    assert client.post("/i18n/setlang/", {"language": "en", "next": URL}).status_code == 403


def test_a_signed_in_user_gets_the_ordinary_page_with_their_menu(client, django_user_model):
    user = django_user_model.objects.create_user(email="shell@example.jp", password="x-very-long-pass")
    client.force_login(user)
    page = client.get(URL, {"q": "なにか工業"}).content.decode()
    assert "ログアウト" in page and not views._SHELLS


def test_an_answer_cached_under_an_older_version_is_not_served():
    params = QueryDict("q=古い答え")
    answer = selectors.cached_answer("page", params)
    assert answer.value is None and answer.key
    selectors.store_answer(answer, "stored")
    assert selectors.cached_answer("page", params).value == "stored"
    selectors.bump_roster_version()
    assert selectors.cached_answer("page", params).value is None
    # An answer computed before a change but stored after it carries the old version: still not served.
    selectors.store_answer(answer, "computed before the change")
    assert selectors.cached_answer("page", params).value is None


def test_like_wildcards_in_a_name_are_taken_literally():
    # search_key() already drops % and _ from what a visitor types; the SQL must not rely on that.
    listed(org_name="株式会社ABC工業")
    day = dt.date(2026, 11, 2)
    for pattern in ("%", "_", "%%%", "a_c", "\\"):
        assert list(selectors.search(selectors.RosterQuery(as_of=day, name=pattern))) == [], pattern
    assert len(list(selectors.search(selectors.RosterQuery(as_of=day, name="abc")))) == 1


def test_a_page_beyond_the_last_shows_the_last_page(client):
    ms = [listed(org_name=f"株式会社終端工業{i:02d}") for i in range(23)]
    page = client.get(URL, {"q": "終端工業", "page": "7"}).content.decode()
    assert "23件" in page and "2 / 2 ページ" in page and ms[22].member_number in page
    assert ms[0].member_number not in page


def test_one_query_gives_a_page_and_its_count(django_assert_num_queries):
    for i in range(25):
        listed(org_name=f"株式会社一回工業{i:02d}")
    query = selectors.RosterQuery(as_of=dt.date(2026, 11, 2), name="一回工業")
    with django_assert_num_queries(1):
        page = selectors.ResultPage(query, 2, per_page=20, cap=1000)
        assert page.count == 25 and len(page.object_list) == 5 and page.num_pages == 2
    with django_assert_num_queries(1):
        capped = selectors.ResultPage(query, 1, per_page=20, cap=21)
        assert capped.capped and capped.shown_count == 21 and capped.num_pages == 2


@pytest.mark.parametrize(
    ("fast", "django"),
    [(FastTextInput, forms.TextInput), (FastDateInput, forms.DateInput)],
)
def test_fast_inputs_render_as_django_does(fast, django):
    attrs = {
        "placeholder": '例："サンプル" & <株>',
        "autocomplete": "off",
        "required": True,
        "disabled": False,
    }
    for value in [None, "", 'a"b<c>&', dt.date(2026, 4, 1)]:
        assert fast(attrs=attrs).render("q", value, {"id": "id_q"}) == django(attrs=attrs).render(
            "q", value, {"id": "id_q"}
        )


@pytest.mark.redis
def test_the_redis_cache_keeps_one_client_and_works(settings):
    import uuid

    from jaim.cache import RedisCache

    url = settings.CELERY_BROKER_URL.rsplit("/", 1)[0] + "/9"
    backend = RedisCache(url, {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    client = backend._cache.get_client()
    assert backend._cache.get_client(write=True) is client and backend._cache.get_client() is client
    backend.set("answer", (7, "本文"), 30)
    assert backend.get_many(["answer", "missing"]) == {"answer": (7, "本文")}
    assert backend.incr("answer-count", 1) if backend.add("answer-count", 1, 30) else False
    assert backend.get("answer-count") == 2
    backend.delete_many(["answer", "answer-count"])
    assert backend.get("answer") is None


def test_the_form_is_reused_per_filters_with_each_query_put_in_escaped(client):
    from roster import page

    page._FORMS.clear()
    first = client.get(URL, {"q": "最初の工業", "prefecture": "21"}).content.decode()
    second = client.get(URL, {"q": 'つぎ"<b>工業', "prefecture": "21"}).content.decode()
    assert len(page._FORMS) == 1  # one form HTML for both queries
    assert 'value="最初の工業"' in first and "最初の工業" not in second
    assert 'value="つぎ&quot;&lt;b&gt;工業"' in second and page._Q_MARKER not in first + second
    assert '<option value="21" selected>' in second
    # A form with errors is rendered as it is, never from the reused HTML.
    broken = client.get(URL, {"q": "株式会社 サ", "prefecture": "21"}).content.decode()
    assert "2文字以上" in broken and 'value="株式会社 サ"' in broken and len(page._FORMS) == 1
