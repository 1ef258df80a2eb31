"""The one rate limiter (jaim.ratelimit): a sliding-window log, atomic on Redis, per client (IPv6 per /64).

Most tests run on real Redis (the cache web servers share in production) with the limiter's clock driven by the
test, never by sleeping: at most `limit` requests pass in *any* window of `window` seconds, so a burst that
straddles a minute's boundary gets no second allowance (the fixed-window defect: 120 of 200 passed)."""

import concurrent.futures
import datetime as dt
import socket
import subprocess
import time
import uuid
from contextlib import contextmanager

import pytest
from django.core.cache import caches
from django.test import RequestFactory

from jaim import ratelimit
from jaim.models import OutboxMessage
from jaim.ratelimit import Limiter, Rate, client_key
from tests.factories import UserFactory

T0 = dt.datetime(
    2026, 11, 2, 3, 0, tzinfo=dt.UTC
).timestamp()  # a whole minute (…:00 UTC), the boundary a fixed-window counter would reset at
assert T0 % 60 == 0


class Clock:
    def __init__(self, t: float = T0):
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def _redis_cache_settings(url: str, prefix: str, **options) -> dict:
    return {"BACKEND": "jaim.cache.RedisCache", "LOCATION": url, "KEY_PREFIX": prefix, "OPTIONS": options}


def _delete_prefixed(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def redis_cache(settings):
    """The default cache on this worktree's Redis db, under a private key prefix (nothing else is touched)."""
    prefix = f"rl-test-{uuid.uuid4().hex}"
    settings.CACHES = {"default": _redis_cache_settings(settings.CELERY_BROKER_URL, prefix)}
    yield caches["default"]
    _delete_prefixed(settings.CELERY_BROKER_URL, prefix)


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(ratelimit.limiter, "clock", c)
    return c


@pytest.fixture
def limits(settings):
    settings.JAIM_TRUSTED_PROXY_COUNT = 0
    settings.JAIM_ROSTER_RATE_LIMIT = "60/60"
    settings.JAIM_ROSTER_API_RATE_LIMIT = "60/60"
    return settings


def _search(client, ip="198.51.100.7", **params):
    return client.get("/roster/", params or {"q": "テスト工業"}, REMOTE_ADDR=ip)


# --- on Redis, through the roster page and API ------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.django_db
def test_200_rapid_searches_at_60_per_60_seconds_let_exactly_60_through(client, redis_cache, clock, limits):
    codes = []
    for _ in range(200):
        codes.append(_search(client).status_code)
        clock.advance(0.01)  # 200 searches in two seconds
    assert codes.count(200) == 60 and codes.count(429) == 140
    assert codes[:60] == [200] * 60  # the first 60, then nothing


@pytest.mark.redis
@pytest.mark.django_db
def test_a_burst_straddling_the_minutes_boundary_gets_no_second_allowance(client, redis_cache, clock, limits):
    clock.t = T0 - 1  # 200 searches from one second before the minute to one second after
    codes = []
    for _ in range(200):
        codes.append(_search(client).status_code)
        clock.advance(0.01)
    assert clock.t > T0 + 0.99
    assert codes.count(200) == 60  # a fixed window would have let 60 + 60 through
    # Only once the first of them is a whole window old does one more pass — and only one per one that left.
    clock.t = T0 - 1 + 59.99
    assert _search(client).status_code == 429
    clock.t = T0 - 1 + 60.0
    assert _search(client).status_code == 200
    assert _search(client).status_code == 429


@pytest.mark.redis
@pytest.mark.django_db
def test_in_no_window_of_60_seconds_do_more_than_60_pass(client, redis_cache, clock, limits):
    """A steady client at 3 a second for 3 minutes: whatever window one looks at, at most 60 passed in it."""
    passed = []
    for _ in range(540):
        if _search(client, ip="203.0.113.40").status_code == 200:
            passed.append(clock.t)
        clock.advance(1 / 3)
    assert len(passed) == 3 * 60  # 60 in each minute: the limiter lets the full rate through, no more
    for i, start in enumerate(passed):
        in_window = [t for t in passed[i:] if t < start + 60]
        assert len(in_window) <= 60


@pytest.mark.redis
@pytest.mark.django_db
def test_retry_after_is_the_time_until_a_request_would_pass(client, redis_cache, clock, limits):
    limits.JAIM_ROSTER_RATE_LIMIT = "3/60"
    for _ in range(3):
        assert _search(client).status_code == 200
        clock.advance(5)  # at T0, T0+5, T0+10
    refused = _search(client)  # at T0+15: the first leaves the window at T0+60
    assert refused.status_code == 429 and refused["Retry-After"] == "45"
    assert "45秒ほど待ってから" in refused.content.decode()
    clock.advance(44.5)
    assert _search(client)["Retry-After"] == "1"  # 0.5 s, rounded up: never 0
    clock.advance(0.5)
    assert _search(client).status_code == 200  # exactly when Retry-After said
    again = _search(client)
    assert again.status_code == 429 and again["Retry-After"] == "5"  # the second leaves at T0+65


@pytest.mark.redis
@pytest.mark.django_db
def test_the_api_answers_429_in_json_with_retry_after(client, redis_cache, clock, limits):
    limits.JAIM_ROSTER_API_RATE_LIMIT = "2/60"
    url = "/roster/api/v1/entries"
    assert [client.get(url, {"q": "テスト"}, REMOTE_ADDR="198.51.100.7").status_code for _ in range(2)] == [
        200
    ] * 2
    clock.advance(20)
    r = client.get(url, {"q": "テスト"}, REMOTE_ADDR="198.51.100.7")
    assert (
        r.status_code == 429 and r["Retry-After"] == "40" and r["Content-Type"].startswith("application/json")
    )
    assert r.json() == {
        "detail": "リクエストが多すぎます。40秒後にもう一度お試しください。",
        "retry_after": 40,
    }
    # The entry check is limited by the same API counter.
    assert client.get(f"{url}/abc", REMOTE_ADDR="198.51.100.7").status_code == 429
    # The page keeps its own counter.
    assert _search(client).status_code == 200


@pytest.mark.redis
@pytest.mark.django_db
def test_two_ipv6_addresses_in_one_64_share_a_bucket_and_other_networks_do_not(
    client, redis_cache, clock, limits
):
    limits.JAIM_ROSTER_RATE_LIMIT = "3/60"
    for ip in ("2001:db8:aa:bb::1", "2001:db8:aa:bb::2", "2001:db8:aa:bb:abcd:ef01:2345:6789"):
        assert _search(client, ip=ip).status_code == 200
    assert _search(client, ip="2001:db8:aa:bb:ffff:ffff:ffff:ffff").status_code == 429  # same /64
    assert _search(client, ip="2001:db8:aa:bc::1").status_code == 200  # the next /64
    assert _search(client, ip="2001:db9:aa:bb::1").status_code == 200
    # IPv4: per address, and an IPv4-mapped IPv6 address is that IPv4 address.
    for _ in range(3):
        assert _search(client, ip="192.0.2.10").status_code == 200
    assert _search(client, ip="::ffff:192.0.2.10").status_code == 429
    assert _search(client, ip="192.0.2.11").status_code == 200


def test_client_key_groups_ipv6_by_64_and_keeps_ipv4_addresses(settings):
    settings.JAIM_TRUSTED_PROXY_COUNT = 1
    rf = RequestFactory()

    def key(remote, forwarded=None):
        extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
        return client_key(rf.get("/", REMOTE_ADDR=remote, **extra))

    # Behind one trusted proxy: the address it appended, grouped.
    assert (
        key("10.0.0.1", "2001:db8:1:2:3:4:5:6") == key("10.0.0.1", "2001:db8:1:2::9") == "2001:db8:1:2::/64"
    )
    assert key("10.0.0.1", "forged, 198.51.100.1") == "198.51.100.1"
    assert key("10.0.0.1") == "10.0.0.1"  # not through our proxy: the header is not believed
    assert key("10.0.0.1", "::ffff:198.51.100.1") == "198.51.100.1"


# --- the limiter itself on Redis: atomic, one round trip, costs ---------------------------------------------


@pytest.mark.redis
def test_concurrent_hits_from_many_threads_never_pass_more_than_the_limit(redis_cache):
    limiter = Limiter(clock=Clock())
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        decisions = list(pool.map(lambda _i: limiter.hit("race", "client", "60/60"), range(240)))
    assert sum(d.allowed for d in decisions) == 60  # the check and the write are one step (a Lua script)


@pytest.mark.redis
def test_a_hit_is_one_round_trip_and_the_log_expires_with_the_window(redis_cache):
    limiter = Limiter(clock=Clock())
    key = redis_cache.make_and_validate_key("x")
    client = redis_cache._cache.get_client(key, write=True)
    assert limiter.hit("trip", "client", "60/60").allowed  # the first ever may load the script
    sent = []
    original = client.execute_command

    def counting(*args, **kwargs):
        sent.append(args[0])
        return original(*args, **kwargs)

    client.execute_command = counting
    try:
        for _ in range(3):
            assert limiter.hit("trip", "client", "60/60").allowed
    finally:
        client.execute_command = original
    assert sent == ["EVALSHA"] * 3
    (log_key,) = client.keys(redis_cache.make_and_validate_key("jaim:rl:trip:*"))
    assert 0 < client.pttl(log_key) <= 60_000 and client.zcard(log_key) == 4
    assert b"client" not in log_key  # the client is hashed into the key


@pytest.mark.redis
def test_a_request_may_cost_several_and_the_remaining_count_is_told(redis_cache):
    """For bulk operations (e.g. a check of many rows): the cost is counted at once or not at all."""
    clock = Clock()
    limiter = Limiter(clock=clock)
    assert limiter.hit("rows", "c", "100/60", cost=70).remaining == 30
    refused = limiter.hit("rows", "c", "100/60", cost=40)
    assert not refused.allowed and refused.remaining == 30 and refused.retry_after == 60
    assert limiter.hit("rows", "c", "100/60", cost=30).allowed  # the refused 40 were not counted
    never = limiter.hit("rows", "other", "100/60", cost=101)
    assert not never.allowed and never.retry_after == 60


@pytest.mark.redis
def test_the_same_algorithm_on_redis_and_on_the_local_cache(redis_cache, settings):
    """`make run` (locmem) and production (Redis) decide alike, request for request."""
    settings.CACHES = {
        **settings.CACHES,
        "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    clocks = Clock(), Clock()
    on_redis, local = Limiter(clock=clocks[0]), Limiter("local", clock=clocks[1])
    steps = [0.3, 0.0, 1.7, 0.01, 9.0, 0.5, 30.0, 0.2, 19.0, 0.9, 0.05, 45.0] * 6
    for step in steps:
        a, b = on_redis.hit("same", "c", "5/20"), local.hit("same", "c", "5/20")
        assert (a.allowed, a.retry_after, a.remaining) == (b.allowed, b.retry_after, b.remaining)
        for c in clocks:
            c.advance(step)


def test_rates_parse_from_settings_forms():
    assert Rate.parse("60/60") == Rate.parse((60, 60)) == Rate(60, 60)
    assert Rate.parse("10/3600").window == 3600 and Rate.parse("0/60").off
    assert Limiter().hit("off", "c", "0/60").allowed


def test_without_redis_the_local_sliding_window_has_no_double_burst_either(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    clock = Clock(T0 - 1)
    limiter = Limiter(clock=clock)
    allowed = 0
    for _ in range(200):
        allowed += limiter.hit("local", "c", "60/60").allowed
        clock.advance(0.01)
    assert allowed == 60


# --- the openapi document ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_api_operation_declares_429_with_retry_after(client):
    doc = client.get("/roster/api/v1/openapi.json").json()
    operations = [
        (path, method, op)
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if method in ratelimit.HTTP_METHODS
    ]
    assert len(operations) >= 2
    for path, method, op in operations:
        answer = op["responses"].get("429")
        assert answer, (path, method)
        assert answer["headers"]["Retry-After"]["schema"] == {"type": "integer", "minimum": 1}
        assert answer["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/TooManyRequests"
        }
    assert doc["components"]["schemas"]["TooManyRequests"]["required"] == ["detail", "retry_after"]


# --- sign-in and password reset ---------------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.django_db
def test_sign_in_attempts_are_limited_per_client_whatever_the_address(client, redis_cache, clock, settings):
    settings.JAIM_LOGIN_RATE_LIMIT = "5/300"
    for i in range(5):
        r = client.post(
            "/accounts/login/", {"username": f"u{i}@example.jp", "password": "x"}, REMOTE_ADDR="203.0.113.9"
        )
        assert r.status_code == 200  # the form again (axes counts per address: none is locked)
    r = client.post(
        "/accounts/login/", {"username": "u9@example.jp", "password": "x"}, REMOTE_ADDR="203.0.113.9"
    )
    assert r.status_code == 429 and r["Retry-After"] == "300" and "300秒ほど" in r.content.decode()
    assert (
        client.post(
            "/accounts/login/", {"username": "u9@example.jp", "password": "x"}, REMOTE_ADDR="203.0.113.8"
        ).status_code
        == 200
    )
    assert client.get("/accounts/login/", REMOTE_ADDR="203.0.113.9").status_code == 200  # only attempts count


@pytest.mark.redis
@pytest.mark.django_db
def test_sign_ups_are_limited_per_client_and_the_page_itself_is_not(client, redis_cache, clock, settings):
    settings.JAIM_SIGNUP_RATE_LIMIT = "3/3600"
    for i in range(3):
        r = client.post(
            "/accounts/signup/",
            {"email": f"new{i}@example.jp", "full_name": "山田 太郎", "password1": "a-long-password-1",
             "password2": "a-long-password-1"},
            REMOTE_ADDR="203.0.113.9",
        )  # fmt: skip
        assert r.status_code == 200 and "new" in r.content.decode()
    r = client.post("/accounts/signup/", {"email": "new9@example.jp"}, REMOTE_ADDR="203.0.113.9")
    assert r.status_code == 429 and r["Retry-After"] == "3600"
    from members.models import User

    assert not User.objects.filter(email="new9@example.jp").exists()
    assert (
        client.get("/accounts/signup/", REMOTE_ADDR="203.0.113.9").status_code == 200
    )  # only sign-ups count


@pytest.mark.redis
@pytest.mark.django_db
def test_password_reset_limits_per_client_and_per_address_on_redis(client, redis_cache, clock):
    user = UserFactory()

    def reset(email, ip):
        return client.post("/accounts/password/reset/", {"email": email}, REMOTE_ADDR=ip)

    assert {reset(user.email, f"198.51.100.{i}").status_code for i in range(5)} == {302}
    assert OutboxMessage.objects.filter(to=user.email, kind="password_reset").count() == 3  # 3 an hour
    clock.advance(3600)
    reset(user.email, "198.51.100.99")
    assert OutboxMessage.objects.filter(to=user.email, kind="password_reset").count() == 4
    assert {reset(f"other{i}@example.jp", "192.0.2.5").status_code for i in range(10)} == {302}
    blocked = reset("someone@example.jp", "192.0.2.5")  # the 11th from one client in the hour
    assert blocked.status_code == 429 and blocked["Retry-After"] == "3600"


# --- Redis down: each limit fails as declared -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _private_redis(port: int):
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.redis
@pytest.mark.django_db
def test_when_redis_goes_down_the_limits_fail_as_declared_and_count_again_when_it_is_back(
    client, settings, clock, limits
):
    port = _free_port()
    settings.CACHES = {
        "default": _redis_cache_settings(
            f"redis://127.0.0.1:{port}/0", "down", socket_connect_timeout=0.5, socket_timeout=0.5
        )
    }
    limits.JAIM_ROSTER_RATE_LIMIT = "3/60"
    limits.JAIM_COSTLY_LIMIT = "100/60"
    costly = ratelimit.Limit("costly", "JAIM_COSTLY_LIMIT", fail_open=False)
    user = UserFactory()
    with _private_redis(port):
        assert [_search(client).status_code for _ in range(4)] == [200, 200, 200, 429]
        assert costly.hit("c").allowed
    # Redis is gone. The public roster answers, unlimited meanwhile (open: officers must be able to check) …
    assert [_search(client).status_code for _ in range(5)] == [200] * 5
    assert (
        client.get("/roster/api/v1/entries", {"q": "テスト"}, REMOTE_ADDR="198.51.100.7").status_code == 200
    )
    # … a person asking for a reset gets the mail …
    r = client.post("/accounts/password/reset/", {"email": user.email}, REMOTE_ADDR="192.0.2.1")
    assert r.status_code == 302 and r.url == "/accounts/password/reset/done/"
    assert OutboxMessage.objects.filter(to=user.email, kind="password_reset").count() == 1
    # … and a limit declared to fail closed refuses, with a wait.
    refused = costly.hit("c")
    assert not refused.allowed and refused.retry_after == ratelimit.FAILED_CLOSED_RETRY_AFTER
    # Back up (an empty Redis): counting resumes.
    with _private_redis(port):
        assert [_search(client).status_code for _ in range(4)] == [200, 200, 200, 429]
        assert costly.hit("c").allowed
