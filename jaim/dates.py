"""Dates are days in Asia/Tokyo. A fiscal year (年度) runs 1 April – 31 March and is named by its start year."""

import argparse
import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _


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


JOB_DATE_HELP = (
    "reference date YYYY-MM-DD, today or earlier (default: today, Asia/Tokyo): catches up a missed day"
)


def job_date(text: str) -> dt.date:
    """The `--date` of a job command (argparse type): an ISO day, never after today in Asia/Tokyo. A job catches up
    a missed day; run ahead it would act on the future (a withdrawal effective in March done in December)."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("日付は YYYY-MM-DD の形式で指定してください（例: %(example)s）。")
            % {"example": today().isoformat()}
        ) from None
    if day > today():
        raise argparse.ArgumentTypeError(
            _(
                "%(day)sは今日（%(today)s）より後の日付です。ジョブは過ぎた日の分を後から実行できますが、"
                "先の日付では実行できません。"
            )
            % {"day": japanese_date(day), "today": japanese_date(today())}
        )
    return day
