"""Staff imports' columns and values: headers matched however they are spelt, dates (西暦・和暦) and yes/no cells.
Reading and writing the files themselves is jaim.tabular's."""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

from jaim.tabular import Table, TableError


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
