"""The round trips of a visitor's search (issue 20, bench/NOTES.md): one read of the shared cache for the roster's
version, the page query, nothing else — answers kept in the web process under that version, no `SELECT 1`
health check before the query. What must still hold: nothing is served after a change, the memory is
bounded, and a connection that broke since the last request costs the visitor nothing."""

import datetime as dt
import time
from types import SimpleNamespace

import psycopg
import pytest
from django.db import connection, connections
from django.http import QueryDict
from django.test import Client

from roster import selectors
from tests.roster.factories import listed

URL = "/roster/"


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 2, 3, tzinfo=dt.UTC))


class _Calls:
    """Counts the calls of a shared-cache method about the roster's keys (not the rate limiter's), then does
    what it does."""

    def __init__(self, monkeypatch, name):
        self.count = 0
        real = getattr(selectors.cache, name)

        def counted(*args, **kwargs):
            keys = args[0] if args else next(iter(kwargs.values()), "")
            keys = [keys] if isinstance(keys, str) else list(keys)
            self.count += any(str(k).startswith("roster:") for k in keys)
            return real(*args, **kwargs)

        monkeypatch.setattr(selectors.cache, name, counted)


@pytest.mark.django_db
def test_a_repeated_search_is_answered_from_the_process_and_writes_nothing_to_the_shared_cache(
    monkeypatch, django_assert_num_queries
):
    m = listed(org_name="株式会社往復工業")
    client = Client()
    first = client.get(URL, {"q": "往復工業"}).content.decode()
    assert m.member_number in first
    writes = [_Calls(monkeypatch, name) for name in ("set", "set_many", "add")]
    reads = _Calls(monkeypatch, "get")
    with django_assert_num_queries(0):  # the answer computed above, under the same version
        again = client.get(URL, {"q": "往復工業"}).content.decode()
    assert m.member_number in again and reads.count == 1  # the version only
    assert sum(w.count for w in writes) == 0
    # A new query: computed (one query), kept in the process, still nothing written to the shared cache.
    with django_assert_num_queries(1):
        client.get(URL, {"q": "往復工業株式会社以外"})
    assert sum(w.count for w in writes) == 0 and reads.count == 2


@pytest.mark.django_db
def test_a_change_to_the_roster_is_seen_by_every_process_at_once():
    params = QueryDict("q=変更工業")
    answer = selectors.cached_answer("page", params)
    selectors.store_answer(answer, "kept before the change")
    assert selectors.cached_answer("page", params).value == "kept before the change"
    selectors.bump_roster_version()  # another process's change: only the shared version moved
    assert selectors.cached_answer("page", params).value is None
    # Through the page: a site listed after the first search shows at the next one.
    client = Client()
    assert "株式会社後載工業" not in client.get(URL, {"q": "後載工業"}).content.decode()
    m = listed(org_name="株式会社後載工業")
    assert m.member_number in client.get(URL, {"q": "後載工業"}).content.decode()


@pytest.mark.django_db
def test_answers_expire_and_the_process_keeps_a_bounded_amount(monkeypatch):
    monkeypatch.setattr(selectors, "ANSWERS_MAX_CHARS", 8_000)
    selectors.forget_answers()  # a store with the smaller bound

    def ask(q):
        return selectors.cached_answer("page", QueryDict(f"q={q}"))

    for i in range(8):
        selectors.store_answer(ask(f"上限{i}"), "x" * 1_000)
    assert ask("上限0").value == "x" * 1_000  # asked again: now the most recently used
    selectors.store_answer(ask("上限8"), "x" * 1_000)  # one more than the bound holds
    assert selectors._ANSWERS.currsize <= 8_000
    assert ask("上限1").value is None  # the least recently used went, not the oldest stored
    assert ask("上限0").value == ask("上限8").value == "x" * 1_000
    # Too big to keep at all (an eighth of the bound): computed every time rather than evicting the rest.
    selectors.store_answer(ask("巨大"), "y" * 1_001)
    assert ask("巨大").value is None and ask("上限8").value == "x" * 1_000
    later = time.monotonic() + selectors.RESPONSE_TTL + 1
    monkeypatch.setattr(selectors, "time", SimpleNamespace(monotonic=lambda: later, time_ns=time.time_ns))
    assert ask("上限8").value is None  # expired


@pytest.mark.django_db
def test_nothing_is_kept_while_the_shared_cache_is_unreachable(monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(selectors.cache, "get", down)
    answer = selectors.cached_answer("page", QueryDict("q=停止中"))
    assert answer.key is None and answer.value is None
    selectors.store_answer(answer, "not kept")
    assert not selectors._ANSWERS  # an empty store


@pytest.mark.django_db
def test_the_visitors_search_sends_no_health_check_but_the_full_path_does(monkeypatch):
    listed(org_name="株式会社確認工業")
    checks = []
    wrapper = type(connections["default"])
    real = wrapper.is_usable
    monkeypatch.setattr(wrapper, "is_usable", lambda self: checks.append(1) or real(self))
    connection.ensure_connection()
    assert connection.health_check_enabled  # CONN_HEALTH_CHECKS, as in production
    for client, expected in ((Client(), 0), (_with_cookie(), 1)):
        checks.clear()
        selectors.forget_answers()  # computed each time: the page query runs
        connection.health_check_done = False  # what Django does when a request starts on a kept connection
        response = client.get(URL, {"q": "確認工業"})
        assert response.status_code == 200 and len(checks) == expected


def _with_cookie() -> Client:
    client = Client()
    client.cookies["unrelated"] = "1"  # any other cookie: the full middleware path
    return client


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_broken_since_the_last_request_costs_the_visitor_nothing():
    m = listed(org_name="株式会社再接続工業")
    client = Client()
    assert m.member_number in client.get(URL, {"q": "再接続工業"}).content.decode()
    selectors.forget_answers()
    old_pid = connection.connection.info.backend_pid
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"], dbname=settings["NAME"],
        password=settings["PASSWORD"] or None, autocommit=True,
    ) as admin:  # fmt: skip
        admin.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    connection.health_check_done = False  # as at the start of the next request
    response = client.get(URL, {"q": "再接続工業"})
    assert response.status_code == 200 and m.member_number in response.content.decode()
    assert connection.connection.info.backend_pid != old_pid  # answered on a new connection


@pytest.mark.django_db
def test_a_query_error_on_a_working_connection_is_not_run_again():
    from django.db import OperationalError

    from roster.middleware import read_only

    connection.ensure_connection()
    calls = []

    def cancelled(request):
        calls.append(request)
        raise OperationalError("canceling statement due to statement timeout")

    with pytest.raises(OperationalError):
        read_only(cancelled, "request")
    assert calls == ["request"]  # once: the connection still works, a second try would only double the load
