"""Validators for Japanese identifiers (domain.md §8). Messages are for the field they sit next to."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PREFECTURES = [
    ("01", "北海道"),
    ("02", "青森県"),
    ("03", "岩手県"),
    ("04", "宮城県"),
    ("05", "秋田県"),
    ("06", "山形県"),
    ("07", "福島県"),
    ("08", "茨城県"),
    ("09", "栃木県"),
    ("10", "群馬県"),
    ("11", "埼玉県"),
    ("12", "千葉県"),
    ("13", "東京都"),
    ("14", "神奈川県"),
    ("15", "新潟県"),
    ("16", "富山県"),
    ("17", "石川県"),
    ("18", "福井県"),
    ("19", "山梨県"),
    ("20", "長野県"),
    ("21", "岐阜県"),
    ("22", "静岡県"),
    ("23", "愛知県"),
    ("24", "三重県"),
    ("25", "滋賀県"),
    ("26", "京都府"),
    ("27", "大阪府"),
    ("28", "兵庫県"),
    ("29", "奈良県"),
    ("30", "和歌山県"),
    ("31", "鳥取県"),
    ("32", "島根県"),
    ("33", "岡山県"),
    ("34", "広島県"),
    ("35", "山口県"),
    ("36", "徳島県"),
    ("37", "香川県"),
    ("38", "愛媛県"),
    ("39", "高知県"),
    ("40", "福岡県"),
    ("41", "佐賀県"),
    ("42", "長崎県"),
    ("43", "熊本県"),
    ("44", "大分県"),
    ("45", "宮崎県"),
    ("46", "鹿児島県"),
    ("47", "沖縄県"),
]
PREFECTURE_NAMES = dict(PREFECTURES)
PREFECTURE_CODES = {name: code for code, name in PREFECTURES}


def corporate_number_check_digit(base12: str) -> int:
    """Check digit of a 法人番号 over its last 12 digits: 9 - (Σ Pn·Qn mod 9), n counted from the right."""
    total = 0
    for n, ch in enumerate(reversed(base12), start=1):
        total += int(ch) * (1 if n % 2 else 2)
    return 9 - (total % 9)


def is_valid_corporate_number(value: str) -> bool:
    return bool(re.fullmatch(r"[1-9]\d{12}", value or "")) and int(value[0]) == corporate_number_check_digit(
        value[1:]
    )


def normalise_digits(value: str) -> str:
    """Full-width digits and hyphens to ASCII, spaces removed (what people type into a number field)."""
    value = unicodedata.normalize("NFKC", value or "")
    return re.sub(r"[\s\-‐－ー−]", "", value)


def validate_corporate_number(value: str) -> None:
    if not re.fullmatch(r"\d{13}", value or ""):
        raise ValidationError(_("法人番号は13桁の数字で入力してください。"), code="format")
    if not is_valid_corporate_number(value):
        raise ValidationError(
            _("法人番号のチェックデジットが正しくありません。番号をご確認ください。"), code="check_digit"
        )


def validate_postal_code(value: str) -> None:
    if not re.fullmatch(r"\d{7}", value or ""):
        raise ValidationError(_("郵便番号は7桁の数字で入力してください（例：100-0001）。"), code="format")


KANA_RE = re.compile(r"[\u30A0-\u30FF\u3000 ・ー（）()＆&．.，,0-9０-９A-Za-zＡ-Ｚａ-ｚ]+")


def validate_kana(value: str) -> None:
    """Furigana in full-width katakana (digits, Latin letters and a few marks allowed for trade names)."""
    if not value or not KANA_RE.fullmatch(value) or not re.search(r"[\u30A1-\u30FA]", value):
        raise ValidationError(_("フリガナは全角カタカナで入力してください。"), code="kana")


def validate_employment_insurance_number(value: str) -> None:
    if not re.fullmatch(r"\d{11}", value or ""):
        raise ValidationError(
            _("雇用保険適用事業所番号は11桁の数字で入力してください（例：1234-567890-1）。"), code="format"
        )


def validate_phone(value: str) -> None:
    if not re.fullmatch(r"0\d{9,10}", value or ""):
        raise ValidationError(
            _("電話番号は0から始まる10桁または11桁の数字で入力してください。"), code="format"
        )


def to_katakana(value: str) -> str:
    """Hiragana and half-width katakana typed into a furigana field become full-width katakana."""
    import jaconv

    value = unicodedata.normalize("NFKC", value or "").strip()
    return jaconv.hira2kata(value)
