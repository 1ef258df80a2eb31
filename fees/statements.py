"""Bank statement CSVs → the canonical rows of zengin.md §4, one small adapter per bank format.

An adapter reads the whole file and either returns every row or raises StatementFormatError with the line
number of the first bad line: nothing from a malformed file is imported.
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jaim import tabular

CANONICAL_COLUMNS = [
    "booked_on",
    "direction",
    "amount_yen",
    "payer_name_raw",
    "description_raw",
    "balance_yen",
    "bank_reference",
]


class StatementFormatError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(f"{line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class StatementRow:
    line_number: int
    booked_on: dt.date
    direction: str  # "in" | "out"
    amount_yen: int
    payer_name_raw: str
    description_raw: str
    balance_yen: int | None
    bank_reference: str


def _rows(data: bytes):
    """(line, cells) of the CSV (UTF-8 with or without BOM, or Shift_JIS, detected by jaim.tabular)."""
    try:
        _encoding, rows = tabular.read_rows(data)
        yield from rows
    except tabular.TableError as exc:
        raise StatementFormatError(exc.line or 1, exc.message) from exc


def _date(value: str, line: int) -> dt.date:
    v = unicodedata.normalize("NFKC", value).strip()
    m = re.fullmatch(r"(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})日?", v) or re.fullmatch(
        r"(\d{4})(\d{2})(\d{2})", v
    )
    if not m:
        raise StatementFormatError(line, _("日付「%(v)s」を読み取れません。") % {"v": value})
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError as exc:
        raise StatementFormatError(line, _("日付「%(v)s」は存在しません。") % {"v": value}) from exc


def _yen(value: str, line: int, *, signed: bool = False, required: bool = True) -> int | None:
    v = unicodedata.normalize("NFKC", value or "").replace(",", "").replace("円", "").replace("¥", "").strip()
    if not v:
        if required:
            raise StatementFormatError(line, _("金額がありません。"))
        return None
    if not re.fullmatch(r"[-+]?\d+", v) or (not signed and v.startswith("-")):
        raise StatementFormatError(line, _("金額「%(v)s」は整数の円ではありません。") % {"v": value})
    return int(v)


def _payer_from_description(description: str) -> str:
    """The payer is often inside the description, e.g. `振込　ｺﾝﾆﾁﾊ` (zengin.md §4)."""
    d = (description or "").strip()
    return re.sub(r"^(パソコン振込|カード振込|振込|ﾌﾘｺﾐ|フリコミ|ﾊﾟｿｺﾝﾌﾘｺﾐ)[\s\u3000]*", "", d)


def _check_header(header: list[str], expected: list[str], line: int) -> dict[str, int]:
    idx = {name: i for i, name in enumerate(header)}
    missing = [c for c in expected if c not in idx]
    if missing:
        raise StatementFormatError(
            line, _("見出し行に列 %(cols)s がありません。") % {"cols": "、".join(missing)}
        )
    return idx


def _cell(row: list[str], idx: dict[str, int], name: str) -> str:
    i = idx[name]
    return row[i] if i < len(row) else ""


def parse_canonical(data: bytes) -> list[StatementRow]:
    """booked_on,direction,amount_yen,payer_name_raw,description_raw,balance_yen,bank_reference (UTF-8)."""
    out = []
    idx = None
    for line, row in _rows(data):
        if not any(row):
            continue
        if idx is None:
            idx = _check_header(row, CANONICAL_COLUMNS[:5], line)
            continue
        direction = _cell(row, idx, "direction").lower()
        if direction not in ("in", "out"):
            raise StatementFormatError(line, _("direction は in または out です。"))
        amount = _yen(_cell(row, idx, "amount_yen"), line)
        if amount <= 0:
            raise StatementFormatError(line, _("金額は正の整数です。"))
        out.append(
            StatementRow(
                line_number=line,
                booked_on=_date(_cell(row, idx, "booked_on"), line),
                direction=direction,
                amount_yen=amount,
                payer_name_raw=_cell(row, idx, "payer_name_raw"),
                description_raw=_cell(row, idx, "description_raw"),
                balance_yen=_yen(_cell(row, idx, "balance_yen"), line, signed=True, required=False)
                if "balance_yen" in idx
                else None,
                bank_reference=_cell(row, idx, "bank_reference") if "bank_reference" in idx else "",
            )
        )
    if idx is None:
        raise StatementFormatError(1, _("見出し行がありません。"))
    return out


def _two_columns(data: bytes, *, date_col, out_col, in_col, desc_col, balance_col) -> list[StatementRow]:
    out = []
    idx = None
    for line, row in _rows(data):
        if not any(row):
            continue
        if idx is None:
            idx = _check_header(row, [date_col, out_col, in_col, desc_col], line)
            continue
        withdrawn = _yen(_cell(row, idx, out_col), line, required=False)
        deposited = _yen(_cell(row, idx, in_col), line, required=False)
        if bool(withdrawn) == bool(deposited):
            raise StatementFormatError(line, _("入金額と出金額のどちらか一方だけが必要です。"))
        desc = _cell(row, idx, desc_col)
        out.append(
            StatementRow(
                line_number=line,
                booked_on=_date(_cell(row, idx, date_col), line),
                direction="in" if deposited else "out",
                amount_yen=deposited or withdrawn,
                payer_name_raw=_payer_from_description(desc) if deposited else "",
                description_raw=desc,
                balance_yen=_yen(_cell(row, idx, balance_col), line, signed=True, required=False)
                if balance_col in idx
                else None,
                bank_reference="",
            )
        )
    if idx is None:
        raise StatementFormatError(1, _("見出し行がありません。"))
    return out


def parse_sbi(data: bytes) -> list[StatementRow]:
    """住信SBI: 日付, 内容, 出金金額(円), 入金金額(円), 残高(円), メモ."""
    return _two_columns(
        data,
        date_col="日付",
        out_col="出金金額(円)",
        in_col="入金金額(円)",
        desc_col="内容",
        balance_col="残高(円)",
    )


def parse_smbc(data: bytes) -> list[StatementRow]:
    """三井住友: 年月日, お引出し, お預入れ, お取り扱い内容, 残高, …"""
    return _two_columns(
        data,
        date_col="年月日",
        out_col="お引出し",
        in_col="お預入れ",
        desc_col="お取り扱い内容",
        balance_col="残高",
    )


def parse_rakuten(data: bytes) -> list[StatementRow]:
    """楽天: 取引日, 入出金(円) (one signed column), 取引後残高(円), 入出金内容."""
    out = []
    idx = None
    for line, row in _rows(data):
        if not any(row):
            continue
        if idx is None:
            idx = _check_header(row, ["取引日", "入出金(円)", "入出金内容"], line)
            continue
        amount = _yen(_cell(row, idx, "入出金(円)"), line, signed=True)
        if amount == 0:
            raise StatementFormatError(line, _("金額が 0 円です。"))
        desc = _cell(row, idx, "入出金内容")
        out.append(
            StatementRow(
                line_number=line,
                booked_on=_date(_cell(row, idx, "取引日"), line),
                direction="in" if amount > 0 else "out",
                amount_yen=abs(amount),
                payer_name_raw=_payer_from_description(desc) if amount > 0 else "",
                description_raw=desc,
                balance_yen=_yen(_cell(row, idx, "取引後残高(円)"), line, signed=True, required=False)
                if "取引後残高(円)" in idx
                else None,
                bank_reference="",
            )
        )
    if idx is None:
        raise StatementFormatError(1, _("見出し行がありません。"))
    return out


ADAPTERS = {
    "canonical": (gettext_lazy("標準形式（UTF-8・zengin.md §4）"), parse_canonical),
    "sbi": (gettext_lazy("住信SBIネット銀行"), parse_sbi),
    "rakuten": (gettext_lazy("楽天銀行"), parse_rakuten),
    "smbc": (gettext_lazy("三井住友銀行"), parse_smbc),
}
FORMAT_CHOICES = [(key, label) for key, (label, _fn) in ADAPTERS.items()]


def parse_statement(data: bytes, bank_format: str) -> list[StatementRow]:
    if bank_format not in ADAPTERS:
        raise StatementFormatError(1, _("未対応の形式です。"))
    return ADAPTERS[bank_format][1](data)
