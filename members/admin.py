from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from jaim import roles
from jaim.admin import HistoryAdmin
from jaim.dates import today
from jaim.errors import DomainError
from jaim.states import audit
from members.forms import ConfirmEffectiveForm
from members.models import (
    Access,
    Association,
    AssociationMembership,
    Establishment,
    FieldEligibility,
    IdentityChange,
    JsicCode,
    LegalForm,
    Membership,
    MembershipTerm,
    Organisation,
    RepresentativeTitle,
    SupportGrant,
    User,
)

PRIVILEGE_FIELDS = ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")
AUDITED_FLAGS = ("is_active", "is_staff", "is_superuser")


@admin.register(User)
class UserAdmin(BaseUserAdmin, HistoryAdmin):
    """Users, staff included: administrators only (jaim.roles). Nobody changes their own privileges; the superuser
    flag and single permissions are never set here (superuser: `manage.py createsuperuser`; permissions come from
    the role groups); a superuser's account is changed by a superuser only. Staff flag and role changes are
    audited (who, whom, before/after)."""

    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "email_verified_at", "date_joined"]
    list_filter = ["is_active", "is_staff", "groups"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("個人情報"), {"fields": ("full_name", "email_verified_at")}),
        (_("権限"), {"fields": PRIVILEGE_FIELDS}),
        (_("日時"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
    )

    @staticmethod
    def _administers(request) -> bool:
        return roles.is_administrator(request.user)

    def has_module_permission(self, request):
        return self._administers(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._administers(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._administers(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return self._administers(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if (
            obj is not None
            and (obj.is_superuser or obj.pk == request.user.pk)
            and not request.user.is_superuser
        ):
            return False
        return self._administers(request) and super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return readonly
        if obj.pk == request.user.pk:
            locked = PRIVILEGE_FIELDS  # nobody changes their own privileges
        else:
            locked = ("is_superuser", "user_permissions")  # never from the admin
        return [*readonly, *(f for f in locked if f not in readonly)]

    def save_model(self, request, obj, form, change):
        before = User.objects.filter(pk=obj.pk).values(*AUDITED_FLAGS).first() if change else None
        super().save_model(request, obj, form, change)
        for flag in AUDITED_FLAGS if before else ():
            if before[flag] != getattr(obj, flag):
                audit(
                    obj,
                    f"user:{flag}",
                    actor=request.user,
                    from_status=str(before[flag]),
                    to_status=str(getattr(obj, flag)),
                    note=f"{request.user.email} → {obj.email}",
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


class RepresentativeReviewFilter(admin.SimpleListFilter):
    title = _("代表者役職")
    parameter_name = "representative"

    def lookups(self, request, model_admin):
        return [("review", _("確認が必要（一覧にない役職）")), ("ok", _("一覧の役職"))]

    def queryset(self, request, queryset):
        if self.value() == "review":
            return queryset.filter(representative_title__isnull=True)
        if self.value() == "ok":
            return queryset.filter(representative_title__isnull=False)
        return queryset


@admin.register(Organisation)
class OrganisationAdmin(HistoryAdmin):
    list_display = [
        "name",
        "corporate_number",
        "legal_form",
        "representative_view",
        "prefecture",
        "capital_yen",
        "regular_employees",
        "is_support_organisation",
    ]
    list_filter = [RepresentativeReviewFilter, "legal_form", "kind", "is_support_organisation", "prefecture"]
    list_select_related = ["legal_form", "representative_title"]
    search_fields = ["name", "name_kana", "corporate_number"]
    readonly_fields = ["representative_title_text"]
    inlines = [EstablishmentInline, AccessInline]

    @admin.display(description=_("代表者"), ordering="representative_name")
    def representative_view(self, obj):
        if obj.representative_needs_review:
            return format_html(
                "{} <strong>{}</strong>",
                obj.representative_name,
                _("役職の確認が必要（入力：%(t)s）") % {"t": obj.representative_title_text or "—"},
            )
        return obj.representative_display

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "representative_title":
            field.queryset = field.queryset.select_related("legal_form").filter(is_active=True)
            field.label_from_instance = lambda t: f"{t.legal_form.name}：{t.title}"
            field.required = True
        if db_field.name == "legal_form":
            field.required = True
        return field

    def save_model(self, request, obj, form, change):
        """An edit goes through the service, so a new representative is recorded with its date (R8)."""
        if not change:
            return super().save_model(request, obj, form, change)
        from members import services

        data = {f: form.cleaned_data[f] for f in services.ORGANISATION_FIELDS if f in form.cleaned_data}
        services.update_organisation(Organisation.objects.get(pk=obj.pk), by=request.user, data=data)
        obj.refresh_from_db()
        return None


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
class EstablishmentAdmin(HistoryAdmin):
    list_display = ["name", "organisation", "prefecture", "city", "phone", "created_at"]
    list_filter = ["prefecture"]
    search_fields = ["name", "name_kana", "organisation__name", "organisation__corporate_number"]
    list_select_related = ["organisation"]
    autocomplete_fields = ["organisation"]
    inlines = [MembershipInline, AccessInline]


@admin.register(Access)
class AccessAdmin(HistoryAdmin):
    list_display = ["user", "organisation", "establishment", "can_manage", "created_at"]
    list_filter = ["can_manage"]
    search_fields = ["user__email", "organisation__name", "establishment__name"]
    list_select_related = ["user", "organisation", "establishment__organisation"]
    autocomplete_fields = ["user", "organisation", "establishment"]


@admin.register(SupportGrant)
class SupportGrantAdmin(HistoryAdmin):
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
class FieldEligibilityAdmin(HistoryAdmin):
    # source and note quote the eligibility data file in English: on the change form only
    list_display = ["jsic", "eligible", "addon", "evidence_template"]
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
class MembershipAdmin(HistoryAdmin):
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


class IdentityChangeStateFilter(admin.SimpleListFilter):
    """The staff queue of mergers and relocations: what needs doing first."""

    title = _("状況")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("reported", _("会員から稼働の報告あり（確認待ち）")),
            ("pending", _("稼働の確認待ち（新旧名称を併記中）")),
            ("follow_up", _("追加書類の提出待ち")),
            ("overdue", _("追加書類の提出期限超過")),
            ("submitted", _("追加書類の確認待ち")),
            ("done", _("完了")),
        ]

    def queryset(self, request, queryset):
        v = self.value()
        open_follow_up = {"effective_on__isnull": False, "follow_up_done_on__isnull": True}
        if v == "reported":
            return queryset.filter(effective_on__isnull=True, reported_effective_on__isnull=False)
        if v == "pending":
            return queryset.filter(effective_on__isnull=True)
        if v == "follow_up":
            return queryset.filter(**open_follow_up, follow_up_submitted_at__isnull=True)
        if v == "overdue":
            return queryset.filter(
                **open_follow_up, follow_up_submitted_at__isnull=True, follow_up_overdue_on__isnull=False
            )
        if v == "submitted":
            return queryset.filter(**open_follow_up, follow_up_submitted_at__isnull=False)
        if v == "done":
            return queryset.filter(follow_up_done_on__isnull=False)
        return queryset


@admin.register(IdentityChange)
class IdentityChangeAdmin(HistoryAdmin):
    """Read-only: an identity change moves only through the services (accepted by approving the application,
    finished by 「新会社の事業開始を確認」/「新事業所の稼働を確認」), so the roster and the follow-up documents
    follow. No delete: the roster's history of names refers to it."""

    list_display = [
        "establishment",
        "kind",
        "old_establishment_name",
        "new_establishment_name",
        "accepted_on",
        "state_view",
        "effective_on",
        "follow_up_due_on",
    ]
    list_filter = [IdentityChangeStateFilter, "kind"]
    list_select_related = ["establishment__organisation"]
    search_fields = [
        "old_establishment_name",
        "new_establishment_name",
        "old_organisation_name",
        "new_organisation_name",
    ]
    actions = ["confirm_effective_action"]
    change_form_template = "admin/members/identitychange/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "id"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_complete_permission(self, request, obj=None):
        return request.user.has_perm("members.complete_identitychange")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("状況"))
    def state_view(self, obj):
        if obj.effective_on is None:
            if obj.reported_effective_on:
                return _("会員から稼働の報告あり（%(d)s）") % {
                    "d": f"{obj.reported_effective_on:%Y年%-m月%-d日}"
                }
            return _("稼働の確認待ち")
        if obj.follow_up_done_on:
            return _("完了")
        if obj.follow_up_submitted_at:
            return _("追加書類の確認待ち")
        if obj.follow_up_overdue_on:
            return _("追加書類の提出期限超過")
        return _("追加書類の提出待ち")

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<int:pk>/confirm-effective/",
                self.admin_site.admin_view(self.confirm_view),
                name=f"{opts.app_label}_{opts.model_name}_confirm",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_complete": self.has_complete_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _confirm(self, request, changes, form) -> int:
        from members import services

        done = 0
        for ch in changes:
            try:
                services.complete_identity_change(
                    ch,
                    effective_on=form.cleaned_data["effective_on"],
                    follow_up_due_on=form.cleaned_data.get("follow_up_due_on"),
                    by=request.user,
                )
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{ch}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(
                request,
                _(
                    "%(n)d件の稼働を確認しました。会員名簿は稼働日から新しい名称になり、追加書類の提出を依頼しました。"
                )
                % {"n": done},
                messages.SUCCESS,
            )
        return done

    def _confirm_page(self, request, changes, form, *, action=None):
        from members import services

        return TemplateResponse(
            request,
            "admin/members/identitychange/confirm.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": changes[0].confirm_label if len(changes) == 1 else _("稼働を確認"),
                "changes": changes,
                "form": form,
                "action": action,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "follow_up_days": services.follow_up_days(),
            },
        )

    def confirm_view(self, request, pk):
        """「新会社の事業開始を確認」/「新事業所の稼働を確認」 for one change, with the date."""
        from members import services

        change = get_object_or_404(
            IdentityChange.objects.select_related("establishment__organisation"), pk=pk
        )
        if not self.has_complete_permission(request):
            raise PermissionDenied
        back = reverse("admin:members_identitychange_change", args=[change.pk])
        if change.effective_on is not None:
            self.message_user(request, _("この変更は既に稼働を確認済みです。"), messages.INFO)
            return redirect(back)
        initial = {"effective_on": change.reported_effective_on or today()}
        data = request.POST if request.method == "POST" else None
        form = ConfirmEffectiveForm(data, initial=initial, follow_up_days=services.follow_up_days())
        if request.method == "POST" and form.is_valid():
            self._confirm(request, [change], form)
            return redirect(back)
        return self._confirm_page(request, [change], form)

    @admin.action(description=_("新会社の事業開始・新事業所の稼働を確認する"), permissions=["complete"])
    def confirm_effective_action(self, request, queryset):
        """The same confirmation for the selected changes (one date for all), after a page asking the date."""
        from members import services

        changes = list(
            queryset.filter(effective_on__isnull=True).select_related("establishment__organisation")
        )
        if not changes:
            self.message_user(request, _("稼働の確認待ちの変更が選ばれていません。"), messages.WARNING)
            return None
        initial = {"effective_on": changes[0].reported_effective_on or today()}
        confirmed = request.POST.get("confirm") == "yes"
        form = ConfirmEffectiveForm(
            request.POST if confirmed else None, initial=initial, follow_up_days=services.follow_up_days()
        )
        if confirmed and form.is_valid():
            self._confirm(request, changes, form)
            return None
        return self._confirm_page(request, changes, form, action="confirm_effective_action")


# --- retention: anonymise personal data after the retention period (security) ------------------------------


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


# --- kinds of organisation and their representatives' titles (R8): data the administrator extends ----------


class RepresentativeTitleInline(admin.TabularInline):
    model = RepresentativeTitle
    extra = 1
    fields = ["title", "order", "is_active"]


@admin.register(LegalForm)
class LegalFormAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "title_names", "order", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "code", "representative_titles__title"]
    inlines = [RepresentativeTitleInline]

    @admin.display(description=_("代表者の役職"))
    def title_names(self, obj):
        return "・".join(t.title for t in obj.representative_titles.all() if t.is_active)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("representative_titles")
