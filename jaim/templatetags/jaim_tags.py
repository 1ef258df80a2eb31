"""Template filters for how the portal writes dates and fiscal years: `{% load jaim_tags %}`.

    {{ day|jadate }}            2026年4月1日       (English: 1 April 2026)
    {{ moment|jadatetime }}     2026年4月1日 9:05  (in Asia/Tokyo)
    {{ day|fiscal_year }}       2026年度           (English: FY2026) — also for a year number: {{ 2026|fiscal_year }}
    {{ day|jadate_fy }}         2026年4月1日（2026年度）
    {{ day|wareki }}            令和8年4月1日      (the Japanese era, for documents that need it)

and numbers and codes (`jaim.formats`):

    {{ amount|yen }}            ¥120,000
    {{ code|postal_code }}      〒450-0002
    {{ number|phone }}          052-123-4567
    {{ number|insurance_number }}  2301-123456-1

Japanese first: the Japanese forms are built here, not taken from the locale's DATE_FORMAT, so they read the same
whatever format settings say; other languages use their locale's DATE_FORMAT."""

import datetime as dt

from django import template
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from jaim import formats as jaim_formats
from jaim.dates import fiscal_year_of, japanese_date

register = template.Library()


def _day(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    return None


def _japanese() -> bool:
    return (translation.get_language() or "ja").split("-")[0] == "ja"


@register.filter
def jadate(value) -> str:
    """A day (or the day of a moment, in Asia/Tokyo): 2026年4月1日. Empty for None/empty."""
    day = _day(value)
    if day is None:
        return ""
    return japanese_date(day) if _japanese() else formats.date_format(day, "DATE_FORMAT")


@register.filter
def jadatetime(value) -> str:
    """A moment in Asia/Tokyo: 2026年4月1日 9:05."""
    if not isinstance(value, dt.datetime):
        return jadate(value)
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{jadate(local.date())} {local.hour}:{local:%M}"


@register.filter
def fiscal_year(value) -> str:
    """The fiscal year (1 April – 31 March) of a day, or a fiscal-year number: 2026年度."""
    if isinstance(value, int) and not isinstance(value, bool):
        year = value
    else:
        day = _day(value)
        if day is None:
            return ""
        year = fiscal_year_of(day)
    return _("%(year)s年度") % {"year": year}


@register.filter
def jadate_fy(value) -> str:
    """2026年4月1日（2026年度）."""
    day = _day(value)
    if day is None:
        return ""
    return f"{jadate(day)}（{fiscal_year(day)}）" if _japanese() else f"{jadate(day)} ({fiscal_year(day)})"


@register.simple_tag
def today():
    """Today in Asia/Tokyo: `{% today as day %}{{ day|jadate_fy }}`."""
    from jaim.dates import today as tokyo_today

    return tokyo_today()


@register.filter
def wareki(value) -> str:
    """A day in the Japanese era calendar: 令和8年12月2日 (in Japanese; other languages get jadate)."""
    day = _day(value)
    if day is None:
        return ""
    return jaim_formats.wareki(day) if _japanese() else jadate(day)


@register.filter
def yen(value) -> str:
    """Integer yen: ¥120,000."""
    return jaim_formats.yen(value)


@register.filter
def postal_code(value) -> str:
    """〒450-0002."""
    return jaim_formats.postal_code(value)


@register.filter
def phone(value) -> str:
    """052-123-4567 (hyphens by area code)."""
    return jaim_formats.phone(value)


@register.filter
def insurance_number(value) -> str:
    """雇用保険適用事業所番号 2301-123456-1."""
    return jaim_formats.employment_insurance_number(value)
