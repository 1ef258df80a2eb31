"""Wizard forms. Each validates on the server with Japanese messages next to its fields; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.models import Application, DocumentType, Kind
from fees import services as fee_services
from jaim.validators import PREFECTURES, normalise_digits, validate_postal_code
from members.models import Association, EvidenceTemplate, Organisation


class DateInput(forms.DateInput):
    input_type = "date"


YES_NO = [("yes", _("はい")), ("no", _("いいえ"))]


class StartForm(forms.Form):
    establishment = forms.ModelChoiceField(queryset=None, label=_("事業所"), empty_label=_("選んでください"))
    kind = forms.ChoiceField(
        label=_("申請の種類"), choices=Kind.applicable, widget=forms.RadioSelect, initial=Kind.NEW
    )

    def __init__(self, *args, establishments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["establishment"].queryset = establishments
        self.fields["establishment"].label_from_instance = lambda e: f"{e.organisation.name} {e.name}"


class PayerForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = ["payer"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        est = self.instance.establishment
        self.fields["payer"].queryset = Organisation.objects.filter(
            client_grants__establishment=est, client_grants__revoked_at__isnull=True
        ).distinct()
        self.fields["payer"].empty_label = _("事業所（法人）が支払う")
        self.fields["payer"].required = False


class CodeSearchForm(forms.Form):
    q = forms.CharField(
        label=_("分類コードまたは名称で検索"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"placeholder": _("例：2592、金属、プラスチック")}),
    )


class ShipmentForm(forms.ModelForm):
    had_shipments = forms.TypedChoiceField(
        label=_("直近12か月に、この事業所で製造品出荷額等がありますか"),
        choices=YES_NO,
        widget=forms.RadioSelect,
        coerce=lambda v: v == "yes",
        help_text=_(
            "同じ会社の別の事業所への出荷も含みます（FAQ 2-3-7）。稼働前の事業所は申請できません（FAQ 3-2-4）。"
        ),
    )

    class Meta:
        model = Application
        fields = [
            "had_shipments",
            "ships_within_company",
            "amounts_unavailable",
            "amounts_unavailable_reason",
        ]
        help_texts = {
            "amounts_unavailable_reason": _(
                "例：部品のみを製造する拠点で100％本社向けのため、金額のやり取りが発生していない。"
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.had_shipments is not None and not self.is_bound:
            self.initial["had_shipments"] = "yes" if self.instance.had_shipments else "no"

    def clean(self):
        data = super().clean()
        # 「いいえ」 is an answer: it is saved (so the checklist says why the application cannot go ahead, instead
        # of asking again), and the view warns at once (R5, FAQ 3-2-4).
        if data.get("amounts_unavailable") and not (data.get("amounts_unavailable_reason") or "").strip():
            self.add_error("amounts_unavailable_reason", _("金額を示せない理由を記入してください。"))
        return data


class ImagesForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = ["images_restricted", "images_restriction_reason", "product_use_explanation"]

    def clean(self):
        data = super().clean()
        if data.get("images_restricted"):
            if not (data.get("images_restriction_reason") or "").strip():
                self.add_error("images_restriction_reason", _("画像を提出できない理由を記入してください。"))
            if not (data.get("product_use_explanation") or "").strip():
                self.add_error(
                    "product_use_explanation",
                    _("製造品が完成品のどの部分に使われ、どのような機能を果たすかを記入してください。"),
                )
        return data


class SmeForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = ["sme_claimed", "capital_yen", "regular_employees", "sme_proof_type"]
        help_texts = {
            "capital_yen": _("製造業の基準で判定します：資本金3億円以下または従業員300人以下（FAQ 2-4-5）。"),
            "regular_employees": _(
                "労働基準法第20条の解雇予告が必要な方。パート・派遣等は個別に判断してください（FAQ 2-4-4）。"
            ),
            "sme_proof_type": _("手続マニュアルに記載の書類のみ受け付けます（FAQ 2-4-2）。"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sme_proof_type"].choices = [("", _("選んでください"))] + list(
            Application.SmeProof.choices
        )
        for f in ("capital_yen", "regular_employees"):
            self.fields[f].widget.attrs.update({"inputmode": "numeric", "min": "0"})

    def clean(self):
        data = super().clean()
        if data.get("sme_claimed"):
            cap, emp = data.get("capital_yen"), data.get("regular_employees")
            if cap is None and emp is None:
                self.add_error("capital_yen", _("資本金または常時使用する従業員数を入力してください。"))
            elif not fee_services.meets_sme_thresholds(cap, emp):
                self.add_error(
                    "capital_yen",
                    _(
                        "製造業の中小企業の基準（資本金3億円以下または従業員300人以下）を満たしていません。"
                        "中小企業割引を申請しない場合は、「中小企業割引を申請する」のチェックを外してください"
                        "（会費は通常の金額になります）。"
                    ),
                )
            if not data.get("sme_proof_type"):
                self.add_error("sme_proof_type", _("証明書類の種類を選んでください。"))
        return data


class AssociationForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = ["association", "association_applied_on", "association_complete_on"]
        widgets = {"association_applied_on": DateInput, "association_complete_on": DateInput}
        help_texts = {
            "association": _(
                "所属する正会員団体を選ぶと、証明書類の要否が表示されます（FAQ 2-4-6）。所属していない場合は空欄。"
            ),
            "association_complete_on": _(
                "申請時点で加入が完了していれば初年度から、完了が後なら翌年度から団体割引の対象です（FAQ 2-5-3）。"
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["association"].queryset = Association.objects.filter(
            is_active=True, is_regular_member=True
        )
        self.fields["association"].empty_label = _("所属していない")


class PledgeForm(forms.Form):
    def __init__(self, *args, pledges, accepted_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.pledges = pledges
        for p in pledges:
            self.fields[f"pledge_{p.pk}"] = forms.BooleanField(
                label=_("「%(t)s」（第%(v)s版）の内容を確認し、遵守することを誓約します。")
                % {"t": p.title, "v": p.version},
                required=True,
                initial=p.pk in accepted_ids,
                error_messages={"required": _("同意が必要です。")},
            )

    def accepted_ids(self):
        return [p.pk for p in self.pledges if self.cleaned_data.get(f"pledge_{p.pk}")]


class ChangeForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = [
            "new_organisation_name",
            "new_establishment_name",
            "new_postal_code",
            "new_prefecture",
            "new_city",
            "new_address_line",
            "change_expected_on",
            "change_description",
        ]
        widgets = {"change_expected_on": DateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kind = self.instance.kind
        self.fields["new_prefecture"] = forms.ChoiceField(
            label=_("移転先の都道府県"), choices=[("", "—")] + PREFECTURES, required=False
        )
        if kind == Kind.NAME_CHANGE:
            for f in ("new_postal_code", "new_prefecture", "new_city", "new_address_line"):
                del self.fields[f]
            self.fields["new_organisation_name"].required = True
            self.fields["change_expected_on"].label = _("新会社の稼働（設立）予定日")
        else:
            del self.fields["new_organisation_name"]
            for f in ("new_postal_code", "new_prefecture", "new_city", "new_address_line"):
                self.fields[f].required = True
            self.fields["change_expected_on"].label = _("新事業所の稼働予定日")
        self.fields["change_expected_on"].required = True
        if self.is_bound and self.data.get("new_postal_code"):
            data = self.data.copy()
            data["new_postal_code"] = normalise_digits(data["new_postal_code"])
            self.data = data

    def clean_new_postal_code(self):
        value = self.cleaned_data.get("new_postal_code", "")
        if value:
            validate_postal_code(value)
        return value


class UploadForm(forms.Form):
    document_type = forms.ModelChoiceField(queryset=DocumentType.objects.none(), label=_("書類の種類"))
    file = forms.FileField(
        label=_("ファイル"),
        help_text=_("PDF・JPEG・PNGのみ。ファイルの中身で判定します。"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )
    evidence_template = forms.ChoiceField(label=_("出荷実績の様式"), required=False)
    association = forms.ModelChoiceField(
        queryset=Association.objects.none(), required=False, label=_("発行した団体")
    )
    issuer = forms.CharField(label=_("発行者・認証機関"), required=False, max_length=200)
    number = forms.CharField(label=_("証明書番号など"), required=False, max_length=100)
    valid_until = forms.DateField(label=_("有効期限"), required=False, widget=DateInput)
    step = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, document_types, templates=(), associations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document_type"].queryset = DocumentType.objects.filter(
            pk__in=[t.pk for t in document_types]
        )
        self.fields["document_type"].empty_label = None
        labels = dict(EvidenceTemplate.choices)
        self.fields["evidence_template"].choices = [("", "—")] + [
            (t, f"{t}（{labels.get(t, t)}）") for t in templates
        ]
        if not templates:
            del self.fields["evidence_template"]
        elif len(templates) == 1:
            self.fields["evidence_template"].initial = templates[0]
        if associations is not None:
            self.fields["association"].queryset = associations
        if not any(t.requires_association for t in document_types):
            del self.fields["association"]
        if not any(t.requires_valid_until for t in document_types):
            del self.fields["valid_until"]
            del self.fields["issuer"]
            del self.fields["number"]

    def clean(self):
        data = super().clean()
        t = data.get("document_type")
        if t is not None:
            if t.requires_valid_until and not data.get("valid_until"):
                self.add_error("valid_until", _("この書類は有効期限の入力が必要です。"))
            if t.requires_association and not data.get("association"):
                self.add_error("association", _("書類を発行した団体を選んでください。"))
            if (
                t.code == "shipment_evidence"
                and "evidence_template" in self.fields
                and not data.get("evidence_template")
            ):
                self.add_error("evidence_template", _("出荷実績の様式を選んでください。"))
        return data


class ReturnForm(forms.Form):
    message = forms.CharField(
        label=_("差戻しの内容（申請者に送られます）"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=5000,
    )
    deadline = forms.DateField(label=_("修正の期限"), widget=DateInput)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("却下の理由（申請者に送られます）"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000
    )


class ApproveForm(forms.Form):
    """Nothing to fill in: a merger's or relocation's follow-up deadline is set when staff confirm the new company
    or site operating (R13, R14)."""


class ReportEffectiveForm(forms.Form):
    effective_on = forms.DateField(
        label=_("稼働日"),
        widget=DateInput,
        help_text=_("事務局が確認した後、会員名簿はこの日から新しい名称だけになります。"),
    )


class FollowUpUploadForm(forms.Form):
    document_type = forms.ModelChoiceField(queryset=DocumentType.objects.none(), label=_("書類の種類"))
    file = forms.FileField(
        label=_("ファイル"),
        help_text=_("PDF・JPEG・PNGのみ。ファイルの中身で判定します。"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}
        ),
    )

    def __init__(self, *args, document_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document_type"].queryset = DocumentType.objects.filter(
            pk__in=[t.pk for t in document_types]
        )
        self.fields["document_type"].empty_label = None
