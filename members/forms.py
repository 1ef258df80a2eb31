from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _

from jaim.validators import normalise_digits, to_katakana
from members.models import Establishment, LegalForm, Organisation, RepresentativeTitle


class DateInput(forms.DateInput):
    input_type = "date"


class SignUpForm(forms.Form):
    email = forms.EmailField(label=_("メールアドレス"), max_length=254)
    full_name = forms.CharField(label=_("氏名"), max_length=100)
    password1 = forms.CharField(
        label=_("パスワード"),
        widget=forms.PasswordInput,
        strip=False,
        help_text=_("10文字以上。数字だけ・よくある語は使えません。"),
    )
    password2 = forms.CharField(label=_("パスワード（確認）"), widget=forms.PasswordInput, strip=False)

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("確認用パスワードが一致しません。"))
        elif p1:
            try:
                password_validation.validate_password(p1)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(label=_("メールアドレス"), widget=forms.EmailInput(attrs={"autofocus": True}))
    error_messages = {
        "invalid_login": _("メールアドレスまたはパスワードが正しくありません。"),
        "inactive": _("このアカウントはまだ有効になっていません。確認メールのリンクを開いてください。"),
    }


class OutboxPasswordResetForm(PasswordResetForm):
    """Sends the reset link through the outbox like every other e-mail."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        from jaim.mail import queue_mail

        url = "{protocol}://{domain}/accounts/reset/{uid}/{token}/".format(**context)
        queue_mail(
            to=to_email,
            template="password_reset",
            context={"url": url, "user": context["user"]},
            kind="password_reset",
        )


class NormalisingMixin:
    """What people type: full-width digits, hyphens in numbers, hiragana in furigana."""

    digit_fields = ("corporate_number", "postal_code", "phone", "employment_insurance_number")
    kana_fields = ("name_kana",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            data = self.data.copy()
            for f in self.digit_fields:
                key = self.add_prefix(f)
                if f in self.fields and data.get(key):
                    data[key] = normalise_digits(data[key])
            for f in self.kana_fields:
                key = self.add_prefix(f)
                if f in self.fields and data.get(key):
                    data[key] = to_katakana(data[key])
            self.data = data


class OrganisationForm(NormalisingMixin, forms.ModelForm):
    class Meta:
        model = Organisation
        fields = [
            "kind",
            "legal_form",
            "corporate_number",
            "name",
            "name_kana",
            "representative_title",
            "representative_name",
            "representative_since",
            "postal_code",
            "prefecture",
            "city",
            "address_line",
            "phone",
            "capital_yen",
            "regular_employees",
            "is_support_organisation",
            "support_registration_number",
        ]
        widgets = {"kind": forms.RadioSelect, "representative_since": DateInput}
        help_texts = {
            "representative_title": _(
                "登記事項証明書（登記簿謄本）に記載の代表者の役職を、法人の種類に応じて選んでください。"
                "工場長・部長などは代表者ではありません（FAQ 2-4-7）。"
            ),
            "representative_name": _(
                "会社の代表者（代表取締役など）。申請様式1〜4の代表者はこの方です（FAQ 2-4-7）。"
            ),
            "representative_since": _("代表者が変わった場合は就任日を入力してください（空欄の場合は今日）。"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        forms_qs = LegalForm.objects.filter(is_active=True)
        titles = list(
            RepresentativeTitle.objects.filter(is_active=True, legal_form__is_active=True).select_related(
                "legal_form"
            )
        )
        self.fields["legal_form"].queryset = forms_qs
        self.fields["legal_form"].required = True
        self.fields["legal_form"].empty_label = _("選んでください")
        field = self.fields["representative_title"]
        field.queryset = RepresentativeTitle.objects.filter(pk__in=[t.pk for t in titles])
        field.required = True
        # One group per kind of organisation, so the choice reads 「株式会社 › 代表取締役」 without script.
        groups: dict[str, list] = {}
        for t in titles:
            groups.setdefault(t.legal_form.name, []).append((t.pk, t.title))
        field.choices = [("", _("選んでください")), *groups.items()]
        field.error_messages["invalid_choice"] = _("代表者役職は一覧から選んでください。")
        field.error_messages["required"] = _("代表者役職を選んでください。")
        self.fields["legal_form"].error_messages["required"] = _("法人の種類を選んでください。")
        if (
            self.instance.pk
            and self.instance.representative_needs_review
            and self.instance.representative_title_text
        ):
            field.help_text = _(
                "以前の入力「%(text)s」は一覧にない役職です。登記事項証明書の代表者の役職を選び直してください。"
            ) % {"text": self.instance.representative_title_text}
        if not self.instance.pk:
            del self.fields["representative_since"]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if (
            kind == Organisation.Kind.CORPORATION
            and not data.get("corporate_number")
            and "corporate_number" not in self.errors
        ):
            self.add_error("corporate_number", _("法人の場合は法人番号を入力してください。"))
        if kind == Organisation.Kind.SOLE_PROPRIETOR:
            data["corporate_number"] = None
            self.errors.pop("corporate_number", None)
        return data

    def validate_unique(self):
        try:
            self.instance.validate_unique(exclude=self._get_validation_exclusions())
        except forms.ValidationError:
            self.add_error("corporate_number", _("この法人番号の法人は既に登録されています。"))


class EstablishmentForm(NormalisingMixin, forms.ModelForm):
    class Meta:
        model = Establishment
        fields = [
            "name",
            "name_kana",
            "postal_code",
            "prefecture",
            "city",
            "address_line",
            "phone",
            "employment_insurance_number",
            "operating_since",
        ]
        widgets = {"operating_since": DateInput}


class GrantAccessForm(forms.Form):
    email = forms.EmailField(label=_("担当者のメールアドレス"))
    can_manage = forms.BooleanField(label=_("他の担当者の権限も管理できるようにする"), required=False)


class SupportGrantForm(forms.Form):
    corporate_number = forms.CharField(label=_("登録支援機関の法人番号"), max_length=20)

    def clean_corporate_number(self):
        value = normalise_digits(self.cleaned_data["corporate_number"])
        org = Organisation.objects.filter(corporate_number=value, is_support_organisation=True).first()
        if org is None:
            raise forms.ValidationError(_("この法人番号の登録支援機関は登録されていません。"))
        self.support_organisation = org
        return value


class ConfirmEffectiveForm(forms.Form):
    effective_on = forms.DateField(
        label=_("稼働日（新会社の事業開始日・新事業所の稼働日）"),
        widget=DateInput,
        help_text=_("この日から会員名簿は新しい名称だけを掲載します（それより前の日付では旧名称）。"),
    )
    follow_up_due_on = forms.DateField(
        label=_("追加書類の提出期限"),
        required=False,
        widget=DateInput,
    )

    def __init__(self, *args, follow_up_days=30, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["follow_up_due_on"].help_text = _("空欄の場合は稼働日の%(days)s日後。") % {
            "days": follow_up_days
        }
