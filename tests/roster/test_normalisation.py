"""The search key: what people type and what was registered meet in one normalised form."""

import pytest

from jaim.text import search_key


@pytest.mark.parametrize(
    ("typed", "registered"),
    [
        ("ＡＢＣ", "ABC"),  # full-width and half-width Latin letters
        ("ａｂｃ", "ABC"),  # and case
        ("１２３工業", "123工業"),  # full-width digits
        ("ｻﾝﾌﾟﾙ", "サンプル"),  # half-width katakana with voiced marks
        ("さんぷる", "サンプル"),  # hiragana vs katakana
        ("ｶﾌﾞｼｷｶﾞｲｼｬｻﾝﾌﾟﾙ", "株式会社サンプル"),  # legal form written in half-width kana
        ("かぶしきがいしゃさんぷる", "株式会社サンプル"),  # … or in hiragana
        ("(株)サンプル", "株式会社サンプル"),  # abbreviated legal form
        ("（株）サンプル", "株式会社サンプル"),  # full-width parentheses
        ("㈱サンプル", "株式会社サンプル"),  # the one-character ㈱
        ("サンプル株式会社", "(株)サンプル"),  # legal form after the name
        ("有限会社ほかの印刷", "ホカノ印刷"),
        ("合同会社 サンプル", "サンプル"),
        ("サンプル 精工", "サンプル精工"),  # spaces …
        ("サンプル　精工", "サンプル精工"),  # … including the ideographic space
        ("株式 会社 サンプル", "サンプル"),  # a legal form broken by a space
        ("サンプル・テック", "サンプルテック"),  # punctuation
        ("霞ヶ関製作所", "霞ケ関製作所"),  # small ヶ
    ],
)
def test_two_spellings_of_one_name_have_the_same_search_key(typed, registered):
    assert search_key(typed) == search_key(registered)


def test_search_key_keeps_what_distinguishes_names():
    assert search_key("サンプル精工") != search_key("サンプル製作所")
    assert search_key("株式会社サンプル") == "サンプル"
    # A bare 株 is a word (e.g. in a name), only the parenthesised abbreviation is a legal form.
    assert "株" in search_key("株木工業")
