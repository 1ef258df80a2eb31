from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from backoffice.models import Audience, ImportRun, MemberResource
from members.models import Association


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("取り込むデータ"), choices=ImportRun.Kind.choices, widget=forms.RadioSelect
    )
    file = forms.FileField(
        label=_("ファイル"),
        help_text=_("CSV（UTF-8 または Shift_JIS）または Excel（.xlsx）。1行目は見出し行です。"),
    )
    association = forms.ModelChoiceField(
        label=_("団体"),
        queryset=Association.objects.filter(is_active=True),
        required=False,
        help_text=_(
            "団体の会員名簿の場合：ファイルに「団体名」の列がなければ、ここで選んだ団体の名簿として取り込みます。"
        ),
    )
    bank_format = forms.ChoiceField(
        label=_("銀行の形式"), required=False, help_text=_("入出金明細の場合に選びます。")
    )

    def __init__(self, *args, kinds=None, **kwargs):
        super().__init__(*args, **kwargs)
        from fees.statements import FORMAT_CHOICES

        if kinds is not None:
            self.fields["kind"].choices = [(k, v) for k, v in ImportRun.Kind.choices if k in kinds]
        self.fields["bank_format"].choices = [("", "---------"), *FORMAT_CHOICES]

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > settings.JAIM_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("ファイルが大きすぎます（上限 %(mb)s MB）。")
                % {"mb": f"{settings.JAIM_UPLOAD_MAX_BYTES / 1024 / 1024:g}"}
            )
        return f

    def clean(self):
        data = super().clean()
        if data.get("kind") == ImportRun.Kind.BANK_STATEMENT and not data.get("bank_format"):
            self.add_error("bank_format", _("銀行の形式を選んでください。"))
        return data

    def options(self) -> dict:
        kind = self.cleaned_data["kind"]
        if kind == ImportRun.Kind.ASSOCIATION and self.cleaned_data.get("association"):
            return {"association_id": self.cleaned_data["association"].pk}
        if kind == ImportRun.Kind.BANK_STATEMENT:
            return {"bank_format": self.cleaned_data["bank_format"]}
        return {}


class SendAnnouncementForm(forms.Form):
    audiences = forms.MultipleChoiceField(
        label=_("送信先"),
        choices=Audience.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("送信先を一つ以上選んでください。")},
    )


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("メールアドレス"), max_length=254)
    name = forms.CharField(label=_("お名前（任意）"), max_length=100, required=False)
    organisation_name = forms.CharField(label=_("会社名・団体名（任意）"), max_length=200, required=False)
    agree = forms.BooleanField(
        label=_("個人情報の取扱いに同意し、JAIMからの制度情報メールを受け取ります。"),
        error_messages={"required": _("同意いただける場合はチェックを入れてください。")},
    )


class MemberResourceForm(forms.ModelForm):
    upload = forms.FileField(
        label=_("ファイル"),
        required=False,
        help_text=_("PDF・JPEG・PNG（中身で判定します）。差し替える場合だけ選びます。"),
    )

    class Meta:
        model = MemberResource
        fields = ["title", "summary", "kind", "body", "order"]

    uploaded_by = None  # set by the admin (MemberResourceAdmin.get_form): kept with a virus detection

    def clean_upload(self):
        """The checked (and, for an image, re-encoded) file: jaim.uploads.Inspected, handed to the service."""
        from jaim.errors import DomainError
        from jaim.uploads import inspect_upload

        upload = self.cleaned_data.get("upload")
        if not upload:
            return None
        try:
            return inspect_upload(upload, where=_("会員向け資料"), by=self.uploaded_by)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if (
            kind == MemberResource.Kind.FILE
            and not data.get("upload")
            and not (self.instance.pk and self.instance.file)
        ):
            self.add_error("upload", _("ファイルを選んでください。"))
        if kind == MemberResource.Kind.PAGE and not (data.get("body") or "").strip():
            self.add_error("body", _("ページの本文を入力してください。"))
        return data


# --- staff notes (the timeline) -------------------------------------------------------------------------------


class StaffNoteForm(forms.Form):
    kind = forms.ChoiceField(label=_("種類"), widget=forms.RadioSelect, initial="PHONE")
    text = forms.CharField(
        label=_("内容"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4, "cols": 80})
    )
    upload = forms.FileField(
        label=_("添付ファイル"),
        required=False,
        help_text=_("PDF・JPEG・PNG（任意）。職員だけが開けます。"),
    )
    uploaded_by = None  # the staff member, kept with a virus detection

    def __init__(self, *args, with_upload=True, **kwargs):
        from backoffice.models import StaffNote

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = StaffNote.Kind.choices
        if not with_upload:
            del self.fields["upload"]

    def clean_upload(self):
        """The checked file (jaim.uploads.Inspected), or None; a refusal is shown next to the field."""
        from jaim.errors import DomainError
        from jaim.uploads import inspect_upload

        upload = self.cleaned_data.get("upload")
        if not upload:
            return None
        try:
            return inspect_upload(upload, where=_("職員メモの添付ファイル"), by=self.uploaded_by)
        except DomainError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc


class StrikeNoteForm(forms.Form):
    reason = forms.CharField(
        label=_("取消線を引く理由"),
        max_length=300,
        widget=forms.TextInput(attrs={"size": 80}),
        help_text=_("メモの本文は消えずに残り、理由・日時・記入者とともに表示されます。"),
    )


class TimelineFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("種類"), required=False)
    q = forms.CharField(label=_("メモを検索"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        from backoffice.timeline import kind_choices

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("すべて")), *kind_choices()]
