"""People, organisations (法人), establishments (事業所), who may act for whom, associations, JSIC and memberships."""

import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from jaim.states import choice_flags
from jaim.validators import (
    PREFECTURE_NAMES,
    PREFECTURES,
    validate_corporate_number,
    validate_employment_insurance_number,
    validate_kana,
    validate_phone,
    validate_postal_code,
)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **extra):
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, is_active=True)
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an e-mail address: an establishment's staff, a support organisation's staff,
    or JAIM staff (is_staff)."""

    email = models.EmailField(_("メールアドレス"), unique=True)
    full_name = models.CharField(_("氏名"), max_length=100, blank=True)
    is_active = models.BooleanField(_("有効"), default=True)
    is_staff = models.BooleanField(_("事務局スタッフ"), default=False)
    email_verified_at = models.DateTimeField(_("メール確認日時"), null=True, blank=True)
    date_joined = models.DateTimeField(_("登録日時"), default=timezone.now)
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("ユーザー")
        verbose_name_plural = _("ユーザー")

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name or self.email


class AddressFields(models.Model):
    postal_code = models.CharField(_("郵便番号"), max_length=7, validators=[validate_postal_code])
    prefecture = models.CharField(_("都道府県"), max_length=2, choices=PREFECTURES)
    city = models.CharField(_("市区町村"), max_length=100)
    address_line = models.CharField(_("町域・番地・建物名"), max_length=200)
    phone = models.CharField(_("電話番号"), max_length=11, validators=[validate_phone])

    class Meta:
        abstract = True

    @property
    def full_address(self) -> str:
        # The name from the plain table (get_prefecture_display builds a dict of the 47 choices on every call: an
        # invoice recipient's address costs the renewal job that for each of 100,000 invoices).
        return f"{PREFECTURE_NAMES.get(self.prefecture, self.prefecture)}{self.city}{self.address_line}"

    @property
    def postal_code_display(self) -> str:
        return f"{self.postal_code[:3]}-{self.postal_code[3:]}" if self.postal_code else ""


class OrganisationKind(models.TextChoices):
    CORPORATION = "CORPORATION", _("法人")
    SOLE_PROPRIETOR = "SOLE_PROPRIETOR", _("個人事業主")


class LegalForm(models.Model):
    """A kind of organisation (株式会社, 合同会社, 一般社団法人, 個人事業主 …) — data the administrator extends."""

    code = models.SlugField(_("コード"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=60, unique=True)
    kind = models.CharField(
        _("法人・個人の別"),
        max_length=20,
        choices=OrganisationKind.choices,
        default=OrganisationKind.CORPORATION,
    )
    order = models.PositiveSmallIntegerField(_("表示順"), default=100)
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        verbose_name = _("法人の種類")
        verbose_name_plural = _("法人の種類")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class RepresentativeTitle(models.Model):
    """A legal representative's title for one kind of organisation (株式会社: 代表取締役 / 代表執行役 …). The
    representative named on forms 1–4 must hold one of these (R8, FAQ 2-4-7): the list is data, never free text."""

    legal_form = models.ForeignKey(
        LegalForm,
        on_delete=models.PROTECT,
        related_name="representative_titles",
        verbose_name=_("法人の種類"),
    )
    title = models.CharField(_("代表者の役職"), max_length=60)
    order = models.PositiveSmallIntegerField(_("表示順"), default=100)
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        verbose_name = _("代表者の役職")
        verbose_name_plural = _("代表者の役職")
        ordering = ["legal_form__order", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["legal_form", "title"], name="reptitle_unique_per_form")
        ]

    def __str__(self) -> str:
        return self.title


class Organisation(AddressFields):
    """A legal entity (法人) or a sole proprietor (個人事業主). A support organisation (登録支援機関) is an
    organisation with is_support_organisation set: an information member that may act for client sites."""

    Kind = OrganisationKind

    kind = models.CharField(_("種別"), max_length=20, choices=Kind.choices, default=Kind.CORPORATION)
    corporate_number = models.CharField(
        _("法人番号"),
        max_length=13,
        null=True,
        blank=True,
        unique=True,
        validators=[validate_corporate_number],
        help_text=_("13桁。個人事業主の場合は空欄。"),
    )
    name = models.CharField(_("法人名・屋号"), max_length=200)
    name_kana = models.CharField(_("法人名フリガナ"), max_length=200, validators=[validate_kana])
    legal_form = models.ForeignKey(
        LegalForm,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("法人の種類"),
    )
    representative_title = models.ForeignKey(
        RepresentativeTitle,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("代表者役職"),
        help_text=_("法人の種類ごとの法律上の代表者の役職から選びます（FAQ 2-4-7）。"),
    )
    representative_title_text = models.CharField(
        _("移行前の代表者役職（入力どおり）"),
        max_length=60,
        blank=True,
        help_text=_("役職を一覧から選ぶ方式にする前に入力されていた文字列。事務局の確認用に残しています。"),
    )
    representative_name = models.CharField(_("代表者氏名"), max_length=100)
    representative_since = models.DateField(
        _("代表者の就任日"), null=True, blank=True, help_text=_("登記事項証明書に記載の就任日。")
    )
    capital_yen = models.PositiveBigIntegerField(_("資本金（円）"), null=True, blank=True)
    regular_employees = models.PositiveIntegerField(_("常時雇用する従業員数（人）"), null=True, blank=True)
    sme_verified_on = models.DateField(
        _("中小企業の確認日"),
        null=True,
        blank=True,
        help_text=_(
            "中小企業の証明書類（労働保険申告書・徴収高計算書・決算書）を事務局が確認した日。"
            "確認済みの場合のみ中小企業割引が適用されます。"
        ),
    )
    is_support_organisation = models.BooleanField(_("登録支援機関"), default=False)
    support_registration_number = models.CharField(
        _("登録支援機関登録番号"), max_length=20, blank=True, help_text=_("例：19登-000001")
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("法人")
        verbose_name_plural = _("法人")
        ordering = ["name_kana", "id"]
        constraints = [
            models.CheckConstraint(
                name="org_corporation_has_number",
                condition=Q(kind="SOLE_PROPRIETOR", corporate_number__isnull=True)
                | Q(kind="CORPORATION", corporate_number__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def representative_display(self) -> str:
        """「代表取締役 山田 太郎」: the title from the list (or nothing while it awaits staff review) and the name."""
        title = self.representative_title.title if self.representative_title_id else ""
        return f"{title} {self.representative_name}".strip()

    @property
    def representative_needs_review(self) -> bool:
        """No title from the list (old free text that could not be mapped): staff check it against the registry."""
        return self.representative_title_id is None

    def clean(self):
        """R8: the representative's title belongs to the organisation's kind; the kind matches 法人/個人事業主."""
        from django.core.exceptions import ValidationError

        errors = {}
        form = self.legal_form
        if form is not None and form.kind != self.kind:
            errors["legal_form"] = _("法人の種類と「法人・個人事業主」の別が一致していません。")
        if self.representative_title_id is not None:
            if form is None:
                errors["legal_form"] = _("法人の種類を選んでください。")
            elif self.representative_title.legal_form_id != form.pk:
                errors["representative_title"] = _(
                    "「%(title)s」は%(form)sの代表者の役職ではありません。%(form)sの代表者の役職から選んでください。"
                ) % {"title": self.representative_title.title, "form": form.name}
        if errors:
            raise ValidationError(errors)


class Establishment(AddressFields):
    """One site (事業所) that manufactures and ships. Membership, fee and roster line are per establishment."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="establishments", verbose_name=_("法人")
    )
    name = models.CharField(_("事業所名"), max_length=200)
    name_kana = models.CharField(_("事業所名フリガナ"), max_length=200, validators=[validate_kana])
    employment_insurance_number = models.CharField(
        _("雇用保険適用事業所番号"),
        max_length=11,
        blank=True,
        validators=[validate_employment_insurance_number],
    )
    operating_since = models.DateField(_("操業開始日"), null=True, blank=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("事業所")
        verbose_name_plural = _("事業所")
        ordering = ["organisation_id", "name_kana", "id"]
        # The application queue's prefecture choices probe each prefecture for one application.
        indexes = [models.Index(fields=["prefecture"], name="establishment_prefecture")]

    def __str__(self) -> str:
        return f"{self.organisation.name} {self.name}"


class Access(models.Model):
    """A user may act for a whole organisation (head office) or for a single establishment (site staff)."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="accesses", verbose_name=_("ユーザー")
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="accesses",
        verbose_name=_("法人"),
    )
    establishment = models.ForeignKey(
        Establishment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="accesses",
        verbose_name=_("事業所"),
    )
    can_manage = models.BooleanField(
        _("権限管理"), default=False, help_text=_("他の担当者に権限を付与・削除できます。")
    )
    granted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("付与者")
    )
    created_at = models.DateTimeField(_("付与日時"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("操作権限")
        verbose_name_plural = _("操作権限")
        constraints = [
            models.CheckConstraint(
                name="access_exactly_one_scope",
                condition=Q(organisation__isnull=False, establishment__isnull=True)
                | Q(organisation__isnull=True, establishment__isnull=False),
            ),
            models.UniqueConstraint(fields=["user", "organisation"], name="access_unique_user_org"),
            models.UniqueConstraint(fields=["user", "establishment"], name="access_unique_user_est"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.organisation or self.establishment}"


class SupportGrant(models.Model):
    """A client establishment lets a support organisation's users act (and pay) for it (FAQ 2-2-5, 2-5-12)."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="support_grants", verbose_name=_("事業所")
    )
    support_organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="client_grants", verbose_name=_("登録支援機関")
    )
    granted_by = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("付与者")
    )
    granted_at = models.DateTimeField(_("付与日時"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("取消日時"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("登録支援機関への委任")
        verbose_name_plural = _("登録支援機関への委任")
        constraints = [
            models.UniqueConstraint(
                fields=["establishment", "support_organisation"],
                condition=Q(revoked_at__isnull=True),
                name="supportgrant_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.establishment} → {self.support_organisation}"


class Association(models.Model):
    """A regular-member association (正会員団体) or another association named by the add-on rules."""

    name = models.CharField(_("団体名"), max_length=200, unique=True)
    name_kana = models.CharField(_("団体名フリガナ"), max_length=200, blank=True)
    is_regular_member = models.BooleanField(
        _("JAIM正会員団体"), default=True, help_text=_("所属する法人の事業所は団体割引の対象です。")
    )
    proof_required = models.BooleanField(
        _("所属証明が必要"),
        default=True,
        help_text=_("会員名簿をJAIMに提出済みの団体は証明書類が不要です（FAQ 2-4-6）。"),
    )
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        verbose_name = _("団体")
        verbose_name_plural = _("団体")
        ordering = ["name_kana", "name"]

    def __str__(self) -> str:
        return self.name


class AssociationMembership(models.Model):
    """An organisation's membership of an association. complete_on is empty while the application is pending."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="association_memberships", verbose_name=_("法人")
    )
    association = models.ForeignKey(
        Association, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("団体")
    )
    applied_on = models.DateField(_("加入申込日"), null=True, blank=True)
    complete_on = models.DateField(_("加入完了日"), null=True, blank=True)
    ended_on = models.DateField(_("退会日"), null=True, blank=True)

    class Meta:
        verbose_name = _("団体所属")
        verbose_name_plural = _("団体所属")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "association"], name="assocmember_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ∈ {self.association}"


class JsicCode(models.Model):
    """Japan Standard Industrial Classification rev. 14: major (A), middle (2 digits), minor (3), detail (4)."""

    class Level(models.TextChoices):
        MAJOR = "major", _("大分類")
        MIDDLE = "middle", _("中分類")
        MINOR = "minor", _("小分類")
        DETAIL = "detail", _("細分類")

    code = models.CharField(_("コード"), max_length=4, primary_key=True)
    level = models.CharField(_("階層"), max_length=8, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上位分類"),
    )
    name_ja = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英語名称"), max_length=300)

    class Meta:
        verbose_name = _("日本標準産業分類")
        verbose_name_plural = _("日本標準産業分類")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name_ja}"


class AddOn(models.TextChoices):
    TEXTILE = "textile", _("繊維工業（上乗せ要件）")
    PRINTING = "printing", _("印刷・同関連業（上乗せ要件）")
    PACKING = "packing", _("こん包業（上乗せ要件）")


class EvidenceTemplate(models.TextChoices):
    T11 = "11", _("繊維工業用")
    T11_SUBSTITUTE = "11-substitute", _("繊維工業用（代替書類）")
    T15 = "15", _("印刷・同関連業用")
    T18 = "18", _("プラスチック製品製造業用")
    T484 = "484", _("こん包業用")
    T2462 = "2462-2464-2469", _("金属表面処理等用（2462・2464・2469）")
    OTHER = "other", _("その他の分類用")


class FieldEligibility(models.Model):
    """An entry of the field list: the nearest entry among a code and its ancestors decides eligibility."""

    jsic = models.OneToOneField(
        JsicCode, on_delete=models.CASCADE, related_name="eligibility", verbose_name=_("産業分類")
    )
    eligible = models.BooleanField(_("対象"), default=True)
    addon = models.CharField(_("上乗せ要件"), max_length=16, choices=AddOn.choices, blank=True)
    evidence_template = models.CharField(
        _("出荷実績の様式"), max_length=20, choices=EvidenceTemplate.choices, blank=True
    )
    source = models.CharField(_("出典"), max_length=200, blank=True)
    note = models.CharField(_("備考"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("分野対象の産業分類")
        verbose_name_plural = _("分野対象の産業分類")
        ordering = ["jsic_id"]
        constraints = [
            models.CheckConstraint(
                name="eligibility_eligible_has_template",
                condition=Q(eligible=False) | ~Q(evidence_template=""),
            )
        ]

    def __str__(self) -> str:
        return f"{self.jsic_id} {'○' if self.eligible else '×'}"


@choice_flags("status")
class Membership(models.Model):
    """A supporting membership (賛助会員) of one establishment. Re-joining after withdrawal is a new one (R12)."""

    class Status(models.TextChoices):
        AWAITING_PAYMENT = "AWAITING_PAYMENT", _("入金待ち")
        ACTIVE = "ACTIVE", _("有効")
        WITHDRAWAL_REQUESTED = "WITHDRAWAL_REQUESTED", _("退会申出中")
        WITHDRAWN = "WITHDRAWN", _("退会")
        LAPSED = "LAPSED", _("会費未納による失効")

    TRANSITIONS = {
        Status.AWAITING_PAYMENT: {Status.ACTIVE, Status.WITHDRAWN},
        Status.ACTIVE: {Status.WITHDRAWAL_REQUESTED, Status.WITHDRAWN, Status.LAPSED},
        Status.WITHDRAWAL_REQUESTED: {Status.WITHDRAWN, Status.ACTIVE, Status.LAPSED},
        Status.LAPSED: {Status.ACTIVE},
        Status.WITHDRAWN: set(),
    }
    OPEN_STATUSES = (Status.AWAITING_PAYMENT, Status.ACTIVE, Status.WITHDRAWAL_REQUESTED)

    establishment = models.ForeignKey(
        Establishment, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("事業所")
    )
    member_number = models.CharField(_("会員番号"), max_length=16, unique=True)
    status = models.CharField(
        _("状態"), max_length=24, choices=Status.choices, default=Status.AWAITING_PAYMENT
    )
    jsic_codes = models.ManyToManyField(JsicCode, related_name="memberships", verbose_name=_("産業分類"))
    fee_notice_date = models.DateField(_("会費通知日（入会月）"))
    activated_on = models.DateField(_("会員開始日（初回入金）"), null=True, blank=True)
    withdrawal_requested_at = models.DateTimeField(_("退会申出日時"), null=True, blank=True)
    withdrawal_effective_on = models.DateField(_("退会予定日"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("退会理由"), blank=True)
    withdrawn_on = models.DateField(_("退会日"), null=True, blank=True)
    lapsed_on = models.DateField(_("失効日"), null=True, blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("会員資格")
        verbose_name_plural = _("会員資格")
        ordering = ["member_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["establishment"],
                condition=Q(status__in=["AWAITING_PAYMENT", "ACTIVE", "WITHDRAWAL_REQUESTED"]),
                name="membership_one_open_per_establishment",
            )
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.member_number


class MembershipTerm(models.Model):
    """A membership's fiscal year: the renewal answer (continue / withdraw at year end, F8)."""

    class Answer(models.TextChoices):
        PENDING = "PENDING", _("未回答")
        CONTINUE = "CONTINUE", _("継続する")
        WITHDRAW = "WITHDRAW", _("年度末で退会する")

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="terms", verbose_name=_("会員資格")
    )
    fiscal_year = models.PositiveSmallIntegerField(_("年度"))
    renewal_answer = models.CharField(
        _("継続意思"), max_length=10, choices=Answer.choices, default=Answer.PENDING
    )
    answered_at = models.DateTimeField(_("回答日時"), null=True, blank=True)
    answered_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("回答者")
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("年度別会員情報")
        verbose_name_plural = _("年度別会員情報")
        constraints = [
            models.UniqueConstraint(fields=["membership", "fiscal_year"], name="term_unique_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.membership} {self.fiscal_year}年度"


@choice_flags("kind")
class IdentityChange(models.Model):
    """A merger/split (R13) or relocation (R14): old and new names side by side from accepted_on until the new
    company or site operates (effective_on); then follow-up documents are due."""

    class Kind(models.TextChoices):
        NAME_CHANGE = "NAME_CHANGE", _("合併・会社分割による名称変更")
        RELOCATION = "RELOCATION", _("移転")

    establishment = models.ForeignKey(
        Establishment, on_delete=models.PROTECT, related_name="identity_changes", verbose_name=_("事業所")
    )
    kind = models.CharField(_("種別"), max_length=16, choices=Kind.choices)
    old_organisation_name = models.CharField(_("旧法人名"), max_length=200)
    old_establishment_name = models.CharField(_("旧事業所名"), max_length=200)
    old_address = models.CharField(_("旧所在地"), max_length=300)
    new_organisation_name = models.CharField(_("新法人名"), max_length=200)
    new_establishment_name = models.CharField(_("新事業所名"), max_length=200)
    new_postal_code = models.CharField(_("新郵便番号"), max_length=7, blank=True)
    new_prefecture = models.CharField(_("新都道府県"), max_length=2, choices=PREFECTURES, blank=True)
    new_city = models.CharField(_("新市区町村"), max_length=100, blank=True)
    new_address_line = models.CharField(_("新町域・番地"), max_length=200, blank=True)
    accepted_on = models.DateField(_("受理日"))
    effective_on = models.DateField(_("新会社・新事業所の稼働日"), null=True, blank=True)
    completed_at = models.DateTimeField(_("稼働を確認した日時"), null=True, blank=True)
    completed_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("稼働の確認者"),
    )
    reported_effective_on = models.DateField(_("会員が報告した稼働日"), null=True, blank=True)
    reported_at = models.DateTimeField(_("稼働の報告日時"), null=True, blank=True)
    reported_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("稼働の報告者"),
    )
    follow_up_due_on = models.DateField(_("追加書類の提出期限"), null=True, blank=True)
    follow_up_submitted_at = models.DateTimeField(_("追加書類がそろった日時"), null=True, blank=True)
    follow_up_overdue_on = models.DateField(_("提出期限超過として記録した日"), null=True, blank=True)
    follow_up_done_on = models.DateField(_("追加書類の確認日"), null=True, blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("名称変更・移転")
        verbose_name_plural = _("名称変更・移転")
        ordering = ["-accepted_on", "-id"]
        permissions = [("complete_identitychange", _("新会社・新事業所の稼働を確認できる"))]
        constraints = [
            models.CheckConstraint(
                name="identitychange_effective_after_accepted",
                condition=Q(effective_on__isnull=True) | Q(effective_on__gte=models.F("accepted_on")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.old_establishment_name} → {self.new_establishment_name}"

    @property
    def is_pending(self) -> bool:
        return self.effective_on is None

    @property
    def awaits_confirmation(self) -> bool:
        """The member reported the new company / site operating; staff have not confirmed it yet."""
        return self.effective_on is None and self.reported_effective_on is not None

    @property
    def follow_up_open(self) -> bool:
        """Follow-up documents are asked for and the secretariat has not accepted them yet (R13, R14)."""
        return self.effective_on is not None and self.follow_up_done_on is None

    @property
    def confirm_label(self) -> str:
        """The staff action's words: 「新会社の事業開始を確認」 (R13) or 「新事業所の稼働を確認」 (R14)."""
        if self.kind == self.Kind.RELOCATION:
            return str(_("新事業所の稼働を確認"))
        return str(_("新会社の事業開始を確認"))
