"""Staff review in the admin: the queue (oldest receipt first, filters with counts), every answer and document on
one page, and the decisions — each calling applications.services. Requirement rules and pledges are data here."""

import datetime as dt

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Substr
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications import forms, review, selectors, services
from applications.models import (
    AddonAssociation,
    Application,
    Document,
    DocumentType,
    Kind,
    PledgeAcceptance,
    PledgeText,
    Requirement,
    ReviewMessage,
)
from jaim.dates import today
from jaim.errors import DomainError
from members.models import AddOn, Establishment, JsicCode

S = Application.Status


def once_per_request(request, key, compute):
    """The admin builds the filters again for every facet count (seven times a page): their choices are read once."""
    memo = request.__dict__.setdefault("_jaim_filter_choices", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def filtered_for_facets(list_filter, changelist):
    """The queue as the other filters leave it (Django's own starting point for a filter's facet counts)."""
    return changelist.get_queryset(
        list_filter.request, exclude_parameters=list_filter.expected_parameters()
    ).order_by()


def count_applications(queryset):
    """Count applications once each: DISTINCT only when a filter or search joined rows that repeat them."""
    return Count("pk", distinct=queryset.query.distinct)


class StatusFilter(admin.SimpleListFilter):
    """Opens on the queue (submitted and in review); drafts only when asked for."""

    title = gettext_lazy("状態")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("queue", _("審査待ち・審査中")), ("all", _("すべて（下書きを除く）")), *S.choices]

    def choices(self, changelist):
        value = self.value() or "queue"
        counts = self.get_facet_queryset(changelist) if changelist.add_facets else {}
        for i, (lookup, title) in enumerate(self.lookup_choices):
            if counts.get(f"{i}__c", -1) != -1:
                title = f"{title} ({counts[f'{i}__c']})"
            yield {
                "selected": value == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "queue"
        if value == "queue":
            return queryset.filter(status__in=[S.SUBMITTED, S.IN_REVIEW])
        if value in S.values:
            return queryset.filter(status=value)
        return queryset.exclude(status=S.DRAFT)  # drafts are the applicant's business until submitted

    def get_facet_queryset(self, changelist):
        """One GROUP BY status instead of one COUNT … FILTER (id IN subquery) per choice over every application."""
        queryset = filtered_for_facets(self, changelist)
        rows = queryset.values("status").annotate(n=count_applications(queryset))
        by_status = {row["status"]: row["n"] for row in rows}
        counts = {}
        for i, (lookup, _title) in enumerate(self.lookup_choices):
            if lookup == "queue":
                counts[f"{i}__c"] = by_status.get(S.SUBMITTED, 0) + by_status.get(S.IN_REVIEW, 0)
            elif lookup == "all":
                counts[f"{i}__c"] = sum(n for status, n in by_status.items() if status != S.DRAFT)
            else:
                counts[f"{i}__c"] = by_status.get(lookup, 0)
        return counts


class PrefectureFilter(admin.SimpleListFilter):
    title = gettext_lazy("都道府県")
    parameter_name = "pref"

    def lookups(self, request, model_admin):
        return once_per_request(request, "prefectures", self.present_prefectures)

    @staticmethod
    def present_prefectures():
        """Prefectures with at least one application: one EXISTS per prefecture, each stopping at its first
        application (index on the establishment's prefecture), read on one application row — not a DISTINCT over
        every application, which grew with the table (190 ms at 110,000 applications)."""
        from jaim.validators import PREFECTURE_NAMES

        probes = {
            f"p{code}": Exists(Application.objects.filter(establishment__prefecture=code))
            for code in PREFECTURE_NAMES
        }
        row = Application.objects.order_by().annotate(**probes).values(*probes).first() or {}
        return [(code, name) for code, name in sorted(PREFECTURE_NAMES.items()) if row.get(f"p{code}")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(establishment__prefecture=self.value())
        return queryset

    def get_facet_queryset(self, changelist):
        """One GROUP BY prefecture over the filtered queue instead of 47 subqueries (4.3 s at 100,000). The
        prefecture is looked up per application (primary key): a join made PostgreSQL hash every establishment."""
        queryset = filtered_for_facets(self, changelist)
        prefecture = Subquery(
            Establishment.objects.filter(pk=OuterRef("establishment_id")).order_by().values("prefecture")
        )
        rows = queryset.values(code=prefecture).annotate(n=count_applications(queryset))
        by_code = {row["code"]: row["n"] for row in rows}
        return {f"{i}__c": by_code.get(code, 0) for i, (code, _name) in enumerate(self.lookup_choices)}


class JsicFilter(admin.SimpleListFilter):
    title = gettext_lazy("産業分類（中分類）")
    parameter_name = "jsic"

    def lookups(self, request, model_admin):
        return once_per_request(request, "jsic_middles", self.requested_middles)

    @staticmethod
    def requested_middles():
        """Middle classifications of the codes some application requested: one index probe per JSIC code (about
        2,000) rather than a DISTINCT over every requested code."""
        through = Application.requested_codes.through.objects
        codes = JsicCode.objects.filter(Exists(through.filter(jsiccode_id=OuterRef("code")))).values_list(
            "code", flat=True
        )
        middles = sorted({c[:2] for c in codes})
        names = dict(JsicCode.objects.filter(code__in=middles).values_list("code", "name_ja"))
        return [(m, f"{m} {names.get(m, '')}") for m in middles]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(requested_codes__code__startswith=self.value()).distinct()
        return queryset

    def get_facet_queryset(self, changelist):
        """Applications per middle classification in one GROUP BY over the filtered queue's requested codes."""
        through = Application.requested_codes.through.objects
        rows = (
            through.filter(application_id__in=filtered_for_facets(self, changelist).values("pk"))
            .values(middle=Substr("jsiccode_id", 1, 2))
            .annotate(n=Count("application_id", distinct=True))
            .order_by()
        )
        by_middle = {row["middle"]: row["n"] for row in rows}
        return {f"{i}__c": by_middle.get(m, 0) for i, (m, _name) in enumerate(self.lookup_choices)}


class AddonFilter(admin.SimpleListFilter):
    title = gettext_lazy("上乗せ要件")
    parameter_name = "addon"

    def lookups(self, request, model_admin):
        return [("none", _("なし")), *AddOn.choices]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(addon_summary="")
        if self.value():
            return queryset.filter(addon_summary__contains=self.value())
        return queryset


class DaysWaitingFilter(admin.SimpleListFilter):
    title = gettext_lazy("受付からの日数")
    parameter_name = "waiting"
    BANDS = {"lt30": (0, 30), "30to60": (30, 60), "60to90": (60, 90), "ge90": (90, None)}

    def lookups(self, request, model_admin):
        return [
            ("lt30", _("30日未満")),
            ("30to60", _("30〜60日")),
            ("60to90", _("60〜90日")),
            ("ge90", _("90日以上（標準の2〜3か月超）")),
        ]

    def queryset(self, request, queryset):
        band = self.BANDS.get(self.value())
        if not band:
            return queryset
        now = timezone.now()
        low, high = band
        q = Q(submitted_at__lte=now - dt.timedelta(days=low))
        if high is not None:
            q &= Q(submitted_at__gt=now - dt.timedelta(days=high))
        return queryset.filter(q, submitted_at__isnull=False)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DocumentInline(ReadOnlyInline):
    model = Document
    fields = ["preview", "document_type", "details", "size_kb", "uploaded_at", "uploaded_by"]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("提出書類")

    def get_queryset(self, request):  # one query for the list, not one per file for its type and uploader
        return super().get_queryset(request).select_related("document_type", "uploaded_by", "association")

    @admin.display(description=gettext_lazy("ファイル"))
    def preview(self, obj):
        url = reverse("applications:document", args=[obj.pk])
        if obj.is_image:
            return format_html(
                '<a href="{}"><img src="{}?preview=1" alt="{}" class="jaim-preview" width="160"></a><br>{}',
                url,
                url,
                obj.original_name,
                obj.original_name,
            )
        return format_html('<a href="{}">📄 {}</a>', url, obj.original_name)

    @admin.display(description=gettext_lazy("内容"))
    def details(self, obj):
        parts = []
        if obj.evidence_template:
            parts.append(_("様式：%(t)s") % {"t": obj.get_evidence_template_display()})
        if obj.association_id:
            parts.append(_("団体：%(a)s") % {"a": obj.association})
        if obj.issuer:
            parts.append(_("発行者：%(i)s") % {"i": obj.issuer})
        if obj.number:
            parts.append(_("番号：%(n)s") % {"n": obj.number})
        if obj.valid_until:
            parts.append(_("有効期限：%(d)s") % {"d": obj.valid_until})
        return " / ".join(parts) or "—"

    @admin.display(description=gettext_lazy("KB"))
    def size_kb(self, obj):
        return f"{obj.size_bytes / 1024:,.0f}"


class PledgeAcceptanceInline(ReadOnlyInline):
    model = PledgeAcceptance
    fields = ["pledge", "accepted_by", "accepted_at"]
    readonly_fields = fields


class ReviewMessageInline(ReadOnlyInline):
    model = ReviewMessage
    fields = ["created_at", "kind", "message", "deadline", "author"]
    readonly_fields = fields


ANSWER_FIELDSETS = [
    (
        gettext_lazy("申請"),
        {
            "fields": [
                "receipt_number",
                "kind",
                "status",
                "establishment_link",
                "organisation_info",
                "payer",
                "submitted_at",
                "resubmitted_at",
                "days_waiting",
                "reviewer",
                "review_started_at",
                "decided_at",
                "decided_by",
            ]
        },
    ),
    (
        gettext_lazy("産業分類・出荷実績"),
        {
            "fields": [
                "codes_view",
                "had_shipments",
                "ships_within_company",
                "amounts_unavailable",
                "amounts_unavailable_reason",
            ]
        },
    ),
    (
        gettext_lazy("製品・工場の画像"),
        {"fields": ["images_restricted", "images_restriction_reason", "product_use_explanation"]},
    ),
    (
        gettext_lazy("中小企業・団体割引"),
        {
            "fields": [
                "sme_claimed",
                "capital_yen",
                "regular_employees",
                "sme_proof_type",
                "association",
                "association_applied_on",
                "association_complete_on",
            ]
        },
    ),
    (
        gettext_lazy("名称変更・移転"),
        {
            "fields": [
                "new_organisation_name",
                "new_establishment_name",
                "new_address_view",
                "change_expected_on",
                "change_description",
                "identity_change_view",
                "follow_up_view",
            ]
        },
    ),
    (gettext_lazy("退会"), {"fields": ["withdrawal_on", "withdrawal_reason"]}),
    (
        gettext_lazy("差戻し・却下"),
        {"fields": ["return_message", "return_deadline", "returned_at", "rejection_reason"]},
    ),
]


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = [
        "receipt_number",
        "kind",
        "status_badge",
        "establishment_name",
        "organisation_name",
        "prefecture",
        "submitted_at",
        "days_waiting",
        "reviewer",
        "addon_summary",
    ]
    list_display_links = ["receipt_number", "establishment_name"]
    list_filter = [
        StatusFilter,
        "kind",
        JsicFilter,
        AddonFilter,
        PrefectureFilter,
        DaysWaitingFilter,
    ]
    show_facets = admin.ShowFacets.ALWAYS
    show_full_result_count = False  # "(110,000 total)" counted every application ever decided on each page
    search_fields = [
        "receipt_number",
        "establishment__name",
        "establishment__organisation__name",
        "establishment__organisation__corporate_number",
    ]
    list_select_related = ["establishment__organisation", "reviewer"]
    list_per_page = 50
    inlines = [DocumentInline, PledgeAcceptanceInline, ReviewMessageInline]
    fieldsets = ANSWER_FIELDSETS
    actions = ["start_review_action"]
    change_form_template = "admin/applications/application/change_form.html"

    class Media:
        css = {
            "all": ["applications/review_workspace.css"]
        }  # the workspace; list columns that do not wrap per character

    KIND_SECTIONS = {
        "NEW": {0, 1, 2, 3, 6},
        "ADD_CLASSIFICATION": {0, 1, 2, 6},
        "NAME_CHANGE": {0, 4, 6},
        "RELOCATION": {0, 4, 6},
        "WITHDRAWAL": {0, 5, 6},
    }

    def get_fieldsets(self, request, obj=None):
        """Only the sections that belong to this kind of application."""
        wanted = self.KIND_SECTIONS.get(getattr(obj, "kind", None), set(range(len(ANSWER_FIELDSETS))))
        return [fs for i, fs in enumerate(ANSWER_FIELDSETS) if i in wanted]

    def get_readonly_fields(self, request, obj=None):
        # Nothing is edited here: answers belong to the applicant, statuses move only through the services.
        return [f for _title, opts in ANSWER_FIELDSETS for f in opts["fields"]]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("establishment__organisation", "reviewer")

    # --- columns ---

    @admin.display(description=gettext_lazy("状態"), ordering="status")
    def status_badge(self, obj):
        return obj.get_status_display()

    @admin.display(description=gettext_lazy("事業所"), ordering="establishment__name")
    def establishment_name(self, obj):
        return obj.establishment.name

    @admin.display(description=gettext_lazy("法人"), ordering="establishment__organisation__name")
    def organisation_name(self, obj):
        return obj.establishment.organisation.name

    @admin.display(description=gettext_lazy("都道府県"), ordering="establishment__prefecture")
    def prefecture(self, obj):
        return obj.establishment.get_prefecture_display()

    @admin.display(description=gettext_lazy("受付からの日数"))
    def days_waiting(self, obj):
        if not obj.submitted_at:
            return "—"
        end = timezone.localdate(obj.decided_at) if obj.decided_at else today()
        return (end - timezone.localdate(obj.submitted_at)).days

    @admin.display(description=gettext_lazy("事業所"))
    def establishment_link(self, obj):
        est = obj.establishment
        return format_html(
            '<a href="{}">{}</a><br>〒{} {}<br>{}',
            reverse("admin:members_establishment_change", args=[est.pk]),
            est.name,
            est.postal_code_display,
            est.full_address,
            est.employment_insurance_number or "",
        )

    @admin.display(description=gettext_lazy("法人"))
    def organisation_info(self, obj):
        org = obj.establishment.organisation
        return format_html(
            '<a href="{}">{}</a>（{}）<br>{} {}<br>{}：{} / {}：{}',
            reverse("admin:members_organisation_change", args=[org.pk]),
            org.name,
            org.corporate_number or _("個人事業主"),
            org.legal_form or "",
            org.representative_display,
            _("資本金"),
            f"{org.capital_yen:,}" if org.capital_yen is not None else "—",
            _("従業員"),
            org.regular_employees if org.regular_employees is not None else "—",
        )

    @admin.display(description=gettext_lazy("関連する記録"))
    def other_records(self, obj):
        """What other apps know about this applicant (e.g. former council records, R17), via applications.review."""

        sections = review.review_sections(obj)
        if not sections:
            return _("なし")
        return format_html_join("", "<div>{}</div>", ((html,) for html in sections))

    @admin.display(description=gettext_lazy("申請する産業分類"))
    def codes_view(self, obj):
        entries = selectors.code_entries(obj)
        rows = []
        for c in selectors.requested_codes(obj):
            e = entries.get(c.code)
            extra = []
            if e is not None:
                if e.addon:
                    extra.append(e.get_addon_display())
                extra.append(_("様式：%(t)s") % {"t": e.get_evidence_template_display()})
            rows.append((c.code, c.name_ja, "・".join(str(x) for x in extra)))
        return format_html_join("", "<div>{} {} <small>{}</small></div>", rows) or "—"

    @admin.display(description=gettext_lazy("移転先"))
    def new_address_view(self, obj):
        if not obj.new_postal_code:
            return "—"
        from jaim.validators import PREFECTURE_NAMES

        return f"〒{obj.new_postal_code} {PREFECTURE_NAMES.get(obj.new_prefecture, '')}{obj.new_city}{obj.new_address_line}"

    @admin.display(description=gettext_lazy("提出前チェック"))
    def checklist_view(self, obj):
        rows = [("✔" if n.satisfied else "✘", n.label, n.problem) for n in selectors.checklist(obj)]
        org = obj.establishment.organisation
        # R8 (FAQ 2-4-7): the reviewer checks the representative against the registry copy (登記事項証明書).
        since = (
            _("（就任日 %(d)s）") % {"d": f"{org.representative_since:%Y年%-m月%-d日}"}
            if org.representative_since
            else ""
        )
        check = format_html(
            "<div>☐ {}：<strong>{} {}</strong>{} <small>{}</small></div>",
            _("代表者の照合"),
            org.legal_form or "",
            org.representative_display or "—",
            since,
            _(
                "登記事項証明書（登記簿謄本）の代表者と一致するか確認してください。様式1〜4の代表者はこの方です。"
            )
            if not org.representative_needs_review
            else _("代表者役職が一覧の役職ではありません（入力：%(t)s）。法人情報の修正を依頼してください。")
            % {"t": org.representative_title_text or "—"},
        )
        return format_html("{}{}", format_html_join("", "<div>{} {} <small>{}</small></div>", rows), check)

    @admin.display(description=gettext_lazy("新会社・新事業所の稼働"))
    def identity_change_view(self, obj):
        change = selectors.identity_change_of(obj)
        if change is None:
            return "—"
        link = reverse("admin:members_identitychange_change", args=[change.pk])
        if change.effective_on is None:
            reported = (
                _("会員から %(d)s に稼働したと報告がありました（確認待ち）。")
                % {"d": f"{change.reported_effective_on:%Y年%-m月%-d日}"}
                if change.reported_effective_on
                else _("稼働の確認待ち（会員名簿は新旧の名称を併記中）。")
            )
            return format_html('<a href="{}">{}</a> {}', link, change, reported)
        return format_html(
            '<a href="{}">{}</a> {}',
            link,
            change,
            _("%(d)s に稼働を確認（%(by)s）。")
            % {"d": f"{change.effective_on:%Y年%-m月%-d日}", "by": change.completed_by or "—"},
        )

    @admin.display(description=gettext_lazy("稼働後の追加書類"))
    def follow_up_view(self, obj):
        change = selectors.identity_change_of(obj)
        if change is None or change.effective_on is None:
            return "—"
        rows = [("✔" if n.satisfied else "✘", n.label, n.problem) for n in selectors.follow_up_needs(obj)]
        due = _("提出期限 %(d)s") % {"d": f"{change.follow_up_due_on:%Y年%-m月%-d日}"}
        if change.follow_up_done_on:
            state = _("確認済み（%(d)s）") % {"d": f"{change.follow_up_done_on:%Y年%-m月%-d日}"}
        elif change.follow_up_submitted_at:
            state = _("そろいました（事務局の確認待ち）")
        elif change.follow_up_overdue_on:
            state = _("提出期限を過ぎています")
        else:
            state = _("提出待ち")
        return format_html(
            "<div>{} · {}</div>{}",
            due,
            state,
            format_html_join("", "<div>{} {} <small>{}</small></div>", rows),
        )

    # --- decisions ---

    @admin.action(description=gettext_lazy("審査を開始する（自分を担当にする）"), permissions=["change"])
    def start_review_action(self, request, queryset):
        started = 0
        for app in queryset.order_by("submitted_at"):
            try:
                services.start_review(app, reviewer=request.user)
                started += 1
            except DomainError as exc:
                self.message_user(request, f"{app.receipt_number or app.pk}: {exc.message}", messages.WARNING)
        if started:
            self.message_user(request, _("%(n)s件の審査を開始しました。") % {"n": started}, messages.SUCCESS)

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}"
        return [
            path("<int:pk>/start/", self.admin_site.admin_view(self.start_view), name=f"{name}_start"),
            path("<int:pk>/return/", self.admin_site.admin_view(self.return_view), name=f"{name}_return"),
            path("<int:pk>/approve/", self.admin_site.admin_view(self.approve_view), name=f"{name}_approve"),
            path("<int:pk>/reject/", self.admin_site.admin_view(self.reject_view), name=f"{name}_reject"),
            path(
                "<int:pk>/confirm-change/",
                self.admin_site.admin_view(self.confirm_change_view),
                name=f"{name}_confirm_change",
            ),
            path(
                "<int:pk>/accept-follow-up/",
                self.admin_site.admin_view(self.accept_follow_up_view),
                name=f"{name}_accept_follow_up",
            ),
            *super().get_urls(),
        ]

    def _get(self, request, pk) -> Application:
        app = get_object_or_404(Application.objects.select_related("establishment__organisation"), pk=pk)
        if not self.has_change_permission(request, app):
            raise PermissionDenied
        return app

    def _change_url(self, app):
        return reverse("admin:applications_application_change", args=[app.pk])

    def _apply(self, request, app, fn, success, **kwargs):
        try:
            fn(app, reviewer=request.user, **kwargs)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return redirect(self._change_url(app))
        self.message_user(request, success, messages.SUCCESS)
        return None

    def start_view(self, request, pk):
        app = self._get(request, pk)
        if request.method != "POST":
            return redirect(self._change_url(app))
        return self._apply(request, app, services.start_review, _("審査を開始しました。")) or redirect(
            self._change_url(app)
        )

    def _decision(self, request, app, form, title, button, danger=False, extra=None):
        context = {
            **(extra or {}),
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": app,
            "title": title,
            "form": form,
            "button": button,
            "danger": danger,
            "change_url": self._change_url(app),
        }
        return TemplateResponse(request, "admin/applications/application/decision.html", context)

    def return_view(self, request, pk):
        app = self._get(request, pk)
        initial = {
            "deadline": today() + dt.timedelta(days=getattr(settings, "JAIM_RETURN_DEADLINE_DAYS", 30))
        }
        form = forms.ReturnForm(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST" and form.is_valid():
            done = self._apply(
                request,
                app,
                services.return_application,
                _("申請を差し戻し、申請者にメールを送りました。"),
                message=form.cleaned_data["message"],
                deadline=form.cleaned_data["deadline"],
            )
            return done or redirect("admin:applications_application_changelist")
        return self._decision(request, app, form, _("差し戻す（修正を依頼する）"), _("差し戻す"))

    def approve_view(self, request, pk):
        app = self._get(request, pk)
        form = forms.ApproveForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            done = self._apply(request, app, services.approve_application, _("申請を承認しました。"))
            return done or redirect("admin:applications_application_changelist")
        quote, problem = selectors.fee_estimate(app)
        return self._decision(
            request, app, form, _("承認する"), _("承認する"), extra={"quote": quote, "quote_problem": problem}
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": _("申請の一覧（受付順）"), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_complete_change": request.user.has_perm("members.complete_identitychange"),
        }
        app = (
            Application.objects.select_related("establishment__organisation", "association")
            .filter(pk=object_id)
            .first()
        )
        if app is not None and self.has_view_permission(request, app):
            extra_context["workspace"] = self._workspace(request, app)
            extra_context["title"] = _("%(app)s の審査") % {"app": app}
        return super().change_view(request, object_id, form_url, extra_context)

    def _workspace(self, request, app) -> dict:
        """The review workspace: everything a decision needs on one screen — each requirement with its evidence
        beside it, the JSIC codes and their add-on rules, the applicant's history, the fee the approval will bill,
        and the decisions themselves."""
        needs = selectors.checklist(app)
        shown = {d.pk for n in needs for d in n.documents}
        documents = list(app.documents.select_related("document_type").order_by("document_type__name", "pk"))
        entries = selectors.code_entries(app)
        codes = []
        for c in selectors.requested_codes(app):
            e = entries.get(c.code)
            codes.append(
                {
                    "code": c.code,
                    "name": c.name_ja,
                    "addon": e.get_addon_display() if e is not None and e.addon else "",
                    "template": selectors.template_label(e.evidence_template)
                    if e is not None and e.evidence_template
                    else "",
                }
            )
        quote, quote_problem = selectors.fee_estimate(app)
        can_decide = self.has_change_permission(request, app)
        deadline = today() + dt.timedelta(days=getattr(settings, "JAIM_RETURN_DEADLINE_DAYS", 30))
        return {
            "needs": needs,
            "other_documents": [d for d in documents if d.pk not in shown],
            "codes": codes,
            "earlier": list(
                selectors.establishment_applications(app.establishment)
                .exclude(pk=app.pk)
                .order_by("-submitted_at")[:10]
            ),
            "messages": list(app.review_messages.select_related("author").order_by("-created_at")),
            "sections": review.review_sections(app),
            "quote": quote,
            "quote_problem": quote_problem,
            "can_decide": can_decide,
            "can_start": app.status == Application.Status.SUBMITTED,
            "in_review": app.status == Application.Status.IN_REVIEW,
            "return_form": forms.ReturnForm(initial={"deadline": deadline}, prefix="ret")
            if can_decide
            else None,
            "reject_form": forms.RejectForm(prefix="rej") if can_decide else None,
        }

    def confirm_change_view(self, request, pk):
        """「新会社の事業開始を確認」/「新事業所の稼働を確認」 from the review screen (R13, R14): the same service as on
        the identity change."""
        from members.forms import ConfirmEffectiveForm
        from members.services import follow_up_days

        app = self._get(request, pk)
        if not request.user.has_perm("members.complete_identitychange"):
            raise PermissionDenied
        change = selectors.identity_change_of(app)
        if change is None or change.effective_on is not None:
            return redirect(self._change_url(app))
        data = request.POST if request.method == "POST" else None
        initial = {"effective_on": change.reported_effective_on or today()}
        form = ConfirmEffectiveForm(data, initial=initial, follow_up_days=follow_up_days())
        if request.method == "POST" and form.is_valid():
            done = self._apply(
                request,
                app,
                services.confirm_change_effective,
                _("稼働を確認しました。会員名簿は稼働日から新しい名称になり、追加書類の提出を依頼しました。"),
                effective_on=form.cleaned_data["effective_on"],
                follow_up_due_on=form.cleaned_data.get("follow_up_due_on"),
            )
            return done or redirect(self._change_url(app))
        return self._decision(request, app, form, change.confirm_label, change.confirm_label)

    def accept_follow_up_view(self, request, pk):
        app = self._get(request, pk)
        if request.method != "POST":
            return redirect(self._change_url(app))
        if not request.user.has_perm("members.complete_identitychange"):
            raise PermissionDenied
        return self._apply(
            request, app, services.accept_follow_up, _("追加書類を確認済みにしました。")
        ) or redirect(self._change_url(app))

    def reject_view(self, request, pk):
        app = self._get(request, pk)
        form = forms.RejectForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            done = self._apply(
                request,
                app,
                services.reject_application,
                _("申請を却下しました。"),
                reason=form.cleaned_data["reason"],
            )
            return done or redirect("admin:applications_application_changelist")
        return self._decision(request, app, form, _("却下する"), _("却下する"), danger=True)


def kinds_label(kinds: str) -> str:
    """「入会申請・産業分類の追加」 for the stored 「NEW,ADD_CLASSIFICATION」."""
    labels = dict(Kind.choices)
    return "・".join(str(labels.get(k, k)) for k in kinds.split(",") if k)


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    # the code is internal (the services look types up by it): on the change form only, labelled so
    list_display = [
        "name",
        "step",
        "requires_valid_until",
        "min_months_valid",
        "requires_association",
        "evidence_template_override",
        "multiple",
        "order",
        "is_active",
    ]
    list_filter = ["step", "is_active"]
    search_fields = ["code", "name"]
    list_editable = ["order", "is_active"]


@admin.register(Requirement)
class RequirementAdmin(admin.ModelAdmin):
    list_display = [
        "label",
        "kinds_label",
        "stage",
        "addon",
        "jsic",
        "document_type_names",
        "association_must_qualify",
        "order",
        "is_active",
    ]
    list_filter = ["stage", "addon", "is_active"]
    search_fields = ["label"]
    filter_horizontal = ["document_types"]
    autocomplete_fields = ["jsic"]

    @admin.display(description=gettext_lazy("対象の申請"))
    def kinds_label(self, obj):
        return kinds_label(obj.kinds)

    @admin.display(description=gettext_lazy("認められる書類"))
    def document_type_names(self, obj):
        return "、".join(t.name for t in obj.document_types.all())

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("jsic").prefetch_related("document_types")


@admin.register(AddonAssociation)
class AddonAssociationAdmin(admin.ModelAdmin):
    list_display = ["addon", "association"]  # the note cites its source in English: on the change form only
    list_filter = ["addon"]
    autocomplete_fields = ["association"]
    list_select_related = ["association"]


@admin.register(PledgeText)
class PledgeTextAdmin(admin.ModelAdmin):
    list_display = ["title", "version", "kinds_label", "is_active", "order", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["title", "body"]

    @admin.display(description=gettext_lazy("対象の申請"))
    def kinds_label(self, obj):
        return kinds_label(obj.kinds)

    def get_readonly_fields(self, request, obj=None):
        # A version someone accepted is frozen: change the text by adding a new version.
        if obj is not None and PledgeAcceptance.objects.filter(pledge=obj).exists():
            return ["code", "version", "title", "body", "kinds"]
        return []

    def has_delete_permission(self, request, obj=None):
        if obj is not None and PledgeAcceptance.objects.filter(pledge=obj).exists():
            return False
        return super().has_delete_permission(request, obj)
