"""Reads of the public roster: search as of a day, one entry by its token, the latest exports.

A search is one query on RosterLine (plus one count for paging): lines hold everything a result shows, so the
number of queries per page does not grow with the number of results."""

import datetime as dt
import hashlib
import logging
import threading
import time
from dataclasses import dataclass

from cachetools import TTLCache
from django.core.cache import cache
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from jaim.dates import today as jaim_today
from jaim.links import absolute_url
from members.models import JsicCode
from roster.models import RosterCard, RosterEntry, RosterExport, RosterLine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RosterQuery:
    """What to look for. `name` is already normalised (jaim.text.search_key); `reading` is the same query
    normalised as a reading (jaim.text.reading_query: bank kana), '' when it cannot be one or is the same as
    `name`; a line matches either. The others are exact."""

    as_of: dt.date
    name: str = ""
    reading: str = ""
    corporate_number: str = ""
    member_number: str = ""
    prefecture: str = ""
    jsic: str = ""

    @property
    def has_criteria(self) -> bool:
        return any((self.name, self.corporate_number, self.member_number, self.prefecture, self.jsic))


# --- response caching ------------------------------------------------------------------------------------
# The roster's version lives in the Django cache (Redis in production, shared by every web server): every
# change to the public lines bumps it (services.rederive_lines), and it is read on every request, so an answer
# is never served after a change. The answers themselves are kept in the web process that computed them
# (`_ANSWERS`, cachetools' size-bounded LRU with expiry), under that version: most searches are new (officers
# check different establishments), and writing each ~20 kB answer to Redis and reading it back cost a cold
# search more than a repeated one saved (bench/NOTES.md, docs/decisions.md). A repeated query is computed once
# per process.
# "Today" and the language are in the key too.
VERSION_KEY = "roster:version"
RESPONSE_TTL = 600  # seconds an answer is kept
# Characters of answers a process keeps (~16–48 MB): the least recently used go first.
ANSWERS_MAX_CHARS = 16 * 2**20


def _answer_size(entry: tuple[int, object]) -> int:
    value = entry[1]
    return len(value) if isinstance(value, str | bytes) else 1024


def _new_answers() -> TTLCache:
    """key → (version, answer): bounded by size (least recently used out first), each kept RESPONSE_TTL."""
    return TTLCache(
        maxsize=ANSWERS_MAX_CHARS, ttl=RESPONSE_TTL, timer=lambda: time.monotonic(), getsizeof=_answer_size
    )


_ANSWERS = _new_answers()
_ANSWERS_LOCK = threading.Lock()  # cachetools' caches are not thread-safe; make run's runserver uses threads


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


@dataclass(frozen=True)
class CachedAnswer:
    """A public answer looked up in the cache: `value` is None on a miss; `key` is None when the cache is
    unreachable (then nothing is stored either)."""

    key: str | None
    version: int | None
    value: object = None


def cached_answer(kind: str, params, *extra) -> CachedAnswer:
    """The roster's version (one read of the shared cache) and this process's answer for `kind` and the query
    parameters. Answers are kept with the version they were computed under (store_answer): one from an older
    version is a miss, so nothing is served after a change even if it was stored while the change was being
    made. "Today" and the language are in the key. When the shared cache is unreachable nothing is kept."""
    items = (
        sorted((k, v) for k in params for v in params.getlist(k)) if hasattr(params, "getlist") else params
    )
    digest = hashlib.sha256(repr((items, extra)).encode()).hexdigest()[:32]
    key = f"roster:{kind}:{jaim_today().isoformat()}:{get_language()}:{digest}"
    version = roster_version()
    if version is None:
        log.warning("cache unavailable; roster answers are computed without it")
        return CachedAnswer(None, None)
    with _ANSWERS_LOCK:
        stored = _ANSWERS.get(key)
    if stored is not None and stored[0] == version:
        return CachedAnswer(key, version, stored[1])
    return CachedAnswer(key, version, None)


def store_answer(answer: CachedAnswer, value) -> None:
    """Keep an answer in this process with the version it was computed under, the least recently used ones
    dropped beyond ANSWERS_MAX_CHARS. Nothing is kept when the version could not be read."""
    if answer.key is None or answer.version is None:
        return
    entry = (answer.version, value)
    if _answer_size(entry) > _ANSWERS.maxsize // 8:  # rather computed each time than evicting many others
        return
    with _ANSWERS_LOCK:
        _ANSWERS[answer.key] = entry


def forget_answers() -> None:
    """Drop every answer this process keeps (the tests, between cases, as they empty the shared cache)."""
    global _ANSWERS
    with _ANSWERS_LOCK:
        _ANSWERS = _new_answers()  # with the bound and TTL as they are now


def lines_on(day: dt.date) -> QuerySet[RosterLine]:
    """The roster as it stood on `day`: lines with valid_from <= day < valid_until."""
    return RosterLine.objects.filter(valid_from__lte=day).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=day)
    )


PARTIAL_MIN_LENGTH = 3  # a trigram index needs three characters to find a part of a name

# What a result shows (cards, API): every column but the search helpers and the stored cards, in the model's
# field order.
RESULT_COLUMNS = tuple(
    f.column
    for f in RosterLine._meta.concrete_fields
    if f.attname not in ("search_key", "jsic_codes", "card_format")
)
# What a page of stored cards needs to find and order its lines (ResultPage(card_language=…)).
_KEY_COLUMNS = ("id", "member_number", "valid_from", "card_format")
_ORDER = "member_number, valid_from"


def _result_fields() -> tuple[list[str], list[tuple]]:
    """RESULT_COLUMNS' attribute names and, per column, the database converters the ORM would apply (dates on
    SQLite, JSON) with their column expression."""
    fields = [f for f in RosterLine._meta.concrete_fields if f.column in RESULT_COLUMNS]
    table = RosterLine._meta.db_table
    converters = []
    for field in fields:
        col = field.get_col(table)
        funcs = connection.ops.get_db_converters(col) + field.get_db_converters(connection)  # type: ignore[attr-defined]  # Field method the stubs lack
        converters.append(tuple((func, col) for func in funcs))
    return [f.attname for f in fields], converters


_RESULT_FIELDS: dict[str, tuple] = {}
_CARD_COLUMNS = {f.column for f in RosterCard._meta.concrete_fields if f.column != "line_id"}


def _line_from_row(row) -> RosterLine:
    """A RosterLine from a row of RESULT_COLUMNS, as the ORM builds one (Model.from_db, the search helpers
    deferred) without a queryset's per-query set-up, which cost more than the query on the search's hot path."""
    fields = _RESULT_FIELDS.get(connection.vendor)
    if fields is None:
        fields = _RESULT_FIELDS[connection.vendor] = _result_fields()
    attnames, converters = fields
    values = list(row[: len(attnames)])
    for i, funcs in enumerate(converters):
        for func, col in funcs:
            values[i] = func(values[i], col, connection)
    return RosterLine.from_db(connection.alias, attnames, values)


def _like(value: str) -> str:
    """`value` taken literally in a LIKE pattern (backslash is the escape character: ESCAPE below)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _name_keys(query: RosterQuery) -> list[str]:
    """The name as normalised, and as a reading when that differs."""
    return [query.name] + ([query.reading] if query.reading and query.reading != query.name else [])


def _rank(query: RosterQuery) -> tuple[str, list]:
    """The SQL expression ranking the matches of a name search, and its parameters: 0 for a line whose name or
    reading starts with the query (the key's start, or right after a space), 1 for a part found further in.
    ('', []) when every match starts with the query anyway (two characters) or there is no name: then the
    order is the member number's alone, as before. An exact 法人番号 or member number is a search of its own
    (the form reads a 13-digit or J-number query as one), so such a hit is never ranked below a name."""
    keys = _name_keys(query) if query.name else []
    if not any(len(key) >= PARTIAL_MIN_LENGTH for key in keys):
        return "", []
    like = "LIKE %s ESCAPE '\\'"
    starts, params = [], []
    for key in keys:
        pattern = _like(key)
        starts += [f"search_key {like}", f"search_key {like}"]
        params += [f"{pattern}%", f"% {pattern}%"]
    return f"CASE WHEN {' OR '.join(starts)} THEN 0 ELSE 1 END", params


def _where(query: RosterQuery) -> tuple[str, list]:
    """The WHERE clause of a search, in SQL: the search is the roster's hot path, and building it through the
    ORM cost more than running it (measured in bench/RESULTS.md). One place defines what a search matches.

    Name: three characters or more, any part of a name; two, the start of a name (花王, 東レ) — the key is
    'company establishment …' separated by spaces, so that is the key's start or right after a space. On
    PostgreSQL both are LIKE on search_key, served by the pg_trgm GIN index (migration 0002; pg_trgm treats the
    start of the key and a space as a word start). The key is already lower case: no UPPER() that would bypass
    the index. A query that can be a reading (kana only) is also looked for as one (RosterQuery.reading): one
    more LIKE on the same key and index (the key holds the readings too). JSIC: a code matches itself and everything under it ('25' matches 2592), a major letter (E) all
    its middle classifications. Prefecture: the current or, while a relocation is pending, the new one."""
    like = "LIKE %s ESCAPE '\\'"
    clauses = ["valid_from <= %s", "(valid_until IS NULL OR valid_until > %s)"]
    params: list = [query.as_of, query.as_of]
    if query.name:
        names = []
        for key in _name_keys(query):
            pattern = _like(key)
            if len(key) >= PARTIAL_MIN_LENGTH:
                names.append(f"search_key {like}")
                params.append(f"%{pattern}%")
            else:
                names.append(f"(search_key {like} OR search_key {like})")
                params += [f"{pattern}%", f"% {pattern}%"]
        clauses.append(names[0] if len(names) == 1 else "(" + " OR ".join(names) + ")")
    if query.corporate_number:
        clauses.append("corporate_number = %s")
        params.append(query.corporate_number)
    if query.member_number:
        clauses.append("member_number = %s")
        params.append(query.member_number)
    if query.prefecture:
        clauses.append("(prefecture = %s OR new_prefecture = %s)")
        params += [query.prefecture, query.prefecture]
    if query.jsic:
        codes = _jsic_prefixes(query.jsic)
        if codes:
            clauses.append("(" + " OR ".join([f"jsic_codes {like}"] * len(codes)) + ")")
            params += [f"%|{_like(code)}%" for code in codes]
        else:
            clauses.append("1 = 0")
    return " AND ".join(clauses), params


def _jsic_prefixes(jsic: str) -> list[str]:
    """The codes a JSIC filter matches the start of: a code itself, or a major letter's middle classifications."""
    if not jsic.isalpha():
        return [jsic]
    return [c for c, _n, level, parent in _jsic_rows() if level == "middle" and parent == jsic]


def _ranked(query: RosterQuery) -> tuple[str, str, list]:
    """The extra select column, the ORDER BY and the parameters of the column (see _rank)."""
    rank, params = _rank(query)
    if not rank:
        return "", _ORDER, []
    return f", {rank} AS search_rank", f"search_rank, {_ORDER}", params


def search(query: RosterQuery):
    """Every line the query matches (a RawQuerySet of RosterLine): a name search names or readings starting
    with the query first, then member-number order."""
    where, params = _where(query)
    rank, order, rank_params = _ranked(query)
    columns = ", ".join(RESULT_COLUMNS)
    table = RosterLine._meta.db_table
    sql = f"SELECT {columns}{rank} FROM {table} WHERE {where} ORDER BY {order}"  # noqa: S608 - fixed SQL, values as parameters
    return RosterLine.objects.raw(sql, [*rank_params, *params])  # noqa: S611


def _materialize(query: RosterQuery, cap: int) -> bool:
    """Whether the matches are found first and ordered after (PostgreSQL). For a name or a JSIC filter the
    planner can only guess how many lines match a LIKE pattern (a four-character name: ~800 of 100,000), and
    with a LIMIT on top it then prefers walking the member-number index in order, filtering every line of the
    roster on the way: 80 ms for a name that matches four lines, against 0.1 ms through the trigram index
    (measured in bench/RESULTS.md). Exact criteria (法人番号, member number) and a prefecture alone have real
    statistics and ordered indexes of their own: the planner chooses well there.

    A prefecture too: the page takes the first cap + 1 matches in member order, and for a prefecture with
    fewer than that the walk in member order reads the whole roster (9,261 buffers, 4.6 ms at 10,000 lines,
    against 237 buffers and 0.7 ms for the bitmap OR of the two prefecture indexes and a sort).
    A JSIC filter alone depends on how broad it is (EXPLAIN ANALYZE at 100,000 establishments, bench/NOTES.md):
    a major letter (E: every manufacturing line; 183 ms found first, 6 ms walked) or a middle classification
    ("25": 26 ms found first, 5 ms walked) matches so many lines that the walk stops early; a minor or detailed
    one ("259", "2592": 9 and 5 ms found first, 18 and 52 ms walked) is rare enough to be found first. But not
    every middle classification is common: "21" has 732 of 82,897 current lines at 100,000, fewer than the cap,
    and the walk read all of them (75 ms against ≈ 1 ms found first). So a letter or a middle classification is
    walked only when it has enough lines for the walk to stop early (`_walk_pays`)."""
    if connection.vendor != "postgresql":
        return False
    if query.corporate_number or query.member_number:
        return False
    if query.name or query.prefecture or len(query.jsic) >= 3:
        return True
    return bool(query.jsic) and not _walk_pays(query.jsic, cap)


# Walking in member order passes ≈ total × (cap + 1) / matches lines, ≈ 0.75 µs each; finding the matches first
# reads and sorts every match, ≈ 1.7 µs each (EXPLAIN ANALYZE at 100,000, bench/NOTES.md): the walk is cheaper
# when matches² > 0.44 × (cap + 1) × total — at 100,000 from ≈ 6,600 matches on.
WALK_BREAK_EVEN = 0.44
_JSIC_COUNTS: tuple[float, dict[str, int], int] = (0.0, {}, 0)


def _walk_pays(jsic: str, cap: int) -> bool:
    """Whether a major letter or a middle classification has enough current lines to be walked (see above)."""
    counts, total = _middle_counts()
    # A line under two of a letter's middle classifications counts twice: an estimate.
    matches = sum(counts.get(c, 0) for c in _jsic_prefixes(jsic))
    return matches * matches > WALK_BREAK_EVEN * (cap + 1) * total


def _middle_counts() -> tuple[dict[str, int], int]:
    """Current lines per middle classification, and all current lines, kept in the process for JSIC_TTL: an
    estimate that chooses a plan, never what is shown (≈ 0.1 s at 100,000 lines)."""
    global _JSIC_COUNTS
    expires, counts, total = _JSIC_COUNTS
    if expires < time.monotonic():
        day = jaim_today()
        current, params = _where(RosterQuery(as_of=day))  # listed on the day
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT x.middle, count(*) FROM {RosterLine._meta.db_table} CROSS JOIN LATERAL "  # noqa: S608 - fixed SQL, values as parameters
                "(SELECT DISTINCT left(c, 2) AS middle FROM unnest(string_to_array(jsic_codes, '|')) AS c "
                f"WHERE c <> '') x WHERE {current} GROUP BY 1",
                params,
            )
            counts = dict(cursor.fetchall())
        total = lines_on(day).count()
        _JSIC_COUNTS = (time.monotonic() + JSIC_TTL, counts, total)
    return counts, total


def forget_estimates() -> None:
    """Drop the per-process line counts that choose plans (the tests, between cases)."""
    global _JSIC_COUNTS
    _JSIC_COUNTS = (0.0, {}, 0)


class ResultPage:
    """One page of results with a count capped at `cap` (a broad search does not pay for counting the whole
    roster, and pages beyond the cap are not offered: narrow the search, or use the export). One query gives
    the page and the capped count (a window count over the first cap + 1 matches); a page beyond the last one
    costs a second query for the last page.

    With `card_language` (one of cards.CARD_LANGUAGES) the page holds (id, card_format, card or None) rows of
    the lines' stored cards (RosterCard) in that language instead of RosterLine instances
    (roster.cards.stored_cards): the public page reads them by primary key and builds no model."""

    def __init__(
        self, query: RosterQuery, number: int, *, per_page: int, cap: int, card_language: str | None = None
    ):
        self.per_page, self.cap, self.card_language = per_page, cap, card_language
        max_pages = -(-cap // per_page)
        number = max(1, min(number, max_pages))
        rows, count = self._fetch(query, number)
        last = max(1, -(-min(count, cap) // per_page))
        if not rows and number > 1:  # asked beyond the last page: the count comes from a count query
            count = self._count(query)
            last = max(1, -(-min(count, cap) // per_page))
            number = last
            rows, count = self._fetch(query, number) if count else ([], 0)
        self.number, self.object_list, self.count = number, rows, count

    def _fetch(self, query: RosterQuery, number: int) -> tuple[list, int]:
        where, params = _where(query)
        rank, order, rank_params = _ranked(query)
        columns = ", ".join(_KEY_COLUMNS if self.card_language else RESULT_COLUMNS)
        table = RosterLine._meta.db_table
        if _materialize(query, self.cap):
            matches = f"WITH matches AS MATERIALIZED (SELECT {columns}{rank} FROM {table} WHERE {where}) "  # noqa: S608 - fixed SQL
            ranked = ", search_rank" if rank else ""
            first = f"SELECT {columns}{ranked} FROM matches ORDER BY {order} LIMIT %s"  # noqa: S608 - fixed SQL
        else:
            matches = ""
            first = f"SELECT {columns}{rank} FROM {table} WHERE {where} ORDER BY {order} LIMIT %s"  # noqa: S608 - fixed SQL
        sql = (
            f"{matches}SELECT {columns}, COUNT(*) OVER () AS result_count FROM ({first}) capped "  # noqa: S608 - fixed SQL
            f"ORDER BY {order} LIMIT %s OFFSET %s"
        )
        if self.card_language:
            # The page's lines found and counted by their keys as above; their cards read by primary key after.
            card = self.card_language
            if card not in _CARD_COLUMNS:
                raise ValueError(f"no stored cards in {card!r}")
            ranked = ", search_rank" if rank else ""
            inner = sql.replace(f"SELECT {columns}, COUNT", f"SELECT {columns}{ranked}, COUNT", 1)
            outer_order = ", ".join(f"found.{c.strip()}" for c in order.split(","))
            cards_table = RosterCard._meta.db_table
            sql = (
                f"SELECT found.id, found.card_format, card.{card}, found.result_count FROM ({inner}) found "  # noqa: S608 - fixed SQL
                f"LEFT JOIN {cards_table} card ON card.line_id = found.id ORDER BY {outer_order}"
            )
        offset = (number - 1) * self.per_page
        with connection.cursor() as cursor:
            cursor.execute(sql, [*rank_params, *params, self.cap + 1, self.per_page, offset])
            rows = cursor.fetchall()
        if self.card_language:
            return [row[:3] for row in rows], (rows[0][-1] if rows else 0)
        return [_line_from_row(row) for row in rows], (rows[0][-1] if rows else 0)

    def _count(self, query: RosterQuery) -> int:
        where, params = _where(query)
        table = RosterLine._meta.db_table
        sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {where} LIMIT %s) capped"  # noqa: S608 - fixed SQL, values as parameters
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, self.cap + 1])
            return cursor.fetchone()[0]

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
    return absolute_url("roster:entry", token)


def current_line_for_establishment(establishment, *, on: dt.date) -> RosterLine | None:
    return (
        lines_on(on)
        .filter(entry__membership__establishment_id=establishment.pk)
        .select_related("entry")
        .order_by("-valid_from")
        .first()
    )


_LATEST_EXPORTS: tuple = (None, {})


def latest_exports(version: int | None = None) -> dict[str, RosterExport]:
    """The newest export of each format: one query per process and roster version (the exports job bumps the
    version), so a page that already knows the version reads no cache and no database for them."""
    global _LATEST_EXPORTS
    version = version if version is not None else roster_version()
    known_version, latest = _LATEST_EXPORTS
    if version is None or known_version != version:
        latest = {}
        for export in RosterExport.objects.order_by("-created_at", "-id")[: 3 * 4]:
            latest.setdefault(export.format, export)
        if version is not None:
            _LATEST_EXPORTS = (version, latest)
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
