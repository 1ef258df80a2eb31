"""Applications (入会・変更申請) of every kind, their documents and pledges, and the requirement rules staff edit."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jaim.states import choice_flags
from members.models import (
    AddOn,
    Association,
    Establishment,
    EvidenceTemplate,
    IdentityChange,
    JsicCode,
    Organisation,
)


class Kind(models.TextChoices):
    NEW = "NEW", _("入会申請")
    ADD_CLASSIFICATION = "ADD_CLASSIFICATION", _("産業分類の追加")
    NAME_CHANGE = "NAME_CHANGE", _("合併・会社分割による名称変更")
    RELOCATION = "RELOCATION", _("事業所の移転")
    # Retired: withdrawal is lifecycle's request (退会する → the secretariat confirms → the chosen day, R11). The value
    # stays only so that earlier, decided applications of this kind still read; nothing can start or approve one.
    WITHDRAWAL = "WITHDRAWAL", _("退会届（旧方式）")

    @classmethod
    def applicable(cls) -> list[tuple[str, str]]:
        """The kinds an applicant may start (choices)."""
        return [(k, label) for k, label in cls.choices if k != cls.WITHDRAWAL]


class KindsField(models.CharField):
    """A set of application kinds stored as 'NEW,ADD_CLASSIFICATION' (edited with check boxes in the admin)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 120)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        from django import forms

        class KindsFormField(forms.MultipleChoiceField):
            def prepare_value(self, value):
                if isinstance(value, str):
                    return [v for v in value.split(",") if v]
                return value

            def clean(self, value):
                return ",".join(super().clean(value))

        return KindsFormField(
            choices=Kind.applicable(),
            widget=forms.CheckboxSelectMultiple,
            required=not self.blank,
            label=self.verbose_name,
            help_text=self.help_text,
        )


def kinds_contains(value: str, kind: str) -> bool:
    return kind in (value or "").split(",")


class DocumentType(models.Model):
    """A kind of document an applicant uploads (data: staff add or edit them)."""

    class Step(models.TextChoices):
        ADDON = "addon", _("上乗せ要件・必要書類")
        SHIPMENT = "shipment", _("出荷実績")
        IMAGES = "images", _("製品・工場の画像")
        SME = "sme", _("中小企業の申告")
        ASSOCIATION = "association", _("所属団体")
        CHANGE = "change", _("変更内容")

    code = models.SlugField(_("コード（内部用）"), max_length=50, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    help_text = models.TextField(_("説明"), blank=True)
    step = models.CharField(_("入力する画面"), max_length=16, choices=Step.choices, default=Step.ADDON)
    requires_valid_until = models.BooleanField(_("有効期限の入力が必要"), default=False)
    min_months_valid = models.PositiveSmallIntegerField(
        _("申請日からの最低有効月数"),
        null=True,
        blank=True,
        help_text=_("例：繊維工業の人権認証は申請日から3か月以上有効であること。"),
    )
    requires_association = models.BooleanField(
        _("発行団体の選択が必要"), default=False, help_text=_("会員証など、どの団体の書類かを選びます。")
    )
    evidence_template_override = models.CharField(
        _("出荷実績の様式を切り替える"),
        max_length=20,
        choices=EvidenceTemplate.choices,
        blank=True,
        help_text=_(
            "この書類を提出した場合、出荷実績はこの様式で作成します（例：代替書類 → 11-substitute）。"
        ),
    )
    multiple = models.BooleanField(_("複数ファイル可"), default=True)
    order = models.PositiveSmallIntegerField(_("表示順"), default=100)
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        verbose_name = _("書類の種類")
        verbose_name_plural = _("書類の種類")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Requirement(models.Model):
    """A document an application needs (data). It applies to the listed kinds, and when set, only if a requested
    code carries the add-on or lies under the JSIC code. Any one of its document types satisfies it."""

    class Stage(models.TextChoices):
        APPLICATION = "APPLICATION", _("申請時に提出")
        AFTER_CHANGE = "AFTER_CHANGE", _("新会社・新事業所の稼働後に提出（名称変更・移転）")

    label = models.CharField(_("要件"), max_length=200)
    help_text = models.TextField(_("説明"), blank=True)
    kinds = KindsField(_("対象の申請"), default="NEW,ADD_CLASSIFICATION")
    stage = models.CharField(
        _("提出の時期"),
        max_length=16,
        choices=Stage.choices,
        default=Stage.APPLICATION,
        help_text=_(
            "「稼働後」の要件は、名称変更・移転の稼働を事務局が確認したときに提出期限付きで求めます（FAQ 3-2-2、3-2-3）。"
        ),
    )
    addon = models.CharField(_("上乗せ要件"), max_length=16, choices=AddOn.choices, blank=True)
    jsic = models.ForeignKey(
        JsicCode,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("産業分類"),
        help_text=_("この分類またはその下位の分類を申請する場合に必要。空欄は分類を問いません。"),
    )
    document_types = models.ManyToManyField(
        DocumentType, related_name="requirements", verbose_name=_("認められる書類（いずれか）")
    )
    association_must_qualify = models.BooleanField(
        _("対象団体の書類に限る"),
        default=False,
        help_text=_("上乗せ要件の対象団体（下の「上乗せ要件の対象団体」）が発行した書類だけを認めます。"),
    )
    order = models.PositiveSmallIntegerField(_("表示順"), default=100)
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        verbose_name = _("提出書類の要件")
        verbose_name_plural = _("提出書類の要件")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.label


class AddonAssociation(models.Model):
    """An association whose membership satisfies an add-on (15 printing, 484 packing) — data (domain.md §3)."""

    addon = models.CharField(_("上乗せ要件"), max_length=16, choices=AddOn.choices)
    association = models.ForeignKey(
        Association, on_delete=models.PROTECT, related_name="addon_qualifications", verbose_name=_("団体")
    )
    note = models.CharField(_("出典・備考"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("上乗せ要件の対象団体")
        verbose_name_plural = _("上乗せ要件の対象団体")
        constraints = [models.UniqueConstraint(fields=["addon", "association"], name="addonassoc_unique")]

    def __str__(self) -> str:
        return f"{self.get_addon_display()}: {self.association}"


class PledgeText(models.Model):
    """A versioned pledge (行動規範の遵守など, R6). A new version is a new row; acceptances keep their version."""

    code = models.SlugField(_("コード（内部用）"), max_length=50)
    version = models.PositiveSmallIntegerField(_("版"))
    title = models.CharField(_("表題"), max_length=200)
    body = models.TextField(_("本文"))
    kinds = KindsField(_("対象の申請"), default="NEW,ADD_CLASSIFICATION")
    is_active = models.BooleanField(
        _("有効"), default=True, help_text=_("同じコードで有効な版のうち最新の版への同意を求めます。")
    )
    order = models.PositiveSmallIntegerField(_("表示順"), default=100)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("誓約文")
        verbose_name_plural = _("誓約文")
        ordering = ["order", "code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="pledge_code_version_unique")]

    def __str__(self) -> str:
        return f"{self.title}（第{self.version}版）"


@choice_flags("status", "kind")
class Application(models.Model):
    """One application for one establishment. Status moves only through applications.services."""

    Kind = Kind

    class Status(models.TextChoices):
        DRAFT = "DRAFT", _("下書き")
        SUBMITTED = "SUBMITTED", _("受付済み（審査待ち）")
        IN_REVIEW = "IN_REVIEW", _("審査中")
        RETURNED = "RETURNED", _("差戻し（修正待ち）")
        APPROVED = "APPROVED", _("承認")
        REJECTED = "REJECTED", _("却下")
        CANCELLED = "CANCELLED", _("取下げ")

    TRANSITIONS = {
        Status.DRAFT: {Status.SUBMITTED, Status.CANCELLED},
        Status.SUBMITTED: {Status.IN_REVIEW},
        Status.IN_REVIEW: {Status.RETURNED, Status.APPROVED, Status.REJECTED},
        Status.RETURNED: {Status.SUBMITTED, Status.CANCELLED},
        Status.APPROVED: set(),
        Status.REJECTED: set(),
        Status.CANCELLED: set(),
    }
    OPEN_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.IN_REVIEW, Status.RETURNED)
    EDITABLE_STATUSES = (Status.DRAFT, Status.RETURNED)
    DECIDED_STATUSES = (Status.APPROVED, Status.REJECTED)

    class SmeProof(models.TextChoices):
        LABOUR_INSURANCE = "LABOUR_INSURANCE", _("労働保険 概算・増加概算・確定保険料申告書")
        WITHHOLDING_TAX = "WITHHOLDING_TAX", _("給与所得・退職所得の所得税徴収高計算書")
        FINANCIAL_STATEMENTS = "FINANCIAL_STATEMENTS", _("決算書（社名の記載があるもの。表紙は任意）")

    kind = models.CharField(_("申請の種類"), max_length=24, choices=Kind.choices)
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    establishment = models.ForeignKey(
        Establishment, on_delete=models.PROTECT, related_name="applications", verbose_name=_("事業所")
    )
    receipt_number = models.CharField(_("受付番号"), max_length=20, unique=True, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("作成者")
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    payer = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("会費を支払う登録支援機関"),
        help_text=_("空欄の場合は事業所（法人）が支払います（FAQ 2-5-12）。"),
    )

    # classification (NEW, ADD_CLASSIFICATION)
    requested_codes = models.ManyToManyField(
        JsicCode, blank=True, related_name="+", verbose_name=_("申請する産業分類")
    )
    furthest_step = models.CharField(_("入力済みの画面"), max_length=20, blank=True, editable=False)
    addon_summary = models.CharField(_("上乗せ要件"), max_length=60, blank=True, editable=False)

    # shipments (R5, FAQ 2-3-7)
    had_shipments = models.BooleanField(_("直近12か月に製造品出荷額等がある"), null=True, blank=True)
    ships_within_company = models.BooleanField(_("同一企業の別事業所への出荷を含む"), default=False)
    amounts_unavailable = models.BooleanField(_("出荷の金額を示す書類を用意できない"), default=False)
    amounts_unavailable_reason = models.TextField(_("金額を示せない理由"), blank=True)

    # product and factory images (FAQ 2-7-2)
    images_restricted = models.BooleanField(_("権利等の関係で画像を提出できない"), default=False)
    images_restriction_reason = models.TextField(_("画像を提出できない理由"), blank=True)
    product_use_explanation = models.TextField(
        _("製造品の用途・機能の説明"),
        blank=True,
        help_text=_("自事業所の製造品が完成品のどの部分に使われ、どのような機能を果たすか。"),
    )

    # SME declaration (F3, FAQ 2-4-2 … 2-4-5)
    sme_claimed = models.BooleanField(_("中小企業割引を申請する"), default=False)
    capital_yen = models.PositiveBigIntegerField(_("資本金（円）"), null=True, blank=True)
    regular_employees = models.PositiveIntegerField(_("常時使用する従業員数（人）"), null=True, blank=True)
    sme_proof_type = models.CharField(
        _("中小企業の証明書類"), max_length=24, choices=SmeProof.choices, blank=True
    )

    # association for the group discount (F4, FAQ 2-4-6)
    association = models.ForeignKey(
        Association,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("所属する団体（団体割引）"),
    )
    association_applied_on = models.DateField(_("団体への加入申込日"), null=True, blank=True)
    association_complete_on = models.DateField(
        _("団体への加入完了日"), null=True, blank=True, help_text=_("加入手続中の場合は空欄。")
    )

    # NAME_CHANGE (R13) / RELOCATION (R14)
    new_organisation_name = models.CharField(_("新しい法人名"), max_length=200, blank=True)
    new_establishment_name = models.CharField(_("新しい事業所名"), max_length=200, blank=True)
    new_postal_code = models.CharField(_("移転先の郵便番号"), max_length=7, blank=True)
    new_prefecture = models.CharField(_("移転先の都道府県"), max_length=2, blank=True)
    new_city = models.CharField(_("移転先の市区町村"), max_length=100, blank=True)
    new_address_line = models.CharField(_("移転先の町域・番地・建物名"), max_length=200, blank=True)
    change_expected_on = models.DateField(_("新会社・新事業所の稼働予定日"), null=True, blank=True)
    change_description = models.TextField(_("変更の内容"), blank=True)

    identity_change = models.OneToOneField(
        IdentityChange,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="application",
        editable=False,
        verbose_name=_("受理した名称変更・移転"),
    )

    # WITHDRAWAL (R11)
    withdrawal_on = models.DateField(_("退会希望日"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("退会の理由"), blank=True)

    # workflow facts
    submitted_at = models.DateTimeField(
        _("受付日時"), null=True, blank=True, db_index=True, help_text=_("初回提出の日時。審査はこの順です。")
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("提出者"),
    )
    resubmitted_at = models.DateTimeField(_("再提出日時"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("審査担当"),
    )
    review_started_at = models.DateTimeField(_("審査開始日時"), null=True, blank=True)
    returned_at = models.DateTimeField(_("差戻し日時"), null=True, blank=True)
    return_message = models.TextField(_("差戻しの内容"), blank=True)
    return_deadline = models.DateField(_("修正の期限"), null=True, blank=True)
    decided_at = models.DateTimeField(_("決定日時"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("決定者"),
    )
    decided_on = models.DateField(_("決定日（会費通知日）"), null=True, blank=True)
    rejection_reason = models.TextField(_("却下の理由"), blank=True)
    cancelled_at = models.DateTimeField(_("取下げ日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("申請")
        verbose_name_plural = _("申請（審査キュー）")
        ordering = [models.F("submitted_at").asc(nulls_last=True), "id"]
        constraints = [
            # R1: one open application of a kind per establishment (also makes a double-clicked start harmless).
            models.UniqueConstraint(
                fields=["establishment", "kind"],
                condition=Q(status__in=["DRAFT", "SUBMITTED", "IN_REVIEW", "RETURNED"]),
                name="application_one_open_per_kind",
            ),
            models.CheckConstraint(
                name="application_submitted_has_time",
                condition=Q(status="DRAFT") | Q(status="CANCELLED") | Q(submitted_at__isnull=False),
            ),
            models.CheckConstraint(
                name="application_returned_has_message",
                condition=~Q(status="RETURNED") | ~Q(return_message=""),
            ),
            models.CheckConstraint(
                name="application_rejected_has_reason",
                condition=~Q(status="REJECTED") | ~Q(rejection_reason=""),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"]),
            # The staff queue (submitted and in review) in order of receipt, read in index order a page at a time:
            # without it PostgreSQL walked submitted_at over every decided application to find the open ones.
            models.Index(
                fields=["submitted_at", "id"],
                condition=Q(status__in=["SUBMITTED", "IN_REVIEW"]),
                name="application_queue_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_number or _('下書き')} {self.get_kind_display()} {self.establishment.name}"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE_STATUSES

    @property
    def is_decided(self) -> bool:
        return self.status in self.DECIDED_STATUSES


class ReviewMessage(models.Model):
    """What the secretariat told the applicant (return for correction, rejection) — kept for every round."""

    class Kind(models.TextChoices):
        RETURN = "RETURN", _("差戻し")
        REJECT = "REJECT", _("却下")
        APPROVE = "APPROVE", _("承認")

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="review_messages", verbose_name=_("申請")
    )
    kind = models.CharField(_("種類"), max_length=8, choices=Kind.choices)
    message = models.TextField(_("内容"))
    deadline = models.DateField(_("期限"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("担当"),
    )
    created_at = models.DateTimeField(_("日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("審査からの連絡")
        verbose_name_plural = _("審査からの連絡")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d}"


def document_upload_to(instance, filename: str) -> str:
    """A random name (never the uploader's): applications/<yyyy>/<uuid>.<ext of the detected type>."""
    from django.utils import timezone

    from jaim.uploads import EXTENSIONS

    return (
        f"applications/{timezone.now():%Y}/{uuid.uuid4().hex}.{EXTENSIONS.get(instance.content_type, 'bin')}"
    )


class Document(models.Model):
    """One uploaded file, checked by its content (PDF, JPEG, PNG) and stored under a random name."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="documents", verbose_name=_("申請")
    )
    document_type = models.ForeignKey(
        DocumentType, on_delete=models.PROTECT, related_name="documents", verbose_name=_("書類の種類")
    )
    file = models.FileField(_("ファイル"), upload_to=document_upload_to, max_length=200)
    original_name = models.CharField(_("元のファイル名"), max_length=200)
    content_type = models.CharField(_("形式"), max_length=40)
    size_bytes = models.PositiveBigIntegerField(_("サイズ（バイト）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    issuer = models.CharField(_("発行者"), max_length=200, blank=True)
    number = models.CharField(_("番号"), max_length=100, blank=True)
    valid_until = models.DateField(_("有効期限"), null=True, blank=True)
    association = models.ForeignKey(
        Association,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("発行団体"),
    )
    evidence_template = models.CharField(
        _("出荷実績の様式"), max_length=20, choices=EvidenceTemplate.choices, blank=True
    )
    note = models.CharField(_("備考"), max_length=300, blank=True)
    is_follow_up = models.BooleanField(
        _("稼働後の追加書類"),
        default=False,
        help_text=_("名称変更・移転の稼働後に提出された書類（R13、R14）。"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("提出者"),
    )
    uploaded_at = models.DateTimeField(_("提出日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("提出書類")
        verbose_name_plural = _("提出書類")
        ordering = ["document_type__order", "uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.document_type.name}: {self.original_name}"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def download_name(self) -> str:
        """Type, establishment and upload day, with the checked content's extension; never the uploader's name."""
        from django.utils import timezone

        from jaim.uploads import EXTENSIONS, download_name

        return download_name(
            self.document_type.name,
            self.application.establishment,
            f"{timezone.localtime(self.uploaded_at):%Y%m%d}" if self.uploaded_at else "",
            extension=EXTENSIONS.get(self.content_type, "bin"),
        )


class PledgeAcceptance(models.Model):
    """Who accepted which version of a pledge, and when (R6)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="pledges", verbose_name=_("申請")
    )
    pledge = models.ForeignKey(
        PledgeText, on_delete=models.PROTECT, related_name="+", verbose_name=_("誓約文")
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("同意者")
    )
    accepted_at = models.DateTimeField(_("同意日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("誓約への同意")
        verbose_name_plural = _("誓約への同意")
        constraints = [
            models.UniqueConstraint(fields=["application", "pledge"], name="pledge_accept_once"),
        ]

    def __str__(self) -> str:
        return f"{self.pledge} — {self.accepted_by}"
