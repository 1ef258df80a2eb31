"""Rate limiting per client for the public roster page and API, in the Django cache (Redis in production, so
all web servers share the counts). Fixed windows: at most N requests per client per window of S seconds;
beyond that 429 with Retry-After = seconds until the window ends.

The client is REMOTE_ADDR. X-Forwarded-For is trusted only when settings.JAIM_TRUSTED_PROXY_COUNT says how
many proxies of ours stand in front (then the address the outermost of them saw is used); otherwise anyone
could send a new header with every request. IPv6 clients are counted per /64 (one customer's network).
When the cache is unreachable the limit fails open: the public roster must stay available."""

import functools
import ipaddress
import logging
import math
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from ninja.throttling import BaseThrottle

from jaim.cache import count_hit
from jaim.security import client_ip as proxy_aware_client_ip

log = logging.getLogger(__name__)


def parse_rate(value: str) -> tuple[int, int]:
    """'60/60' -> (60 requests, 60 seconds). 0 requests switches the limit off."""
    count, _, seconds = str(value).partition("/")
    return int(count), max(1, int(seconds or 60))


def client_ip(request) -> str:
    """The client as counted here: jaim.security.client_ip (REMOTE_ADDR, or what our own proxies forwarded),
    with IPv6 addresses grouped by /64."""
    remote = proxy_aware_client_ip(request)
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return remote or "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def hit(scope: str, ident: str, rate: str) -> int | None:
    """Count one request; None when allowed, else the seconds to wait."""
    limit, window = parse_rate(rate)
    if limit <= 0:
        return None
    now = time.time()
    slot = int(now // window)
    key = f"ratelimit:{scope}:{ident}:{slot}"
    try:
        count = count_hit(cache, key, window + 1)
    except Exception:  # noqa: BLE001 - the cache (Redis) is down: fail open, the roster stays available
        log.warning("rate limit cache unavailable; request allowed")
        return None
    if count > limit:
        return max(1, math.ceil((slot + 1) * window - now))
    return None


def limit_page(scope: str, setting: str = "JAIM_ROSTER_RATE_LIMIT"):
    """Decorator for public views: 429 page with Retry-After when a client asks too often."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            wait = hit(scope, client_ip(request), getattr(settings, setting))
            if wait is not None:
                response = render(request, "roster/too_many.html", {"wait": wait}, status=429)
                response["Retry-After"] = str(wait)
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class ApiThrottle(BaseThrottle):
    """django-ninja throttle on the same counters (ninja answers 429 with Retry-After)."""

    def __init__(self, scope: str = "api", setting: str = "JAIM_ROSTER_API_RATE_LIMIT"):
        self.scope, self.setting = scope, setting
        self._local = threading.local()

    def allow_request(self, request) -> bool:
        self._local.wait = hit(self.scope, client_ip(request), getattr(settings, self.setting))
        return self._local.wait is None

    def wait(self):
        return getattr(self._local, "wait", None)
