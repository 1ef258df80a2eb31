"""The membership lifecycle (domain.md R10–R16, F7, F8, §6): renewal seasons, reminder rules and the reminders
sent, withdrawal requests, lapses, and the yearly wage-increase report. Dates, offsets and targets are data
that staff edit in the admin; the jobs in lifecycle.services read them."""

import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from jaim.dates import fiscal_year_end, fiscal_year_start, japanese_date
from jaim.states import choice_flags
from members.models import Membership

# --- renewal (F7, F8, R16) -----------------------------------------------------------------------------------


class RenewalSeason(models.Model):
    """The renewal into one fiscal year: next year's direct-debit invoice and the renewal confirmation go out on
    `notice_on` (around February of the year before, F8); members answer "continue" or "withdraw at the end of
    this year" by `answer_deadline`; a renewal fee still unpaid `grace_days` after the debit date lapses the
    membership (never before the fee year starts)."""

    fiscal_year = models.PositiveSmallIntegerField(
        _("更新後の年度"),
        unique=True,
        help_text=_("会費を徴収する年度。例：2027（2027年2月頃に2027年度分を徴収）"),
    )
    notice_on = models.DateField(
        _("更新案内・請求書の発行日"),
        help_text=_("この日以降、継続する会員に翌年度の請求書と更新確認を送ります。"),
    )
    answer_deadline = models.DateField(
        _("継続・退会の回答期限"),
        help_text=_(
            "この日までに年度末での退会を申し出た会員には翌年度の会費がかかりません（FAQ 2-5-8、3-1-4）。"
        ),
    )
    grace_days = models.PositiveSmallIntegerField(
        _("未納時の猶予期間（日）"),
        default=60,
        validators=[MaxValueValidator(365)],
        help_text=_(
            "口座振替日からこの日数を過ぎても未納の場合、会員資格は失効します（新年度の4月1日より前には失効しません）。"
        ),
    )
    note = models.TextField(_("備考"), blank=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("会員更新の日程")
        verbose_name_plural = _("会員更新の日程")
        ordering = ["-fiscal_year"]
        constraints = [
            models.CheckConstraint(
                name="renewalseason_deadline_after_notice",
                condition=Q(answer_deadline__gte=models.F("notice_on")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.fiscal_year}年度への更新"

    @property
    def previous_year(self) -> int:
        """The fiscal year in which the renewal happens (its term carries the answer)."""
        return self.fiscal_year - 1

    @property
    def year_end_withdrawal_on(self) -> dt.date:
        """Withdrawing "at the end of this fiscal year": not a member (nor listed) from 1 April."""
        return fiscal_year_start(self.fiscal_year)

    def lapse_day(self, due_date: dt.date) -> dt.date:
        """The day an unpaid renewal fee lapses the membership: debit date + grace, never before 1 April."""
        return max(due_date + dt.timedelta(days=self.grace_days), fiscal_year_start(self.fiscal_year))

    def clean(self):
        if self.notice_on and self.answer_deadline:
            if self.answer_deadline < self.notice_on:
                raise ValidationError({"answer_deadline": _("回答期限は発行日以降の日付にしてください。")})
            if self.fiscal_year and self.answer_deadline >= fiscal_year_start(self.fiscal_year):
                raise ValidationError(
                    {"answer_deadline": _("回答期限は前年度中（3月31日まで）の日付にしてください。")}
                )
        if self.fiscal_year and self.notice_on and self.notice_on < fiscal_year_start(self.fiscal_year - 1):
            raise ValidationError({"notice_on": _("発行日は前年度中の日付にしてください。")})
        if self.fiscal_year and self.answer_deadline:
            from fees.models import FeeSchedule

            schedule = FeeSchedule.objects.filter(fiscal_year=self.fiscal_year).first()
            debit_on = schedule.renewal_debit_date if schedule else None
            if debit_on and self.answer_deadline >= debit_on:
                raise ValidationError(
                    {
                        "answer_deadline": _(
                            "回答期限は口座振替日（%(date)s）より前にしてください。期限内に退会を申し出た会員から会費を引き落とさないためです。"
                        )
                        % {"date": japanese_date(debit_on)}
                    }
                )


class RenewalNotice(models.Model):
    """The renewal of one membership into one fiscal year is done: its invoice exists and the invoice mail and the
    renewal confirmation are in the outbox. Unique, so the renewal job never does a membership twice."""

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="renewal_notices", verbose_name=_("会員資格")
    )
    fiscal_year = models.PositiveSmallIntegerField(_("更新後の年度"))
    invoice = models.ForeignKey(
        "fees.Invoice",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("請求書"),
    )
    sent_on = models.DateField(_("案内日"))
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("更新案内")
        verbose_name_plural = _("更新案内（送付済み）")
        ordering = ["-fiscal_year", "membership_id"]
        constraints = [
            models.UniqueConstraint(fields=["membership", "fiscal_year"], name="renewalnotice_once_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.membership} → {self.fiscal_year}年度"


# --- reminders (data) and the reminders sent ------------------------------------------------------------------


class ReminderRule(models.Model):
    """When a reminder goes out, relative to the date its matter turns on (the anchor): `offset_days` after it
    (negative = before), then every `repeat_every_days` days, `repeat_times` more times or — left empty — until
    the matter is settled. Data: staff add, change or switch off rules in the admin."""

    class Kind(models.TextChoices):
        RENEWAL_ANSWER = "RENEWAL_ANSWER", _("更新確認への回答（基準：回答期限）")
        RENEWAL_UNPAID = "RENEWAL_UNPAID", _("更新会費の未納（基準：口座振替日）")
        RETURNED_APPLICATION = "RETURNED_APPLICATION", _("差戻し申請の再提出（基準：修正期限）")
        IDENTITY_FOLLOW_UP = "IDENTITY_FOLLOW_UP", _("名称変更・移転後の追加書類（基準：提出期限）")
        DOCUMENT_EXPIRY = "DOCUMENT_EXPIRY", _("証明書類の有効期限（基準：有効期限）")
        WAGE_REPORT_OPENING = "WAGE_REPORT_OPENING", _("賃上げ報告の受付開始（基準：受付開始日）")
        WAGE_REPORT_DUE = "WAGE_REPORT_DUE", _("賃上げ報告の提出（基準：提出期限）")
        WAGE_ADDITIONAL_DUE = "WAGE_ADDITIONAL_DUE", _("賃上げの追加報告（基準：追加報告の期限）")

    kind = models.CharField(_("対象"), max_length=24, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=100, help_text=_("例：回答期限の1週間前"))
    offset_days = models.IntegerField(
        _("基準日からの日数"),
        validators=[MinValueValidator(-366), MaxValueValidator(366)],
        help_text=_("基準日の何日後に送るか。前に送る場合は負の数（例：-7 = 1週間前、0 = 当日）。"),
    )
    repeat_every_days = models.PositiveSmallIntegerField(
        _("繰り返しの間隔（日）"),
        default=0,
        validators=[MaxValueValidator(366)],
        help_text=_("0 = 繰り返さない。"),
    )
    repeat_times = models.PositiveSmallIntegerField(
        _("繰り返しの回数"),
        null=True,
        blank=True,
        help_text=_("最初の1通の後に何回繰り返すか。空欄 = 対応が済むまで繰り返す。"),
    )
    is_active = models.BooleanField(_("有効"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("リマインダーの規則")
        verbose_name_plural = _("リマインダーの規則")
        ordering = ["kind", "offset_days", "id"]
        constraints = [
            models.CheckConstraint(
                name="reminderrule_repeat_needs_interval",
                condition=Q(repeat_every_days__gt=0) | Q(repeat_times__isnull=True) | Q(repeat_times=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.name}"

    def clean(self):
        if not self.repeat_every_days and self.repeat_times:
            raise ValidationError({"repeat_every_days": _("繰り返す場合は間隔（日）を指定してください。")})

    def latest_due(self, anchor: dt.date, on: dt.date, *, since: dt.date | None = None) -> dt.date | None:
        """The latest day on or before `on` on which this rule sends, not before `since`; None if none."""
        first = anchor + dt.timedelta(days=self.offset_days)
        if first > on:
            return None
        day = first
        if self.repeat_every_days:
            steps = (on - first).days // self.repeat_every_days
            if self.repeat_times is not None:
                steps = min(steps, self.repeat_times)
            day = first + dt.timedelta(days=steps * self.repeat_every_days)
        if since is not None and day < since:
            return None
        return day


class Reminder(models.Model):
    """One reminder sent: at most one per rule, subject and reference date (the day the rule called for)."""

    rule = models.ForeignKey(
        ReminderRule, on_delete=models.PROTECT, related_name="reminders", verbose_name=_("規則")
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    reference_date = models.DateField(_("基準日（送付予定日）"))
    establishment = models.ForeignKey(
        "members.Establishment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("事業所"),
    )
    recipients = models.PositiveSmallIntegerField(_("宛先数"), default=0)
    created_at = models.DateTimeField(_("送付日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("送付したリマインダー")
        verbose_name_plural = _("送付したリマインダー")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "content_type", "object_id", "reference_date"],
                name="reminder_once_per_rule_day",
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.rule.name} {self.reference_date}"


# --- withdrawal (R11, R12, F8) ---------------------------------------------------------------------------------


@choice_flags("status", "source")
class WithdrawalRequest(models.Model):
    """退会する (R11): the details the member sent, the secretariat's confirmation, and the day it took effect.
    Also made when a member answers the renewal confirmation with "withdraw at the end of this year" (F8)."""

    class Source(models.TextChoices):
        MY_PAGE = "MY_PAGE", _("マイページの「退会する」")
        RENEWAL = "RENEWAL", _("更新確認での回答（年度末で退会）")

    class Status(models.TextChoices):
        PENDING = "PENDING", _("事務局の確認待ち")
        CONFIRMED = "CONFIRMED", _("確認済み（退会日待ち）")
        COMPLETED = "COMPLETED", _("退会済み")
        CANCELLED = "CANCELLED", _("取消")

    TRANSITIONS = {
        Status.PENDING: {Status.CONFIRMED, Status.CANCELLED},
        Status.CONFIRMED: {Status.COMPLETED, Status.CANCELLED},
        Status.COMPLETED: set(),
        Status.CANCELLED: set(),
    }
    OPEN_STATUSES = (Status.PENDING, Status.CONFIRMED)

    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="withdrawal_requests", verbose_name=_("会員資格")
    )
    source = models.CharField(_("申出の方法"), max_length=10, choices=Source.choices, default=Source.MY_PAGE)
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.PENDING)
    effective_on = models.DateField(
        _("退会日"), help_text=_("この日から会員ではなくなり、会員名簿に掲載されません。")
    )
    reason = models.TextField(_("退会の理由"))
    contact_name = models.CharField(_("担当者氏名"), max_length=100)
    contact_phone = models.CharField(_("担当者電話番号"), max_length=11)
    no_ssw_confirmed = models.BooleanField(
        _("特定技能外国人を雇用しない（雇用しなくなる）ことの確認"), default=False
    )
    no_refund_acknowledged = models.BooleanField(_("会費が返金されないことの確認"), default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("申出者")
    )
    requested_at = models.DateTimeField(_("申出日時"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("確認日時"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("確認者"),
    )
    completed_on = models.DateField(_("退会処理日"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消日時"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("取消者"),
    )
    cancel_note = models.CharField(_("取消の理由"), max_length=300, blank=True)
    credited_invoice = models.ForeignKey(
        "fees.Invoice",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("取り消した翌年度の請求書"),
        help_text=_("回答期限までの申出のため赤伝で取り消した翌年度会費の請求書（F8）。"),
    )

    class Meta:
        verbose_name = _("退会の申出")
        verbose_name_plural = _("退会の申出")
        ordering = ["effective_on", "requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership"],
                condition=Q(status__in=["PENDING", "CONFIRMED"]),
                name="withdrawalrequest_one_open_per_membership",
            ),
            models.CheckConstraint(
                name="withdrawalrequest_confirmed_has_time",
                condition=~Q(status="CONFIRMED") | Q(confirmed_at__isnull=False),
            ),
            models.CheckConstraint(
                name="withdrawalrequest_completed_has_day",
                condition=~Q(status="COMPLETED") | Q(completed_on__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["status", "effective_on"])]

    def __str__(self) -> str:
        return f"{self.membership} {self.effective_on}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_year_end(self) -> bool:
        return self.effective_on.month == 4 and self.effective_on.day == 1

    @property
    def last_day(self) -> dt.date:
        """The last day of membership (the day before the withdrawal day)."""
        return self.effective_on - dt.timedelta(days=1)


class Lapse(models.Model):
    """A membership lapsed because a renewal invoice stayed unpaid past the grace period; finance may reinstate it
    when the payment arrives (the roster keeps the gap)."""

    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="lapses", verbose_name=_("会員資格")
    )
    invoice = models.OneToOneField(
        "fees.Invoice", on_delete=models.PROTECT, related_name="+", verbose_name=_("未納の請求書")
    )
    lapsed_on = models.DateField(_("失効日"))
    reinstated_on = models.DateField(_("復活日"), null=True, blank=True)
    reinstated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("復活の処理者"),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("会費未納による失効")
        verbose_name_plural = _("会費未納による失効・復活")
        ordering = ["-lapsed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="lapse_reinstated_after_lapse",
                condition=Q(reinstated_on__isnull=True) | Q(reinstated_on__gte=models.F("lapsed_on")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.membership} {self.lapsed_on}"


# --- the wage-increase report (§6) ------------------------------------------------------------------------------


class WageReportPeriod(models.Model):
    """The yearly wage-increase report (FAQ 3-3-1, 3-3-2): its window (about January to the end of February,
    aligned with renewal), the per-employee growth targets by company size and the additional report's deadline.
    Data per year: the public source gives 3.0 % for large companies and 1.5 % for SMEs."""

    fiscal_year = models.PositiveSmallIntegerField(
        _("報告の年度"), unique=True, help_text=_("例：2026（2027年1〜2月に報告）")
    )
    opens_on = models.DateField(_("受付開始日"))
    closes_on = models.DateField(_("提出期限"))
    additional_due_on = models.DateField(
        _("追加報告の期限"), help_text=_("目標に届かなかった会員が追加報告を提出する期限。")
    )
    target_large_pct = models.DecimalField(
        _("目標（大企業）％"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("3.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    target_sme_pct = models.DecimalField(
        _("目標（中小企業）％"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.50"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    source = models.CharField(
        _("目標の出典"), max_length=300, blank=True, help_text=_("公表資料の名称など。")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("賃上げ報告の期間・目標")
        verbose_name_plural = _("賃上げ報告の期間・目標")
        ordering = ["-fiscal_year"]
        constraints = [
            models.CheckConstraint(
                name="wageperiod_dates_in_order",
                condition=Q(closes_on__gte=models.F("opens_on"))
                & Q(additional_due_on__gte=models.F("closes_on")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.fiscal_year}年度 賃上げ報告"

    def clean(self):
        if self.opens_on and self.closes_on and self.closes_on < self.opens_on:
            raise ValidationError({"closes_on": _("提出期限は受付開始日以降にしてください。")})
        if self.closes_on and self.additional_due_on and self.additional_due_on < self.closes_on:
            raise ValidationError({"additional_due_on": _("追加報告の期限は提出期限以降にしてください。")})
        if (
            self.fiscal_year
            and self.opens_on
            and not (
                fiscal_year_start(self.fiscal_year) <= self.opens_on <= fiscal_year_end(self.fiscal_year)
            )
        ):
            raise ValidationError({"opens_on": _("受付開始日は報告の年度内の日付にしてください。")})

    def target_for(self, *, sme: bool) -> Decimal:
        return self.target_sme_pct if sme else self.target_large_pct


@choice_flags("status")
class WageReport(models.Model):
    """One establishment's wage-increase report for one year, or the flag that it is missing after the deadline.
    Below the target for the company's size, an additional report becomes due (§6)."""

    class Status(models.TextChoices):
        MISSING = "MISSING", _("未提出（期限超過）")
        SUBMITTED = "SUBMITTED", _("提出済み")

    # A report is created SUBMITTED (filed) or MISSING (flagged after the deadline). A missing one may still be
    # filed late; a filed one is corrected in place (no move) and never becomes missing.
    TRANSITIONS = {
        Status.MISSING: {Status.SUBMITTED},
        Status.SUBMITTED: set(),
    }

    period = models.ForeignKey(
        WageReportPeriod, on_delete=models.PROTECT, related_name="reports", verbose_name=_("報告の年度")
    )
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="wage_reports", verbose_name=_("会員資格")
    )
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    workers = models.PositiveIntegerField(_("対象となる従業員数（人）"), null=True, blank=True)
    wage_before_yen = models.PositiveIntegerField(
        _("前年の1人当たり平均賃金（月額・円）"), null=True, blank=True
    )
    wage_after_yen = models.PositiveIntegerField(
        _("今年の1人当たり平均賃金（月額・円）"), null=True, blank=True
    )
    measures = models.TextField(_("賃上げの内容"), blank=True)
    increase_pct = models.DecimalField(
        _("賃上げ率（％）"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("（今年 − 前年）÷ 前年 × 100。小数第3位以下切り捨て。"),
    )
    company_is_sme = models.BooleanField(_("中小企業の目標を適用"), default=False)
    target_pct = models.DecimalField(_("目標（％）"), max_digits=5, decimal_places=2, null=True, blank=True)
    below_target = models.BooleanField(_("目標未達"), default=False)
    is_late = models.BooleanField(_("期限後の提出"), default=False)
    submitted_at = models.DateTimeField(_("提出日時"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("提出者"),
    )
    flagged_missing_on = models.DateField(_("未提出として記録した日"), null=True, blank=True)
    additional_due_on = models.DateField(_("追加報告の期限"), null=True, blank=True)
    additional_reason = models.TextField(_("目標に届かなかった理由"), blank=True)
    additional_plan = models.TextField(_("今後の賃上げの取組"), blank=True)
    additional_submitted_at = models.DateTimeField(_("追加報告の提出日時"), null=True, blank=True)
    additional_submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("追加報告の提出者"),
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("賃上げ報告")
        verbose_name_plural = _("賃上げ報告")
        ordering = ["-period__fiscal_year", "membership_id"]
        constraints = [
            models.UniqueConstraint(fields=["period", "membership"], name="wagereport_once_per_year"),
            models.CheckConstraint(
                name="wagereport_submitted_has_figures",
                condition=~Q(status="SUBMITTED")
                | Q(
                    submitted_at__isnull=False,
                    workers__isnull=False,
                    wage_before_yen__gt=0,
                    wage_after_yen__isnull=False,
                    target_pct__isnull=False,
                ),
            ),
            models.CheckConstraint(
                name="wagereport_below_target_has_due",
                condition=Q(below_target=False) | Q(additional_due_on__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["status", "below_target"])]

    def __str__(self) -> str:
        return f"{self.membership} {self.period.fiscal_year}年度"

    @property
    def additional_pending(self) -> bool:
        return self.below_target and self.additional_submitted_at is None


def wage_evidence_upload_to(instance, filename: str) -> str:
    """A random name (never the uploader's): lifecycle/wage/<yyyy>/<uuid>.<ext of the detected type>."""
    from django.utils import timezone

    from jaim.uploads import EXTENSIONS

    return f"lifecycle/wage/{timezone.now():%Y}/{uuid.uuid4().hex}.{EXTENSIONS.get(instance.content_type, 'bin')}"


class WageEvidence(models.Model):
    """A file proving the wage increase (payroll ledger etc.), checked by its content like application documents."""

    report = models.ForeignKey(
        WageReport, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("賃上げ報告")
    )
    for_additional = models.BooleanField(_("追加報告の添付"), default=False)
    file = models.FileField(_("ファイル"), upload_to=wage_evidence_upload_to, max_length=200)
    original_name = models.CharField(_("元のファイル名"), max_length=200)
    content_type = models.CharField(_("形式"), max_length=40)
    size_bytes = models.PositiveBigIntegerField(_("サイズ（バイト）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("提出者"),
    )
    uploaded_at = models.DateTimeField(_("提出日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("賃上げの証明書類")
        verbose_name_plural = _("賃上げの証明書類")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def download_name(self) -> str:
        """What it is, the fiscal year, the establishment and the upload day, with the checked content's extension;
        never the uploader's name."""
        from django.utils import timezone

        from jaim.uploads import EXTENSIONS, download_name

        report = self.report
        return download_name(
            _("賃上げ報告の証明書類") if not self.for_additional else _("賃上げ追加報告の証明書類"),
            _("%(fy)s年度") % {"fy": report.period.fiscal_year},
            report.membership.establishment,
            f"{timezone.localtime(self.uploaded_at):%Y%m%d}" if self.uploaded_at else "",
            extension=EXTENSIONS.get(self.content_type, "bin"),
        )
