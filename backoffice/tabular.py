"""Reading and writing tables: uploaded CSV (UTF-8 with or without BOM, or Shift_JIS/CP932, detected) or Excel,
and CSV/Excel files written for staff (UTF-8 with BOM so that Excel opens it; cells that a spreadsheet would run
as a formula are defused)."""

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"
MAX_ROWS = 50_000


class TableError(ValueError):
    """The file as a whole cannot be read (encoding, format, header). The message is for staff."""

    def __init__(self, message: str, *, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Table:
    encoding: str  # a label for people: "UTF-8", "UTF-8（BOM付き）", "Shift_JIS（CP932）", "Excel"
    header: list[str]
    header_line: int
    rows: list[tuple[int, list[str]]]  # (line number in the file, cells)


def decode(data: bytes) -> tuple[str, str]:
    """The text of an uploaded CSV and the encoding found: UTF-8 (BOM or not) first, then Shift_JIS (CP932).
    Anything else is refused with a message (never guessed into mojibake)."""
    if not data:
        raise TableError(_("ファイルが空です。"))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TableError(
            _("UTF-16 のファイルには対応していません。CSV（UTF-8 または Shift_JIS）で保存し直してください。")
        )
    if data.startswith(XLSX_MAGIC) or b"\x00" in data[:4096]:
        raise TableError(
            _("CSVファイルではありません（Excel のファイルは拡張子 .xlsx のまま指定してください）。")
        )
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), _("UTF-8（BOM付き）")
        except UnicodeDecodeError as exc:
            raise TableError(
                _("UTF-8 として読めない文字があります（%(pos)d バイト目）。") % {"pos": exc.start + 4}
            ) from exc
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932"), _("Shift_JIS（CP932）")
    except UnicodeDecodeError as exc:
        raise TableError(
            _(
                "文字コードを判別できません（%(pos)d バイト目）。UTF-8 または Shift_JIS（CP932）の CSV を指定してください。"
            )
            % {"pos": exc.start + 1}
        ) from exc


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(data: bytes):
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise TableError(
            _("Excel ファイルを読み込めません。ファイルが壊れていないか確認してください。")
        ) from exc
    try:
        ws = wb.worksheets[0]
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v).strip() for v in row]
    finally:
        wb.close()


def _csv_rows(text: str):
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            yield reader.line_num, [c.strip() for c in row]
    except csv.Error as exc:
        raise TableError(
            _("CSV の形式が正しくありません（%(line)d 行目）。") % {"line": reader.line_num}
        ) from exc


def read_table(data: bytes, file_name: str) -> Table:
    """Rows of the first sheet (Excel) or of the CSV; the first non-empty row is the header."""
    if file_name.lower().endswith(".xlsx") or data.startswith(XLSX_MAGIC):
        if not data.startswith(XLSX_MAGIC):
            raise TableError(_("Excel（.xlsx）ファイルではありません。"))
        encoding, source = "Excel", _xlsx_rows(data)
    else:
        text, encoding = decode(data)
        source = _csv_rows(text)
    header, header_line, rows = None, 0, []
    for line, cells in source:
        if not any(cells):
            continue
        if header is None:
            header, header_line = cells, line
            while header and not header[-1]:
                header.pop()
            continue
        rows.append((line, cells))
        if len(rows) > MAX_ROWS:
            raise TableError(
                _("行数が多すぎます（上限 %(n)s 行）。ファイルを分けてください。") % {"n": f"{MAX_ROWS:,}"}
            )
    if header is None:
        raise TableError(_("見出し行がありません。"))
    return Table(encoding=encoding, header=header, header_line=header_line, rows=rows)


def header_key(label: str) -> str:
    """A header as compared: NFKC, no spaces, no '（必須）'-style notes, no '*'."""
    value = unicodedata.normalize("NFKC", label or "")
    value = re.sub(r"\((必須|任意|required|optional)\)|[*＊\s]", "", value, flags=re.IGNORECASE)
    return value.lower()


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False
    aliases: tuple[str, ...] = ()


def map_columns(table: Table, columns: list[Column]) -> dict[str, int]:
    """Index of each known column in the header; TableError naming the required columns that are missing."""
    positions: dict[str, int] = {}
    seen: dict[str, int] = {}
    for i, label in enumerate(table.header):
        k = header_key(label)
        if not k:
            continue
        if k in seen:
            raise TableError(
                _("見出し「%(label)s」が2回あります（%(a)d列目と%(b)d列目）。")
                % {"label": label, "a": seen[k] + 1, "b": i + 1},
                line=table.header_line,
            )
        seen[k] = i
    for col in columns:
        for name in (col.label, *col.aliases):
            if header_key(name) in seen:
                positions[col.key] = seen[header_key(name)]
                break
    missing = [c.label for c in columns if c.required and c.key not in positions]
    if missing:
        message = _("必須の列がありません：%(cols)s。") % {"cols": "、".join(missing)}
        if not positions:
            message += _(
                "見出し行が一つも認識できません。文字コード（UTF-8 または Shift_JIS）と見出しの名前を確認してください。"
            )
        raise TableError(message, line=table.header_line)
    return positions


def cell(cells: list[str], positions: dict[str, int], key: str) -> str:
    i = positions.get(key)
    return cells[i].strip() if i is not None and i < len(cells) else ""


# --- values --------------------------------------------------------------------------------------------------

_ERAS = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988, "昭和": 1925, "S": 1925}


def parse_date(value: str) -> dt.date:
    """2025-04-01, 2025/4/1, 2025年4月1日, 20250401, 令和7年4月1日, R7.4.1 → date; ValueError otherwise."""
    v = unicodedata.normalize("NFKC", value or "").strip().replace(" ", "")
    if not v:
        raise ValueError("empty")
    m = re.fullmatch(
        r"(令和|平成|昭和|[RHS])(\d{1,2}|元)[年./-](\d{1,2})[月./-](\d{1,2})日?", v, re.IGNORECASE
    )
    if m:
        year = _ERAS[m[1].upper() if len(m[1]) == 1 else m[1]] + (1 if m[2] == "元" else int(m[2]))
        return dt.date(year, int(m[3]), int(m[4]))
    m = re.fullmatch(
        r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:T?\d{1,2}:\d{2}(?::\d{2})?)?", v
    ) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", v)
    if not m:
        raise ValueError(value)
    return dt.date(int(m[1]), int(m[2]), int(m[3]))


_TRUE = {"1", "true", "yes", "y", "はい", "○", "〇", "◯", "有", "あり", "済", "対象"}
_FALSE = {"", "0", "false", "no", "n", "いいえ", "×", "✕", "-", "無", "なし", "対象外"}


def parse_bool(value: str) -> bool:
    v = unicodedata.normalize("NFKC", value or "").strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueError(value)


# --- writing ------------------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe (CSV injection)."""
    return "'" + value if value and value.startswith(_FORMULA_START) else value


def csv_bytes(header: list[str], rows) -> bytes:
    """UTF-8 with BOM, CRLF line ends: what Excel on Japanese Windows opens without mojibake."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_text(str(h)) for h in header])
    for row in rows:
        writer.writerow([safe_text(v) if isinstance(v, str) else ("" if v is None else v) for v in row])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
