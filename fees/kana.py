"""Kana for the banks (shared/formats/zengin.md §3, §4).

Two different jobs:
- `to_zengin_kana` turns a name into the half-width kana a 全銀 record accepts (JIS X 0201, one byte a character).
- `normalise_payer_name` reduces a payer name (from a bank statement) and a member's kana to one comparable key,
  so that ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ and 株式会社ヤマダ製作所's kana ヤマダセイサクショ compare equal. The normalisation itself is
  jaim.text.bank_kana_key, which the roster's search by reading uses too.
"""

import jaconv

from jaim.text import DASHES, SMALL_TO_LARGE, bank_kana_key, kata_full

# Characters a 全銀 name field may hold (§3, our policy: no `.` unless registered so, no ｦ, no small kana, no ｰ).
ZENGIN_NAME_CHARS = set(
    "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝﾞﾟABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ()-."
)
ZENGIN_BANK_NAME_CHARS = ZENGIN_NAME_CHARS - set(" ().")

DEFAULT_STATEMENT_PREFIXES = ("パソコン振込", "カード振込", "振込", "フリコミ", "ﾌﾘｺﾐ")


def to_zengin_kana(text: str, *, allow_dot: bool = False) -> str:
    """Half-width kana for a 全銀 name field: ガ→ｶﾞ, small kana enlarged, ー→-, ・→space, ヲ→ｵ, legal forms kept
    as typed. Raises ValueError on a character the banks do not accept."""
    text = kata_full(text).translate(SMALL_TO_LARGE)
    text = text.replace("ヲ", "オ").replace("・", " ").replace("　", " ")
    for dash in DASHES:
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
    """(key, legal_form, member_digits) for a payer or member name (zengin.md §4, steps 1–7; jaim.text).

    key: katakana, large kana, no spaces/dots/dashes, no statement prefix, no legal-form token.
    legal_form: the abbreviation found (カ, ユ…), kept apart so 'ｶ)ﾔﾏﾀﾞ' and 'ﾔﾏﾀﾞ(ｶ' give the same key.
    member_digits: leading/trailing digits, a candidate member number typed by the payer.
    """
    return bank_kana_key(text, prefixes=tuple(prefixes), split_digits=True)


def payer_key(text: str) -> str:
    return normalise_payer_name(text)[0]
