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
