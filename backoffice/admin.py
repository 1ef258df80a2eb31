"""Admin for staff operations. Imports and exports are read-only records (made by their screens); announcements and
resources are edited here, but published, withdrawn and sent only through backoffice.services."""

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice import services
from backoffice.forms import MemberResourceForm
from backoffice.models import (
    Announcement,
    AnnouncementDispatch,
    CouncilRecord,
    ExportJob,
    ImportRun,
    InfoSubscriber,
    MemberResource,
    StaffNote,
)
from jaim.admin import HistoryAdmin, ReadOnlyMixin, run_each
from jaim.errors import DomainError

# --- imports --------------------------------------------------------------------------------------------------


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "file_name", "status", "summary", "created_by", "imported_at"]
    list_filter = ["kind", "status"]
    search_fields = ["file_name", "sha256"]
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"
    fields = [
        "kind",
        "status",
        "file_name",
        "encoding",
        "counts",
        "errors",
        "created_by",
        "created_at",
        "imported_by",
        "imported_at",
        "result_ref",
        "open_link",
    ]
    readonly_fields = fields
    change_list_template = "backoffice/admin/importrun_change_list.html"

    @admin.display(description=gettext_lazy("件数"))
    def summary(self, obj):
        c = obj.counts or {}
        return _("計%(rows)s（新規%(c)s・更新%(u)s・変更なし%(n)s・対象外%(s)s・エラー%(r)s）") % {
            "rows": c.get("rows", 0),
            "c": c.get("created", 0),
            "u": c.get("updated", 0),
            "n": c.get("unchanged", 0),
            "s": c.get("skipped", 0),
            "r": c.get("rejected", 0) + len(obj.errors or []),
        }

    @admin.display(description=gettext_lazy("行ごとの結果"))
    def open_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("backoffice:import_preview", args=[obj.pk]), _("開く")
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return redirect("backoffice:import_preview", object_id)


@admin.register(CouncilRecord)
class CouncilRecordAdmin(HistoryAdmin):
    """Council records are kept as imported (R17); staff may only link them to an establishment."""

    list_display = [
        "company_name",
        "establishment_name",
        "corporate_number",
        "prefecture",
        "codes",
        "council_joined_on",
        "council_left_on",
        "information_migration_only",
        "establishment",
        "link_method",
    ]
    list_filter = ["information_migration_only", "link_method", "prefecture"]
    search_fields = ["company_name", "establishment_name", "corporate_number", "council_number", "address"]
    list_select_related = ["establishment__organisation"]
    raw_id_fields = ["establishment"]
    readonly_fields = [
        "council_number",
        "company_name",
        "establishment_name",
        "corporate_number",
        "jsic_codes",
        "postal_code",
        "prefecture",
        "address",
        "council_joined_on",
        "council_left_on",
        "information_migration_only",
        "organisation",
        "link_method",
        "import_run",
        "created_at",
        "updated_at",
    ]
    fields = [*readonly_fields[:12], "establishment", *readonly_fields[12:]]
    actions = ["relink"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("産業分類"))
    def codes(self, obj):
        return " ".join(obj.jsic_codes)

    def save_model(self, request, obj, form, change):
        if "establishment" in form.changed_data and obj.establishment is not None:
            try:
                services.link_council_record(obj, establishment=obj.establishment, by=request.user)
            except DomainError as exc:
                self.message_user(request, exc.message, level=messages.ERROR)

    @admin.action(
        description=gettext_lazy("未照合のデータを法人・事業所と照合し直す"), permissions=["change"]
    )
    def relink(self, request, queryset):
        n = services.relink_council_records(list(queryset), by=request.user)
        self.message_user(request, _("%(n)d件を紐付けました。") % {"n": n})


# --- exports --------------------------------------------------------------------------------------------------


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "title", "format", "status", "row_count", "direct", "requested_by", "query"]
    list_filter = ["status", "format", "direct"]
    search_fields = ["title", "requested_by__email", "query"]
    list_select_related = ["requested_by"]
    date_hierarchy = "created_at"


# --- announcements ---------------------------------------------------------------------------------------------


class DispatchInline(admin.TabularInline):
    model = AnnouncementDispatch
    extra = 0
    can_delete = False
    fields = ["requested_at", "audience_list", "status", "counts", "requested_by", "finished_at", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("送信先"))
    def audience_list(self, obj):
        return "、".join(obj.audience_labels())


@admin.register(Announcement)
class AnnouncementAdmin(HistoryAdmin):
    list_display = ["title", "status", "is_public", "published_at", "sent", "updated_at"]
    list_filter = ["status", "is_public"]
    search_fields = ["title", "body"]
    fields = ["title", "body", "is_public", "status", "published_at", "created_by"]
    readonly_fields = ["status", "published_at", "created_by"]
    inlines = [DispatchInline]
    actions = ["publish", "withdraw"]
    change_form_template = "backoffice/admin/announcement_change_form.html"

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(dispatch_count=Count("dispatches"))

    @admin.display(description=gettext_lazy("送信回数"), ordering="dispatch_count")
    def sent(self, obj):
        return obj.dispatch_count

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.status == Announcement.Status.DRAFT
        )

    @admin.action(description=gettext_lazy("選択したお知らせを公開する"), permissions=["change"])
    def publish(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda obj: services.publish_announcement(obj, by=request.user),
            _("%(n)d件を公開しました。"),
        )

    @admin.action(description=gettext_lazy("選択したお知らせの公開を終了する"), permissions=["change"])
    def withdraw(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda obj: services.withdraw_announcement(obj, by=request.user),
            _("%(n)d件の公開を終了しました。"),
        )


@admin.register(InfoSubscriber)
class InfoSubscriberAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "name",
        "organisation_name",
        "status",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
    ]
    list_filter = ["status"]
    search_fields = ["email", "name", "organisation_name"]
    readonly_fields = ["email", "status", "created_at", "confirmed_at", "unsubscribed_at"]
    fields = ["email", "name", "organisation_name", *readonly_fields[1:]]
    actions = ["stop"]

    def has_add_permission(self, request):
        return False  # only the owner of the address signs up (double opt-in)

    @admin.action(description=gettext_lazy("選択した登録者への配信を停止する"), permissions=["change"])
    def stop(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda obj: services.stop_subscription(obj, by=request.user),
            _("%(n)d件の配信を停止しました。"),
        )


# --- resources -------------------------------------------------------------------------------------------------


@admin.register(MemberResource)
class MemberResourceAdmin(HistoryAdmin):
    form = MemberResourceForm
    list_display = ["title", "kind", "status", "published_at", "order", "original_name", "updated_at"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "summary", "body"]
    readonly_fields = ["status", "published_at", "original_name", "content_type", "size_bytes"]
    actions = ["publish", "unpublish"]

    def get_fields(self, request, obj=None):
        return ["title", "summary", "kind", "body", "upload", "order", *self.readonly_fields]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)  # a class made for this request by modelform_factory
        form.uploaded_by = request.user
        return form

    def save_model(self, request, obj, form, change):
        # The form has checked the upload (MemberResourceForm.clean_upload → Inspected); the service stores it.
        services.save_resource(obj, upload=form.cleaned_data.get("upload"), by=request.user)

    @admin.action(description=gettext_lazy("選択した資料を会員に公開する"), permissions=["change"])
    def publish(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda obj: services.publish_resource(obj, by=request.user),
            _("%(n)d件を公開しました。"),
        )

    @admin.action(description=gettext_lazy("選択した資料を非公開にする"), permissions=["change"])
    def unpublish(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda obj: services.unpublish_resource(obj, by=request.user),
            _("%(n)d件を非公開にしました。"),
        )


@admin.register(StaffNote)
class StaffNoteAdmin(ReadOnlyMixin, HistoryAdmin):
    """The notes of every establishment, to search them across members. Written, corrected and struck through on
    the establishment's timeline only; never deleted here, by any role or by the superuser (a note is struck
    through instead, and a database trigger refuses a delete)."""

    list_display = [
        "created_at",
        "kind",
        "establishment",
        "short_text",
        "author",
        "struck_at",
        "timeline_link",
    ]
    list_filter = ["kind", ("struck_at", admin.EmptyFieldListFilter)]
    search_fields = ["text", "establishment__name", "establishment__organisation__name"]
    list_select_related = ["establishment__organisation", "author"]
    date_hierarchy = "created_at"
    actions = None

    @admin.display(description=gettext_lazy("内容"))
    def short_text(self, obj):
        return obj.text if len(obj.text) <= 60 else obj.text[:60] + "…"

    @admin.display(description=gettext_lazy("対応履歴"))
    def timeline_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("backoffice:timeline_establishment", args=[obj.establishment_id]),
            _("開く"),
        )
