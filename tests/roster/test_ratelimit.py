"""Abuse: a per-client rate limit on the page and the API (429 with Retry-After), a sliding window counted in the
cache (jaim.ratelimit; on Redis: tests/jaim/test_ratelimit.py)."""

import datetime as dt

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limits(settings, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 2, 3, 0, 10, tzinfo=dt.UTC), tick=False)
    settings.JAIM_ROSTER_RATE_LIMIT = "3/60"
    settings.JAIM_ROSTER_API_RATE_LIMIT = "2/60"
    settings.JAIM_TRUSTED_PROXY_COUNT = 0


def test_page_answers_429_with_retry_after_past_the_limit(client):
    for _ in range(3):
        assert client.get("/roster/", REMOTE_ADDR="198.51.100.7").status_code == 200
    r = client.get("/roster/", REMOTE_ADDR="198.51.100.7")
    assert r.status_code == 429
    assert (
        r["Retry-After"] == "60"
    )  # the three passed at this very moment: the first leaves the window in 60 s
    assert "60秒ほど待ってから" in r.content.decode()


def test_other_clients_are_not_affected(client):
    for _ in range(4):
        client.get("/roster/", REMOTE_ADDR="198.51.100.7")
    assert client.get("/roster/", REMOTE_ADDR="198.51.100.8").status_code == 200


def test_the_limit_frees_a_request_when_the_oldest_leaves_the_window(client, time_machine):
    for _ in range(4):
        client.get("/roster/", REMOTE_ADDR="198.51.100.7")
    time_machine.shift(dt.timedelta(seconds=50))  # past the minute's boundary (3:01:00), not past the window
    assert client.get("/roster/", REMOTE_ADDR="198.51.100.7").status_code == 429
    time_machine.shift(dt.timedelta(seconds=10))
    assert client.get("/roster/", REMOTE_ADDR="198.51.100.7").status_code == 200


def test_a_forged_x_forwarded_for_does_not_escape_the_limit(client):
    for i in range(3):
        client.get("/roster/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
    r = client.get("/roster/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert r.status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(client, settings):
    settings.JAIM_TRUSTED_PROXY_COUNT = 1
    for _ in range(3):
        client.get("/roster/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="evil, 203.0.113.5")
    assert (
        client.get("/roster/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    )
    # The entry before ours is whatever the client sent: ignored. Another real client passes.
    assert (
        client.get(
            "/roster/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5, 203.0.113.6"
        ).status_code
        == 200
    )


def test_ipv6_clients_are_counted_per_64_network(client):
    for i in range(3):
        client.get("/roster/", REMOTE_ADDR=f"2001:db8:1:2::{i + 1}")
    assert client.get("/roster/", REMOTE_ADDR="2001:db8:1:2:ffff::9").status_code == 429
    assert client.get("/roster/", REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


def test_entry_pages_are_limited_too_so_tokens_cannot_be_walked(client):
    codes = [client.get(f"/roster/e/guess{i}/", REMOTE_ADDR="198.51.100.9").status_code for i in range(4)]
    assert codes == [404, 404, 404, 429]


def test_api_answers_429_with_retry_after(client):
    url = "/roster/api/v1/entries"
    assert client.get(url, {"q": "テスト"}, REMOTE_ADDR="198.51.100.7").status_code == 200
    assert client.get(url, {"q": "テスト"}, REMOTE_ADDR="198.51.100.7").status_code == 200
    r = client.get(url, {"q": "テスト"}, REMOTE_ADDR="198.51.100.7")
    assert r.status_code == 429 and r["Retry-After"] == "60"
    assert r.json() == {
        "detail": "リクエストが多すぎます。60秒後にもう一度お試しください。",
        "retry_after": 60,
    }


def test_limit_can_be_switched_off(client, settings):
    settings.JAIM_ROSTER_RATE_LIMIT = "0/60"
    assert all(client.get("/roster/").status_code == 200 for _ in range(10))
