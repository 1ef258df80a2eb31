"""The roster search, validated the same way for the page and the API."""

import re
import time
import unicodedata

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from jaim.dates import japanese_date, today
from jaim.text import reading_query, search_key
from jaim.validators import PREFECTURE_NAMES, PREFECTURES, is_valid_corporate_number, normalise_digits
from members.services import format_member_number
from roster import selectors

MIN_NAME_LENGTH = 2  # characters of the normalised name (legal-form words and spaces do not count)
PAGE_SIZE = 20
MAX_PAGES = 50  # beyond 1,000 results: narrow the search (or use the export)


def normalise_member_number(value: str) -> str:
    """'j123', 'Ｊ０００１２３', '123' -> 'J0000123'. '' when it is not a member number."""
    value = unicodedata.normalize("NFKC", value or "").strip().upper().replace(" ", "")
    match = re.fullmatch(r"J?0*(\d{1,7})", value)
    return format_member_number(int(match.group(1))) if match else ""


_OPTIONS_HTML: dict[tuple, tuple[float, str]] = {}
OPTIONS_TTL = 600  # seconds; the choices are static data (prefectures, JSIC)


class FastSelect(forms.Select):
    """A select whose options' HTML is built once per language and kept in the process (OPTIONS_TTL); the
    chosen value is marked by a string replacement. Django renders every option through a template: for the
    page's ~270 options (prefectures, JSIC) that was most of the page's time. `choices_fn` is only called when
    the HTML is (re)built."""

    def __init__(self, *, key: str, choices_fn, attrs=None):
        super().__init__(attrs=attrs)
        self.key, self.choices_fn = key, choices_fn

    def _options_html(self) -> str:
        cache_key = (self.key, get_language())
        hit = _OPTIONS_HTML.get(cache_key)
        if hit and hit[0] > time.monotonic():
            return hit[1]

        def option(v, label):
            return f'<option value="{escape(str(v))}">{escape(str(label))}</option>'

        parts = []
        for v, label in self.choices_fn():
            if isinstance(label, list | tuple):
                parts.append(f'<optgroup label="{escape(str(v))}">')
                parts += [option(ov, ol) for ov, ol in label]
                parts.append("</optgroup>")
            else:
                parts.append(option(v, label))
        html = "".join(parts)
        _OPTIONS_HTML[cache_key] = (time.monotonic() + OPTIONS_TTL, html)
        return html

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        attrs.pop("maxlength", None)  # a CharField's length check: no attribute of a <select>
        options = self._options_html()
        if value not in (None, ""):
            marker = f'<option value="{escape(str(value))}">'
            options = options.replace(marker, marker[:-1] + " selected>", 1)
        return mark_safe(f"<select{flatatt(attrs)}>{options}</select>")  # noqa: S308 - escaped above


class FastInputMixin:
    """An input rendered in Python, the same markup as Django's input.html and attrs.html (which cost a template
    render per field on the roster's hot path)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        html = [f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"']
        if widget["value"] is not None:
            html.append(f' value="{escape(str(widget["value"]))}"')
        for attr, attr_value in widget["attrs"].items():
            if attr_value is True:
                html.append(f" {escape(attr)}")
            elif attr_value is not False:
                html.append(f' {escape(attr)}="{escape(str(attr_value))}"')
        return mark_safe("".join(html) + ">")  # noqa: S308 - every value escaped above


class FastTextInput(FastInputMixin, forms.TextInput):
    pass


class FastDateInput(FastInputMixin, forms.DateInput):
    pass


class _SharedFields(dict):
    """A form's base fields that every instance uses as they are: Django deep-copies base_fields for each form
    (so that a form may change its own fields), which was a tenth of a roster search's CPU. The roster's forms
    never change a field or widget after the class is set up (errors and cleaned data live on the form), so a
    new form gets a new dict of the same fields."""

    def __deepcopy__(self, memo):
        return dict(self)


class RosterSearchForm(forms.Form):
    q = forms.CharField(
        label=_("名称・法人番号・会員番号"),
        required=False,
        max_length=100,
        widget=FastTextInput,
        help_text=_(
            "会社名・事業所名またはその読み（フリガナ）の一部（3文字以上。2文字の場合は名称の先頭が一致するもの。"
            "全角・半角、ひらがな・カタカナ、"
            "株式会社・(株)などの有無は区別しません）、13桁の法人番号、または会員番号（例：J0000123）。"
        ),
    )
    name = forms.CharField(label=_("名称"), required=False, max_length=100)
    corporate_number = forms.CharField(label=_("法人番号"), required=False, max_length=20)
    member_number = forms.CharField(label=_("会員番号"), required=False, max_length=20)
    # A CharField checked in clean_prefecture: a ChoiceField deep-copies its 48 choices for every form.
    prefecture = forms.CharField(
        label=_("都道府県"),
        required=False,
        max_length=2,
        widget=FastSelect(key="prefecture", choices_fn=lambda: [("", _("すべての都道府県"))] + PREFECTURES),
    )
    jsic = forms.CharField(label=_("産業分類"), required=False, max_length=4)
    as_of = forms.DateField(
        label=_("基準日"),
        required=False,
        widget=FastDateInput(attrs={"type": "date"}),
        help_text=_("指定した日に名簿に掲載されていたかを確認できます。空欄の場合は本日です。"),
    )

    @classmethod
    def _set_up_fields(cls) -> None:
        """The widgets' set-up, once: every form shares these fields (see _SharedFields)."""
        cls.base_fields["jsic"].widget = FastSelect(
            key="jsic",
            choices_fn=lambda: [("", _("すべての産業分類"))] + selectors.manufacturing_jsic_choices(),
        )
        cls.base_fields["q"].widget.attrs.update(
            {
                "autocomplete": "off",
                "inputmode": "search",
                "placeholder": _("例：サンプル精工、4011001098993"),
            }
        )
        cls.base_fields = _SharedFields(cls.base_fields)

    def _name_key(self, value: str, field: str) -> str:
        key = search_key(value)
        if len(key) < MIN_NAME_LENGTH:
            self.add_error(
                field,
                _(
                    "名称で検索する場合は%(n)d文字以上入力してください（株式会社などの法人格と空白は数えません）。"
                )
                % {"n": MIN_NAME_LENGTH},
            )
            return ""
        return key

    def clean_prefecture(self) -> str:
        value = self.cleaned_data.get("prefecture", "")
        if value and value not in PREFECTURE_NAMES:
            raise forms.ValidationError(_("都道府県を選択してください。"))
        return value

    def clean_corporate_number(self) -> str:
        value = normalise_digits(self.cleaned_data.get("corporate_number", ""))
        if value and not (len(value) == 13 and value.isdigit()):
            raise forms.ValidationError(_("法人番号は13桁の数字で入力してください。"))
        if value and not is_valid_corporate_number(value):
            raise forms.ValidationError(
                _("法人番号のチェックデジットが正しくありません。番号をご確認ください。")
            )
        return value

    def clean_member_number(self) -> str:
        raw = self.cleaned_data.get("member_number", "")
        value = normalise_member_number(raw)
        if raw.strip() and not value:
            raise forms.ValidationError(_("会員番号は「J」に続く数字で入力してください（例：J0000123）。"))
        return value

    def clean_jsic(self) -> str:
        value = unicodedata.normalize("NFKC", self.cleaned_data.get("jsic", "")).strip().upper()
        if value and not (re.fullmatch(r"[A-T]|\d{2,4}", value) and selectors.known_jsic_code(value)):
            raise forms.ValidationError(_("産業分類コードが正しくありません。"))
        return value

    def clean_as_of(self):
        value = self.cleaned_data.get("as_of")
        if value and value > today():
            raise forms.ValidationError(
                _("未来の日付は指定できません（本日は%(today)s です）。") % {"today": japanese_date(today())}
            )
        return value

    def _reading_key(self, value: str, name_key: str) -> str:
        """The query as a reading (kana only), when that differs from its name key and is long enough."""
        key = reading_query(value) if name_key else ""
        return key if len(key) >= MIN_NAME_LENGTH and key != name_key else ""

    def clean(self):
        data = super().clean()
        q = (data.get("q") or "").strip()
        data["name_key"] = data["reading_key"] = ""
        name = data.get("name")
        if name:
            data["name_key"] = self._name_key(name, "name")
            data["reading_key"] = self._reading_key(name, data["name_key"])
        if q:
            digits = normalise_digits(q)
            if digits.isdigit() and len(digits) == 13:
                if not is_valid_corporate_number(digits):
                    self.add_error(
                        "q", _("法人番号のチェックデジットが正しくありません。番号をご確認ください。")
                    )
                data["corporate_number"] = data.get("corporate_number") or digits
            elif normalise_member_number(q) and (digits.isdigit() or q[:1] in "JjＪｊ"):
                data["member_number"] = data.get("member_number") or normalise_member_number(q)
            elif not data["name_key"]:
                data["name_key"] = self._name_key(q, "q")
                data["reading_key"] = self._reading_key(q, data["name_key"])
        return data

    def query(self) -> selectors.RosterQuery:
        data = self.cleaned_data
        return selectors.RosterQuery(
            as_of=data.get("as_of") or today(),
            name=data.get("name_key", ""),
            reading=data.get("reading_key", ""),
            corporate_number=data.get("corporate_number", ""),
            member_number=data.get("member_number", ""),
            prefecture=data.get("prefecture", ""),
            jsic=data.get("jsic", ""),
        )


RosterSearchForm._set_up_fields()
