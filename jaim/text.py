"""Normalising Japanese names for search: what a person types and what was registered meet in one form.

`search_key("ｶﾌﾞｼｷｶﾞｲｼｬ さんぷる　ＡＢＣ")` == `search_key("(株)サンプルabc")` == "サンプルabc".
Used for the public roster's search key and for the query typed into it (the same function on both sides).
"""

import re
import unicodedata

import jaconv

# Legal-form words (法人格) that people add, abbreviate or leave out at will. Removed wherever they stand,
# after spaces are gone, in katakana, so 株式会社 / (株) / ㈱ / ｶﾌﾞｼｷｶﾞｲｼｬ / かぶしきがいしゃ all vanish.
# The parenthesised one-character forms are removed only with their parentheses: a bare 株 or 有 is a word.
LEGAL_FORMS = (
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "一般社団法人",
    "公益社団法人",
    "一般財団法人",
    "公益財団法人",
    "特定非営利活動法人",
    "カブシキガイシャ",
    "カブシキカイシャ",
    "ユウゲンガイシャ",
    "ユウゲンカイシャ",
    "ゴウドウガイシャ",
    "ゴウドウカイシャ",
    "ゴウシガイシャ",
    "ゴウメイガイシャ",
    "(株)",
    "(有)",
    "(同)",
    "(資)",
    "(名)",
    "(社)",
    "(財)",
)
_LEGAL_RE = re.compile("|".join(re.escape(w) for w in sorted(LEGAL_FORMS, key=len, reverse=True)))
# Small ヵ/ヶ are read カ/ケ (霞ヶ関 = 霞ケ関).
_SMALL_KA_KE = str.maketrans({"ヵ": "カ", "ヶ": "ケ"})


def _drop(ch: str) -> bool:
    # Punctuation (・, &, parentheses, dots), separators (all kinds of spaces) and control characters.
    return unicodedata.category(ch)[0] in "PZC"


def search_key(text: str) -> str:
    """The normalised form of a name: NFKC (full-width Latin/digits to ASCII, half-width katakana to full
    width, ㈱ to (株)), lower case, hiragana to katakana, spaces and legal-form words removed, punctuation
    removed. Two spellings of one name give the same key."""
    value = jaconv.h2z(text or "", kana=True, ascii=False, digit=False)
    value = unicodedata.normalize("NFKC", value).lower()
    value = jaconv.hira2kata(value).translate(_SMALL_KA_KE)
    value = "".join(ch for ch in value if not ch.isspace())
    value = _LEGAL_RE.sub("", value)
    return "".join(ch for ch in value if not _drop(ch))


# --- kana as the banks write it (zengin.md §3, §4) ---------------------------------------------------------
# Shared by the bank-statement matching (fees.kana) and the roster's search by reading (フリガナ): a payer name
# from a statement, a member's registered kana and a reading typed by an officer all reduce to one key.

SMALL_TO_LARGE = str.maketrans("ァィゥェォッャュョヮヵヶｧｨｩｪｫｯｬｭｮ", "アイウエオツヤユヨワカケｱｲｳｴｵﾂﾔﾕﾖ")
DASHES = "ー－‐−-–—ｰ"  # long-vowel marks and every dash: banks write ー as '-' or drop it

# Legal-form words (§3) and their bank abbreviations, in full-width katakana after normalisation.
BANK_LEGAL_FORMS = {
    "株式会社": "カ",
    "有限会社": "ユ",
    "合同会社": "ド",
    "合名会社": "メ",
    "合資会社": "シ",
    "協同組合": "キヨウクミ",
    "一般社団法人": "シヤ",
    "公益社団法人": "シヤ",
    "一般財団法人": "ザイ",
    "公益財団法人": "ザイ",
    "特定非営利活動法人": "トクヒ",
    "医療法人": "イ",
    "学校法人": "ガク",
    "社会福祉法人": "フク",
    "営業所": "エイ",
    "連合会": "レン",
}
# The legal form spelt out in kana (how people type it into a フリガナ field), small kana already enlarged.
LEGAL_FORM_READINGS = {
    "カブシキガイシヤ": "カ",
    "カブシキカイシヤ": "カ",
    "ユウゲンガイシヤ": "ユ",
    "ユウゲンカイシヤ": "ユ",
    "ゴウドウガイシヤ": "ド",
    "ゴウドウカイシヤ": "ド",
    "ゴウメイガイシヤ": "メ",
    "ゴウシガイシヤ": "シ",
    "キヨウドウクミアイ": "キヨウクミ",
    "イツパンシヤダンホウジン": "シヤ",
    "コウエキシヤダンホウジン": "シヤ",
    "イツパンザイダンホウジン": "ザイ",
    "コウエキザイダンホウジン": "ザイ",
    "トクテイヒエイリカツドウホウジン": "トクヒ",
    "イリヨウホウジン": "イ",
    "ガツコウホウジン": "ガク",
    "シヤカイフクシホウジン": "フク",
}
LEGAL_FORM_ABBREVIATIONS = sorted({*BANK_LEGAL_FORMS.values(), "カブ"}, key=len, reverse=True)
# Where an abbreviation stands (§3): 'ｶ)…' or '(ｶ)…' at the front, '…(ｶ)…' in the middle, '…(ｶ' at the end.
_ABBREVIATION_RES = [
    (abbr, [re.compile(p % re.escape(abbr)) for p in (r"^\(?%s\)", r"\(%s\)", r"\(%s$")])
    for abbr in LEGAL_FORM_ABBREVIATIONS
]
_BANK_PUNCTUATION = re.compile(r"[・.,、。" + re.escape(DASHES) + "]")


def kata_full(text: str) -> str:
    """NFKC (full-width kana with composed voicing marks, ASCII letters/digits), katakana, upper case."""
    text = unicodedata.normalize("NFKC", text or "")
    return jaconv.hira2kata(text).upper()


def bank_kana_key(
    text: str, *, prefixes: tuple[str, ...] = (), split_digits: bool = False
) -> tuple[str, str, str]:
    """(key, legal_form, digits) of a name in kana or kanji (zengin.md §4, steps 1–7).

    key: katakana, large kana, no spaces/dots/dashes/long-vowel marks, no prefix from `prefixes` (e.g. 振込),
    no legal-form token — 'ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ', 'ﾔﾏﾀﾞｾｲｻｸｼﾖ(ｶ', 'カブシキガイシャ ヤマダセイサクショ' and
    'やまだせいさくしょ' give one key.
    legal_form: the abbreviation found (カ, ユ…), kept apart.
    digits: with split_digits, leading or trailing digits (a member number typed by a payer), else ''."""
    s = kata_full(text).translate(SMALL_TO_LARGE)
    for word, abbr in BANK_LEGAL_FORMS.items():  # kanji legal forms (names typed in kanji)
        s = s.replace(word, f"({abbr})")
    s = re.sub(r"[\s\u3000]", "", s)
    for prefix in sorted((kata_full(p).replace(" ", "") for p in prefixes), key=len, reverse=True):
        if s.startswith(prefix):
            s = s[len(prefix) :]
            break
    s = re.sub(r"^カ\.", "(カ)", s)  # 'ｶ.ﾔﾏﾀﾞ': a dot instead of the parenthesis (§3)
    s = _BANK_PUNCTUATION.sub("", s)
    digits = ""
    m = split_digits and (re.match(r"^(\d+)(.*)$", s) or re.match(r"^(.*?)(\d+)$", s))
    if m:
        digits, s = (m.group(1), m.group(2)) if s[0].isdigit() else (m.group(2), m.group(1))
    for reading, abbr in LEGAL_FORM_READINGS.items():
        if reading in s:
            s = s.replace(reading, f"({abbr})")
    forms = []
    for abbr, patterns in _ABBREVIATION_RES if "(" in s or ")" in s else ():  # each pattern has a parenthesis
        for pattern in patterns:
            if pattern.search(s):
                s = pattern.sub("", s, count=1)
                forms.append("カ" if abbr == "カブ" else abbr)
    s = s.replace("(", "").replace(")", "")
    company_forms = [f for f in forms if f not in ("エイ", "レン")]
    form = (company_forms or forms or [""])[0]
    return s, form, digits


_KANA = re.compile(r"[\u3041-\u309f\u30a0-\u30ff\uff66-\uff9f]")
_IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006]")


def reading_key(text: str) -> str:
    """The normalised form of a reading (フリガナ) for search, as bank kana are compared (zengin.md §4):
    half- and full-width katakana and hiragana alike, small kana large (ショ = シヨ), long-vowel marks and
    dashes gone, the legal form's reading (カブシキガイシャ…) or abbreviation (ｶ), (ｶ…) removed, lower case.
    `reading_key("ｶ)ﾔﾏﾀﾞｾｲｻｸｼｮ")` == `reading_key("やまだせいさくしょ")` == "ヤマダセイサクシヨ"."""
    key = bank_kana_key(text)[0].lower()
    return "".join(ch for ch in key if not _drop(ch))


def reading_query(text: str) -> str:
    """The reading key of a typed query when it can be a reading: some kana and no kanji. '' otherwise (a name
    in kanji is looked up by its name key alone)."""
    if not _KANA.search(text or "") or _IDEOGRAPH.search(text):
        return ""
    return reading_key(text)
