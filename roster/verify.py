"""Bulk verification on a date: up to MAX_ROWS 法人番号 or member numbers checked against the roster as it stood
on one day, for officers and support organisations who check many sites at once.

For each distinct identifier: the sites it names and, per site, whether it was listed on that day (the roster's
own as-of selector, selectors.lines_on), its listing periods, and its names on that day beside its latest names
(a merger or relocation, R13/R14). A row that is not an identifier gets a Japanese reason; a repeated identifier
is checked once, with a note naming its lines. Only what the public roster shows: the public lines and periods.

The uploaded list (CSV or Excel) is read by the project's table reader (jaim.tabular): the first cell of each
row."""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jaim import tabular
from jaim.dates import japanese_date, today
from jaim.errors import DomainError
from jaim.validators import PREFECTURE_NAMES, is_valid_corporate_number, normalise_digits
from roster import history, selectors
from roster.forms import normalise_member_number
from roster.models import ListingPeriod, RosterLine

MAX_ROWS = 1000
MAX_INPUT_LENGTH = 100  # characters of one row kept (shown back to the user)
MAX_FILE_BYTES = 2 * 1024 * 1024  # 1,000 identifiers fit in a few dozen KB

CORPORATE_NUMBER, MEMBER_NUMBER = "corporate_number", "member_number"

LISTED, RENAMED, NOT_LISTED, NEVER_LISTED, INVALID = (
    "listed",
    "renamed",
    "not_listed",
    "never_listed",
    "invalid",
)
STATUSES = (LISTED, RENAMED, NOT_LISTED, NEVER_LISTED, INVALID)


def status_label(status: str) -> str:
    return {
        LISTED: _("掲載あり"),
        RENAMED: _("掲載あり（名称変更あり）"),
        NOT_LISTED: _("掲載なし（過去・後日の掲載あり）"),
        NEVER_LISTED: _("名簿に記載なし"),
        INVALID: _("番号の誤り"),
    }[status]


class TooManyRows(DomainError):
    pass


# --- input -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputRow:
    line: int  # line (row) number in the pasted text, the file or the JSON list, from 1
    value: str  # as given, trimmed to MAX_INPUT_LENGTH


def rows_from_values(values) -> list[InputRow]:
    """The API's list: every element is a row, an empty one included."""
    return [InputRow(i, _text(v)) for i, v in enumerate(values, start=1)]


def rows_from_text(text: str) -> list[InputRow]:
    """Pasted text: one identifier per line (the first cell when a line holds tab- or comma-separated cells, as
    pasted from a spreadsheet). Blank lines are skipped, and a heading as the first line."""
    return _rows(_first_cells(enumerate((text or "").splitlines(), start=1)))


def _first_cells(lines):
    for number, line in lines:
        yield number, [re.split(r"[\t,]", line, maxsplit=1)[0]] if line.strip() else []


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()[:MAX_INPUT_LENGTH]


def _rows(source) -> list[InputRow]:
    """(line, cells) → rows of the first cell; fully empty rows skipped, a heading as first row (「法人番号」)
    skipped. Refuses more than MAX_ROWS as soon as it sees them."""
    rows: list[InputRow] = []
    for number, cells in source:
        if not any(_text(c) for c in cells):
            continue
        value = _text(cells[0]) if cells else ""
        if not rows and _is_heading(value):
            continue
        rows.append(InputRow(number, value))
        if len(rows) > MAX_ROWS:
            raise too_many(None)
    return rows


_HEADING = re.compile(r"番号|法人|会員|number|identifier|\bid\b|code", re.IGNORECASE)


def _is_heading(value: str) -> bool:
    """「法人番号」「会員番号」「番号」, 'corporate_number'…: a heading, not an identifier (no digit in it)."""
    text = unicodedata.normalize("NFKC", value or "")
    return bool(_HEADING.search(text)) and not any(ch.isdigit() for ch in text)


def too_many(count: int | None) -> TooManyRows:
    if count is None:
        message = _("一度に確認できるのは%(max)s件までです。リストを分けて確認してください。")
        return TooManyRows(message % {"max": f"{MAX_ROWS:,}"}, code="too_many_rows")
    message = _("一度に確認できるのは%(max)s件までです（%(n)s件あります）。リストを分けて確認してください。")
    return TooManyRows(message % {"max": f"{MAX_ROWS:,}", "n": f"{count:,}"}, code="too_many_rows")


def check_count(rows) -> None:
    if len(rows) > MAX_ROWS:
        raise too_many(len(rows))


def rows_from_upload(uploaded, *, by=None) -> list[InputRow]:
    """The first column of an uploaded CSV (UTF-8 with or without BOM, or Shift_JIS) or Excel (.xlsx, first
    sheet), read by the project's table reader (jaim.tabular). The project's upload checks: the size limit, the
    virus scan, the type recognised by the content; DomainError (Japanese) when refused."""
    from jaim import uploads

    limit = min(settings.JAIM_UPLOAD_MAX_BYTES, MAX_FILE_BYTES)
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        uploads._too_large(limit)
    uploaded.seek(0)
    content = uploaded.read(limit + 1)
    if len(content) > limit:
        uploads._too_large(limit)
    if not content:
        raise DomainError(_("空のファイルはアップロードできません。"), code="empty")
    name = uploads.display_name(getattr(uploaded, "name", ""))
    uploads._scan_for_viruses(content, name=name, where="roster.verify", by=by)
    is_xlsx = content.startswith(tabular.XLSX_MAGIC)
    if not is_xlsx and (
        uploads.sniff(content[:16]) is not None or b"\x00" in content[:4096] or name.lower().endswith(".xls")
    ):
        raise DomainError(
            _("CSV（UTF-8 または Shift_JIS）または Excel（.xlsx）のファイルを指定してください。"),
            code="unsupported_type",
        )
    try:
        _encoding, source = tabular.read_rows(content)  # recognised by the content, not the name
        # Excel: the first column only (a row with something in other columns alone is an empty row).
        return _rows(((number, cells[:1]) for number, cells in source) if is_xlsx else source)
    except tabular.TableError as exc:
        where = _("%(line)d行目：") % {"line": exc.line} if exc.line else ""
        raise DomainError(where + exc.message, code="table") from exc


# --- identifiers -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parsed:
    kind: str  # CORPORATE_NUMBER, MEMBER_NUMBER or "" (not an identifier)
    identifier: str  # normalised
    reason: str = ""  # why it is not an identifier (Japanese)


def parse_identifier(value: str) -> Parsed:
    """A 13-digit 法人番号 (check digit verified, jaim.validators) or a member number (J and up to 7 digits, the
    J optional: roster.forms.normalise_member_number); full-width digits, spaces and hyphens allowed."""
    text = unicodedata.normalize("NFKC", value or "").strip().strip("'\"")
    if not text:
        return Parsed("", "", _("番号が空欄です。"))
    if re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", text):
        return Parsed(
            "",
            "",
            _(
                "指数表記（%(value)s）になっていて番号が読み取れません。Excel で列の書式を「文字列」にして保存し直してください。"
            )
            % {"value": text},
        )
    digits = normalise_digits(text)
    if digits.isdigit():
        if len(digits) == 13:
            if is_valid_corporate_number(digits):
                return Parsed(CORPORATE_NUMBER, digits)
            return Parsed("", "", _("法人番号のチェックデジットが正しくありません。番号をご確認ください。"))
        member = normalise_member_number(digits) if len(digits) <= 7 else ""
        if member:
            return Parsed(MEMBER_NUMBER, member)
        return Parsed(
            "",
            "",
            _("桁数が正しくありません（%(n)d桁）。法人番号は13桁、会員番号は「J」に続く7桁の数字です。")
            % {"n": len(digits)},
        )
    if text[:1] in "Jj":
        member = normalise_member_number(text)
        if member:
            return Parsed(MEMBER_NUMBER, member)
        return Parsed("", "", _("会員番号は「J」に続く数字で入力してください（例：J0000123）。"))
    return Parsed("", "", _("法人番号（13桁）または会員番号（例：J0000123）として読み取れません。"))


# --- results -----------------------------------------------------------------------------------------------


@dataclass
class Site:
    """One establishment named by an identifier, seen on the day checked."""

    member_number: str
    token: str
    corporate_number: str
    organisation_name: str  # on the day checked (or the nearest day it was listed)
    establishment_name: str
    prefecture: str  # code
    city: str
    listed: bool
    latest_organisation_name: str  # the latest names the roster shows (the new ones of a pending change)
    latest_establishment_name: str
    periods: list[tuple[dt.date, dt.date | None]]  # [listed_from, delisted_on)

    @property
    def renamed(self) -> bool:
        return (self.organisation_name, self.establishment_name) != (
            self.latest_organisation_name,
            self.latest_establishment_name,
        )

    @property
    def location(self) -> str:
        return f"{PREFECTURE_NAMES.get(self.prefecture, self.prefecture)}{self.city}"

    @property
    def url(self) -> str:
        return selectors.entry_url(self.token)

    def periods_text(self) -> str:
        """「2026年4月1日〜2026年9月29日、2026年11月1日〜（掲載中）」: last listed days, as the entry page shows."""
        parts = []
        for start, end in self.periods:
            if end is None:
                parts.append(_("%(start)s〜（掲載中）") % {"start": japanese_date(start)})
            else:
                last = end - dt.timedelta(days=1)
                parts.append(
                    _("%(start)s〜%(end)s") % {"start": japanese_date(start), "end": japanese_date(last)}
                )
        return "、".join(parts)


@dataclass
class RowResult:
    lines: list[int]  # the input lines that gave this identifier (more than one: duplicates)
    value: str
    kind: str
    identifier: str
    status: str
    reason: str = ""
    sites: list[Site] = field(default_factory=list)

    @property
    def line(self) -> int:
        return self.lines[0]

    @property
    def note(self) -> str:
        if len(self.lines) < 2:
            return ""
        others = "・".join(_("%(n)d行目") % {"n": n} for n in self.lines[1:])
        return _("重複：%(lines)sにも同じ番号があります（1回だけ確認しました）。") % {"lines": others}

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def is_never_listed(self) -> bool:
        return self.status == NEVER_LISTED

    @property
    def kind_label(self) -> str:
        return {CORPORATE_NUMBER: _("法人番号"), MEMBER_NUMBER: _("会員番号")}.get(self.kind, "")


@dataclass
class Verification:
    as_of: dt.date
    taken_at: dt.datetime  # the moment the roster was read
    rows: list[RowResult]
    input_count: int

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for row in self.rows:
            counts[row.status] += 1
        return counts

    @property
    def duplicate_count(self) -> int:
        return sum(len(r.lines) - 1 for r in self.rows)

    @property
    def taken_at_text(self) -> str:
        return _("%(moment)s 時点") % {"moment": moment_text(self.taken_at)}


def moment_text(moment: dt.datetime) -> str:
    """2026年12月2日 13:00 (Asia/Tokyo)."""
    local = timezone.localtime(moment)
    return f"{japanese_date(local.date())} {local:%H:%M}"


def validate_as_of(as_of: dt.date | None) -> dt.date:
    on = as_of or today()
    if on > today():
        raise DomainError(
            _("未来の日付は指定できません（本日は%(today)s です）。") % {"today": japanese_date(today())},
            code="future",
        )
    return on


def verify(rows: list[InputRow], as_of: dt.date | None = None) -> Verification:
    """Check every row on `as_of` (default today; a future day is refused). Raises TooManyRows beyond MAX_ROWS."""
    check_count(rows)
    on = validate_as_of(as_of)
    taken_at = timezone.now()
    results: list[RowResult] = []
    by_identifier: dict[tuple[str, str], RowResult] = {}
    for row in rows:
        parsed = parse_identifier(row.value)
        if not parsed.kind:
            results.append(RowResult([row.line], row.value, "", "", INVALID, reason=parsed.reason))
            continue
        key = (parsed.kind, parsed.identifier)
        if key in by_identifier:
            by_identifier[key].lines.append(row.line)
            continue
        result = RowResult([row.line], row.value, parsed.kind, parsed.identifier, NEVER_LISTED)
        by_identifier[key] = result
        results.append(result)
    _resolve(by_identifier, on)
    return Verification(as_of=on, taken_at=taken_at, rows=results, input_count=len(rows))


def _resolve(by_identifier: dict[tuple[str, str], RowResult], on: dt.date) -> None:
    """Four queries whatever the number of rows: the lines naming the identifiers (any day), every line of
    those entries, the lines listed on `on` (selectors.lines_on, the roster's as-of selector), their periods."""
    corporate = {i for k, i in by_identifier if k == CORPORATE_NUMBER}
    members = {i for k, i in by_identifier if k == MEMBER_NUMBER}
    if not corporate and not members:
        return
    named: dict[tuple[str, str], set[int]] = {}
    for entry_id, corporate_number, member_number in RosterLine.objects.filter(
        Q(corporate_number__in=corporate) | Q(member_number__in=members)
    ).values_list("entry_id", "corporate_number", "member_number"):
        if corporate_number in corporate:
            named.setdefault((CORPORATE_NUMBER, corporate_number), set()).add(entry_id)
        if member_number in members:
            named.setdefault((MEMBER_NUMBER, member_number), set()).add(entry_id)
    entry_ids = set().union(*named.values()) if named else set()
    if not entry_ids:
        return
    fields = ("entry_id", "valid_from", "valid_until", *RosterLine.IDENTITY_FIELDS, "member_number", "token")
    lines: dict[int, list[RosterLine]] = {}
    for line in RosterLine.objects.filter(entry_id__in=entry_ids).only(*fields).order_by("valid_from"):
        lines.setdefault(line.entry_id, []).append(line)
    listed = {
        line.entry_id: line
        for line in selectors.lines_on(on).filter(entry_id__in=entry_ids).only(*fields).order_by("valid_from")
    }
    periods: dict[int, list[tuple]] = {}
    for period in ListingPeriod.objects.filter(entry_id__in=entry_ids).order_by("listed_from"):
        if not period.is_empty:
            periods.setdefault(period.entry_id, []).append((period.listed_from, period.delisted_on))
    sites = {
        entry_id: _site(lines[entry_id], listed.get(entry_id), periods.get(entry_id, []), on)
        for entry_id in lines
    }
    for key, result in by_identifier.items():
        found = sorted((sites[e] for e in named.get(key, ()) if e in sites), key=lambda s: s.member_number)
        result.sites = found
        if not found:
            result.status = NEVER_LISTED
        elif any(s.listed for s in found):
            result.status = RENAMED if any(s.listed and s.renamed for s in found) else LISTED
        else:
            result.status = NOT_LISTED


def _site(lines: list[RosterLine], current: RosterLine | None, periods: list, on: dt.date) -> Site:
    """The site as the entry page shows it on `on` (services.entry_state): the line listed that day, else the
    last one shown before it, else the first one."""
    shown = current or next((ln for ln in reversed(lines) if ln.valid_from <= on), None) or lines[0]
    latest = lines[-1]
    latest_org = latest.new_organisation_name or latest.organisation_name
    latest_est = latest.new_establishment_name or latest.establishment_name
    return Site(
        member_number=shown.member_number,
        token=shown.token,
        corporate_number=shown.corporate_number,
        organisation_name=shown.organisation_name,
        establishment_name=shown.establishment_name,
        prefecture=shown.prefecture,
        city=shown.city,
        listed=current is not None and history.covers(current.valid_from, current.valid_until, on),
        latest_organisation_name=latest_org,
        latest_establishment_name=latest_est,
        periods=periods,
    )


# --- files -------------------------------------------------------------------------------------------------


def columns() -> list[str]:
    return [
        _("行"),
        _("入力値"),
        _("種別"),
        _("結果"),
        _("会員番号"),
        _("法人番号"),
        _("法人名（基準日）"),
        _("事業所名（基準日）"),
        _("新しい法人名"),
        _("新しい事業所名"),
        _("所在地"),
        _("掲載期間"),
        _("理由・備考"),
        _("確認用URL"),
        _("基準日"),
        _("データ取得日時"),
    ]


def table_rows(result: Verification):
    """One row per (input row, site): a 法人番号 can name several sites of one company."""
    as_of = result.as_of.isoformat()
    taken = moment_text(result.taken_at)
    for row in result.rows:
        lines = ",".join(str(n) for n in row.lines)
        head = [lines, row.value, row.kind_label]
        remark = row.reason or row.note
        if not row.sites:
            yield [*head, row.status_label, "", "", "", "", "", "", "", "", remark, "", as_of, taken]
            continue
        for site in row.sites:
            status = (
                status_label(RENAMED if site.listed and site.renamed else LISTED)
                if site.listed
                else (status_label(NOT_LISTED) if site.periods else status_label(NEVER_LISTED))
            )
            yield [
                *head,
                status,
                site.member_number,
                site.corporate_number,
                site.organisation_name,
                site.establishment_name,
                site.latest_organisation_name if site.renamed else "",
                site.latest_establishment_name if site.renamed else "",
                site.location,
                site.periods_text(),
                remark,
                site.url,
                as_of,
                taken,
            ]


def csv_bytes(result: Verification) -> bytes:
    """UTF-8 with BOM, CRLF; a value a spreadsheet would run as a formula (the input is the user's) starts with
    an apostrophe (jaim.tabular)."""
    return tabular.csv_bytes(columns(), table_rows(result))


def xlsx_bytes(result: Verification) -> bytes:
    """Text cells as typed (a 法人番号 keeps its 13 digits; '=1+1' stays text, never a formula: jaim.tabular)."""
    return tabular.xlsx_bytes(
        columns(),
        table_rows(result),
        sheet_title=_("一括確認"),
        preamble=[
            _("JAIM 賛助会員名簿 一括確認結果"),
            _("基準日：%(date)s（%(taken)s のデータ）")
            % {"date": japanese_date(result.as_of), "taken": result.taken_at_text},
        ],
    )


def download_name(result: Verification, fmt: str) -> str:
    return f"jaim-roster-verify-{result.as_of:%Y%m%d}-{timezone.localtime(result.taken_at):%Y%m%d-%H%M}.{fmt}"


# --- rate limit --------------------------------------------------------------------------------------------


def charge_rows(request, rows: int) -> int | None:
    """Count `rows` checked rows for the client against settings.JAIM_ROSTER_VERIFY_RATE_LIMIT ("rows/seconds"),
    all or nothing (jaim.ratelimit, a cost per row); the seconds to wait when the limit is exceeded, else None."""
    from jaim.ratelimit import Limit

    decision = Limit("verify-rows", "JAIM_ROSTER_VERIFY_RATE_LIMIT").hit_client(request, cost=max(1, rows))
    return None if decision.allowed else decision.retry_after
