"""Kana for the banks (shared/formats/zengin.md §3, §4).

Two different jobs:
- `to_zengin_kana` turns a name into the half-width kana a 全銀 record accepts (JIS X 0201, one byte a character).
- `normalise_payer_name` reduces a payer name (from a bank statement) and a member's kana to one comparable key,
  so that ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ and 株式会社ヤマダ製作所's kana ヤマダセイサクショ compare equal.
"""

import re
import unicodedata

import jaconv

# Characters a 全銀 name field may hold (§3, our policy: no `.` unless registered so, no ｦ, no small kana, no ｰ).
ZENGIN_NAME_CHARS = set(
    "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝﾞﾟABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ()-."
)
ZENGIN_BANK_NAME_CHARS = ZENGIN_NAME_CHARS - set(" ().")

_SMALL_TO_LARGE = str.maketrans("ァィゥェォッャュョヮヵヶｧｨｩｪｫｯｬｭｮ", "アイウエオツヤユヨワカケｱｲｳｴｵﾂﾔﾕﾖ")
_DASHES = "ー－‐−-–—ｰ"

# Legal-form words (§3) and their bank abbreviations, in full-width katakana after normalisation.
LEGAL_FORMS = {
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
# The legal form spelt out in kana (how people type it into a フリガナ field).
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
ABBREVIATIONS = sorted({*LEGAL_FORMS.values(), "カブ"}, key=len, reverse=True)
DEFAULT_STATEMENT_PREFIXES = ("パソコン振込", "カード振込", "振込", "フリコミ", "ﾌﾘｺﾐ")


def _kata_full(text: str) -> str:
    """NFKC (full-width kana with composed voicing marks, ASCII letters/digits), katakana, upper case."""
    text = unicodedata.normalize("NFKC", text or "")
    return jaconv.hira2kata(text).upper()


def to_zengin_kana(text: str, *, allow_dot: bool = False) -> str:
    """Half-width kana for a 全銀 name field: ガ→ｶﾞ, small kana enlarged, ー→-, ・→space, ヲ→ｵ, legal forms kept
    as typed. Raises ValueError on a character the banks do not accept."""
    text = _kata_full(text).translate(_SMALL_TO_LARGE)
    text = text.replace("ヲ", "オ").replace("・", " ").replace("　", " ")
    for dash in _DASHES:
        text = text.replace(dash, "-")
    half = jaconv.z2h(text, kana=True, ascii=True, digit=True)
    allowed = ZENGIN_NAME_CHARS if allow_dot else ZENGIN_NAME_CHARS - {"."}
    bad = sorted({c for c in half if c not in allowed})
    if bad:
        raise ValueError("".join(bad))
    return half


def fit_bytes(text: str, width: int) -> str:
    """Cut to at most `width` cp932 bytes without separating a kana from its ﾞ/ﾟ (§3), then pad with spaces."""
    out = text
    while len(out.encode("cp932")) > width:
        out = out[:-2] if out[-1] in "ﾞﾟ" else out[:-1]  # a voicing mark goes with its kana
    return out + " " * (width - len(out.encode("cp932")))


def is_zengin_name(text: str) -> bool:
    return bool(text) and all(c in ZENGIN_NAME_CHARS for c in text)


def normalise_payer_name(text: str, *, prefixes=DEFAULT_STATEMENT_PREFIXES) -> tuple[str, str, str]:
    """(key, legal_form, member_digits) for a payer or member name (zengin.md §4, steps 1–7).

    key: katakana, large kana, no spaces/dots/dashes, no statement prefix, no legal-form token.
    legal_form: the abbreviation found (カ, ユ…), kept apart so 'ｶ)ﾔﾏﾀﾞ' and 'ﾔﾏﾀﾞ(ｶ' give the same key.
    member_digits: leading/trailing digits, a candidate member number typed by the payer.
    """
    s = _kata_full(text).translate(_SMALL_TO_LARGE)
    for word, abbr in LEGAL_FORMS.items():  # kanji legal forms (names typed in kanji)
        s = s.replace(word, f"({abbr})")
    s = re.sub(r"[\s\u3000]", "", s)
    for prefix in sorted((_kata_full(p).replace(" ", "") for p in prefixes), key=len, reverse=True):
        if s.startswith(prefix):
            s = s[len(prefix) :]
            break
    s = re.sub(r"^カ\.", "(カ)", s)  # 'ｶ.ﾔﾏﾀﾞ': a dot instead of the parenthesis (§3)
    s = re.sub(r"[・.,、。" + re.escape(_DASHES) + "]", "", s)
    digits = ""
    m = re.match(r"^(\d+)(.*)$", s) or re.match(r"^(.*?)(\d+)$", s)
    if m:
        digits, s = (m.group(1), m.group(2)) if s[0].isdigit() else (m.group(2), m.group(1))
    for reading, abbr in LEGAL_FORM_READINGS.items():
        if reading in s:
            s = s.replace(reading, f"({abbr})")
    forms = []
    for abbr in ABBREVIATIONS:
        a = re.escape(abbr)
        for p in (rf"^\(?{a}\)", rf"\({a}\)", rf"\({a}$"):
            if re.search(p, s):
                s = re.sub(p, "", s, count=1)
                forms.append("カ" if abbr == "カブ" else abbr)
    s = s.replace("(", "").replace(")", "")
    company_forms = [f for f in forms if f not in ("エイ", "レン")]
    form = (company_forms or forms or [""])[0]
    return s, form, digits


def payer_key(text: str) -> str:
    return normalise_payer_name(text)[0]
