"""Reads of the public roster: search as of a day, one entry by its token, the latest exports.

A search is one query on RosterLine (plus one count for paging): lines hold everything a result shows, so the
number of queries per page does not grow with the number of results."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from members.models import JsicCode
from roster.models import RosterEntry, RosterExport, RosterLine

JSIC_CHOICES_CACHE_KEY = "roster:jsic-choices:v1"


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


class CappedPaginator(Paginator):
    """Counts at most `cap` + 1 results: a broad search does not pay for counting the whole roster, and pages
    beyond the cap are not offered anyway (narrow the search, or use the export)."""

    def __init__(self, object_list, per_page, *, cap: int):
        super().__init__(object_list, per_page)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @property
    def shown_count(self) -> int:
        return min(self.count, self.cap)

    @property
    def shown_pages(self) -> int:
        return min(self.num_pages, -(-self.cap // self.per_page))


def entry_by_token(token: str) -> RosterEntry:
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
    """The newest export of each format (one query)."""
    latest: dict[str, RosterExport] = {}
    newest = RosterExport.objects.order_by("-created_at", "-id")[: 3 * 4]
    for export in newest:
        latest.setdefault(export.format, export)
    return latest


# --- JSIC choices (static data, cached) -----------------------------------------------------------------


def _jsic_rows() -> list[tuple[str, str, str, str]]:
    rows = cache.get(JSIC_CHOICES_CACHE_KEY)
    if rows is None:
        rows = [
            (c.code, c.name_ja, c.level, c.parent_id or "")
            for c in JsicCode.objects.filter(level__in=["major", "middle", "minor"]).order_by("code")
        ]
        cache.set(JSIC_CHOICES_CACHE_KEY, rows, 3600)
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
