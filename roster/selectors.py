"""Reads of the public roster: search as of a day, one entry by its token, the latest exports.

A search is one query on RosterLine (plus one count for paging): lines hold everything a result shows, so the
number of queries per page does not grow with the number of results."""

import datetime as dt
import hashlib
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jaim.dates import today as jaim_today
from members.models import JsicCode
from roster.models import RosterEntry, RosterExport, RosterLine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RosterQuery:
    """What to look for. `name` is already normalised (jaim.text.search_key); the others are exact."""

    as_of: dt.date
    name: str = ""
    corporate_number: str = ""
    member_number: str = ""
    prefecture: str = ""
    jsic: str = ""

    @property
    def has_criteria(self) -> bool:
        return any((self.name, self.corporate_number, self.member_number, self.prefecture, self.jsic))


# --- response caching ------------------------------------------------------------------------------------
# Searches are cached in the Django cache (Redis in production, shared by every web server) under a key that
# holds the roster's version: every change to the public lines bumps it (services.rederive_lines), so a
# cached answer is never served after a change. "Today" and the language are in the key too.
VERSION_KEY = "roster:version"
RESPONSE_TTL = 600


def cache_get(key):
    """The cache never takes the roster down: when it fails (Redis unreachable) answers are computed."""
    if key is None:
        return None
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001
        log.warning("cache unavailable; roster answers are computed without it")
        return None


def cache_set(key, value, timeout=RESPONSE_TTL) -> None:
    if key is None:
        return
    try:
        cache.set(key, value, timeout)
    except Exception:  # noqa: BLE001
        log.warning("cache unavailable; roster answer not cached")


def roster_version() -> int | None:
    """The roster's version (None when the cache is unreachable: then nothing is cached)."""
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            # Starts from the clock, not 1: should the key ever be evicted or lost, the new versions cannot
            # meet answers cached under the old ones.
            cache.add(VERSION_KEY, time.time_ns() // 1000, timeout=None)
            version = cache.get(VERSION_KEY)
        return version
    except Exception:  # noqa: BLE001
        return None


def bump_roster_version() -> None:
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:
            cache.add(VERSION_KEY, time.time_ns() // 1000, timeout=None)
    except Exception:  # noqa: BLE001 - answers cached before the outage expire within RESPONSE_TTL
        log.warning("cache unavailable; roster version not bumped")


def response_cache_key(kind: str, params, *extra) -> str | None:
    """A key for a public answer: kind, roster version, today, language, the sorted query parameters.
    None when the cache is unreachable."""
    version = roster_version()
    if version is None:
        return None
    items = (
        sorted((k, v) for k in params for v in params.getlist(k)) if hasattr(params, "getlist") else params
    )
    digest = hashlib.sha256(repr((items, extra)).encode()).hexdigest()[:32]
    return f"roster:{kind}:{version}:{jaim_today().isoformat()}:{get_language()}:{digest}"


def lines_on(day: dt.date) -> QuerySet[RosterLine]:
    """The roster as it stood on `day`: lines with valid_from <= day < valid_until."""
    return RosterLine.objects.filter(valid_from__lte=day).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=day)
    )


PARTIAL_MIN_LENGTH = 3  # a trigram index needs three characters to find a part of a name


def name_filter(key: str) -> Q:
    """Three characters or more: any part of a name. Two: the start of a name (花王, 東レ) — the key is
    'company establishment …' separated by spaces, so that is the key's start or right after a space.

    PostgreSQL: LIKE on search_key, served by the pg_trgm GIN index (migration 0002) in both cases (pg_trgm
    treats the start of the key and a space as a word start). The key is already lower case, so no UPPER()
    that would bypass the index. SQLite has no trigram index: the case-insensitive lookups."""
    pg = connection.vendor == "postgresql"
    contains, startswith = ("contains", "startswith") if pg else ("icontains", "istartswith")
    if len(key) >= PARTIAL_MIN_LENGTH:
        return Q(**{f"search_key__{contains}": key})
    return Q(**{f"search_key__{startswith}": key}) | Q(**{f"search_key__{contains}": " " + key})


def jsic_filter(code: str) -> Q:
    """A code matches itself and everything under it: '25' matches 2592, '259' matches 2592 and 2599.
    A major letter (E) matches all its middle classifications."""
    if code.isalpha():
        middles = [c for c, _n, level, parent in _jsic_rows() if level == "middle" and parent == code]
        q = Q(pk__in=[])
        for middle in middles:
            q |= Q(jsic_codes__contains="|" + middle)
        return q
    return Q(jsic_codes__contains="|" + code)


def search(query: RosterQuery) -> QuerySet[RosterLine]:
    qs = lines_on(query.as_of)
    if query.name:
        qs = qs.filter(name_filter(query.name))
    if query.corporate_number:
        qs = qs.filter(corporate_number=query.corporate_number)
    if query.member_number:
        qs = qs.filter(member_number=query.member_number)
    if query.prefecture:
        qs = qs.filter(Q(prefecture=query.prefecture) | Q(new_prefecture=query.prefecture))
    if query.jsic:
        qs = qs.filter(jsic_filter(query.jsic))
    return qs.defer("search_key", "jsic_codes").order_by("member_number", "valid_from")


class ResultPage:
    """One page of results with a count capped at `cap` (a broad search does not pay for counting the whole
    roster, and pages beyond the cap are not offered: narrow the search, or use the export). A first page with
    fewer rows than a page holds is the whole answer: no count query."""

    def __init__(self, qs, number: int, *, per_page: int, cap: int):
        self.per_page, self.cap = per_page, cap
        max_pages = -(-cap // per_page)
        number = max(1, min(number, max_pages))
        rows = list(qs[(number - 1) * per_page : number * per_page])
        if number == 1 and len(rows) < per_page:
            count = len(rows)
        else:
            count = qs[: cap + 1].count()
            last = max(1, -(-min(count, cap) // per_page))
            if not rows and number > last:  # asked beyond the last page
                number = last
                rows = list(qs[(number - 1) * per_page : number * per_page])
        self.number, self.object_list, self.count = number, rows, count

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @property
    def shown_count(self) -> int:
        return min(self.count, self.cap)

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.shown_count // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


def entry_by_token(token: str) -> RosterEntry:
    # Tokens are URL-safe base64 (models.new_token): anything else (a NUL byte would make PostgreSQL raise) is 404.
    if (
        not token
        or len(token) > 64
        or not token.isascii()
        or not token.replace("-", "").replace("_", "").isalnum()
    ):
        raise Http404
    return get_object_or_404(RosterEntry, token=token)


def entry_url(token: str) -> str:
    """The permanent public URL of an entry (printed on confirmations and encoded in their QR code)."""
    return settings.SITE_URL.rstrip("/") + reverse("roster:entry", args=[token])


def current_line_for_establishment(establishment, *, on: dt.date) -> RosterLine | None:
    return (
        lines_on(on)
        .filter(entry__membership__establishment_id=establishment.pk)
        .select_related("entry")
        .order_by("-valid_from")
        .first()
    )


def latest_exports() -> dict[str, RosterExport]:
    """The newest export of each format: one query, then from the cache until the roster version changes
    (the exports job bumps it)."""
    version = roster_version()
    key = f"roster:latest-exports:{version}" if version is not None else None
    latest = cache_get(key)
    if latest is None:
        latest = {}
        for export in RosterExport.objects.order_by("-created_at", "-id")[: 3 * 4]:
            latest.setdefault(export.format, export)
        cache_set(key, latest)
    return latest


# --- JSIC choices (static data, cached) -----------------------------------------------------------------


_JSIC_ROWS: tuple[float, list] = (0.0, [])
JSIC_TTL = 600  # seconds; JSIC is static data (staff edits show within ten minutes)


def _jsic_rows() -> list[tuple[str, str, str, str]]:
    """(code, name, level, parent) of the major/middle/minor classifications, kept in the process: read on
    every search with a JSIC filter, and too big to unpickle from the cache each time."""
    global _JSIC_ROWS
    expires, rows = _JSIC_ROWS
    if expires < time.monotonic():
        rows = [
            (c.code, c.name_ja, c.level, c.parent_id or "")
            for c in JsicCode.objects.filter(level__in=["major", "middle", "minor"]).order_by("code")
        ]
        _JSIC_ROWS = (time.monotonic() + JSIC_TTL, rows)
    return rows


def manufacturing_jsic_choices() -> list:
    """Middle classifications of manufacturing (major E) with their minor ones, for the filter select."""
    rows = _jsic_rows()
    middles = [(c, n) for c, n, level, parent in rows if level == "middle" and parent == "E"]
    minors: dict[str, list] = {}
    for c, n, level, parent in rows:
        if level == "minor":
            minors.setdefault(parent, []).append((c, n))
    choices = []
    for code, name in middles:
        options = [(code, _("%(code)s %(name)s（すべて）") % {"code": code, "name": name})]
        options += [(c, f"{c} {n}") for c, n in minors.get(code, [])]
        choices.append((f"{code} {name}", options))
    return choices


def known_jsic_code(code: str) -> bool:
    return any(c == code for c, _n, _l, _p in _jsic_rows()) or JsicCode.objects.filter(code=code).exists()
