from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("確認コード"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 12}
        ),
        help_text=_("認証アプリに表示されている6桁の数字。スマートフォンがない場合はリカバリーコード。"),
    )


class EnrolForm(forms.Form):
    code = forms.CharField(
        label=_("確認コード"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 8}
        ),
        help_text=_("QRコードを読み取った認証アプリに表示される6桁の数字を入力してください。"),
    )


class DisableForm(forms.Form):
    code = forms.CharField(
        label=_("確認コード"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "size": 12}),
        help_text=_("無効にするには、現在の確認コード（またはリカバリーコード）を入力してください。"),
    )
