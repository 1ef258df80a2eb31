"""Dates are days in Asia/Tokyo. A fiscal year (年度) runs 1 April – 31 March and is named by its start year."""

import datetime as dt

from django.utils import timezone


def today() -> dt.date:
    """Today's date in Asia/Tokyo."""
    return timezone.localdate()


def fiscal_year_of(day: dt.date) -> int:
    """FY of a day: 2027-03-31 -> 2026, 2027-04-01 -> 2027."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_start(fiscal_year: int) -> dt.date:
    return dt.date(fiscal_year, 4, 1)


def fiscal_year_end(fiscal_year: int) -> dt.date:
    return dt.date(fiscal_year + 1, 3, 31)


def japanese_date(day: dt.date | None) -> str:
    """2026-04-01 -> '2026年4月1日'."""
    if day is None:
        return ""
    return f"{day.year}年{day.month}月{day.day}日"
