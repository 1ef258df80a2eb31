"""Core infrastructure shared by every app: audit rows, number sequences, the mail outbox, job runs."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class AuditEvent(models.Model):
    """One state move or notable action on a domain object (who, from, to, when, note)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("対象の種類"))
    object_id = models.CharField(_("対象のID"), max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    action = models.CharField(_("操作"), max_length=64)
    from_status = models.CharField(_("変更前"), max_length=32, blank=True)
    to_status = models.CharField(_("変更後"), max_length=32, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作者"),
    )
    note = models.TextField(_("備考"), blank=True)
    created_at = models.DateTimeField(_("日時"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("監査ログ")
        verbose_name_plural = _("監査ログ")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        from jaim.audit_labels import audit_action_label

        return audit_action_label(self)


class Sequence(models.Model):
    """A gapless counter per prefix (member numbers, invoice numbers). Advanced only under a row lock."""

    prefix = models.CharField(_("採番の区分"), max_length=32, primary_key=True)
    last_value = models.PositiveBigIntegerField(_("最後の番号"), default=0)

    class Meta:
        verbose_name = _("採番")
        verbose_name_plural = _("採番")

    def __str__(self) -> str:
        return f"{self.prefix}:{self.last_value}"


class OutboxMessage(models.Model):
    """Every e-mail the system sends: written in the transaction that causes it, sent by a task after commit."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("送信待ち")
        SENDING = "SENDING", _("送信中")
        SENT = "SENT", _("送信済み")
        FAILED = "FAILED", _("送信失敗")

    # Checked with jaim.states.check_move, without move()'s audit row: every e-mail passes here, and each attempt
    # is already recorded (OutboxAttempt). SENDING → SENDING: the claim of a sender that died is taken over;
    # any unsent message may be queued again by the administrator (resend); a sent one is final.
    TRANSITIONS = {
        Status.PENDING: {Status.SENDING, Status.PENDING},
        Status.SENDING: {Status.SENDING, Status.SENT, Status.PENDING, Status.FAILED},
        Status.FAILED: {Status.PENDING},
        Status.SENT: set(),
    }

    dedupe_key = models.CharField(
        _("重複防止キー"),
        max_length=200,
        unique=True,
        null=True,
        blank=True,
        help_text=_("同じ対象・規則・基準日のメールは一度だけ作られます。"),
    )
    kind = models.CharField(_("種類"), max_length=64, db_index=True)
    to = models.EmailField(_("宛先"))
    subject = models.CharField(_("件名"), max_length=255)
    body = models.TextField(_("本文"))
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("送信試行回数"), default=0)
    last_error = models.TextField(_("最後のエラー"), blank=True)
    next_attempt_at = models.DateTimeField(_("次回送信予定"), null=True, blank=True)
    # A sender claims the row (SENDING) until this time, commits, then talks to the SMTP server without a lock.
    claimed_until = models.DateTimeField(_("送信処理の期限"), null=True, blank=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("送信日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("送信メール")
        verbose_name_plural = _("送信メール（アウトボックス）")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class OutboxAttempt(models.Model):
    """One conversation with the mail server about one outbox message, and how it ended."""

    message = models.ForeignKey(
        OutboxMessage, verbose_name=_("メール"), on_delete=models.CASCADE, related_name="delivery_attempts"
    )
    number = models.PositiveSmallIntegerField(_("回数"))
    started_at = models.DateTimeField(_("開始日時"))
    finished_at = models.DateTimeField(_("終了日時"))
    succeeded = models.BooleanField(_("成功"), default=False)
    error = models.TextField(_("エラー"), blank=True)

    class Meta:
        verbose_name = _("送信試行")
        verbose_name_plural = _("送信試行")
        ordering = ["message", "number"]

    def __str__(self) -> str:
        return f"{self.message_id} #{self.number}"


class JobRun(models.Model):
    """One run of a scheduled job, with what it did."""

    job = models.CharField(_("ジョブ"), max_length=100, db_index=True)
    reference_date = models.DateField(_("基準日"), null=True, blank=True)
    started_at = models.DateTimeField(_("開始"), auto_now_add=True)
    finished_at = models.DateTimeField(_("終了"), null=True, blank=True)
    counts = models.JSONField(_("件数"), default=dict, blank=True)
    error = models.TextField(_("エラー"), blank=True)

    class Meta:
        verbose_name = _("ジョブ実行")
        verbose_name_plural = _("ジョブ実行履歴")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def succeeded(self) -> bool:
        return self.finished_at is not None and not self.error


class RetentionPolicy(models.Model):
    """How long personal data of a withdrawn establishment is kept (data, edited by staff; one row).
    Past it, staff may anonymise the people's names, phones and e-mails (members.services.anonymise_establishment);
    invoices, the roster history and member numbers are kept."""

    withdrawn_years = models.PositiveSmallIntegerField(
        _("退会後の個人情報の保存期間（年）"),
        default=5,
        help_text=_("退会（または失効）の日からこの年数が過ぎた事業所の個人情報を匿名化できます。"),
    )
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("個人情報の保存期間")
        verbose_name_plural = _("個人情報の保存期間")
        constraints = [
            models.CheckConstraint(name="retention_policy_single_row", condition=models.Q(id=1)),
            models.CheckConstraint(
                name="retention_at_least_one_year", condition=models.Q(withdrawn_years__gte=1)
            ),
        ]

    def __str__(self) -> str:
        return f"退会後{self.withdrawn_years}年"

    @classmethod
    def current(cls) -> "RetentionPolicy":
        return cls.objects.get_or_create(pk=1)[0]

    def cutoff(self, today):
        """Memberships that ended (withdrawal or lapse) before this day are past retention on `today`."""
        try:
            return today.replace(year=today.year - self.withdrawn_years)
        except ValueError:  # 29 February in a year that has none
            return today.replace(year=today.year - self.withdrawn_years, day=28)


class VirusDetection(models.Model):
    """An upload the virus scanner found infected: refused, and kept here for the administrators (the file itself
    is never stored)."""

    detected_at = models.DateTimeField(_("検出日時"), auto_now_add=True)
    signature = models.CharField(_("検出名"), max_length=200)
    where = models.CharField(_("アップロード先"), max_length=100, blank=True)
    file_name = models.CharField(_("ファイル名"), max_length=200, blank=True)
    size_bytes = models.PositiveBigIntegerField(_("サイズ（バイト）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("アップロードした人"),
    )

    class Meta:
        verbose_name = _("ウイルス検出")
        verbose_name_plural = _("ウイルス検出")
        ordering = ["-detected_at", "-id"]

    def __str__(self) -> str:
        return f"{self.signature} {self.detected_at:%Y-%m-%d %H:%M}"


def _default_tax_note() -> str:
    return str(
        _(
            "年会費は会員資格に対する会費で、対価性がないため消費税の課税対象外（不課税）です。"
            "このため適格請求書（インボイス）ではなく、登録番号は記載していません。"
        )
    )


class IssuerProfile(models.Model):
    """JAIM as the issuer of invoices, credit notes, receipts and notices: name, address, phone and the optional
    company seal (角印). Set by the administrators; never edited — each change is a new version, and a document
    always shows the version in force when it was made, so re-rendering an issued invoice reproduces it."""

    name = models.CharField(_("発行者名"), max_length=200)
    department = models.CharField(_("担当部署"), max_length=100, blank=True)
    postal_code = models.CharField(_("郵便番号"), max_length=7, help_text=_("7桁の数字（ハイフンなし）"))
    address = models.CharField(_("住所"), max_length=300)
    phone = models.CharField(_("電話番号"), max_length=13, help_text=_("0から始まる10桁または11桁の数字"))
    email = models.EmailField(_("メールアドレス"), blank=True)
    seal = models.FileField(
        _("角印の画像"),
        upload_to="issuer/",
        blank=True,
        help_text=_("PNG または JPEG。背景は白か透明で、正方形に近い画像をお使いください。"),
    )
    tax_note = models.TextField(_("消費税についての説明"), default=_default_tax_note)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("登録した人"),
    )

    class Meta:
        verbose_name = _("発行者情報（請求書・領収書）")
        verbose_name_plural = _("発行者情報（請求書・領収書）")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.created_at:%Y-%m-%d %H:%M}〜）" if self.created_at else self.name


class MailTemplate(models.Model):
    """The wording of one kind of mail, as data the administrators edit (jaim.mailtemplates). Without a version
    the built-in text (templates/mail/<kind>.txt) is sent."""

    kind = models.CharField(_("メールの種類"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("メールの文面")
        verbose_name_plural = _("メールの文面")
        ordering = ["kind"]

    def __str__(self) -> str:
        from jaim.mail_kinds import kind_label

        return kind_label(self.kind)


class MailTemplateVersion(models.Model):
    """One version of a mail's wording. Never edited nor deleted: a change is a new version, the newest is sent."""

    template = models.ForeignKey(MailTemplate, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("版"))
    subject_ja = models.CharField(_("件名"), max_length=255)
    body_ja = models.TextField(_("本文"))
    subject_en = models.CharField(_("件名（英語）"), max_length=255, blank=True)
    body_en = models.TextField(_("本文（英語）"), blank=True)
    note = models.CharField(_("変更の理由"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("登録した人"),
    )

    class Meta:
        verbose_name = _("メールの文面の版")
        verbose_name_plural = _("メールの文面の版")
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="mail_template_version_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.template}（第{self.number}版）"
