from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from members.models import (
    Access,
    Association,
    AssociationMembership,
    Establishment,
    FieldEligibility,
    IdentityChange,
    JsicCode,
    Membership,
    MembershipTerm,
    Organisation,
    SupportGrant,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin, SimpleHistoryAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "email_verified_at", "date_joined"]
    list_filter = ["is_active", "is_staff", "groups"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("個人情報"), {"fields": ("full_name", "email_verified_at")}),
        (_("権限"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("日時"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
    )


class AccessInline(admin.TabularInline):
    model = Access
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "can_manage", "granted_by", "created_at"]
    readonly_fields = ["granted_by", "created_at"]


class EstablishmentInline(admin.TabularInline):
    model = Establishment
    extra = 0
    fields = ["name", "prefecture", "city", "phone"]
    show_change_link = True


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "corporate_number",
        "kind",
        "prefecture",
        "capital_yen",
        "regular_employees",
        "is_support_organisation",
    ]
    list_filter = ["kind", "is_support_organisation", "prefecture"]
    search_fields = ["name", "name_kana", "corporate_number"]
    inlines = [EstablishmentInline, AccessInline]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["member_number", "status", "activated_on", "withdrawn_on"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Establishment)
class EstablishmentAdmin(SimpleHistoryAdmin):
    list_display = ["name", "organisation", "prefecture", "city", "phone", "created_at"]
    list_filter = ["prefecture"]
    search_fields = ["name", "name_kana", "organisation__name", "organisation__corporate_number"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]
    inlines = [MembershipInline, AccessInline]


@admin.register(Access)
class AccessAdmin(SimpleHistoryAdmin):
    list_display = ["user", "organisation", "establishment", "can_manage", "created_at"]
    list_filter = ["can_manage"]
    search_fields = ["user__email", "organisation__name", "establishment__name"]
    list_select_related = ["user", "organisation", "establishment__organisation"]
    autocomplete_fields = ["user", "organisation", "establishment"]


@admin.register(SupportGrant)
class SupportGrantAdmin(SimpleHistoryAdmin):
    list_display = ["establishment", "support_organisation", "granted_at", "revoked_at"]
    search_fields = ["establishment__name", "support_organisation__name"]
    list_select_related = ["establishment__organisation", "support_organisation"]
    autocomplete_fields = ["establishment", "support_organisation"]


@admin.register(Association)
class AssociationAdmin(admin.ModelAdmin):
    list_display = ["name", "is_regular_member", "proof_required", "is_active"]
    list_filter = ["is_regular_member", "proof_required", "is_active"]
    search_fields = ["name", "name_kana"]


@admin.register(AssociationMembership)
class AssociationMembershipAdmin(admin.ModelAdmin):
    list_display = ["organisation", "association", "applied_on", "complete_on", "ended_on"]
    list_filter = ["association"]
    search_fields = ["organisation__name", "organisation__corporate_number", "association__name"]
    autocomplete_fields = ["organisation", "association"]
    list_select_related = ["organisation", "association"]


class FieldEligibilityInline(admin.StackedInline):
    model = FieldEligibility
    extra = 0


@admin.register(JsicCode)
class JsicCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "level", "name_ja", "name_en", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name_ja", "name_en"]
    inlines = [FieldEligibilityInline]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FieldEligibility)
class FieldEligibilityAdmin(SimpleHistoryAdmin):
    list_display = ["jsic", "eligible", "addon", "evidence_template", "source", "note"]
    list_filter = ["eligible", "addon", "evidence_template"]
    search_fields = ["jsic__code", "jsic__name_ja"]
    autocomplete_fields = ["jsic"]
    list_select_related = ["jsic"]


class MembershipTermInline(admin.TabularInline):
    model = MembershipTerm
    extra = 0
    readonly_fields = ["fiscal_year", "renewal_answer", "answered_at", "answered_by"]
    can_delete = False


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = [
        "member_number",
        "establishment",
        "status",
        "fee_notice_date",
        "activated_on",
        "withdrawn_on",
    ]
    list_filter = ["status", "establishment__prefecture"]
    search_fields = [
        "member_number",
        "establishment__name",
        "establishment__organisation__name",
        "establishment__organisation__corporate_number",
    ]
    list_select_related = ["establishment__organisation"]
    raw_id_fields = ["establishment"]
    filter_horizontal = ["jsic_codes"]
    inlines = [MembershipTermInline]
    # Status moves only through services (admin actions elsewhere), never by editing the field.
    readonly_fields = [
        "member_number",
        "status",
        "activated_on",
        "withdrawal_requested_at",
        "withdrawal_effective_on",
        "withdrawn_on",
        "lapsed_on",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(IdentityChange)
class IdentityChangeAdmin(SimpleHistoryAdmin):
    list_display = [
        "establishment",
        "kind",
        "old_establishment_name",
        "new_establishment_name",
        "accepted_on",
        "effective_on",
        "follow_up_due_on",
        "follow_up_done_on",
    ]
    list_filter = ["kind"]
    search_fields = [
        "old_establishment_name",
        "new_establishment_name",
        "old_organisation_name",
        "new_organisation_name",
    ]
    raw_id_fields = ["establishment"]


# --- retention: anonymise personal data after the retention period (issue 8 §10) ------------------------------


@admin.action(description=_("保存期間を過ぎた事業所の個人情報を匿名化する"), permissions=["delete"])
def anonymise_past_retention(modeladmin, request, queryset):
    """Asks first (a page listing what will and will not be anonymised), then calls the service per site."""
    from django.contrib.admin import helpers
    from django.template.response import TemplateResponse

    from jaim.errors import DomainError
    from jaim.models import RetentionPolicy
    from members import services

    establishments = list(queryset.select_related("organisation").prefetch_related("memberships"))
    if request.POST.get("confirm") != "yes":
        rows = [(e, services.retention_end(e), services.past_retention(e)) for e in establishments]
        return TemplateResponse(
            request,
            "admin/members/establishment/anonymise_confirmation.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": _("個人情報の匿名化"),
                "opts": modeladmin.model._meta,
                "rows": rows,
                "policy": RetentionPolicy.current(),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "action": "anonymise_past_retention",
            },
        )
    done = 0
    for est in establishments:
        try:
            services.anonymise_establishment(est, by=request.user)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, exc.message, level="error")
    if done:
        modeladmin.message_user(request, _("%(n)d件の事業所の個人情報を匿名化しました。") % {"n": done})
    return None


EstablishmentAdmin.actions = [*(EstablishmentAdmin.actions or []), anonymise_past_retention]
