"""How numbers and codes are written for people, in one place: portal, admin lists, PDFs and mails use these.

    yen(120000)                          ¥120,000        (negative: -¥5,000)
    postal_code("4500002")               〒450-0002      (mark=False: 450-0002)
    phone("0521234567")                  052-123-4567    (hyphens by area code, as Japanese numbers are written)
    employment_insurance_number("23011234561")   2301-123456-1
    wareki(date(2026, 12, 2))            令和8年12月2日  (the Japanese era, where a document needs it)

Each takes what is stored (digits only) and returns a display string; anything that is not in the stored shape
is returned unchanged rather than guessed at, and an empty value gives "". Dates in the Western calendar are
`jaim.dates.japanese_date` (2026年12月2日)."""

import datetime as dt

import phonenumbers


def yen(amount: int | str | None) -> str:
    """Integer yen with the yen sign and thousands separators: ¥120,000; -¥5,000. None → ""."""
    if amount is None or amount == "":
        return ""
    value = int(amount)
    return f"-¥{-value:,}" if value < 0 else f"¥{value:,}"


def postal_code(code: str | None, *, mark: bool = True) -> str:
    """7 digits → 〒450-0002 (or 450-0002 without the mark)."""
    code = (code or "").strip()
    if not code:
        return ""
    if len(code) != 7 or not code.isdigit():
        return code
    text = f"{code[:3]}-{code[3:]}"
    return f"〒{text}" if mark else text


def phone(number: str | None) -> str:
    """A Japanese phone number written with the hyphens of its area code (052-123-4567, 03-1234-5678,
    0561-23-4567, 090-1234-5678, 0120-123-456), using libphonenumber's numbering plan for Japan. A number
    that already has hyphens, or that the plan does not know, is shown as stored."""
    number = (number or "").strip()
    if not number:
        return ""
    if not number.isdigit():
        return number
    try:
        parsed = phonenumbers.parse(number, "JP")
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_valid_number(parsed):
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def employment_insurance_number(number: str | None) -> str:
    """雇用保険適用事業所番号: 11 digits → NNNN-NNNNNN-N."""
    number = (number or "").strip()
    if not number:
        return ""
    if len(number) != 11 or not number.isdigit():
        return number
    return f"{number[:4]}-{number[4:10]}-{number[10]}"


# (first day, era name). The first year of an era is written 元年.
_ERAS = (
    (dt.date(2019, 5, 1), "令和"),
    (dt.date(1989, 1, 8), "平成"),
    (dt.date(1926, 12, 25), "昭和"),
)


def wareki(day: dt.date | None) -> str:
    """A day in the Japanese era calendar: 2026-12-02 → 令和8年12月2日, 2019-05-01 → 令和元年5月1日."""
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = day.date()
    for start, name in _ERAS:
        if day >= start:
            year = day.year - start.year + 1
            return f"{name}{'元' if year == 1 else year}年{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"
