from django import forms
from django.utils.translation import gettext_lazy as _

from fees.models import BillingContact, DebitMandate
from fees.statements import FORMAT_CHOICES
from jaim.validators import normalise_digits


class BillingContactForm(forms.ModelForm):
    """請求書送付先 (F10). Invoice e-mails go to this address, and only invoice e-mails."""

    postal_code = forms.CharField(label=_("郵便番号"), max_length=10, help_text=_("例：100-0001"))
    phone = forms.CharField(label=_("電話番号"), max_length=16, required=False)
    for_organisation = forms.BooleanField(
        label=_("法人の全事業所の送付先として登録する（本社の担当者のみ）"), required=False
    )

    class Meta:
        model = BillingContact
        fields = [
            "addressee",
            "department",
            "person_name",
            "email",
            "postal_code",
            "prefecture",
            "city",
            "address_line",
            "phone",
        ]
        help_texts = {"email": _("請求書・入金・口座振替に関するメールだけがこのアドレスに届きます。")}

    def validate_constraints(self):
        """The scope (organisation or establishment) is chosen by the service, which validates the whole row."""

    def clean_postal_code(self):
        return normalise_digits(self.cleaned_data["postal_code"])

    def clean_phone(self):
        return normalise_digits(self.cleaned_data.get("phone", ""))


class DebitMandateForm(forms.Form):
    bank_code = forms.CharField(label=_("金融機関コード（4桁）"), max_length=8)
    branch_code = forms.CharField(label=_("支店コード（3桁）"), max_length=6)
    account_type = forms.ChoiceField(label=_("預金種目"), choices=DebitMandate.AccountType.choices)
    account_number = forms.CharField(
        label=_("口座番号（7桁）"), max_length=10, help_text=_("7桁未満は先頭に0を付けてください。")
    )
    holder_kana = forms.CharField(
        label=_("口座名義（カナ）"),
        max_length=60,
        help_text=_("通帳の口座名義どおりに入力してください。例：ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ（全角カナでも構いません）"),
    )
    paid_by_support = forms.BooleanField(label=_("委任先の登録支援機関の口座から引き落とす"), required=False)

    def __init__(self, *args, support_organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.support_organisations = list(support_organisations)
        if self.support_organisations:
            self.fields["support_organisation"] = forms.ChoiceField(
                label=_("登録支援機関"),
                required=False,
                choices=[("", "—")] + [(str(o.pk), o.name) for o in self.support_organisations],
            )
        else:
            del self.fields["paid_by_support"]

    def _digits(self, name, length):
        value = normalise_digits(self.cleaned_data[name])
        if not value.isdigit() or len(value) != length:
            raise forms.ValidationError(_("%(n)d桁の数字で入力してください。") % {"n": length})
        return value

    def clean_bank_code(self):
        return self._digits("bank_code", 4)

    def clean_branch_code(self):
        return self._digits("branch_code", 3)

    def clean_account_number(self):
        value = normalise_digits(self.cleaned_data["account_number"])
        if value.isdigit() and len(value) < 7:
            value = value.zfill(7)
        if not value.isdigit() or len(value) != 7:
            raise forms.ValidationError(_("7桁の数字で入力してください。"))
        return value

    def clean_holder_kana(self):
        from fees.kana import to_zengin_kana

        try:
            return to_zengin_kana(self.cleaned_data["holder_kana"], allow_dot=True)
        except ValueError as exc:
            raise forms.ValidationError(
                _(
                    "使えない文字があります：%(c)s　カナ・英大文字・数字・スペース・( ) - . で入力してください。"
                )
                % {"c": str(exc)}
            ) from exc

    def clean(self):
        data = super().clean()
        if data.get("paid_by_support") and not data.get("support_organisation"):
            self.add_error("support_organisation", _("登録支援機関を選択してください。"))
        return data

    @property
    def payer(self):
        if not self.cleaned_data.get("paid_by_support"):
            return None
        pk = self.cleaned_data.get("support_organisation")
        return next((o for o in self.support_organisations if str(o.pk) == pk), None)


class StatementUploadForm(forms.Form):
    bank_format = forms.ChoiceField(label=_("形式"), choices=FORMAT_CHOICES)
    file = forms.FileField(label=_("入出金明細CSV"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("5MB以下のファイルを指定してください。"))
        return f


class ManualPaymentForm(forms.Form):
    received_on = forms.DateField(label=_("入金日"), widget=forms.DateInput(attrs={"type": "date"}))
    amount_yen = forms.IntegerField(label=_("入金額（円）"), min_value=1)
    payer_name = forms.CharField(label=_("振込名義"), max_length=200, required=False)
    reference = forms.CharField(label=_("メモ・参照"), max_length=200, required=False)


class CreditNoteForm(forms.Form):
    amount_yen = forms.IntegerField(label=_("取消金額（円）"), min_value=1)
    reason = forms.CharField(label=_("理由"), max_length=300)


class DebitExportForm(forms.Form):
    collection_date = forms.DateField(label=_("振替日"), widget=forms.DateInput(attrs={"type": "date"}))


class DebitResultForm(forms.Form):
    file = forms.FileField(label=_("口座振替結果データ"))


class SettleLineForm(forms.Form):
    invoices = forms.CharField(
        label=_("消込する請求書番号"),
        help_text=_("複数の場合は改行またはカンマで区切ってください。"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    note = forms.CharField(label=_("メモ"), max_length=300, required=False)

    def clean_invoices(self):
        import re

        numbers = [n for n in re.split(r"[\s,、]+", self.cleaned_data["invoices"]) if n]
        if not numbers:
            raise forms.ValidationError(_("請求書番号を入力してください。"))
        return numbers


class IgnoreLineForm(forms.Form):
    note = forms.CharField(label=_("対象外とする理由"), max_length=300)
