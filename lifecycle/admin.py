"""Staff side of the lifecycle: the dates, rules and targets (data, with history), and the decisions — confirm or
cancel a withdrawal, reinstate a lapsed membership — which only call services. Job runs: jaim's JobRun admin."""

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jaim.admin import HistoryAdmin, ReadOnlyMixin, run_each
from jaim.dates import today
from lifecycle import services
from lifecycle.models import (
    Lapse,
    Reminder,
    ReminderRule,
    RenewalNotice,
    RenewalSeason,
    WageEvidence,
    WageReport,
    WageReportPeriod,
    WithdrawalRequest,
)

# --- data ---------------------------------------------------------------------------------------------------


@admin.register(RenewalSeason)
class RenewalSeasonAdmin(HistoryAdmin):
    list_display = ["fiscal_year", "notice_on", "answer_deadline", "grace_days", "updated_at"]
    fieldsets = [
        (None, {"fields": ["fiscal_year", "notice_on", "answer_deadline", "grace_days", "note"]}),
    ]


@admin.register(ReminderRule)
class ReminderRuleAdmin(HistoryAdmin):
    list_display = ["kind", "name", "offset_days", "repeat_every_days", "repeat_times", "is_active"]
    list_filter = ["kind", "is_active"]
    list_editable = ["is_active"]


@admin.register(WageReportPeriod)
class WageReportPeriodAdmin(HistoryAdmin):
    list_display = [
        "fiscal_year",
        "opens_on",
        "closes_on",
        "additional_due_on",
        "target_large_pct",
        "target_sme_pct",
    ]


# --- what happened ------------------------------------------------------------------------------------------


@admin.register(RenewalNotice)
class RenewalNoticeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["membership", "fiscal_year", "invoice", "sent_on"]
    list_filter = ["fiscal_year"]
    search_fields = ["membership__member_number", "membership__establishment__name"]
    list_select_related = ["membership", "invoice"]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "rule",
        "content_type",
        "object_id",
        "establishment",
        "reference_date",
        "recipients",
    ]
    list_filter = ["rule__kind", "rule"]
    search_fields = ["establishment__name"]
    list_select_related = ["rule", "content_type", "establishment"]
    date_hierarchy = "created_at"


# --- decisions ----------------------------------------------------------------------------------------------


class OverdueFilter(admin.SimpleListFilter):
    title = _("退会日")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", _("退会日を過ぎて確認待ち")), ("upcoming", _("これから"))]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.filter(status=WithdrawalRequest.Status.PENDING, effective_on__lte=today())
        if self.value() == "upcoming":
            return queryset.filter(effective_on__gt=today())
        return queryset


@admin.register(WithdrawalRequest)
class WithdrawalRequestAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """退会の申出: the queue opens on the requests waiting for the secretariat."""

    list_display = [
        "membership",
        "establishment",
        "status",
        "source",
        "effective_on",
        "requested_at",
        "contact_name",
        "credited_invoice",
    ]
    list_filter = ["status", "source", OverdueFilter]
    search_fields = ["membership__member_number", "membership__establishment__name", "contact_name"]
    list_select_related = ["membership__establishment__organisation", "credited_invoice"]
    readonly_fields = [
        "membership",
        "source",
        "status",
        "effective_on",
        "reason",
        "contact_name",
        "contact_phone",
        "no_ssw_confirmed",
        "no_refund_acknowledged",
        "requested_by",
        "requested_at",
        "confirmed_at",
        "confirmed_by",
        "completed_on",
        "cancelled_at",
        "cancelled_by",
        "cancel_note",
        "credited_invoice",
    ]
    actions = ["confirm", "cancel"]

    def has_change_permission(self, request, obj=None):
        # Viewing the detail needs "view"; the actions below need "change" (finance/administrators).
        return request.user.has_perm("lifecycle.change_withdrawalrequest") and obj is None

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET" and not request.GET:
            return HttpResponseRedirect(f"{request.path}?status__exact={WithdrawalRequest.Status.PENDING}")
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("事業所"))
    def establishment(self, obj):
        est = obj.membership.establishment
        return f"{est.organisation.name} {est.name}"

    @admin.action(description=_("退会を確認する（会員に通知し、退会日に退会とする）"), permissions=["change"])
    def confirm(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda r: services.confirm_withdrawal(r, by=request.user),
            ngettext("%(n)d件の退会を確認しました。", "%(n)d件の退会を確認しました。", queryset.count()),
        )

    @admin.action(description=_("退会の申出を取り消す（会員資格を継続）"), permissions=["change"])
    def cancel(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda r: services.cancel_withdrawal(r, by=request.user, note=str(_("事務局が取り消し"))),
            ngettext("%(n)d件の申出を取り消しました。", "%(n)d件の申出を取り消しました。", queryset.count()),
        )


@admin.register(Lapse)
class LapseAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Lapsed memberships; finance reinstates them once the payment is recorded (fees: 入金)."""

    list_display = ["membership", "establishment", "invoice", "invoice_status", "lapsed_on", "reinstated_on"]
    list_filter = [("reinstated_on", admin.EmptyFieldListFilter)]
    search_fields = ["membership__member_number", "membership__establishment__name", "invoice__number"]
    list_select_related = ["membership__establishment__organisation", "invoice"]
    actions = ["reinstate"]

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("lifecycle.change_lapse") and obj is None

    @admin.display(description=_("事業所"))
    def establishment(self, obj):
        est = obj.membership.establishment
        return f"{est.organisation.name} {est.name}"

    @admin.display(description=_("請求書の状態"))
    def invoice_status(self, obj):
        return obj.invoice.get_status_display()

    @admin.action(
        description=_("入金を確認して会員資格を復活する（本日から名簿に再掲載）"), permissions=["change"]
    )
    def reinstate(self, request, queryset):
        run_each(
            self,
            request,
            queryset,
            lambda lp: services.reinstate_membership(lp, by=request.user),
            ngettext(
                "%(n)d件の会員資格を復活しました。", "%(n)d件の会員資格を復活しました。", queryset.count()
            ),
        )


class WageEvidenceInline(admin.TabularInline):
    model = WageEvidence
    extra = 0
    fields = ["download", "for_additional", "file_type", "size_bytes", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    can_delete = False

    @admin.display(description=_("ファイルの形式"))
    def file_type(self, obj):
        """「PDF」 for the stored media type 「application/pdf」 (「image/jpeg」: 「JPEG」)."""
        return obj.content_type.rpartition("/")[2].upper()

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("ファイル"))
    def download(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("lifecycle:wage_evidence", args=[obj.pk]), obj.original_name
        )


@admin.register(WageReport)
class WageReportAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "membership",
        "establishment",
        "period",
        "status",
        "increase_pct",
        "target_pct",
        "below_target",
        "additional_state",
        "is_late",
    ]
    list_filter = ["period", "status", "below_target", "is_late", "company_is_sme"]
    search_fields = ["membership__member_number", "membership__establishment__name"]
    list_select_related = ["membership__establishment__organisation", "period"]
    inlines = [WageEvidenceInline]
    exclude = []

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    @admin.display(description=_("事業所"))
    def establishment(self, obj):
        est = obj.membership.establishment
        return f"{est.organisation.name} {est.name}"

    @admin.display(description=_("追加報告"))
    def additional_state(self, obj):
        if not obj.below_target:
            return "—"
        if obj.additional_submitted_at:
            return _("提出済み")
        return format_html_join("", "{}", [(_("未提出（期限 %(d)s）") % {"d": obj.additional_due_on},)])
