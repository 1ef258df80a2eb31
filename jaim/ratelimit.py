"""The one rate limiter of the project: the public roster page and API, sign-in and password reset.

Algorithm — a sliding-window log. For every (scope, client) there is a log of the moments of the requests it let
through. A new request at time `now` first drops the entries older than `now - window`, then passes if the
entries left plus its own cost fit in `limit`, and is written to the log only if it passes (a refused request
costs nothing, so a client that keeps hammering is back as soon as its old requests age out). So in *any*
interval of `window` seconds at most `limit` requests pass — there are no window boundaries at which a fixed
counter would reset and let a second burst through (60 at 12:00:59 and 60 more at 12:01:00). When a request is
refused, Retry-After is the time until enough of the oldest entries leave the window for it to pass.

On Redis (the production cache) the log is a sorted set (score = the moment in microseconds), read and written
by one Lua script, so the check and the write are one atomic step shared by every web server: two servers cannot
both see 59 and both let the 60th through. The key expires one window after the last request passed. The clock
is the web server's (`Limiter.clock`, injectable: the tests drive it); servers keep time by NTP, and a skew of
a fraction of a second shifts a window by that much, nothing more. Memory: at most `limit` entries per client.

On any other cache (SQLite/locmem in `make run` and the unit tests) the same log is kept in the cache under a
process lock: exact within one process, which is what those set-ups are.

Clients: the address `jaim.security.client_ip` gives (REMOTE_ADDR, or what our own proxies appended to
X-Forwarded-For when JAIM_TRUSTED_PROXY_COUNT says so), IPv4 per address, IPv6 per /64 (the network one
customer line is given; an attacker on it has 2^64 addresses), an IPv4-mapped IPv6 address as its IPv4. Keys
are hashed: no address or e-mail address is written to the cache in clear.

When the cache is unreachable a limit does what it was declared to do (`Limit.fail_open`). Every limit of the
project today fails OPEN, deliberately: the roster is public data that officers must be able to check while
Redis restarts; sign-in stays guarded by django-axes' lockout, which counts in the database; a person locked out
of their account still gets the reset mail (an outage is short, and abusing it needs noticing it). A limit that
guards something costly per request would fail CLOSED (`fail_open=False`: 429 with Retry-After 60 s). Every
failure is logged as a warning.

Why not django-ratelimit: it counts fixed (per-key staggered) windows in the cache, which lets twice the limit
through around a window's edge; see docs/decisions.md."""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import Throttled
from ninja.throttling import BaseThrottle

from jaim.security import client_ip

log = logging.getLogger(__name__)

# Seconds a refused request is told to wait when the limit failed closed (the cache is down: we cannot know).
FAILED_CLOSED_RETRY_AFTER = 60

# KEYS[1] the log; ARGV: now (µs), window (µs), limit, cost, a unique member prefix.
# Returns {1 allowed / 0 refused, remaining, µs until the request would pass (0 when allowed)}.
_SLIDING_LOG = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local used = redis.call('ZCARD', key)
if used + cost <= limit then
  for i = 1, cost do
    redis.call('ZADD', key, now, ARGV[5] .. ':' .. i)
  end
  redis.call('PEXPIRE', key, math.ceil(window / 1000))
  return {1, limit - used - cost, 0}
end
if cost > limit then
  return {0, limit - used, window}
end
local freeing = redis.call('ZRANGE', key, used + cost - limit - 1, used + cost - limit - 1, 'WITHSCORES')
return {0, limit - used, tonumber(freeing[2]) + window - now}
"""


@dataclass(frozen=True)
class Rate:
    """`limit` requests per `window` seconds; a limit of 0 switches the limit off."""

    limit: int
    window: int

    @classmethod
    def parse(cls, value) -> Rate:
        """'60/60' (the settings' form), (60, 60) or a Rate."""
        if isinstance(value, Rate):
            return value
        if isinstance(value, tuple | list):
            count, seconds = value
        else:
            count, _sep, seconds = str(value).partition("/")
        return cls(int(count), max(1, int(seconds or 60)))

    @property
    def off(self) -> bool:
        return self.limit <= 0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds (Retry-After), at least 1 when refused
    remaining: int = 0  # requests left in the window; -1 when not counted (limit off, or the cache down)


class Limiter:
    """The sliding-window log (see the module's docstring) on the default cache."""

    def __init__(self, cache_alias: str = "default", clock: Callable[[], float] | None = None):
        self.cache_alias = cache_alias
        self.clock = clock or (lambda: time.time())  # looked up at each call: time_machine and tests move it
        self._lock = threading.Lock()
        self._script: Callable[..., list[int]] | None = None  # redis-py's Script, registered on first use

    @property
    def cache(self):
        return caches[self.cache_alias]

    def hit(self, scope: str, key: str, rate, *, cost: int = 1, fail_open: bool = True) -> Decision:
        """Count `cost` requests of `key` in `scope` if they fit in `rate`; the decision."""
        if cost < 1:
            raise ValueError("a request costs at least 1")
        rate = Rate.parse(rate)
        if rate.off:
            return Decision(True, remaining=-1)
        digest = hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()[:32]
        cache_key = f"jaim:rl:{scope}:{digest}"
        now = self.clock()
        try:
            cache = self.cache
            if isinstance(cache, RedisCache):
                return self._hit_redis(cache, cache_key, now, rate, cost)
            return self._hit_local(cache, cache_key, now, rate, cost)
        except Exception as exc:  # noqa: BLE001 - the cache is down: the limit's declared behaviour
            log.warning(
                "rate limit %s not counted (%s): failing %s",
                scope,
                type(exc).__name__,
                "open" if fail_open else "closed",
            )
            if fail_open:
                return Decision(True, remaining=-1)
            return Decision(False, retry_after=FAILED_CLOSED_RETRY_AFTER)

    def _hit_redis(self, cache, cache_key: str, now: float, rate: Rate, cost: int) -> Decision:
        key = cache.make_and_validate_key(cache_key)
        client = cache._cache.get_client(key, write=True)
        if self._script is None:
            self._script = client.register_script(_SLIDING_LOG)
        allowed, remaining, wait_us = self._script(
            keys=[key],
            args=[int(now * 1_000_000), rate.window * 1_000_000, rate.limit, cost, secrets.token_hex(8)],
            client=client,
        )
        if allowed:
            return Decision(True, remaining=int(remaining))
        return Decision(
            False, retry_after=_seconds(int(wait_us) / 1_000_000), remaining=max(0, int(remaining))
        )

    def _hit_local(self, cache, cache_key: str, now: float, rate: Rate, cost: int) -> Decision:
        with self._lock:
            entries = [t for t in (cache.get(cache_key) or []) if t > now - rate.window]
            used = len(entries)
            if used + cost <= rate.limit:
                entries.extend([now] * cost)
                cache.set(cache_key, entries, timeout=rate.window + 1)
                return Decision(True, remaining=rate.limit - used - cost)
            cache.set(cache_key, entries, timeout=rate.window + 1)
        if cost > rate.limit:
            return Decision(False, retry_after=rate.window, remaining=max(0, rate.limit - used))
        freeing = sorted(entries)[used + cost - rate.limit - 1]
        return Decision(
            False, retry_after=_seconds(freeing + rate.window - now), remaining=max(0, rate.limit - used)
        )


def _seconds(wait: float) -> int:
    return max(1, math.ceil(wait - 1e-6))  # 59.9999995 s (float noise) is 60, not 61


limiter = Limiter()


def client_key(request: HttpRequest) -> str:
    """The client as limits count it: IPv4 per address, IPv6 per /64 network (see the module's docstring)."""
    remote = client_ip(request)
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return remote or "unknown"
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


@dataclass(frozen=True)
class Limit:
    """A named limit: its scope (its own counters), the setting holding its rate ('60/60' or (60, 60)) and what
    it does when the cache is down."""

    scope: str
    setting: str
    fail_open: bool = True

    @property
    def rate(self) -> Rate:
        return Rate.parse(getattr(settings, self.setting))

    def hit(self, key: str, *, cost: int = 1) -> Decision:
        return limiter.hit(self.scope, key, self.rate, cost=cost, fail_open=self.fail_open)

    def hit_client(self, request: HttpRequest, *, cost: int = 1) -> Decision:
        return self.hit(client_key(request), cost=cost)


# --- answers ----------------------------------------------------------------------------------------------


def too_many_page(request, decision: Decision, template: str, context: dict | None = None) -> HttpResponse:
    """A 429 page in Japanese with Retry-After; the template gets the wait as `wait` (seconds)."""
    response = render(request, template, {"wait": decision.retry_after, **(context or {})}, status=429)
    response["Retry-After"] = str(decision.retry_after)
    return response


def too_many_json(retry_after: int) -> JsonResponse:
    """The API's 429: {"detail": …, "retry_after": seconds} with Retry-After."""
    response = JsonResponse(
        {
            "detail": _("リクエストが多すぎます。%(n)d秒後にもう一度お試しください。") % {"n": retry_after},
            "retry_after": retry_after,
        },
        status=429,
        json_dumps_params={"ensure_ascii": False},
    )
    response["Retry-After"] = str(retry_after)
    return response


def limit_page(limit: Limit, template: str):
    """Decorator for a page: past the limit, the 429 page `template` with Retry-After."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            decision = limit.hit_client(request)
            if not decision.allowed:
                return too_many_page(request, decision, template)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# --- django-ninja -----------------------------------------------------------------------------------------


class ApiThrottle(BaseThrottle):
    """A django-ninja throttle on a Limit (ninja adds Retry-After from wait())."""

    def __init__(self, limit: Limit):
        self.limit = limit
        self._local = threading.local()

    def allow_request(self, request) -> bool:
        decision = self.limit.hit_client(request)
        self._local.wait = None if decision.allowed else decision.retry_after
        return decision.allowed

    def wait(self):
        return getattr(self._local, "wait", None)


RETRY_AFTER_HEADER = {
    "description": "次のリクエストが受け付けられるまでの秒数 (seconds until a request will be accepted)",
    "schema": {"type": "integer", "minimum": 1},
}
TOO_MANY_SCHEMA = {
    "title": "TooManyRequests",
    "type": "object",
    "properties": {
        "detail": {"title": "Detail", "type": "string"},
        "retry_after": {"title": "Retry After", "type": "integer", "minimum": 1},
    },
    "required": ["detail", "retry_after"],
}


HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


class RateLimitedAPI(NinjaAPI):
    """A django-ninja API whose every operation is limited per client by `limit`: past it a 429 JSON answer in
    Japanese with Retry-After, and the OpenAPI document declares that answer on every operation."""

    def __init__(self, *args, limit: Limit, **kwargs):
        super().__init__(*args, throttle=[ApiThrottle(limit)], **kwargs)
        self.add_exception_handler(Throttled, self._too_many)

    @staticmethod
    def _too_many(request, exc: Throttled | type[Throttled]) -> HttpResponse:
        return too_many_json(max(1, math.ceil(exc.wait or 1)))

    def get_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["TooManyRequests"] = TOO_MANY_SCHEMA
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                if method not in HTTP_METHODS:
                    continue
                operation.setdefault("responses", {})["429"] = {
                    "description": "回数制限を超えました (too many requests from this client)",
                    "headers": {"Retry-After": RETRY_AFTER_HEADER},
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/TooManyRequests"}}
                    },
                }
        return schema
