"""全銀 口座振替 (種別 91) request and result files: fixed-width 120-byte cp932 records (shared/formats/zengin.md §0–2).

Pure functions over plain data: no database here. `services` builds the data from mandates and invoices.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from fees.kana import fit_bytes

RECORD = 120
ENCODING = "cp932"

RESULT_CODES = {
    "0": "振替済",
    "1": "資金不足",
    "2": "預金取引なし",
    "3": "預金者の都合による振替停止",
    "4": "預金口座振替依頼書なし",
    "8": "委託者の都合による振替停止",
    "9": "その他",
}


class ZenginFormatError(ValueError):
    """A malformed file: `line` is the 1-based record number."""

    def __init__(self, line: int, message: str):
        super().__init__(f"{line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Originator:
    code: str  # 委託者コード, up to 10 digits
    name_kana: str  # half-width kana
    bank_code: str
    bank_name_kana: str
    branch_code: str
    branch_name_kana: str
    account_type: str
    account_number: str


@dataclass(frozen=True)
class DebitRecord:
    bank_code: str
    bank_name_kana: str
    branch_code: str
    branch_name_kana: str
    account_type: str
    account_number: str
    holder_kana: str
    amount_yen: int
    new_code: str  # 1 first debit, 2 account changed, 0 other
    customer_number: str  # digits (the member number's digits)
    result_code: str = "0"


def _n(value, width: int) -> str:
    text = str(value)
    if not text.isdigit() or len(text) > width:
        raise ValueError(f"N({width}) {value!r}")
    return text.zfill(width)


def _c(value: str, width: int) -> str:
    return fit_bytes(value or "", width)


def _check(record: str) -> str:
    if len(record.encode(ENCODING)) != RECORD:
        raise AssertionError(f"record is {len(record.encode(ENCODING))} bytes: {record!r}")
    return record


def header_record(o: Originator, collection_date: dt.date) -> str:
    return _check(
        "1"
        + "91"
        + "0"
        + _n(o.code, 10)
        + _c(o.name_kana, 40)
        + collection_date.strftime("%m%d")
        + _n(o.bank_code, 4)
        + _c(o.bank_name_kana, 15)
        + _n(o.branch_code, 3)
        + _c(o.branch_name_kana, 15)
        + _n(o.account_type, 1)
        + _n(o.account_number, 7)
        + " " * 17
    )


def data_record(r: DebitRecord) -> str:
    return _check(
        "2"
        + _n(r.bank_code, 4)
        + _c(r.bank_name_kana, 15)
        + _n(r.branch_code, 3)
        + _c(r.branch_name_kana, 15)
        + " " * 4
        + _n(r.account_type, 1)
        + _n(r.account_number, 7)
        + _c(r.holder_kana, 30)
        + _n(r.amount_yen, 10)
        + _n(r.new_code, 1)
        + _n(r.customer_number, 20)
        + _n(r.result_code, 1)
        + " " * 8
    )


def trailer_record(records: list[DebitRecord], *, result: bool = False) -> str:
    total_n, total_yen = len(records), sum(r.amount_yen for r in records)
    if result:
        ok = [r for r in records if r.result_code == "0"]
        bad = [r for r in records if r.result_code != "0"]
        ok_n, ok_yen, bad_n, bad_yen = (
            len(ok),
            sum(r.amount_yen for r in ok),
            len(bad),
            sum(r.amount_yen for r in bad),
        )
    else:
        ok_n = ok_yen = bad_n = bad_yen = 0
    return _check(
        "8"
        + _n(total_n, 6)
        + _n(total_yen, 12)
        + _n(ok_n, 6)
        + _n(ok_yen, 12)
        + _n(bad_n, 6)
        + _n(bad_yen, 12)
        + " " * 65
    )


def end_record() -> str:
    return _check("9" + " " * 119)


def build_file(
    originator: Originator,
    collection_date: dt.date,
    records: list[DebitRecord],
    *,
    crlf: bool = True,
    result: bool = False,
) -> bytes:
    """The whole file: header, data records, trailer, end; CRLF after every record unless the bank forbids it."""
    lines = [header_record(originator, collection_date)]
    lines += [data_record(r) for r in records]
    lines += [trailer_record(records, result=result), end_record()]
    sep = "\r\n" if crlf else ""
    return "".join(line + sep for line in lines).encode(ENCODING)


# --- reading (result files; also our own request files) -------------------------------------------------


@dataclass
class ParsedFile:
    collection_mmdd: str
    originator_code: str
    records: list[DebitRecord] = field(default_factory=list)
    record_lines: list[int] = field(default_factory=list)
    total_count: int = 0
    total_yen: int = 0
    ok_count: int = 0
    ok_yen: int = 0
    failed_count: int = 0
    failed_yen: int = 0


def _split_records(data: bytes) -> list[bytes]:
    """Records with or without CRLF (readers accept both and a missing final CRLF, §0)."""
    if b"\r\n" in data:
        parts = data.split(b"\r\n")
        if parts and parts[-1] == b"":
            parts.pop()
        return parts
    if b"\n" in data or b"\r" in data:
        raise ZenginFormatError(1, _("改行コードが CR+LF ではありません。"))
    return [data[i : i + RECORD] for i in range(0, len(data), RECORD)]


def _digits(text: str, line: int, label: str) -> int:
    if not text.isdigit():
        raise ZenginFormatError(line, _("%(label)s が数字ではありません。") % {"label": label})
    return int(text)


def parse_file(data: bytes) -> ParsedFile:
    """Parse a 91 request/result file. Any malformed record raises ZenginFormatError with its line number."""
    raw = _split_records(data)
    if not raw:
        raise ZenginFormatError(1, _("ファイルが空です。"))
    parsed: ParsedFile | None = None
    seen_trailer = seen_end = False
    for i, rec in enumerate(raw, start=1):
        if len(rec) != RECORD:
            raise ZenginFormatError(
                i, _("レコード長が %(n)d バイトです（120 バイトが必要）。") % {"n": len(rec)}
            )
        try:
            text = rec.decode(ENCODING)
        except UnicodeDecodeError as exc:
            raise ZenginFormatError(i, _("文字コードが正しくありません。")) from exc
        kind = text[0]
        if seen_end:
            raise ZenginFormatError(i, _("エンドレコードの後にデータがあります。"))
        if i == 1:
            if kind != "1" or text[1:3] != "91":
                raise ZenginFormatError(i, _("口座振替（種別91）のヘッダーレコードではありません。"))
            parsed = ParsedFile(collection_mmdd=text[54:58], originator_code=text[4:14])
            continue
        assert parsed is not None
        if kind == "2":
            if seen_trailer:
                raise ZenginFormatError(i, _("トレーラレコードの後にデータレコードがあります。"))

            def f(start, length, b=rec):
                return b[start - 1 : start - 1 + length].decode(ENCODING)

            code = f(112, 1)
            parsed.records.append(
                DebitRecord(
                    bank_code=str(_digits(f(2, 4), i, "引落銀行番号")).zfill(4),
                    bank_name_kana=f(6, 15).rstrip(),
                    branch_code=str(_digits(f(21, 3), i, "引落支店番号")).zfill(3),
                    branch_name_kana=f(24, 15).rstrip(),
                    account_type=f(43, 1),
                    account_number=str(_digits(f(44, 7), i, "口座番号")).zfill(7),
                    holder_kana=f(51, 30).rstrip(),
                    amount_yen=_digits(f(81, 10), i, "引落金額"),
                    new_code=f(91, 1),
                    customer_number=str(_digits(f(92, 20), i, "顧客番号")),
                    result_code=code if code in RESULT_CODES else "9",
                )
            )
            parsed.record_lines.append(i)
        elif kind == "8":
            if seen_trailer:
                raise ZenginFormatError(i, _("トレーラレコードが複数あります。"))
            seen_trailer = True
            parsed.total_count = _digits(text[1:7], i, "合計件数")
            parsed.total_yen = _digits(text[7:19], i, "合計金額")
            parsed.ok_count = _digits(text[19:25], i, "振替済件数")
            parsed.ok_yen = _digits(text[25:37], i, "振替済金額")
            parsed.failed_count = _digits(text[37:43], i, "振替不能件数")
            parsed.failed_yen = _digits(text[43:55], i, "振替不能金額")
            if parsed.total_count != len(parsed.records) or parsed.total_yen != sum(
                r.amount_yen for r in parsed.records
            ):
                raise ZenginFormatError(i, _("トレーラの合計件数・合計金額がデータレコードと一致しません。"))
        elif kind == "9":
            if not seen_trailer:
                raise ZenginFormatError(i, _("トレーラレコードがありません。"))
            seen_end = True
        else:
            raise ZenginFormatError(i, _("データ区分 %(kind)s は不正です。") % {"kind": kind})
    if not seen_end:
        raise ZenginFormatError(len(raw), _("エンドレコードがありません。"))
    return parsed


def check_result_totals(parsed: ParsedFile) -> None:
    """A result file: 合計 = 振替済 + 振替不能, and 振替済 = the records with code 0 (§2)."""
    ok = [r for r in parsed.records if r.result_code == "0"]
    trailer_line = len(parsed.records) + 2
    if (
        parsed.ok_count + parsed.failed_count != parsed.total_count
        or parsed.ok_yen + parsed.failed_yen != parsed.total_yen
        or parsed.ok_count != len(ok)
        or parsed.ok_yen != sum(r.amount_yen for r in ok)
    ):
        raise ZenginFormatError(trailer_line, _("トレーラの振替済・振替不能の合計が一致しません。"))
