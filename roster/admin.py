"""Staff see each entry's listing history (periods, names over time, the public lines) — read-only: the roster
follows memberships; to change it, change the membership (members admin / services)."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from jaim.dates import today
from roster import selectors
from roster.models import ListingPeriod, NameVersion, RosterEntry, RosterExport, RosterLine


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ListingPeriodInline(ReadOnlyInline):
    model = ListingPeriod
    fields = ["listed_from", "delisted_on", "listed_reason", "delisted_reason", "created_at"]
    readonly_fields = fields
    verbose_name_plural = _("掲載期間（掲載終了日当日は掲載されません）")


class NameVersionInline(ReadOnlyInline):
    model = NameVersion
    fields = [
        "valid_from",
        "valid_until",
        "organisation_name",
        "establishment_name",
        "corporate_number",
        "prefecture",
        "city",
        "change_kind",
        "new_organisation_name",
        "new_establishment_name",
        "reason_label",
    ]
    readonly_fields = fields

    # the stored reason is a code: a listing reason in lower case (「activated」) or the name change that caused it
    REASON_LABELS = {
        "change_accepted": _("名称変更・移転の受付"),
        "change_effective": _("名称変更・移転の効力発生"),
        "updated": _("事業所情報の更新"),
    }

    @admin.display(description=_("理由"))
    def reason_label(self, obj):
        listed = dict(ListingPeriod.ListedReason.choices)
        return self.REASON_LABELS.get(obj.reason) or listed.get(obj.reason.upper(), obj.reason)


class RosterLineInline(ReadOnlyInline):
    model = RosterLine
    fields = [
        "valid_from",
        "valid_until",
        "listed_since",
        "organisation_name",
        "establishment_name",
        "search_key",
    ]
    readonly_fields = fields
    verbose_name_plural = _("公開された名簿の行（期間×名称）")


@admin.register(RosterEntry)
class RosterEntryAdmin(admin.ModelAdmin):
    list_display = ["member_number", "names", "listed_today", "membership_status", "public_link"]
    search_fields = [
        "member_number",
        "lines__organisation_name",
        "lines__establishment_name",
        "lines__corporate_number",
    ]
    list_select_related = ["membership"]
    readonly_fields = ["membership", "member_number", "token", "public_link", "created_at", "updated_at"]
    fields = readonly_fields
    inlines = [ListingPeriodInline, NameVersionInline, RosterLineInline]

    def get_search_results(self, request, queryset, search_term):
        queryset, _dup = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("versions", "periods")

    @admin.display(description=_("法人名・事業所名（最新）"))
    def names(self, obj):
        versions = list(obj.versions.all())
        return f"{versions[-1].organisation_name} {versions[-1].establishment_name}" if versions else ""

    @admin.display(boolean=True, description=_("本日掲載"))
    def listed_today(self, obj):
        return any(p.covers(today()) for p in obj.periods.all())

    @admin.display(description=_("会員資格の状態"))
    def membership_status(self, obj):
        return obj.membership.get_status_display()

    @admin.display(description=_("公開ページ"))
    def public_link(self, obj):
        url = selectors.entry_url(obj.token)
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)


@admin.register(RosterExport)
class RosterExportAdmin(admin.ModelAdmin):
    list_display = ["created_at", "as_of", "format", "entry_count", "size_bytes", "file_name"]
    list_filter = ["format"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
