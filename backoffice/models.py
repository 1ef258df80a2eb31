"""Staff operations: council records (R17), import and export runs, announcements (制度情報) with their
subscribers, and resources for members. Statuses move only through backoffice.services."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from jaim.states import choice_flags
from jaim.validators import PREFECTURES, validate_corporate_number
from members.models import Establishment, Organisation

# --- imports ---------------------------------------------------------------------------------------------


@choice_flags("status")
class ImportRun(models.Model):
    """One uploaded file: previewed (a dry run that wrote nothing), then imported as a whole or not at all.
    The per-row report (accepted and rejected rows with their messages) is kept for download."""

    class Kind(models.TextChoices):
        COUNCIL = "COUNCIL", _("協議会の会員データ")
        ASSOCIATION = "ASSOCIATION", _("正会員団体の会員名簿")
        BANK_STATEMENT = "BANK_STATEMENT", _("入出金明細（銀行CSV）")

    class Status(models.TextChoices):
        PREVIEWED = "PREVIEWED", _("確認待ち（ドライラン済み）")
        REFUSED = "REFUSED", _("取込不可（誤りあり）")
        IMPORTED = "IMPORTED", _("取込済み")
        DISCARDED = "DISCARDED", _("取り消し")

    TRANSITIONS = {
        Status.PREVIEWED: {Status.IMPORTED, Status.REFUSED, Status.DISCARDED},
        Status.REFUSED: set(),
        Status.IMPORTED: set(),
        Status.DISCARDED: set(),
    }

    kind = models.CharField(_("種類"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("状態"), max_length=12, choices=Status.choices, default=Status.PREVIEWED)
    file_name = models.CharField(_("ファイル名"), max_length=200)
    stored_file = models.CharField(_("保存先"), max_length=300, blank=True, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    encoding = models.CharField(_("文字コード"), max_length=40, blank=True)
    options = models.JSONField(_("指定"), default=dict, blank=True)
    counts = models.JSONField(_("件数"), default=dict, blank=True)
    errors = models.JSONField(_("ファイル全体の誤り"), default=list, blank=True)
    report = models.JSONField(_("行ごとの結果"), default=list, blank=True)
    columns = models.JSONField(_("列"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("アップロードした人"),
    )
    created_at = models.DateTimeField(_("アップロード日時"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("取り込んだ人"),
    )
    imported_at = models.DateTimeField(_("取込日時"), null=True, blank=True)
    result_ref = models.CharField(_("取込結果の参照"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("データ取込")
        verbose_name_plural = _("データ取込")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("import_council", _("協議会の会員データを取り込む")),
            ("import_association", _("正会員団体の会員名簿を取り込む")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name}"

    @property
    def can_import(self) -> bool:
        return self.status == self.Status.PREVIEWED and not self.errors and not self.counts.get("rejected")


class CouncilRecord(models.Model):
    """A member record of the former council (協議会), kept as such (R17): it is never a JAIM membership.
    Linked to the organisation and establishment when they match; a later application's JSIC check can rely on
    it (FAQ 2-2-1, 2-2-4)."""

    class LinkMethod(models.TextChoices):
        NONE = "", _("未照合")
        NAME = "NAME", _("法人番号と事業所名で自動照合")
        ADDRESS = "ADDRESS", _("法人番号と所在地で自動照合")
        MANUAL = "MANUAL", _("事務局が照合")

    source_key = models.CharField(_("照合キー"), max_length=64, unique=True, editable=False)
    council_number = models.CharField(_("協議会の会員番号"), max_length=30, blank=True)
    company_name = models.CharField(_("法人名"), max_length=200)
    establishment_name = models.CharField(_("事業所名"), max_length=200)
    corporate_number = models.CharField(
        _("法人番号"), max_length=13, blank=True, validators=[validate_corporate_number], db_index=True
    )
    jsic_codes = models.JSONField(_("産業分類"), default=list, blank=True)
    postal_code = models.CharField(_("郵便番号"), max_length=7, blank=True)
    prefecture = models.CharField(_("都道府県"), max_length=2, choices=PREFECTURES)
    address = models.CharField(_("所在地（市区町村以下）"), max_length=300)
    council_joined_on = models.DateField(_("協議会への加入日"))
    council_left_on = models.DateField(_("協議会からの退会日"), null=True, blank=True)
    information_migration_only = models.BooleanField(
        _("情報移行のみ"),
        default=False,
        help_text=_("JAIMに入会せず、協議会のデータだけを移行した事業所（FAQ 2-2-1、2-2-4）。"),
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="council_records",
        verbose_name=_("法人"),
    )
    establishment = models.ForeignKey(
        Establishment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="council_records",
        verbose_name=_("事業所"),
    )
    link_method = models.CharField(
        _("照合方法"), max_length=10, choices=LinkMethod.choices, blank=True, default=LinkMethod.NONE
    )
    import_run = models.ForeignKey(
        ImportRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="council_records",
        verbose_name=_("最後に更新した取込"),
    )
    created_at = models.DateTimeField(_("登録日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("協議会の会員データ")
        verbose_name_plural = _("協議会の会員データ（移行）")
        ordering = ["prefecture", "company_name", "establishment_name", "id"]
        constraints = [
            models.CheckConstraint(
                name="council_left_after_joined",
                condition=Q(council_left_on__isnull=True)
                | Q(council_left_on__gte=models.F("council_joined_on")),
            ),
            models.CheckConstraint(
                name="council_establishment_needs_organisation",
                condition=Q(establishment__isnull=True) | Q(organisation__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company_name} {self.establishment_name}"

    @property
    def full_address(self) -> str:
        return f"{self.get_prefecture_display()}{self.address}"


# --- exports ---------------------------------------------------------------------------------------------


@choice_flags("status")
class ExportJob(models.Model):
    """One export of an admin list (as filtered on screen) to CSV or Excel. Large lists are written by a
    task; the file is kept in the private storage and downloaded by the person who asked for it."""

    class Format(models.TextChoices):
        CSV = "csv", _("CSV（UTF-8・BOM付き）")
        XLSX = "xlsx", _("Excel")

    class Status(models.TextChoices):
        PENDING = "PENDING", _("作成待ち")
        RUNNING = "RUNNING", _("作成中")
        DONE = "DONE", _("完了")
        FAILED = "FAILED", _("失敗")

    TRANSITIONS = {
        Status.PENDING: {Status.RUNNING, Status.FAILED},
        Status.RUNNING: {Status.DONE, Status.FAILED},
        Status.DONE: set(),
        Status.FAILED: set(),
    }

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("依頼者")
    )
    app_label = models.CharField(_("アプリ"), max_length=100)
    model_name = models.CharField(_("モデル"), max_length=100)
    title = models.CharField(_("一覧"), max_length=200)
    query = models.CharField(_("絞り込み条件"), max_length=2000, blank=True)
    format = models.CharField(_("形式"), max_length=4, choices=Format.choices)
    status = models.CharField(_("状態"), max_length=8, choices=Status.choices, default=Status.PENDING)
    direct = models.BooleanField(_("その場でダウンロード"), default=False)
    row_count = models.PositiveIntegerField(_("件数"), null=True, blank=True)
    file = models.CharField(_("保存先"), max_length=300, blank=True, editable=False)
    download_name = models.CharField(_("ファイル名"), max_length=200, blank=True)
    error = models.TextField(_("エラー"), blank=True)
    created_at = models.DateTimeField(_("依頼日時"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完了日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("一覧の出力")
        verbose_name_plural = _("一覧の出力（CSV・Excel）")
        ordering = ["-created_at", "-id"]
        permissions = [("view_reports", _("集計レポートを見る"))]
        indexes = [models.Index(fields=["requested_by", "created_at"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_format_display()})"


# --- announcements (制度情報) ---------------------------------------------------------------------------


@choice_flags("status")
class Announcement(models.Model):
    """A notice staff write once and send to chosen audiences; published ones appear in the public archive."""

    class Status(models.TextChoices):
        DRAFT = "DRAFT", _("下書き")
        PUBLISHED = "PUBLISHED", _("公開中")
        WITHDRAWN = "WITHDRAWN", _("公開終了")

    TRANSITIONS = {
        Status.DRAFT: {Status.PUBLISHED},
        Status.PUBLISHED: {Status.WITHDRAWN},
        Status.WITHDRAWN: {Status.PUBLISHED},
    }

    title = models.CharField(_("件名"), max_length=150)
    body = models.TextField(_("本文"), help_text=_("プレーンテキスト。URLはリンクになります。"))
    is_public = models.BooleanField(
        _("公開アーカイブに掲載"),
        default=True,
        help_text=_("公開すると、ログインしなくても読める「制度情報」のページに掲載されます。"),
    )
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("公開日時"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("作成者"),
    )
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("お知らせ（制度情報）")
        verbose_name_plural = _("お知らせ（制度情報）")
        ordering = ["-published_at", "-id"]
        permissions = [("send_announcement", _("お知らせをメールで送信する"))]
        constraints = [
            models.CheckConstraint(
                name="announcement_published_has_time",
                condition=Q(status="DRAFT") | Q(published_at__isnull=False),
            )
        ]
        indexes = [models.Index(fields=["status", "is_public", "published_at"])]

    def __str__(self) -> str:
        return self.title


class Audience(models.TextChoices):
    SUPPORTING = "SUPPORTING", _("賛助会員（会員資格のある事業所の担当者）")
    INFORMATION = "INFORMATION", _("情報会員（登録支援機関の担当者）")
    SUBSCRIBERS = "SUBSCRIBERS", _("制度情報メールの登録者（退会した会員を含む）")


class AnnouncementDispatch(models.Model):
    """One "send" of an announcement to some audiences. Each recipient gets one e-mail per announcement, however
    often it is sent (the outbox's dedupe key is per announcement and address)."""

    class Status(models.TextChoices):
        QUEUED = "QUEUED", _("送信準備中")
        DONE = "DONE", _("送信キューに登録済み")
        FAILED = "FAILED", _("失敗")

    TRANSITIONS = {
        Status.QUEUED: {Status.DONE, Status.FAILED},
        Status.FAILED: {Status.QUEUED},
        Status.DONE: set(),
    }

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="dispatches", verbose_name=_("お知らせ")
    )
    audiences = models.JSONField(_("送信先"), default=list)
    status = models.CharField(_("状態"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("送信した人"),
    )
    requested_at = models.DateTimeField(_("送信日時"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完了日時"), null=True, blank=True)
    counts = models.JSONField(_("件数"), default=dict, blank=True)
    error = models.TextField(_("エラー"), blank=True)

    class Meta:
        verbose_name = _("お知らせの送信")
        verbose_name_plural = _("お知らせの送信")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.announcement} {self.requested_at:%Y-%m-%d %H:%M}"

    def audience_labels(self) -> list[str]:
        labels = dict(Audience.choices)
        return [str(labels.get(a, a)) for a in self.audiences]


@choice_flags("status")
class InfoSubscriber(models.Model):
    """A person who signed up for the free information service (制度情報メール, FAQ 3-4-5) — anyone, including
    former members. Active only after confirming the e-mail (double opt-in); unsubscribes with one link."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("確認待ち")
        ACTIVE = "ACTIVE", _("配信中")
        UNSUBSCRIBED = "UNSUBSCRIBED", _("配信停止")

    TRANSITIONS = {
        Status.PENDING: {Status.ACTIVE, Status.UNSUBSCRIBED},
        Status.ACTIVE: {Status.UNSUBSCRIBED},
        Status.UNSUBSCRIBED: {Status.PENDING},
    }

    email = models.EmailField(_("メールアドレス"), unique=True)
    name = models.CharField(_("お名前"), max_length=100, blank=True)
    organisation_name = models.CharField(_("会社名・団体名"), max_length=200, blank=True)
    status = models.CharField(_("状態"), max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("申込日時"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("確認日時"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("配信停止日時"), null=True, blank=True)

    class Meta:
        verbose_name = _("制度情報メールの登録者")
        verbose_name_plural = _("制度情報メールの登録者")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="subscriber_active_confirmed",
                condition=~Q(status="ACTIVE") | Q(confirmed_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.email


# --- resources for members --------------------------------------------------------------------------------


def resource_upload_to(instance, filename: str) -> str:
    """A random stored name; the original name is kept for the download."""
    return f"backoffice/resources/{uuid.uuid4().hex}.{instance.extension or 'bin'}"


@choice_flags("kind")
class MemberResource(models.Model):
    """A file or a page for members only (e.g. exam-preparation materials, FAQ 3-4-2): visible to people acting
    for an establishment whose membership is active."""

    class Kind(models.TextChoices):
        FILE = "FILE", _("ファイル")
        PAGE = "PAGE", _("ページ")

    class Status(models.TextChoices):
        DRAFT = "DRAFT", _("非公開")
        PUBLISHED = "PUBLISHED", _("会員に公開中")

    TRANSITIONS = {Status.DRAFT: {Status.PUBLISHED}, Status.PUBLISHED: {Status.DRAFT}}

    title = models.CharField(_("題名"), max_length=150)
    summary = models.CharField(_("概要"), max_length=300, blank=True)
    kind = models.CharField(_("種類"), max_length=4, choices=Kind.choices, default=Kind.PAGE)
    body = models.TextField(_("本文"), blank=True, help_text=_("ページの本文（プレーンテキスト）。"))
    file = models.FileField(_("ファイル"), upload_to=resource_upload_to, blank=True, max_length=200)
    original_name = models.CharField(_("元のファイル名"), max_length=200, blank=True)
    content_type = models.CharField(_("形式"), max_length=40, blank=True)
    size_bytes = models.PositiveBigIntegerField(_("サイズ（バイト）"), null=True, blank=True)
    status = models.CharField(_("状態"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("公開日時"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("表示順"), default=100)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("会員向け資料")
        verbose_name_plural = _("会員向け資料")
        ordering = ["order", "-published_at", "id"]
        constraints = [
            models.CheckConstraint(name="resource_file_has_file", condition=~Q(kind="FILE") | ~Q(file="")),
            models.CheckConstraint(name="resource_page_has_body", condition=~Q(kind="PAGE") | ~Q(body="")),
            models.CheckConstraint(
                name="resource_published_has_time",
                condition=~Q(status="PUBLISHED") | Q(published_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def extension(self) -> str:
        from jaim.uploads import EXTENSIONS

        return EXTENSIONS.get(self.content_type, "")

    @property
    def download_name(self) -> str:
        """The resource's title with the checked content's extension (never the uploader's file name)."""
        from jaim.uploads import download_name

        return download_name(self.title, extension=self.extension or "bin")


# --- staff notes (the timeline of an establishment) -----------------------------------------------------------


def note_upload_to(instance, filename: str) -> str:
    """A random stored name in the private storage; the checked type gives the extension."""
    return f"backoffice/notes/{uuid.uuid4().hex}.{instance.attachment_extension or 'bin'}"


class StaffNote(models.Model):
    """What the secretariat wrote down about an establishment (a phone call, a mail, a visit, a memo): shown on the
    establishment's timeline to staff only, never on the portal. Editable by its author for
    JAIM_NOTE_EDIT_MINUTES after writing it; never deleted (a PostgreSQL trigger refuses it), only struck
    through with a reason — the text stays."""

    class Kind(models.TextChoices):
        PHONE = "PHONE", _("電話")
        MAIL = "MAIL", _("メール")
        VISIT = "VISIT", _("来訪")
        MEMO = "MEMO", _("メモ")

    establishment = models.ForeignKey(
        Establishment, on_delete=models.PROTECT, related_name="staff_notes", verbose_name=_("事業所")
    )
    kind = models.CharField(_("種類"), max_length=5, choices=Kind.choices, default=Kind.MEMO)
    text = models.TextField(_("内容"), max_length=4000)
    attachment = models.FileField(_("添付ファイル"), upload_to=note_upload_to, blank=True, max_length=200)
    attachment_name = models.CharField(_("添付ファイルの元の名前"), max_length=200, blank=True)
    attachment_type = models.CharField(_("添付ファイルの形式"), max_length=40, blank=True)
    attachment_size = models.PositiveBigIntegerField(
        _("添付ファイルのサイズ（バイト）"), null=True, blank=True
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("記入者")
    )
    created_at = models.DateTimeField(_("記入日時"), auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(_("最終編集日時"), null=True, blank=True)
    struck_at = models.DateTimeField(_("取消線を引いた日時"), null=True, blank=True)
    struck_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("取消線を引いた人"),
    )
    strike_reason = models.CharField(_("取消線の理由"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("職員メモ")
        verbose_name_plural = _("職員メモ（対応記録）")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="staffnote_struck_has_reason",
                condition=Q(struck_at__isnull=True) | (Q(struck_by__isnull=False) & ~Q(strike_reason="")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def attachment_extension(self) -> str:
        from jaim.uploads import EXTENSIONS

        return EXTENSIONS.get(self.attachment_type, "")

    @property
    def download_name(self) -> str:
        """Built from our data (kind, establishment, date), never the uploader's file name."""
        from jaim.uploads import download_name

        return download_name(
            self.get_kind_display(),
            self.establishment.name,
            f"{self.created_at:%Y%m%d}",
            extension=self.attachment_extension or "bin",
        )

    def delete(self, *args, **kwargs):
        from django.core.exceptions import ValidationError

        raise ValidationError(_("職員メモは削除できません。取消線を引いてください。"))
