"""The portal's date filters (jaim/templatetags/jaim_tags.py): Japanese style days and fiscal years (portal quality)."""

import datetime as dt
import zoneinfo

from django.template import Context, Template
from django.utils import translation

from jaim.templatetags.jaim_tags import fiscal_year, jadate, jadate_fy, jadatetime

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def test_a_day_is_written_year_month_day_without_leading_zeros():
    with translation.override("ja"):
        assert jadate(dt.date(2026, 4, 1)) == "2026年4月1日"
        assert jadate(dt.date(2026, 12, 31)) == "2026年12月31日"
        assert jadate(None) == "" and jadate("") == ""


def test_a_moment_is_shown_in_tokyo_time_so_a_late_utc_evening_is_the_next_day():
    moment = dt.datetime(2026, 3, 31, 15, 5, tzinfo=dt.UTC)  # 2026-04-01 00:05 in Tokyo
    with translation.override("ja"):
        assert jadate(moment) == "2026年4月1日"
        assert jadatetime(moment) == "2026年4月1日 0:05"
        assert jadatetime(dt.datetime(2026, 4, 1, 9, 30, tzinfo=TOKYO)) == "2026年4月1日 9:30"


def test_the_fiscal_year_starts_on_the_first_of_april():
    with translation.override("ja"):
        assert fiscal_year(dt.date(2026, 3, 31)) == "2025年度"
        assert fiscal_year(dt.date(2026, 4, 1)) == "2026年度"
        assert fiscal_year(2027) == "2027年度"
        assert fiscal_year(None) == ""
        assert jadate_fy(dt.date(2027, 3, 31)) == "2027年3月31日（2026年度）"


def test_other_languages_use_their_own_date_format():
    with translation.override("en"):
        assert "2026" in jadate(dt.date(2026, 4, 1)) and "年" not in jadate(dt.date(2026, 4, 1))


def test_templates_load_the_filters_and_today_is_tokyos():
    with translation.override("ja"):
        out = Template("{% load jaim_tags %}{{ d|jadate_fy }} {% today as t %}{{ t|fiscal_year }}").render(
            Context({"d": dt.date(2026, 4, 1)})
        )
    assert out.startswith("2026年4月1日（2026年度） ")
    assert out.endswith("年度")
