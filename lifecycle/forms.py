from django import forms
from django.utils.translation import gettext_lazy as _

from jaim.validators import normalise_digits, validate_phone


class DateInput(forms.DateInput):
    input_type = "date"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; each is checked by its content in the service (jaim.uploads)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def _required(message):
    return {"required": message}


class WithdrawalForm(forms.Form):
    """退会する (R11): the details the secretariat needs. `year_end`: leaving at the end of this fiscal year,
    answered in the renewal confirmation (F8) — the day is then fixed."""

    effective_on = forms.DateField(
        label=_("退会日"),
        widget=DateInput,
        help_text=_(
            "この日から会員ではなくなり、会員名簿に掲載されません。今日から今年度末までの日付を選べます。"
        ),
        error_messages=_required(_("退会日を入力してください。")),
    )
    reason = forms.CharField(
        label=_("退会の理由"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("例：特定技能外国人の雇用を本社工場に集約するため"),
        error_messages=_required(_("退会の理由を入力してください。")),
    )
    contact_name = forms.CharField(
        label=_("担当者氏名"), max_length=100, error_messages=_required(_("担当者の氏名を入力してください。"))
    )
    contact_phone = forms.CharField(
        label=_("担当者電話番号"),
        max_length=20,
        help_text=_("事務局から確認の連絡をする場合があります。ハイフンなしでも入力できます。"),
        error_messages=_required(_("担当者の電話番号を入力してください。")),
    )
    no_ssw_confirmed = forms.BooleanField(
        label=_("この事業所では特定技能外国人を雇用しない（退会日までに雇用しなくなる）ことを確認しました。"),
        error_messages=_required(_("確認のうえチェックしてください。")),
    )
    no_refund_acknowledged = forms.BooleanField(
        label=_("年度の途中で退会しても、支払済みの会費は返金されないことを確認しました。"),
        error_messages=_required(_("確認のうえチェックしてください。")),
    )
    rejoin_acknowledged = forms.BooleanField(
        label=_(
            "休会・一時的な退会の制度はなく、再び入会するには新規の入会申請と審査（2〜3か月）が必要なことを確認しました。"
        ),
        error_messages=_required(_("確認のうえチェックしてください。")),
    )

    def __init__(self, *args, year_end=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.year_end = year_end
        if year_end:
            del self.fields["effective_on"]

    def clean_contact_phone(self):
        phone = normalise_digits(self.cleaned_data["contact_phone"])
        validate_phone(phone)  # a Japanese message next to the field
        return phone


class WageReportForm(forms.Form):
    workers = forms.IntegerField(
        label=_("対象となる従業員数（人）"),
        min_value=1,
        max_value=1_000_000,
        help_text=_("賃上げの対象とした常時雇用する従業員の数。"),
        error_messages={
            "required": _("従業員数を入力してください。"),
            "min_value": _("1人以上で入力してください。"),
        },
    )
    wage_before_yen = forms.IntegerField(
        label=_("前年の1人当たり平均賃金（月額・円）"),
        min_value=1,
        max_value=100_000_000,
        error_messages={
            "required": _("前年の平均賃金を入力してください。"),
            "min_value": _("1円以上で入力してください。"),
        },
    )
    wage_after_yen = forms.IntegerField(
        label=_("今年の1人当たり平均賃金（月額・円）"),
        min_value=1,
        max_value=100_000_000,
        help_text=_("賃上げ率＝（今年−前年）÷前年×100 で計算します。"),
        error_messages={
            "required": _("今年の平均賃金を入力してください。"),
            "min_value": _("1円以上で入力してください。"),
        },
    )
    measures = forms.CharField(
        label=_("賃上げの内容"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例：ベースアップ2.0％、定期昇給1.2％"),
    )
    evidence = MultipleFileField(
        label=_("賃上げが確認できる書類"),
        required=False,
        help_text=_(
            "賃金台帳・賃金規程など（PDF・JPEG・PNG、1ファイル10MBまで）。提出済みの書類がない場合は必須です。"
        ),
    )


class WageAdditionalForm(forms.Form):
    reason = forms.CharField(
        label=_("目標に届かなかった理由"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        error_messages=_required(_("理由を入力してください。")),
    )
    plan = forms.CharField(
        label=_("今後の賃上げの取組"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        error_messages=_required(_("今後の取組を入力してください。")),
    )
    evidence = MultipleFileField(
        label=_("添付書類（任意）"), required=False, help_text=_("PDF・JPEG・PNG、1ファイル10MBまで。")
    )
