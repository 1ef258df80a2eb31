"""Tables in and out, written once for every app.

Writing (`write_csv`, `write_xlsx`, and `csv_bytes` / `xlsx_bytes` for small files): a header and an iterable of
rows, streamed.
- CSV: UTF-8 with a BOM and CRLF line ends (what Excel on Japanese Windows opens without mojibake).
- xlsx: openpyxl's write-only workbook for the sheet's frame (widths, frozen header, title lines, styles), the
  data rows streamed into its sheet as openpyxl writes them but without a cell object per value (memory
  bounded, about five times faster); ints and floats stay numbers, dates stay dates (a date format), datetimes
  become local naive datetimes.
- Formula injection: a text cell starting with `=`, `+`, `-`, `@`, a tab or a CR is something a spreadsheet may
  run as a formula. In CSV it gets a leading apostrophe (Excel shows it as text); in xlsx it is written as a
  string cell with Excel's quote prefix, never a formula (openpyxl would otherwise store any string starting with
  `=` as one). Numbers are not text: -5 stays the number -5.

Reading (`read_rows`, `read_table`): an uploaded CSV — UTF-8 with or without a BOM, or Shift_JIS (CP932, what
Japanese Excel saves), detected, never guessed into mojibake — or the first sheet of an xlsx, as rows of
stripped strings with their line numbers. A file that cannot be read raises TableError with a message for
people (the line, when there is one, in `line`)."""

import csv
import datetime as dt
import decimal
import functools
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape as xml_escape  # nosec B406 - escapes text we write; nothing is parsed

from django.utils import timezone
from django.utils.translation import gettext as _

# --- writing ------------------------------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
# Control characters an xlsx (XML) cannot hold; openpyxl refuses them.
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Texts openpyxl would store as error cells rather than text.
_ERROR_CODES = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))


def is_formula_like(value: str) -> bool:
    return bool(value) and value.startswith(FORMULA_START)


def safe_text(value: str) -> str:
    """A text cell for CSV: a leading apostrophe when a spreadsheet would run it as a formula."""
    return "'" + value if is_formula_like(value) else value


def csv_value(value) -> str | int | float | decimal.Decimal:
    """One cell as a CSV holds it: text neutralised, dates ISO, numbers as numbers, None empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | decimal.Decimal):
        return value
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.replace(tzinfo=None, microsecond=0).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return safe_text(str(value))


def write_csv(out, header: Sequence, rows: Iterable[Sequence]) -> int:
    """Write header and rows to the binary file `out` (UTF-8 with BOM, CRLF); returns the number of rows."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        text.write(BOM)
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow([csv_value(h) for h in header])
        count = 0
        for row in rows:
            writer.writerow([csv_value(v) for v in row])
            count += 1
        text.flush()
    finally:
        text.detach()  # `out` stays open for the caller
    return count


def csv_bytes(header: Sequence, rows: Iterable[Sequence]) -> bytes:
    out = io.BytesIO()
    write_csv(out, header, rows)
    return out.getvalue()


def _text_cell(ws, value: str, font=None):
    """A cell for a text. One that would be a formula or an error value stays a string: openpyxl makes any
    string starting with '=' a formula; data_type 's' keeps it text, and the quote prefix tells Excel to keep it
    text when the cell is edited too."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=value)
    if is_formula_like(value) or value in _ERROR_CODES:
        cell.data_type = "s"
        cell.quotePrefix = True
    if font is not None:
        cell.font = font
    return cell


SHEET_PART = "xl/worksheets/sheet1.xml"
ROWS_PER_WRITE = 500


@dataclass(frozen=True)
class _Styles:
    """Indexes of the cell formats the data rows use, registered in the workbook before it is saved."""

    date: int
    datetime: int
    text: int  # a string kept text: Excel's quote prefix


def _register_styles(ws) -> _Styles:
    from openpyxl.cell import WriteOnlyCell

    quoted = WriteOnlyCell(ws, value="text")
    quoted.quotePrefix = True
    return _Styles(
        date=WriteOnlyCell(ws, value=dt.date(2000, 1, 1)).style_id,
        datetime=WriteOnlyCell(ws, value=dt.datetime(2000, 1, 1)).style_id,
        text=quoted.style_id,
    )


_XML_ENTITIES = {"\r": "&#13;"}  # a CR kept as such (a parser reads a raw one as a line feed)


def _text_xml(ref: str, value: str, styles: _Styles) -> str:
    if _ILLEGAL_XLSX.search(value):
        value = _ILLEGAL_XLSX.sub("", value)
    if not value:
        return ""
    style = f' s="{styles.text}"' if is_formula_like(value) or value in _ERROR_CODES else ""
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{xml_escape(value, _XML_ENTITIES)}</t></is></c>'


def _row_xml(number: int, row: Sequence, letters: list[str], styles: _Styles) -> str:
    """One data row of the sheet as openpyxl's write-only writer writes it (inline strings; dates as serial
    numbers in a date format), without building a cell object per value."""
    from openpyxl.utils.datetime import to_excel

    cells = []
    for i, v in enumerate(row):
        if v is None:
            continue
        if i >= len(letters):
            letters.extend(_letters(len(letters), i + 1))
        ref = f"{letters[i]}{number}"
        kind = type(v)
        if kind is str:
            cells.append(_text_xml(ref, v, styles))
        elif kind is int or kind is float or kind is decimal.Decimal:
            cells.append(f'<c r="{ref}" t="n"><v>{v}</v></c>')
        elif kind is dt.date:
            cells.append(f'<c r="{ref}" s="{styles.date}" t="n"><v>{_date_serial(v)}</v></c>')
        elif kind is dt.datetime:
            local = timezone.localtime(v).replace(tzinfo=None) if timezone.is_aware(v) else v
            cells.append(f'<c r="{ref}" s="{styles.datetime}" t="n"><v>{to_excel(local)}</v></c>')
        elif isinstance(v, bool):
            cells.append(f'<c r="{ref}" t="b"><v>{int(v)}</v></c>')
        elif isinstance(v, int | float):  # subclasses (IntegerChoices…)
            number_text = int(v) if isinstance(v, int) else float(v)
            cells.append(f'<c r="{ref}" t="n"><v>{number_text}</v></c>')
        else:  # a str subclass (TextChoices, lazy text…) or anything else: its text
            cells.append(_text_xml(ref, str(v), styles))
    return f'<row r="{number}">{"".join(cells)}</row>'


@functools.lru_cache(maxsize=4096)
def _date_serial(day: dt.date) -> int:
    """Excel's serial number of a day (a roster repeats a few hundred days over 100,000 rows)."""
    from openpyxl.utils.datetime import to_excel

    return to_excel(day)


def _letters(start: int, end: int) -> list[str]:
    from openpyxl.utils import get_column_letter

    return [get_column_letter(i + 1) for i in range(start, end)]


def _splice_rows(frame: bytes, out, rows: Iterable[Sequence], *, first_row: int, styles: _Styles) -> int:
    """Copy the workbook `frame` (saved by openpyxl: everything but the data rows) to `out`, streaming the data
    rows into its sheet before </sheetData>. Returns the number of rows."""
    count = 0
    letters = _letters(0, 26)
    with (
        zipfile.ZipFile(io.BytesIO(frame)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename != SHEET_PART:
                target.writestr(info, source.read(info.filename), compress_type=zipfile.ZIP_DEFLATED)
                continue
            sheet = source.read(SHEET_PART).decode("utf-8")
            head, tail = sheet.split("</sheetData>", 1)
            part = zipfile.ZipInfo(SHEET_PART, date_time=info.date_time)
            part.compress_type = zipfile.ZIP_DEFLATED
            with target.open(part, "w", force_zip64=True) as f:
                f.write(head.encode("utf-8"))
                batch = []
                for row in rows:
                    batch.append(_row_xml(first_row + count, row, letters, styles))
                    count += 1
                    if len(batch) >= ROWS_PER_WRITE:
                        f.write("".join(batch).encode("utf-8"))
                        batch = []
                f.write(("".join(batch) + "</sheetData>" + tail).encode("utf-8"))
    return count


def write_xlsx(
    out,
    header: Sequence,
    rows: Iterable[Sequence],
    *,
    sheet_title: str = "Sheet1",
    preamble: Sequence[str] = (),
    widths: Sequence[int] = (),
    freeze_header: bool = False,
    title: str = "",
    created: dt.datetime | None = None,
) -> int:
    """Write a write-only workbook of one sheet to `out` (a binary file or a path); returns the number of rows.

    preamble: lines above the table (the first in large bold type: a title), followed by an empty row.
    widths: column widths. freeze_header: the header stays in view while scrolling. title/created: document
    properties (created is stored in UTC, as Excel expects)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(re.sub(r"[\[\]:*?/\\]", "", sheet_title)[:31] or "Sheet1")
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    header_row = len(preamble) + 2 if preamble else 1
    if freeze_header:
        ws.freeze_panes = f"A{header_row + 1}"
    for i, line in enumerate(preamble):
        ws.append([_text_cell(ws, _ILLEGAL_XLSX.sub("", line), Font(bold=True, size=14) if i == 0 else None)])
    if preamble:
        ws.append([])
    bold = Font(bold=True)
    ws.append([_text_cell(ws, _ILLEGAL_XLSX.sub("", str(h)), bold) for h in header])
    styles = _register_styles(ws)
    if title:
        wb.properties.title = title
    if created is not None:
        wb.properties.created = (
            created.astimezone(dt.UTC) if timezone.is_aware(created) else created
        ).replace(tzinfo=None)
    frame = io.BytesIO()
    wb.save(frame)
    return _splice_rows(frame.getvalue(), out, rows, first_row=header_row + 1, styles=styles)


def xlsx_bytes(header: Sequence, rows: Iterable[Sequence], **options) -> bytes:
    out = io.BytesIO()
    write_xlsx(out, header, rows, **options)
    return out.getvalue()


# --- reading ------------------------------------------------------------------------------------------------

XLSX_MAGIC = b"PK\x03\x04"
MAX_ROWS = 50_000


class TableError(ValueError):
    """The file as a whole cannot be read (encoding, format, header). The message is for people; `line` is the
    line of the file it concerns, when there is one."""

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


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
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
    except TableError:
        raise
    except Exception as exc:  # noqa: BLE001 - a sheet broken inside an intact zip
        raise TableError(
            _("Excel ファイルを読み込めません。ファイルが壊れていないか確認してください。")
        ) from exc
    finally:
        wb.close()


def csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line, stripped cells) of CSV text; a tab-separated file is recognised by its first line."""
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            yield reader.line_num, [c.strip() for c in row]
    except (
        csv.Error
    ) as exc:  # e.g. a cell longer than csv.field_size_limit(): a malformed file like any other
        raise TableError(
            _("CSV として読み取れません（長すぎる項目があるか、形式が崩れています）。"),
            line=max(reader.line_num, 1),
        ) from exc


def is_xlsx(data: bytes, file_name: str = "") -> bool:
    return file_name.lower().endswith(".xlsx") or data.startswith(XLSX_MAGIC)


def read_rows(data: bytes, file_name: str = "") -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """The encoding found (a label for people) and the rows of the CSV or of the xlsx's first sheet:
    (line number, cells as stripped strings). TableError for a file that cannot be read (raised at once for
    the encoding or the format, while iterating for a row that cannot be parsed)."""
    if is_xlsx(data, file_name):
        if not data.startswith(XLSX_MAGIC):
            raise TableError(_("Excel（.xlsx）ファイルではありません。"))
        return "Excel", _xlsx_rows(data)
    text, encoding = decode(data)
    return encoding, csv_rows(text)


def read_table(data: bytes, file_name: str = "", *, max_rows: int = MAX_ROWS) -> Table:
    """Rows of the first sheet (Excel) or of the CSV; the first non-empty row is the header."""
    encoding, source = read_rows(data, file_name)
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
        if len(rows) > max_rows:
            raise TableError(
                _("行数が多すぎます（上限 %(n)s 行）。ファイルを分けてください。") % {"n": f"{max_rows:,}"}
            )
    if header is None:
        raise TableError(_("見出し行がありません。"))
    return Table(encoding=encoding, header=header, header_line=header_line, rows=rows)
