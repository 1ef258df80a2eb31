"""What each import expects and how a row is checked, before anything is written (pure functions: the writes are
in backoffice.services). Every problem is reported on its row; a file with any rejected row is not imported."""

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.tabular import Column, Table, cell, map_columns, parse_bool, parse_date
from jaim.text import search_key
from jaim.validators import PREFECTURE_CODES, PREFECTURE_NAMES, is_valid_corporate_number, normalise_digits

CREATED, UPDATED, UNCHANGED, SKIPPED, REJECTED = "created", "updated", "unchanged", "skipped", "rejected"
OUTCOME_LABELS = {
    CREATED: gettext_lazy("新規"),
    UPDATED: gettext_lazy("更新"),
    UNCHANGED: gettext_lazy("変更なし"),
    SKIPPED: gettext_lazy("対象外"),
    REJECTED: gettext_lazy("エラー"),
}


@dataclass
class Row:
    """One data row: what the file said, what was made of it, and what happened (or would happen) to it."""

    line: int
    values: list[str]
    key: str = ""
    data: dict = field(default_factory=dict)
    outcome: str = ""
    messages: list[str] = field(default_factory=list)

    def reject(self, message: str) -> None:
        self.outcome = REJECTED
        self.messages.append(message)

    @property
    def rejected(self) -> bool:
        return self.outcome == REJECTED

    def as_report(self) -> dict:
        return {"line": self.line, "outcome": self.outcome, "messages": self.messages, "values": self.values}


# --- shared cell checks -------------------------------------------------------------------------------------


def _corporate_number(row: Row, raw: str, *, required: bool) -> str:
    value = normalise_digits(raw)
    if not value:
        if required:
            row.reject(_("法人番号がありません。"))
        return ""
    if not re.fullmatch(r"\d{13}", value):
        row.reject(_("法人番号「%(v)s」は13桁の数字ではありません。") % {"v": raw})
    elif not is_valid_corporate_number(value):
        row.reject(_("法人番号「%(v)s」のチェックデジットが正しくありません。") % {"v": raw})
    return value


def _date(row: Row, raw: str, label: str, *, required: bool):
    if not raw:
        if required:
            row.reject(_("%(label)sがありません。") % {"label": label})
        return None
    try:
        return parse_date(raw)
    except ValueError:
        row.reject(
            _("%(label)s「%(v)s」を日付として読めません（例：2025-04-01）。") % {"label": label, "v": raw}
        )
        return None


def _prefecture(row: Row, raw: str) -> str:
    v = unicodedata.normalize("NFKC", raw).strip()
    if not v:
        row.reject(_("都道府県がありません。"))
        return ""
    if v.isdigit() and v.zfill(2) in PREFECTURE_NAMES:
        return v.zfill(2)
    if v in PREFECTURE_CODES:
        return PREFECTURE_CODES[v]
    matches = [code for name, code in PREFECTURE_CODES.items() if name.rstrip("都道府県") == v]
    if len(matches) == 1:
        return matches[0]
    row.reject(_("都道府県「%(v)s」がわかりません。") % {"v": raw})
    return ""


def _split_codes(raw: str) -> list[str]:
    v = unicodedata.normalize("NFKC", raw or "")
    return sorted({c for c in re.split(r"[\s,、/・;]+", v) if c})


# --- council records (R17) ------------------------------------------------------------------------------------

COUNCIL_COLUMNS = [
    Column("council_number", "協議会会員番号", aliases=("会員番号", "協議会番号")),
    Column("company_name", "法人名", required=True, aliases=("会社名", "企業名")),
    Column("establishment_name", "事業所名", required=True, aliases=("工場名",)),
    Column("corporate_number", "法人番号", required=True),
    Column("jsic", "産業分類", required=True, aliases=("日本標準産業分類", "JSIC", "産業分類コード")),
    Column("postal_code", "郵便番号"),
    Column("prefecture", "都道府県", required=True),
    Column("address", "所在地", required=True, aliases=("住所",)),
    Column("joined_on", "協議会加入日", required=True, aliases=("加入日", "入会日")),
    Column("left_on", "協議会退会日", aliases=("退会日",)),
    Column("migration_only", "情報移行のみ", required=True, aliases=("情報移行",)),
]


def council_key(data: dict) -> str:
    """The council number when the file has one, else the identifying columns (normalised)."""
    if data.get("council_number"):
        basis = "n|" + data["council_number"]
    else:
        basis = "|".join(
            [
                "k",
                data.get("corporate_number") or search_key(data.get("company_name", "")),
                search_key(data.get("establishment_name", "")),
                data.get("prefecture", ""),
                search_key(data.get("address", "")),
            ]
        )
    return hashlib.sha256(basis.encode()).hexdigest()


def parse_council_row(row: Row, cells: list[str], pos: dict[str, int], known_codes: set[str]) -> None:
    """Check one council row; fills row.data and row.key, or rejects the row with every problem found."""
    c = {col.key: cell(cells, pos, col.key) for col in COUNCIL_COLUMNS}
    data = {
        "council_number": unicodedata.normalize("NFKC", c["council_number"]).strip(),
        "company_name": c["company_name"],
        "establishment_name": c["establishment_name"],
    }
    if not data["company_name"]:
        row.reject(_("法人名がありません。"))
    if not data["establishment_name"]:
        row.reject(_("事業所名がありません。"))
    # A sole proprietor has no 法人番号 (domain.md §8): the cell may be empty, but what is there must be valid.
    data["corporate_number"] = _corporate_number(row, c["corporate_number"], required=False)
    codes = _split_codes(c["jsic"])
    unknown = [x for x in codes if x not in known_codes]
    if not codes:
        row.reject(_("産業分類がありません。"))
    elif unknown:
        row.reject(_("産業分類「%(codes)s」は日本標準産業分類にありません。") % {"codes": "、".join(unknown)})
    data["jsic_codes"] = codes
    postal = re.sub(r"[〒]", "", normalise_digits(c["postal_code"]))
    if postal and not re.fullmatch(r"\d{7}", postal):
        row.reject(_("郵便番号「%(v)s」は7桁の数字ではありません。") % {"v": c["postal_code"]})
    data["postal_code"] = postal
    data["prefecture"] = _prefecture(row, c["prefecture"])
    data["address"] = unicodedata.normalize("NFKC", c["address"]).strip()
    if not data["address"]:
        row.reject(_("所在地がありません。"))
    data["council_joined_on"] = _date(row, c["joined_on"], _("協議会加入日"), required=True)
    data["council_left_on"] = _date(row, c["left_on"], _("協議会退会日"), required=False)
    if (
        data["council_joined_on"]
        and data["council_left_on"]
        and data["council_left_on"] < data["council_joined_on"]
    ):
        row.reject(_("協議会退会日が加入日より前です。"))
    try:
        data["information_migration_only"] = parse_bool(c["migration_only"])
    except ValueError:
        row.reject(
            _("情報移行のみ「%(v)s」は はい／いいえ（1／0）で指定してください。") % {"v": c["migration_only"]}
        )
    row.data = data
    if not row.rejected:
        row.key = council_key(data)


# --- association member lists (F4) ---------------------------------------------------------------------------

ASSOCIATION_COLUMNS = [
    Column("association", "団体名", aliases=("正会員団体", "所属団体")),
    Column("corporate_number", "法人番号", required=True),
    Column("company_name", "法人名", aliases=("会社名", "会員名")),
    Column("complete_on", "加入日", required=True, aliases=("入会日", "加入完了日")),
    Column("ended_on", "退会日"),
]


def parse_association_row(
    row: Row, cells: list[str], pos: dict[str, int], associations: dict, default
) -> None:
    """associations: search_key(name) -> Association; default: the association chosen on the upload form."""
    c = {col.key: cell(cells, pos, col.key) for col in ASSOCIATION_COLUMNS}
    association = default
    if c["association"]:
        association = associations.get(search_key(c["association"]))
        if association is None:
            row.reject(_("団体「%(v)s」は登録されていません。") % {"v": c["association"]})
    elif association is None:
        row.reject(_("団体名がありません（ファイルに列を設けるか、取込画面で団体を選んでください）。"))
    number = _corporate_number(row, c["corporate_number"], required=True)
    complete_on = _date(row, c["complete_on"], _("加入日"), required=True)
    ended_on = _date(row, c["ended_on"], _("退会日"), required=False)
    if complete_on and ended_on and ended_on < complete_on:
        row.reject(_("退会日が加入日より前です。"))
    row.data = {
        "association": association,
        "corporate_number": number,
        "company_name": c["company_name"],
        "complete_on": complete_on,
        "ended_on": ended_on,
    }
    if not row.rejected:
        row.key = f"{association.pk}|{number}"


# --- the whole file -----------------------------------------------------------------------------------------


def check_rows(table: Table, columns: list[Column], parse) -> tuple[dict[str, int], list[Row]]:
    """Map the header (TableError if a required column is missing), check every row, and reject rows that repeat
    an earlier row's key (duplicates are reported on the later row, naming the first)."""
    pos = map_columns(table, columns)
    rows, first_line = [], {}
    for line, cells in table.rows:
        row = Row(line=line, values=cells[: len(table.header)] + [""] * (len(table.header) - len(cells)))
        parse(row, cells, pos)
        if row.key:
            if row.key in first_line:
                row.reject(_("%(line)d行目と同じ内容の重複行です。") % {"line": first_line[row.key]})
            else:
                first_line[row.key] = line
        rows.append(row)
    return pos, rows


def count(rows: list[Row]) -> dict[str, int]:
    out = {k: 0 for k in OUTCOME_LABELS}
    for r in rows:
        out[r.outcome] = out.get(r.outcome, 0) + 1
    out["rows"] = len(rows)
    return out
