"""The public roster (名簿): effective-dated listing periods and names per membership, and the derived search rows.

Dates are days (Asia/Tokyo). Every interval here is half-open: a row with [from, until) applies on `from` and
on every day before `until`; `until` itself is the first day it no longer applies (None = still applies).
So a membership withdrawn on 2026-09-30 (withdrawn_on) has delisted_on = 2026-09-30: it is listed on
2026-09-29 and not on 2026-09-30.
"""

import datetime as dt
import secrets

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from jaim.validators import PREFECTURE_NAMES, PREFECTURES
from members.models import Membership


def new_token() -> str:
    """A random public token for an entry's permanent URL (96 bits; never derived from an id)."""
    return secrets.token_urlsafe(12)


class RosterEntry(models.Model):
    """The roster's record of one membership, created when it is first listed. Its token never changes, so a
    printed URL or QR code keeps pointing at it, also after delisting (the page then says so)."""

    membership = models.OneToOneField(
        Membership, on_delete=models.PROTECT, related_name="roster_entry", verbose_name=_("会員資格")
    )
    token = models.CharField(
        _("公開用トークン"), max_length=32, unique=True, default=new_token, editable=False
    )
    member_number = models.CharField(_("会員番号"), max_length=16, unique=True)
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("名簿掲載")
        verbose_name_plural = _("名簿掲載")
        ordering = ["member_number"]

    def __str__(self) -> str:
        return self.member_number


class ListingPeriod(models.Model):
    """A span of days during which the membership is on the roster: from the first payment (R9) or a
    reinstatement until withdrawal or lapse. Periods of one entry never overlap; a gap between two is a time
    the establishment was not a member."""

    class ListedReason(models.TextChoices):
        ACTIVATED = "ACTIVATED", _("初回会費の入金")
        REINSTATED = "REINSTATED", _("失効からの復活")
        REBUILT = "REBUILT", _("会員データから再構築")

    class DelistedReason(models.TextChoices):
        WITHDRAWN = "WITHDRAWN", _("退会")
        LAPSED = "LAPSED", _("会費未納による失効")

    entry = models.ForeignKey(
        RosterEntry, on_delete=models.CASCADE, related_name="periods", verbose_name=_("名簿掲載")
    )
    listed_from = models.DateField(_("掲載開始日"))
    delisted_on = models.DateField(
        _("掲載終了日"), null=True, blank=True, help_text=_("この日から掲載されません（退会日・失効日）。")
    )
    listed_reason = models.CharField(_("掲載理由"), max_length=16, choices=ListedReason.choices)
    delisted_reason = models.CharField(
        _("掲載終了理由"), max_length=16, choices=DelistedReason.choices, blank=True
    )
    created_at = models.DateTimeField(_("記録日時"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("掲載期間")
        verbose_name_plural = _("掲載期間")
        ordering = ["entry_id", "listed_from", "id"]
        constraints = [
            models.CheckConstraint(
                name="period_ends_after_start",
                condition=Q(delisted_on__isnull=True) | Q(delisted_on__gte=F("listed_from")),
            ),
            models.UniqueConstraint(
                fields=["entry"], condition=Q(delisted_on__isnull=True), name="period_one_open_per_entry"
            ),
            models.UniqueConstraint(fields=["entry", "listed_from"], name="period_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.listed_from} – {self.delisted_on or ''}"

    def covers(self, day) -> bool:
        return self.listed_from <= day and (self.delisted_on is None or day < self.delisted_on)

    @property
    def last_listed_day(self):
        """The last day on the roster (the day before delisted_on); None while open."""
        return self.delisted_on - dt.timedelta(days=1) if self.delisted_on else None

    @property
    def is_empty(self) -> bool:
        """Delisted the day it was listed: never on the roster."""
        return self.delisted_on is not None and self.delisted_on <= self.listed_from


class IdentityFields(models.Model):
    """What the roster shows about a membership on a day. Never personal data: no people, phones, e-mails or
    street addresses — only what an officer needs to identify the site."""

    corporate_number = models.CharField(_("法人番号"), max_length=13, blank=True)
    organisation_name = models.CharField(_("法人名"), max_length=200)
    establishment_name = models.CharField(_("事業所名"), max_length=200)
    prefecture = models.CharField(_("都道府県"), max_length=2, choices=PREFECTURES)
    city = models.CharField(_("市区町村"), max_length=100)
    # During a merger/split (R13) or relocation (R14) accepted but not yet effective, the new names are shown
    # beside the old ones. Empty otherwise.
    change_kind = models.CharField(_("変更中の種別"), max_length=16, blank=True)
    new_organisation_name = models.CharField(_("新法人名"), max_length=200, blank=True)
    new_establishment_name = models.CharField(_("新事業所名"), max_length=200, blank=True)
    new_prefecture = models.CharField(_("新都道府県"), max_length=2, choices=PREFECTURES, blank=True)
    new_city = models.CharField(_("新市区町村"), max_length=100, blank=True)
    # [[code, name_ja], …] of the membership's JSIC classifications, sorted by code.
    jsic = models.JSONField(_("産業分類"), default=list, blank=True)

    IDENTITY_FIELDS = (
        "corporate_number",
        "organisation_name",
        "establishment_name",
        "prefecture",
        "city",
        "change_kind",
        "new_organisation_name",
        "new_establishment_name",
        "new_prefecture",
        "new_city",
        "jsic",
    )

    class Meta:
        abstract = True

    @property
    def has_pending_change(self) -> bool:
        return bool(self.change_kind)

    # Prefecture names from the dict, not get_FOO_display (which rebuilds a dict of the 47 choices per call):
    # every result card of the roster shows them.
    @property
    def location(self) -> str:
        return f"{PREFECTURE_NAMES.get(self.prefecture, self.prefecture)}{self.city}"

    @property
    def new_location(self) -> str:
        if not self.new_prefecture:
            return ""
        return f"{PREFECTURE_NAMES.get(self.new_prefecture, self.new_prefecture)}{self.new_city}"

    @property
    def jsic_code_list(self) -> list[str]:
        return [code for code, _name in self.jsic]

    def identity(self) -> dict:
        return {f: getattr(self, f) for f in self.IDENTITY_FIELDS}


class NameVersion(IdentityFields):
    """Effective-dated names (R13, R14) and classifications of a membership: the version valid on a day is the
    one with valid_from <= day < valid_until. Versions of one entry are contiguous; the first one also answers
    for days before it (names before the roster first saw the membership are not known)."""

    entry = models.ForeignKey(
        RosterEntry, on_delete=models.CASCADE, related_name="versions", verbose_name=_("名簿掲載")
    )
    valid_from = models.DateField(_("適用開始日"))
    valid_until = models.DateField(_("適用終了日"), null=True, blank=True)
    reason = models.CharField(_("理由"), max_length=32, blank=True)
    # The registered readings (フリガナ) of the names: never shown on the roster, only put into the lines' search
    # key (normalised as bank kana are) so that an officer holding the kana from a bank or insurance document
    # finds the site.
    organisation_name_kana = models.CharField(_("法人名フリガナ"), max_length=200, blank=True, default="")
    establishment_name_kana = models.CharField(_("事業所名フリガナ"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("記録日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("名称等の履歴")
        verbose_name_plural = _("名称等の履歴")
        ordering = ["entry_id", "valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                name="version_ends_after_start",
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=F("valid_from")),
            ),
            models.UniqueConstraint(fields=["entry", "valid_from"], name="version_unique_start"),
        ]

    READING_FIELDS = ("organisation_name_kana", "establishment_name_kana")
    IDENTITY_FIELDS = (*IdentityFields.IDENTITY_FIELDS, *READING_FIELDS)

    def __str__(self) -> str:
        return f"{self.valid_from} {self.organisation_name} {self.establishment_name}"


class RosterLine(IdentityFields):
    """The public roster itself: derived from listing periods × name versions (rebuilt for a membership on
    every change), one row per span of days during which that membership was listed with those names. A
    search "as of D" reads the lines with valid_from <= D < valid_until — one table, one query.

    search_key holds the normalised company and establishment names (old and new during a change) and their
    readings (フリガナ, normalised as bank kana: jaim.text.reading_key), joined by spaces; the query is normalised
    the same ways and has no spaces, so it never matches across two names. The readings are in the key only:
    the line has no column for them, so no result can show one."""

    entry = models.ForeignKey(
        RosterEntry, on_delete=models.CASCADE, related_name="lines", verbose_name=_("名簿掲載")
    )
    valid_from = models.DateField(_("適用開始日"))
    valid_until = models.DateField(_("適用終了日"), null=True, blank=True)
    listed_since = models.DateField(_("掲載開始日"))
    token = models.CharField(_("公開用トークン"), max_length=32)
    member_number = models.CharField(_("会員番号"), max_length=16)
    # "|2592|2599|": a middle or minor code filter is a substring "|25" / "|259" (details start with it).
    jsic_codes = models.CharField(_("産業分類コード"), max_length=200, blank=True)
    search_key = models.TextField(_("検索キー"))
    # What the line's stored result card (RosterCard) was rendered with (roster.cards.card_format); 0: none.
    card_format = models.BigIntegerField(_("表示形式"), default=0)

    class Meta:
        verbose_name = _("名簿の行")
        verbose_name_plural = _("名簿の行")
        ordering = ["member_number", "valid_from"]
        constraints = [
            models.CheckConstraint(
                name="line_ends_after_start",
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=F("valid_from")),
            ),
        ]
        # The trigram GIN index on search_key is created by migration 0002 on PostgreSQL only.
        indexes = [
            models.Index(fields=["member_number"], name="rosterline_member_number"),
            models.Index(fields=["corporate_number"], name="rosterline_corporate_number"),
            models.Index(fields=["prefecture", "member_number"], name="rosterline_prefecture"),
            # A prefecture search matches the new prefecture of a pending relocation too (prefecture = X OR
            # new_prefecture = X): without an index on the second, the first one cannot serve the OR. Partial:
            # only the few lines with a relocation pending (bench/NOTES.md).
            models.Index(
                fields=["new_prefecture"], name="rosterline_new_prefecture", condition=~Q(new_prefecture="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_number} {self.valid_from}–{self.valid_until or ''}"


class RosterCard(models.Model):
    """A line's result card as the public search shows it, per language, rendered when the line is written
    (roster.cards.write_cards), so that a search page reads 20 of them by primary key instead of building
    models and markup per request. In a table of its own: inline, the cards made every line several times wider
    and every search that walks or scans lines read as many more pages. The line's card_format says what the
    card was rendered with: a card rendered otherwise (or missing) is rendered again when shown, and rewritten
    by the next rebuild. Deleted with its line by the database (ON DELETE CASCADE, migration 0006)."""

    line = models.OneToOneField(
        RosterLine,
        on_delete=models.DO_NOTHING,  # the database's cascade (no query of Django's per deleted line)
        db_constraint=False,
        primary_key=True,
        related_name="card",
        verbose_name=_("名簿の行"),
    )
    ja = models.TextField(_("表示（日本語）"))
    en = models.TextField(_("表示（英語）"))

    class Meta:
        verbose_name = _("名簿の行の表示")
        verbose_name_plural = _("名簿の行の表示")
        default_permissions = ()  # derived from the line, written by the roster's services only: no role edits it

    def __str__(self) -> str:
        return str(self.line_id)


class RosterExport(models.Model):
    """A file of the whole roster as of a day, made by the nightly job and served from storage."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel"
        PDF = "pdf", "PDF"

    as_of = models.DateField(_("基準日"))
    format = models.CharField(_("形式"), max_length=8, choices=Format.choices)
    file_name = models.CharField(_("保存先"), max_length=300)
    size_bytes = models.PositiveBigIntegerField(_("サイズ（バイト）"))
    entry_count = models.PositiveIntegerField(_("件数"))
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)

    class Meta:
        verbose_name = _("名簿ファイル")
        verbose_name_plural = _("名簿ファイル")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["format", "-created_at"], name="rosterexport_latest")]

    def __str__(self) -> str:
        return f"{self.as_of} {self.format}"
