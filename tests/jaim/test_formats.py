"""How numbers and codes are written for people (jaim/formats.py and its template filters): yen as ¥120,000,
〒450-0002, phone numbers hyphenated by area code, 雇用保険 numbers NNNN-NNNNNN-N, 令和 dates."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation

from jaim import formats


def test_yen_has_the_sign_and_thousands_separators():
    assert formats.yen(120000) == "¥120,000"
    assert formats.yen(0) == "¥0"
    assert formats.yen(999) == "¥999"
    assert formats.yen(-5000) == "-¥5,000"
    assert formats.yen(None) == ""


def test_postal_code_is_three_hyphen_four_with_the_postal_mark():
    assert formats.postal_code("4500002") == "〒450-0002"
    assert formats.postal_code("4500002", mark=False) == "450-0002"
    assert formats.postal_code("") == ""
    # Not in the stored shape: shown as it is, never guessed at.
    assert formats.postal_code("450-0002") == "450-0002"


@pytest.mark.parametrize(
    "stored, shown",
    [
        ("0521234567", "052-123-4567"),  # Nagoya: 3-digit area code
        ("0312345678", "03-1234-5678"),  # Tokyo: 2-digit area code
        ("0561234567", "0561-23-4567"),  # Seto: 4-digit area code
        ("09012345678", "090-1234-5678"),  # mobile
        ("0120123456", "0120-123-456"),  # free dial
    ],
)
def test_phone_numbers_are_hyphenated_by_their_area_code(stored, shown):
    assert formats.phone(stored) == shown


def test_a_phone_number_the_plan_does_not_know_is_shown_as_stored():
    assert formats.phone("0000") == "0000"
    assert formats.phone("052-123-4567") == "052-123-4567"
    assert formats.phone("") == ""


def test_employment_insurance_number_is_four_six_one():
    assert formats.employment_insurance_number("23011234561") == "2301-123456-1"
    assert formats.employment_insurance_number("2301") == "2301"
    assert formats.employment_insurance_number(None) == ""


def test_wareki_names_the_era_and_writes_its_first_year_as_gannen():
    assert formats.wareki(dt.date(2026, 12, 2)) == "令和8年12月2日"
    assert formats.wareki(dt.date(2019, 5, 1)) == "令和元年5月1日"
    assert formats.wareki(dt.date(2019, 4, 30)) == "平成31年4月30日"
    assert formats.wareki(dt.date(1989, 1, 8)) == "平成元年1月8日"
    assert formats.wareki(None) == ""


def test_the_template_filters_use_the_same_formats():
    template = Template(
        "{% load jaim_tags %}{{ a|yen }} {{ p|postal_code }} {{ t|phone }} {{ n|insurance_number }} {{ d|wareki }}"
    )
    context = Context(
        {"a": 120000, "p": "4500002", "t": "0521234567", "n": "23011234561", "d": dt.date(2026, 12, 2)}
    )
    with translation.override("ja"):
        assert template.render(context) == "¥120,000 〒450-0002 052-123-4567 2301-123456-1 令和8年12月2日"
    with translation.override("en"):
        # No era names in English: the day is written in the English date format.
        assert "令和" not in template.render(context) and "2026" in template.render(context)
