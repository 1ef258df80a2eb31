"""domain.md §8: 法人番号 check digit, postal code, kana."""

import pytest
from django.core.exceptions import ValidationError

from jaim.validators import (
    corporate_number_check_digit,
    is_valid_corporate_number,
    normalise_digits,
    to_katakana,
    validate_corporate_number,
    validate_kana,
    validate_postal_code,
)

VALID = ["7123456789012", "4011001098993", "2120901007402", "8700110005901", "1180301018771"]


@pytest.mark.parametrize("number", VALID)
def test_valid_corporate_numbers_from_domain_are_accepted(number):
    assert is_valid_corporate_number(number)
    validate_corporate_number(number)


@pytest.mark.parametrize("number", VALID)
def test_corporate_number_with_any_other_check_digit_is_rejected(number):
    for digit in "123456789":
        if digit == number[0]:
            continue
        assert not is_valid_corporate_number(digit + number[1:]), digit + number[1:]


@pytest.mark.parametrize("number", VALID)
def test_corporate_number_with_one_base_digit_changed_by_one_is_rejected(number):
    for i in range(1, 13):
        for delta in (-1, 1):
            d = int(number[i]) + delta
            if 0 <= d <= 9:
                changed = number[:i] + str(d) + number[i + 1 :]
                assert not is_valid_corporate_number(changed), changed
                with pytest.raises(ValidationError):
                    validate_corporate_number(changed)


def test_check_digit_formula_weights_odd_positions_one_and_even_two():
    # base 000000000001: P1=1,Q1=1 -> 9-(1 mod 9)=8 ; base 000000000010: P2=1,Q2=2 -> 9-2=7
    assert corporate_number_check_digit("000000000001") == 8
    assert corporate_number_check_digit("000000000010") == 7


@pytest.mark.parametrize("bad", ["", "123", "40110010989931", "401100109899a", "４０１１００１０９８９９３"])
def test_corporate_number_must_be_13_ascii_digits(bad):
    with pytest.raises(ValidationError) as exc:
        validate_corporate_number(bad)
    assert "13桁" in str(exc.value) or "チェックデジット" in str(exc.value)


def test_full_width_digits_and_hyphens_are_normalised_before_validation():
    assert normalise_digits("４０１１-００１０-９８９９３") == "4011001098993"
    assert normalise_digits("〒450－0002".replace("〒", "")) == "4500002"


@pytest.mark.parametrize("bad", ["123456", "12345678", "abc-defg", ""])
def test_postal_code_must_be_seven_digits(bad):
    with pytest.raises(ValidationError):
        validate_postal_code(bad)


def test_kana_accepts_katakana_and_rejects_kanji_and_latin_only():
    validate_kana("サンプルセイコウ")
    validate_kana("エービーシー 2")
    for bad in ["山田", "sample", "さんぷる"]:
        with pytest.raises(ValidationError):
            validate_kana(bad)


def test_hiragana_and_half_width_kana_become_full_width_katakana():
    assert to_katakana("さんぷる") == "サンプル"
    assert to_katakana("ｻﾝﾌﾟﾙ") == "サンプル"
