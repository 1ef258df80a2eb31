"""The roster stays available when the cache (Redis: rate limits, cached answers) is down."""

import pytest

from tests.factories import withdraw
from tests.roster.factories import listed

pytestmark = pytest.mark.django_db


class DownCache:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("redis down")

        return fail


@pytest.fixture
def cache_down(monkeypatch):
    monkeypatch.setattr("roster.selectors.cache", DownCache())
    monkeypatch.setattr("jaim.ratelimit.Limiter.cache", property(lambda self: DownCache()))


def test_search_page_and_api_answer_without_the_cache(client, cache_down):
    m = listed(org_name="株式会社キャッシュなし")
    r = client.get("/roster/", {"q": "キャッシュなし"})
    assert r.status_code == 200 and m.member_number in r.content.decode()
    assert client.get("/roster/api/v1/entries", {"q": "キャッシュなし"}).json()["count"] == 1


def test_roster_changes_are_recorded_while_the_cache_is_down(cache_down):

    m = listed(org_name="株式会社キャッシュなし")
    withdraw(m, on=m.activated_on)
    assert m.roster_entry.periods.get().delisted_on == m.activated_on
