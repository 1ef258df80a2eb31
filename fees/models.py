"""Fees (domain.md §5): schedules per fiscal year, invoices and credit notes (immutable once issued), payments,
bank-statement lines, direct-debit mandates and runs, receipts, billing contacts.

Money is integer yen in `*_yen` fields. Rounding rule (F6), in one place (`services.first_year_amount`):
the first-year fee = the annual fee after discounts × the month's rate, rounded DOWN to whole yen (never
charging a member a fraction of a yen more than the table says).
"""

from fractions import Fraction

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jaim.states import choice_flags
from jaim.validators import PREFECTURE_NAMES, PREFECTURES, validate_phone, validate_postal_code
from members.models import Establishment, Membership, Organisation

MONTHS = [(m, f"{m}月") for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]


class FeeSchedule(models.Model):
    """The annual fee of one fiscal year (April–March) and its discounts (F2), edited by finance staff."""

    fiscal_year = models.PositiveSmallIntegerField(
        _("年度"), unique=True, help_text=_("例：2026（2026年4月〜2027年3月）")
    )
    label = models.CharField(_("名称"), max_length=100, help_text=_("例：2026年度 賛助会員会費規程"))
    is_sample = models.BooleanField(
        _("サンプル"),
        default=False,
        help_text=_("公式の金額ではない見本データです。画面と帳票に「サンプル」と表示されます。"),
    )
    base_fee_yen = models.PositiveIntegerField(_("年会費（基本額・円）"))
    sme_discount_yen = models.PositiveIntegerField(_("中小企業割引（円）"), default=0)
    group_discount_yen = models.PositiveIntegerField(_("正会員団体割引（円）"), default=0)
    renewal_debit_date = models.DateField(
        _("翌年度会費の口座振替日"),
        null=True,
        blank=True,
        help_text=_("この年度の会費を前年度に口座振替で徴収する日（例：2月27日）。"),
    )
    note = models.TextField(_("備考"), blank=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("会費表")
        verbose_name_plural = _("会費表")
        ordering = ["-fiscal_year"]
        constraints = [
            models.CheckConstraint(
                name="feeschedule_discounts_within_base",
                condition=Q(sme_discount_yen__lte=models.F("base_fee_yen") - models.F("group_discount_yen")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.fiscal_year}年度 {self.label}"

    def clean(self):
        if (
            self.base_fee_yen is not None
            and (self.sme_discount_yen or 0) + (self.group_discount_yen or 0) > self.base_fee_yen
        ):
            raise ValidationError(_("割引の合計が年会費を超えています。"))


class FirstYearRate(models.Model):
    """F6: the share of the annual fee charged in the first year, by admission month (month of the fee notice),
    as an exact fraction numerator/denominator (10/12 = ten months of twelve; 1/2 = half). Data per fiscal
    year. The amount is rounded down to whole yen (services.first_year_amount)."""

    schedule = models.ForeignKey(
        FeeSchedule, on_delete=models.CASCADE, related_name="first_year_rates", verbose_name=_("会費表")
    )
    month = models.PositiveSmallIntegerField(
        _("入会月"), choices=MONTHS, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    numerator = models.PositiveSmallIntegerField(
        _("割合（分子）"), help_text=_("例：6月入会で10か月分なら 10")
    )
    denominator = models.PositiveSmallIntegerField(
        _("割合（分母）"), default=12, validators=[MinValueValidator(1)], help_text=_("通常は 12（月数）")
    )

    class Meta:
        verbose_name = _("初年度会費の割合")
        verbose_name_plural = _("初年度会費の割合（入会月別）")
        ordering = ["schedule", "month"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "month"], name="firstyearrate_unique_month"),
            models.CheckConstraint(
                name="firstyearrate_fraction_0_1",
                condition=Q(denominator__gt=0, numerator__lte=models.F("denominator")),
            ),
            models.CheckConstraint(name="firstyearrate_month_1_12", condition=Q(month__gte=1, month__lte=12)),
        ]

    def __str__(self) -> str:
        return f"{self.month}月 {self.numerator}/{self.denominator}"

    @property
    def fraction(self) -> Fraction:
        return Fraction(self.numerator, self.denominator)

    def clean(self):
        if self.numerator is not None and self.denominator and self.numerator > self.denominator:
            raise ValidationError(_("割合は 1 以下にしてください（分子 ≦ 分母）。"))


class BillingContact(models.Model):
    """請求書送付先 (F10): where invoices and invoice e-mails go, for a whole organisation or one establishment.
    If it differs from the applicant's addresses, it receives billing mail only."""

    organisation = models.OneToOneField(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="billing_contact",
        verbose_name=_("法人"),
    )
    establishment = models.OneToOneField(
        Establishment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="billing_contact",
        verbose_name=_("事業所"),
    )
    addressee = models.CharField(_("宛名（会社名）"), max_length=200)
    department = models.CharField(_("部署名"), max_length=100, blank=True)
    person_name = models.CharField(_("担当者名"), max_length=100, blank=True)
    email = models.EmailField(_("請求書送付先メールアドレス"))
    postal_code = models.CharField(_("郵便番号"), max_length=7, validators=[validate_postal_code])
    prefecture = models.CharField(_("都道府県"), max_length=2, choices=PREFECTURES)
    city = models.CharField(_("市区町村"), max_length=100)
    address_line = models.CharField(_("町域・番地・建物名"), max_length=200)
    phone = models.CharField(_("電話番号"), max_length=11, validators=[validate_phone], blank=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("請求書送付先")
        verbose_name_plural = _("請求書送付先")
        constraints = [
            models.CheckConstraint(
                name="billingcontact_exactly_one_scope",
                condition=Q(organisation__isnull=False, establishment__isnull=True)
                | Q(organisation__isnull=True, establishment__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.addressee} <{self.email}>"

    @property
    def full_address(self) -> str:
        return f"{PREFECTURE_NAMES.get(self.prefecture, self.prefecture)}{self.city}{self.address_line}"


@choice_flags("status", "kind", "method")
class Invoice(models.Model):
    """An invoice (請求書). Immutable once issued: number, buyer, lines and total never change (a PostgreSQL
    trigger refuses it); corrections are credit notes (F13). Only status, PDF and notice fields move."""

    class Kind(models.TextChoices):
        FIRST_YEAR = "FIRST_YEAR", _("初年度会費")
        ANNUAL = "ANNUAL", _("年会費（継続）")

    class Method(models.TextChoices):
        TRANSFER = "TRANSFER", _("銀行振込")
        DEBIT = "DEBIT", _("口座振替")

    class Status(models.TextChoices):
        ISSUED = "ISSUED", _("未入金")
        PAID = "PAID", _("入金済み")
        DEBIT_FAILED = "DEBIT_FAILED", _("口座振替不能")
        CREDITED = "CREDITED", _("取消（赤伝）済み")

    TRANSITIONS = {
        Status.ISSUED: {Status.PAID, Status.DEBIT_FAILED, Status.CREDITED},
        Status.DEBIT_FAILED: {Status.PAID, Status.ISSUED, Status.CREDITED},
        Status.PAID: set(),
        Status.CREDITED: set(),
    }
    OPEN_STATUSES = (Status.ISSUED, Status.DEBIT_FAILED)
    # Fields fixed at issue; the PostgreSQL trigger in migration 0002 lists the same columns.
    IMMUTABLE_FIELDS = (
        "number",
        "membership",
        "fiscal_year",
        "kind",
        "method",
        "issue_date",
        "due_date",
        "notice_date",
        "total_yen",
        "buyer_name",
        "buyer_postal_code",
        "buyer_address",
        "buyer_department",
        "buyer_person",
        "member_number",
        "establishment_name",
        "payer",
        "tax_note",
        "is_sample",
    )

    number = models.CharField(_("請求書番号"), max_length=20, unique=True)
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("会員資格")
    )
    fiscal_year = models.PositiveSmallIntegerField(_("対象年度"))
    kind = models.CharField(_("種類"), max_length=12, choices=Kind.choices)
    method = models.CharField(_("支払方法"), max_length=10, choices=Method.choices)
    status = models.CharField(_("状態"), max_length=14, choices=Status.choices, default=Status.ISSUED)
    issue_date = models.DateField(_("発行日"))
    due_date = models.DateField(_("支払期限（振替日）"))
    notice_date = models.DateField(_("会費請求通知日"), null=True, blank=True)
    total_yen = models.PositiveIntegerField(_("請求金額（円）"))
    # Copied at issue (the buyer's later changes do not alter an issued invoice).
    buyer_name = models.CharField(_("宛名"), max_length=200)
    buyer_department = models.CharField(_("部署名"), max_length=100, blank=True)
    buyer_person = models.CharField(_("担当者名"), max_length=100, blank=True)
    buyer_postal_code = models.CharField(_("郵便番号"), max_length=7, blank=True)
    buyer_address = models.CharField(_("住所"), max_length=300, blank=True)
    member_number = models.CharField(_("会員番号"), max_length=16)
    establishment_name = models.CharField(_("事業所名"), max_length=300)
    payer = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="paid_invoices",
        verbose_name=_("支払者（登録支援機関）"),
        help_text=_("登録支援機関が会員に代わって支払う場合（FAQ 2-5-12）。"),
    )
    tax_note = models.CharField(_("消費税区分"), max_length=60, default="不課税（消費税の課税対象外）")
    is_sample = models.BooleanField(_("サンプル会費表による"), default=False)
    paid_on = models.DateField(_("入金完了日"), null=True, blank=True)
    pdf = models.FileField(_("請求書PDF"), upload_to="fees/invoices/", blank=True)
    notice_pdf = models.FileField(_("会費通知書PDF"), upload_to="fees/notices/", blank=True)
    # The invoice mail's link to the PDF (fees.services.links) names this version: raising it (the admin action
    # 「PDFリンクを無効にする」) refuses every link sent before.
    pdf_link_version = models.PositiveIntegerField(_("PDFリンクの版"), default=1)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("発行者"),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("請求書")
        verbose_name_plural = _("請求書")
        ordering = ["-issue_date", "-number"]
        constraints = [
            # One live invoice per membership and year: a job run twice creates nothing new. A credited
            # (cancelled) invoice frees the year for its corrected replacement.
            models.UniqueConstraint(
                fields=["membership", "fiscal_year"],
                condition=~Q(status="CREDITED"),
                name="invoice_one_live_per_membership_year",
            ),
            models.CheckConstraint(
                name="invoice_first_year_by_transfer",
                condition=~Q(kind="FIRST_YEAR") | Q(method="TRANSFER"),
            ),
            models.CheckConstraint(
                name="invoice_annual_by_debit", condition=~Q(kind="ANNUAL") | Q(method="DEBIT")
            ),
            models.CheckConstraint(
                name="invoice_paid_has_date", condition=~Q(status="PAID") | Q(paid_on__isnull=False)
            ),
        ]
        indexes = [
            models.Index(fields=["status", "method"]),
            models.Index(fields=["fiscal_year", "status"]),
            # The admin list in its default order, a page at a time (and the date hierarchy's first and last date):
            # without it every invoice was sorted to show 100 (570 ms at 267,000 invoices).
            models.Index(fields=["-issue_date", "-number"], name="invoice_issue_order"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs):
        # Guard in Python too (SQLite has no trigger): after issue only the listed mutable fields may be saved.
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            frozen = {*self.IMMUTABLE_FIELDS, "membership_id", "payer_id"}
            if fields is None or frozen & set(fields):
                raise ValidationError(_("発行済みの請求書は変更できません。赤伝（取消）で訂正してください。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("発行済みの請求書は削除できません。"))


class InvoiceLine(models.Model):
    """A line of an invoice: base fee, each discount (negative), the first-year adjustment (negative)."""

    class Kind(models.TextChoices):
        BASE = "BASE", _("年会費")
        SME_DISCOUNT = "SME_DISCOUNT", _("中小企業割引")
        GROUP_DISCOUNT = "GROUP_DISCOUNT", _("正会員団体割引")
        FIRST_YEAR = "FIRST_YEAR", _("初年度調整（入会月による）")

    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="lines", verbose_name=_("請求書")
    )
    position = models.PositiveSmallIntegerField(_("行"))
    kind = models.CharField(_("種類"), max_length=16, choices=Kind.choices)
    description = models.CharField(_("摘要"), max_length=200)
    amount_yen = models.IntegerField(_("金額（円）"))

    class Meta:
        verbose_name = _("請求明細")
        verbose_name_plural = _("請求明細")
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoiceline_unique_position")
        ]

    def __str__(self) -> str:
        return f"{self.description} {self.amount_yen}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("発行済みの請求明細は変更できません。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("発行済みの請求明細は削除できません。"))


class CreditNote(models.Model):
    """A credit note (赤伝) refers to one invoice and reduces what is due on it (F13). Never a refund."""

    number = models.CharField(_("番号"), max_length=20, unique=True)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="credit_notes", verbose_name=_("請求書")
    )
    issue_date = models.DateField(_("発行日"))
    amount_yen = models.PositiveIntegerField(_("金額（円）"), validators=[MinValueValidator(1)])
    reason = models.CharField(_("理由"), max_length=300)
    pdf = models.FileField(_("PDF"), upload_to="fees/credit_notes/", blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("発行者"),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("赤伝（請求取消）")
        verbose_name_plural = _("赤伝（請求取消）")
        ordering = ["-issue_date", "-number"]
        constraints = [models.CheckConstraint(name="creditnote_positive", condition=Q(amount_yen__gt=0))]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs):
        if not self._state.adding and set(kwargs.get("update_fields") or ["*"]) - {"pdf"}:
            raise ValidationError(_("発行済みの赤伝は変更できません。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("発行済みの赤伝は削除できません。"))


class Payment(models.Model):
    """Money received: a bank transfer (recorded by hand or from a statement line) or a collected debit."""

    class Method(models.TextChoices):
        TRANSFER = "TRANSFER", _("銀行振込")
        DEBIT = "DEBIT", _("口座振替")

    method = models.CharField(_("方法"), max_length=10, choices=Method.choices)
    received_on = models.DateField(_("入金日"))
    amount_yen = models.PositiveIntegerField(_("金額（円）"), validators=[MinValueValidator(1)])
    payer_name = models.CharField(_("振込名義"), max_length=200, blank=True)
    reference = models.CharField(_("参照"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("記録者"),
    )
    created_at = models.DateTimeField(_("記録日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("入金")
        verbose_name_plural = _("入金")
        ordering = ["-received_on", "-id"]
        constraints = [models.CheckConstraint(name="payment_positive", condition=Q(amount_yen__gt=0))]

    def __str__(self) -> str:
        return f"{self.received_on} ¥{self.amount_yen:,} {self.payer_name}"


class PaymentAllocation(models.Model):
    """How much of a payment settles which invoice (one transfer may settle several invoices of a company)."""

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("入金")
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("請求書")
    )
    amount_yen = models.PositiveIntegerField(_("充当額（円）"))

    class Meta:
        verbose_name = _("入金の充当")
        verbose_name_plural = _("入金の充当")
        constraints = [
            models.UniqueConstraint(fields=["payment", "invoice"], name="allocation_unique"),
            models.CheckConstraint(name="allocation_positive", condition=Q(amount_yen__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} ← ¥{self.amount_yen:,}"


class BankStatementImport(models.Model):
    """One uploaded bank statement (CSV). All its lines are stored, or none (a malformed file is rejected)."""

    bank_format = models.CharField(_("形式"), max_length=20)
    file_name = models.CharField(_("ファイル名"), max_length=200)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("取込者"),
    )
    uploaded_at = models.DateTimeField(_("取込日時"), auto_now_add=True)
    counts = models.JSONField(_("件数"), default=dict, blank=True)

    class Meta:
        verbose_name = _("入出金明細の取込")
        verbose_name_plural = _("入出金明細の取込")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.uploaded_at:%Y-%m-%d %H:%M})"


class BankStatementLine(models.Model):
    """A line of a bank statement in the canonical columns (zengin.md §4). Unmatched lines wait for review."""

    class Status(models.TextChoices):
        UNMATCHED = "UNMATCHED", _("未照合（要確認）")
        MATCHED = "MATCHED", _("自動照合済み")
        MANUAL = "MANUAL", _("手動で消込済み")
        IGNORED = "IGNORED", _("対象外")

    TRANSITIONS = {
        Status.UNMATCHED: {Status.MANUAL, Status.IGNORED},
        Status.IGNORED: {Status.UNMATCHED},
        Status.MATCHED: set(),
        Status.MANUAL: set(),
    }

    statement = models.ForeignKey(BankStatementImport, on_delete=models.PROTECT, related_name="lines")
    line_number = models.PositiveIntegerField(_("行番号"))
    booked_on = models.DateField(_("取引日"))
    direction = models.CharField(_("入出金"), max_length=3, choices=[("in", _("入金")), ("out", _("出金"))])
    amount_yen = models.PositiveBigIntegerField(_("金額（円）"))
    payer_name_raw = models.CharField(_("振込依頼人"), max_length=200, blank=True)
    description_raw = models.CharField(_("摘要"), max_length=300, blank=True)
    balance_yen = models.BigIntegerField(_("残高（円）"), null=True, blank=True)
    bank_reference = models.CharField(_("銀行側の参照番号"), max_length=100, blank=True)
    payer_key = models.CharField(_("照合キー（正規化名義）"), max_length=200, blank=True, db_index=True)
    dedupe_key = models.CharField(max_length=64, unique=True)
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.UNMATCHED)
    note = models.CharField(_("確認メモ"), max_length=300, blank=True)
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="statement_line"
    )

    class Meta:
        verbose_name = _("入出金明細")
        verbose_name_plural = _("入出金明細（照合）")
        ordering = ["-booked_on", "statement_id", "line_number"]
        indexes = [models.Index(fields=["status", "direction"])]

    def __str__(self) -> str:
        return f"{self.booked_on} ¥{self.amount_yen:,} {self.payer_name_raw or self.description_raw}"


_digits = RegexValidator(r"^\d+$", _("半角数字で入力してください。"))


def validate_zengin_kana(value: str):
    from fees.kana import is_zengin_name

    if not is_zengin_name(value):
        raise ValidationError(
            _(
                "半角カナ（ｱ〜ﾝ、ﾞﾟ）、英大文字、数字、スペース、( ) - . で入力してください（小さいｯｬｭｮ・ｦ・ｰは使えません）。"
            )
        )


class DebitMandate(models.Model):
    """口座振替依頼 (F7): the account an establishment's fees are debited from, from the second year.
    The account may belong to a support organisation paying for the member (F12)."""

    class AccountType(models.TextChoices):
        ORDINARY = "1", _("普通")
        CURRENT = "2", _("当座")
        TAX = "3", _("納税準備")
        OTHER = "9", _("その他")

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", _("有効")
        REPLACED = "REPLACED", _("変更済み")
        REVOKED = "REVOKED", _("停止")

    TRANSITIONS = {
        Status.ACTIVE: {Status.REPLACED, Status.REVOKED},
        Status.REPLACED: set(),
        Status.REVOKED: set(),
    }

    establishment = models.ForeignKey(
        Establishment, on_delete=models.PROTECT, related_name="debit_mandates", verbose_name=_("事業所")
    )
    bank_code = models.CharField(
        _("金融機関コード"),
        max_length=4,
        validators=[_digits, RegexValidator(r"^\d{4}$", _("4桁の数字です。"))],
    )
    bank_name_kana = models.CharField(_("金融機関名（半角カナ）"), max_length=15, blank=True)
    branch_code = models.CharField(
        _("支店コード"), max_length=3, validators=[_digits, RegexValidator(r"^\d{3}$", _("3桁の数字です。"))]
    )
    branch_name_kana = models.CharField(_("支店名（半角カナ）"), max_length=15, blank=True)
    account_type = models.CharField(_("預金種目"), max_length=1, choices=AccountType.choices)
    account_number = models.CharField(
        _("口座番号"), max_length=7, validators=[_digits, RegexValidator(r"^\d{7}$", _("7桁の数字です。"))]
    )
    holder_kana = models.CharField(
        _("口座名義（半角カナ）"), max_length=30, validators=[validate_zengin_kana]
    )
    payer = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("口座の名義人（登録支援機関）"),
    )
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    first_debit_done = models.BooleanField(_("初回振替済み"), default=False)
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("変更前")
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("登録者"),
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("口座振替依頼")
        verbose_name_plural = _("口座振替依頼")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["establishment"],
                condition=Q(status="ACTIVE"),
                name="mandate_one_active_per_establishment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.bank_code}-{self.branch_code} {self.get_account_type_display()} {self.masked_account}"

    @property
    def masked_account(self) -> str:
        return "***" + self.account_number[-4:]


class DebitOriginator(models.Model):
    """JAIM's own collection account and originator code (委託者), as registered with the bank or agency."""

    originator_code = models.CharField(_("委託者コード"), max_length=10, validators=[_digits])
    name_kana = models.CharField(_("委託者名（半角カナ）"), max_length=40, validators=[validate_zengin_kana])
    bank_code = models.CharField(_("取引銀行番号"), max_length=4, validators=[RegexValidator(r"^\d{4}$")])
    bank_name_kana = models.CharField(_("取引銀行名（半角カナ）"), max_length=15)
    branch_code = models.CharField(_("取引支店番号"), max_length=3, validators=[RegexValidator(r"^\d{3}$")])
    branch_name_kana = models.CharField(_("取引支店名（半角カナ）"), max_length=15)
    account_type = models.CharField(_("預金種目"), max_length=1, choices=DebitMandate.AccountType.choices)
    account_number = models.CharField(_("口座番号"), max_length=7, validators=[RegexValidator(r"^\d{7}$")])
    crlf = models.BooleanField(_("レコードごとに改行（CR+LF）"), default=True)
    transfer_bank_text = models.TextField(
        _("振込先（初年度会費の振込口座）"),
        blank=True,
        help_text=_("請求書と会費通知書に印字します。例：○○銀行 本店 普通 1234567 ｲﾂﾊﾟﾝｼﾔﾀﾞﾝﾎｳｼﾞﾝ…"),
    )

    class Meta:
        verbose_name = _("口座振替の委託者情報・振込口座")
        verbose_name_plural = _("口座振替の委託者情報・振込口座")

    def __str__(self) -> str:
        return f"{self.originator_code} {self.name_kana}"


class DebitRun(models.Model):
    """One 口座振替 request file for a collection date, and later its result."""

    class Status(models.TextChoices):
        EXPORTED = "EXPORTED", _("依頼データ作成済み")
        RESULT_IMPORTED = "RESULT_IMPORTED", _("結果取込済み")

    TRANSITIONS = {Status.EXPORTED: {Status.RESULT_IMPORTED}, Status.RESULT_IMPORTED: set()}

    collection_date = models.DateField(_("振替日"))
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.EXPORTED)
    request_file = models.FileField(_("依頼データ"), upload_to="fees/debit/", blank=True)
    result_file = models.FileField(_("結果データ"), upload_to="fees/debit/", blank=True)
    total_count = models.PositiveIntegerField(_("件数"), default=0)
    total_yen = models.PositiveBigIntegerField(_("合計金額（円）"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("作成者"),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    result_imported_at = models.DateTimeField(_("結果取込日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("口座振替データ")
        verbose_name_plural = _("口座振替データ")
        ordering = ["-collection_date", "-id"]

    def __str__(self) -> str:
        return f"{self.collection_date} ({self.total_count}件)"


class DebitItem(models.Model):
    """One invoice in a debit run, with the mandate data as sent and the bank's result (zengin.md §2)."""

    class Result(models.TextChoices):
        PENDING = "", _("結果待ち")
        COLLECTED = "0", _("振替済")
        NO_FUNDS = "1", _("資金不足")
        NO_ACCOUNT = "2", _("預金取引なし")
        STOPPED_BY_PAYER = "3", _("預金者の都合による振替停止")
        NO_MANDATE = "4", _("預金口座振替依頼書なし")
        STOPPED_BY_US = "8", _("委託者の都合による振替停止")
        OTHER = "9", _("その他")

    run = models.ForeignKey(
        DebitRun, on_delete=models.PROTECT, related_name="items", verbose_name=_("口座振替データ")
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="debit_items", verbose_name=_("請求書")
    )
    mandate = models.ForeignKey(
        DebitMandate, on_delete=models.PROTECT, related_name="items", verbose_name=_("口座振替依頼")
    )
    customer_number = models.CharField(_("顧客番号"), max_length=20)
    amount_yen = models.PositiveIntegerField(_("金額（円）"))
    new_code = models.CharField(_("新規コード"), max_length=1)
    result_code = models.CharField(
        _("振替結果"), max_length=1, choices=Result.choices, blank=True, default=""
    )

    class Meta:
        verbose_name = _("口座振替明細")
        verbose_name_plural = _("口座振替明細")
        ordering = ["run", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "invoice"], name="debititem_unique_invoice"),
            models.UniqueConstraint(fields=["run", "customer_number"], name="debititem_unique_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} {self.get_result_code_display()}"


class Receipt(models.Model):
    """領収書, issued when the member asks for it on My Page once the invoice is paid (F11). One per invoice."""

    number = models.CharField(_("領収書番号"), max_length=20, unique=True)
    invoice = models.OneToOneField(
        Invoice, on_delete=models.PROTECT, related_name="receipt", verbose_name=_("請求書")
    )
    issue_date = models.DateField(_("発行日"))
    amount_yen = models.PositiveIntegerField(_("金額（円）"))
    addressee = models.CharField(_("宛名"), max_length=200)
    paid_on = models.DateField(_("入金日"))
    pdf = models.FileField(_("PDF"), upload_to="fees/receipts/", blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("発行を依頼した利用者"),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("領収書")
        verbose_name_plural = _("領収書")
        ordering = ["-issue_date", "-number"]

    def __str__(self) -> str:
        return self.number


class BillingPreference(models.Model):
    """How a head office wants its sites' invoices mailed (chosen on My Page by its managers): one mail per
    invoice (the default, also without a row) or one 請求明細書 (statement) listing every open invoice."""

    class Mode(models.TextChoices):
        PER_SITE = "PER_SITE", _("事業所ごとに請求書メールを送る")
        STATEMENT = "STATEMENT", _("請求明細書にまとめて 1 通で送る")

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="billing_preference", verbose_name=_("法人")
    )
    mode = models.CharField(
        _("請求メールの送り方"), max_length=10, choices=Mode.choices, default=Mode.PER_SITE
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("請求メールの送り方")
        verbose_name_plural = _("請求メールの送り方")

    def __str__(self) -> str:
        return f"{self.organisation} {self.get_mode_display()}"


class Statement(models.Model):
    """請求明細書: one document and one mail for an organisation listing its sites' open invoices, with one
    total. The invoices stay separate and unchanged; a statement is never edited (a new one is issued)."""

    number = models.CharField(_("請求明細書番号"), max_length=20, unique=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="statements", verbose_name=_("法人")
    )
    issue_date = models.DateField(_("発行日"))
    total_yen = models.PositiveIntegerField(_("合計金額（円）"))
    buyer_name = models.CharField(_("宛名"), max_length=200)
    buyer_department = models.CharField(_("部署名"), max_length=100, blank=True)
    buyer_person = models.CharField(_("担当者名"), max_length=100, blank=True)
    buyer_postal_code = models.CharField(_("郵便番号"), max_length=7, blank=True)
    buyer_address = models.CharField(_("住所"), max_length=300, blank=True)
    invoices = models.ManyToManyField(
        Invoice, through="StatementItem", related_name="statements", verbose_name=_("請求書")
    )
    pdf_link_version = models.PositiveIntegerField(_("PDFリンクの版"), default=1)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("発行者"),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("請求明細書")
        verbose_name_plural = _("請求明細書")
        ordering = ["-issue_date", "-number"]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs):
        if not self._state.adding and set(kwargs.get("update_fields") or ["*"]) - {"pdf_link_version"}:
            raise ValidationError(
                _("発行済みの請求明細書は変更できません。新しい請求明細書を発行してください。")
            )
        super().save(*args, **kwargs)


class StatementItem(models.Model):
    """One invoice on a statement, with the amount that was open on it when the statement was issued."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="items")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="statement_items")
    position = models.PositiveSmallIntegerField(_("行"))
    amount_yen = models.PositiveIntegerField(_("請求残高（円）"))

    class Meta:
        verbose_name = _("請求明細書の明細")
        verbose_name_plural = _("請求明細書の明細")
        ordering = ["statement", "position"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "invoice"], name="statementitem_unique_invoice")
        ]

    def __str__(self) -> str:
        return f"{self.statement} {self.invoice} ¥{self.amount_yen:,}"
