"""Finance staff's screens. Issued invoices, credit notes, payments and receipts are read-only (no edit, no
delete); every change goes through fees.services (record a payment, credit note, statement import, debit runs)."""

import datetime as dt

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import connection, models
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fees import selectors, services
from fees.forms import (
    CreditNoteForm,
    DebitExportForm,
    DebitResultForm,
    IgnoreLineForm,
    ManualPaymentForm,
    SettleLineForm,
    StatementUploadForm,
)
from fees.models import (
    BankStatementImport,
    BankStatementLine,
    BillingContact,
    CreditNote,
    DebitItem,
    DebitMandate,
    DebitOriginator,
    DebitRun,
    FeeSchedule,
    FirstYearRate,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    Receipt,
    Statement,
    StatementItem,
)
from jaim.admin import ReadOnlyMixin, run_service


def _form_page(request, admin_obj, title, form, *, obj=None, intro="", submit=None):
    context = {
        **admin_obj.admin_site.each_context(request),
        "opts": admin_obj.model._meta,
        "title": title,
        "form": form,
        "object": obj,
        "intro": intro,
        "submit": submit or _("実行する"),
    }
    return render(request, "admin/fees/form.html", context)


def _pdf(kind, pk, filename, *, force=False):
    name = services.store_document_pdf(kind, pk, force=force)
    return FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/pdf",
    )


# --- schedules --------------------------------------------------------------------------------------------


class FirstYearRateInline(admin.TabularInline):
    model = FirstYearRate
    extra = 0
    max_num = 12
    fields = ["month", "numerator", "denominator"]


@admin.register(FeeSchedule)
class FeeScheduleAdmin(admin.ModelAdmin):
    list_display = [
        "fiscal_year",
        "label",
        "is_sample",
        "base_fee_yen",
        "sme_discount_yen",
        "group_discount_yen",
        "renewal_debit_date",
    ]
    list_filter = ["is_sample"]
    inlines = [FirstYearRateInline]
    fieldsets = [
        (None, {"fields": ["fiscal_year", "label", "is_sample"]}),
        (
            gettext_lazy("金額（円・整数）"),
            {"fields": ["base_fee_yen", "sme_discount_yen", "group_discount_yen"]},
        ),
        (gettext_lazy("口座振替"), {"fields": ["renewal_debit_date"]}),
        (None, {"fields": ["note"]}),
    ]

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if (
            isinstance(inline, FirstYearRateInline)
            and (obj is None or obj.pk is None)
            and request.method == "GET"
        ):
            months = [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]
            rates = {m: services.default_first_year_rate(m) for m in months}
            kwargs["initial"] = [
                {"month": m, "numerator": n, "denominator": d} for m, (n, d) in rates.items()
            ]
        return kwargs

    def get_inline_instances(self, request, obj=None):
        instances = super().get_inline_instances(request, obj)
        for inline in instances:
            if isinstance(inline, FirstYearRateInline):
                inline.extra = 12 if obj is None else 0
        return instances


# --- invoices ---------------------------------------------------------------------------------------------


class InvoiceLineInline(ReadOnlyMixin, admin.TabularInline):
    model = InvoiceLine
    fields = ["position", "kind", "description", "amount_yen"]
    readonly_fields = fields
    extra = 0


class CreditNoteInline(ReadOnlyMixin, admin.TabularInline):
    model = CreditNote
    fields = ["number", "issue_date", "amount_yen", "reason"]
    readonly_fields = fields
    extra = 0


class AllocationInline(ReadOnlyMixin, admin.TabularInline):
    model = PaymentAllocation
    fields = ["payment", "amount_yen"]
    readonly_fields = fields
    extra = 0


class DebitItemForInvoiceInline(ReadOnlyMixin, admin.TabularInline):
    model = DebitItem
    fields = ["run", "amount_yen", "new_code", "result_code"]
    readonly_fields = fields
    extra = 0


def distinct_values_by_index(model, column: str) -> list:
    """The distinct values of an indexed column, smallest first, hopping the index one value at a time (a loose
    index scan: one probe per value) instead of a DISTINCT that reads every row of the table."""
    table, col = connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(column)
    # Fixed SQL: our own table and column names, quoted; no values.
    first = f"SELECT MIN({col}) FROM {table}"  # noqa: S608 - our own quoted table and column names, no values
    hop = f"SELECT (SELECT MIN({col}) FROM {table} WHERE {col} > hops.v) FROM hops WHERE hops.v IS NOT NULL"  # noqa: S608 - our own quoted table and column names, no values
    sql = f"WITH RECURSIVE hops(v) AS ({first} UNION ALL {hop}) SELECT v FROM hops WHERE v IS NOT NULL"  # noqa: S608 - our own quoted table and column names, no values
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


class FiscalYearFilter(admin.AllValuesFieldListFilter):
    """The fiscal years invoices exist for, read from the (fiscal_year, status) index (a DISTINCT over all invoices
    grew with the table: 60–80 ms at 267,000). fiscal_year is never empty, so there is no "empty" choice to find."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = SimpleLazyObject(lambda: distinct_values_by_index(model, field.column))


class InvoiceListQuerySet(models.QuerySet):
    """The admin list's invoices. The date hierarchy's years are found by one EXISTS per year between the first and
    last issue date (index on issue_date) instead of a DISTINCT DATE_TRUNC over every invoice (80–150 ms)."""

    def dates(self, field_name, kind, order="ASC"):
        if kind != "year":
            return super().dates(field_name, kind, order)
        plain = self.order_by()
        bounds = plain.aggregate(first=models.Min(field_name), last=models.Max(field_name))
        if bounds["first"] is None:
            return []
        years = range(bounds["first"].year, bounds["last"].year + 1)
        probes = {f"y{y}": models.Exists(plain.filter(**{f"{field_name}__year": y})) for y in years}
        found = plain.annotate(**probes).values(*probes).first() or {}
        dates = [dt.date(y, 1, 1) for y in years if found.get(f"y{y}")]
        return dates if order == "ASC" else dates[::-1]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "member_number",
        "establishment_name",
        "fiscal_year",
        "kind",
        "method",
        "total_yen",
        "status",
        "due_date",
        "paid_on",
    ]
    list_filter = ["status", "method", "kind", ("fiscal_year", FiscalYearFilter), "is_sample"]
    search_fields = ["number", "member_number", "buyer_name", "establishment_name"]
    date_hierarchy = "issue_date"
    list_select_related = ["membership"]
    show_full_result_count = False  # the unfiltered total counted every invoice a second time on each page
    readonly_fields = [f.name for f in Invoice._meta.fields if f.name not in ("pdf", "notice_pdf")] + [
        "operations"
    ]
    exclude = ["pdf", "notice_pdf"]  # private files: downloaded through the operations links
    inlines = [InvoiceLineInline, CreditNoteInline, AllocationInline, DebitItemForInvoiceInline]
    actions = ["rerender_pdfs", "revoke_pdf_links", "issue_statements"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return InvoiceListQuerySet(model=queryset.model, query=queryset.query, using=queryset.db)

    @admin.display(description=gettext_lazy("操作"))
    def operations(self, obj):
        links = [
            (reverse("admin:fees_invoice_pdf", args=[obj.pk, "invoice"]), _("請求書PDF")),
            (reverse("admin:fees_invoice_pdf", args=[obj.pk, "notice"]), _("会費通知書PDF")),
        ]
        if obj.status in Invoice.OPEN_STATUSES:
            links += [
                (reverse("admin:fees_invoice_payment", args=[obj.pk]), _("入金を記録する")),
                (reverse("admin:fees_invoice_credit", args=[obj.pk]), _("赤伝（取消）を発行する")),
            ]
        return format_html_join(" ｜ ", '<a href="{}">{}</a>', links)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/pdf/<str:kind>/", wrap(self.pdf_view), name="fees_invoice_pdf"),
            path("<int:pk>/payment/", wrap(self.payment_view), name="fees_invoice_payment"),
            path("<int:pk>/credit/", wrap(self.credit_view), name="fees_invoice_credit"),
            *super().get_urls(),
        ]

    def _finance(self, request):
        if not (request.user.is_superuser or request.user.has_perm("fees.add_payment")):
            raise PermissionDenied

    def pdf_view(self, request, pk, kind):
        if not self.has_view_permission(request):
            raise PermissionDenied
        inv = get_object_or_404(Invoice, pk=pk)
        if kind not in ("invoice", "notice"):
            raise Http404
        return _pdf(kind, inv.pk, f"{kind}-{inv.number}.pdf")

    def payment_view(self, request, pk):
        self._finance(request)
        inv = get_object_or_404(Invoice, pk=pk)
        form = ManualPaymentForm(
            request.POST or None,
            initial={"amount_yen": selectors.outstanding_yen(inv), "received_on": dt.date.today()},
        )
        if request.method == "POST" and form.is_valid():
            if run_service(request, services.record_payment, [inv], by=request.user, **form.cleaned_data):
                self.message_user(request, _("入金を記録しました。"))
                return redirect("admin:fees_invoice_change", inv.pk)
        intro = _("%(n)s（未入金額 %(d)s 円）に入金を記録します。") % {
            "n": inv.number,
            "d": f"{selectors.outstanding_yen(inv):,}",
        }
        return _form_page(request, self, _("入金を記録する"), form, obj=inv, intro=intro)

    def credit_view(self, request, pk):
        self._finance(request)
        inv = get_object_or_404(Invoice, pk=pk)
        form = CreditNoteForm(request.POST or None, initial={"amount_yen": selectors.outstanding_yen(inv)})
        if request.method == "POST" and form.is_valid():
            if run_service(request, services.issue_credit_note, inv, by=request.user, **form.cleaned_data):
                self.message_user(request, _("赤伝を発行しました。"))
                return redirect("admin:fees_invoice_change", inv.pk)
        intro = _(
            "請求書 %(n)s を取り消す赤伝を発行します。未入金の範囲でのみ発行できます（返金は行いません）。"
        ) % {"n": inv.number}
        return _form_page(request, self, _("赤伝（取消）を発行する"), form, obj=inv, intro=intro)

    def has_rerender_permission(self, request):
        # Issued invoices are read-only (ReadOnlyMixin): re-rendering their PDFs is finance's (jaim.roles).
        return request.user.has_perm("fees.change_invoice")

    @admin.action(description=gettext_lazy("選択した請求書のPDFを作り直す"), permissions=["rerender"])
    def rerender_pdfs(self, request, queryset):
        from fees import tasks
        from jaim.queue import enqueue

        for pk in queryset.values_list("pk", flat=True):
            enqueue(tasks.render_document, "invoice", pk, True)
            enqueue(tasks.render_document, "notice", pk, True)
        self.message_user(request, _("PDFの再作成を依頼しました。"))

    def has_revoke_links_permission(self, request):
        return request.user.has_perm("fees.change_invoice")

    @admin.action(
        description=gettext_lazy("選択した請求書のPDFリンク（メール記載）を無効にする"),
        permissions=["revoke_links"],
    )
    def revoke_pdf_links(self, request, queryset):
        n = services.revoke_pdf_links(list(queryset), by=request.user)
        self.message_user(
            request,
            _("%(n)s件の請求書について、これまでにメールで送ったPDFリンクを無効にしました。") % {"n": n},
        )

    def has_issue_statements_permission(self, request):
        return request.user.has_perm("fees.add_statement")

    @admin.action(
        description=gettext_lazy(
            "請求明細書を発行（選択した請求書の法人ごとに、未入金の請求書をまとめて送る）"
        ),
        permissions=["issue_statements"],
    )
    def issue_statements(self, request, queryset):
        org_ids = set(queryset.values_list("membership__establishment__organisation_id", flat=True))
        n = services.issue_statements(org_ids, by=request.user)
        self.message_user(
            request,
            _(
                "%(n)s法人に請求明細書を発行し、請求書送付先にメールを送りました（未入金の請求書がない法人は除きます）。"
            )
            % {"n": n},
        )


class StatementItemInline(ReadOnlyMixin, admin.TabularInline):
    model = StatementItem
    fields = ["position", "invoice", "amount_yen"]
    readonly_fields = fields
    extra = 0


@admin.register(Statement)
class StatementAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["number", "organisation", "issue_date", "total_yen", "buyer_name"]
    search_fields = ["number", "organisation__name", "organisation__name_kana"]
    list_select_related = ["organisation"]
    inlines = [StatementItemInline]
    actions = ["revoke_pdf_links"]

    def has_revoke_links_permission(self, request):
        return request.user.has_perm("fees.change_invoice")

    @admin.action(
        description=gettext_lazy("選択した請求明細書のPDFリンク（メール記載）を無効にする"),
        permissions=["revoke_links"],
    )
    def revoke_pdf_links(self, request, queryset):
        n = services.revoke_pdf_links(list(queryset), by=request.user)
        self.message_user(
            request,
            _("%(n)s件の請求明細書について、これまでにメールで送ったPDFリンクを無効にしました。") % {"n": n},
        )


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["number", "invoice", "issue_date", "amount_yen", "reason", "pdf_link"]
    search_fields = ["number", "invoice__number", "reason"]
    list_select_related = ["invoice"]
    readonly_fields = [
        "number",
        "invoice",
        "issue_date",
        "amount_yen",
        "reason",
        "issued_by",
        "created_at",
        "pdf_link",
    ]
    exclude = ["pdf"]

    @admin.display(description="PDF")
    def pdf_link(self, obj):
        return format_html('<a href="{}">PDF</a>', reverse("admin:fees_creditnote_pdf", args=[obj.pk]))

    def get_urls(self):
        return [
            path("<int:pk>/pdf/", self.admin_site.admin_view(self.pdf_view), name="fees_creditnote_pdf"),
            *super().get_urls(),
        ]

    def pdf_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        note = get_object_or_404(CreditNote, pk=pk)
        return _pdf("credit_note", note.pk, f"credit-{note.number}.pdf")


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["number", "invoice", "issue_date", "amount_yen", "addressee", "paid_on"]
    search_fields = ["number", "invoice__number", "addressee"]
    list_select_related = ["invoice"]
    exclude = ["pdf"]


class PaymentAllocationInline(ReadOnlyMixin, admin.TabularInline):
    model = PaymentAllocation
    fields = ["invoice", "amount_yen"]
    readonly_fields = fields
    extra = 0


@admin.register(Payment)
class PaymentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["received_on", "method", "amount_yen", "payer_name", "reference", "recorded_by"]
    list_filter = ["method"]
    search_fields = ["payer_name", "reference", "allocations__invoice__number"]
    date_hierarchy = "received_on"
    inlines = [PaymentAllocationInline]


# --- bank statements --------------------------------------------------------------------------------------


@admin.register(BankStatementImport)
class BankStatementImportAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["uploaded_at", "file_name", "bank_format", "counts_view", "uploaded_by"]
    readonly_fields = ("uploaded_at", "file_name", "bank_format", "sha256", "counts_view", "uploaded_by")
    fields = readonly_fields
    change_list_template = "admin/fees/statement_changelist.html"

    @admin.display(description=gettext_lazy("件数"))
    def counts_view(self, obj):
        from jaim.job_labels import counts_text

        return counts_text(obj.counts)

    def get_urls(self):
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="fees_statement_upload"),
            *super().get_urls(),
        ]

    def upload_view(self, request):
        if not (request.user.is_superuser or request.user.has_perm("fees.add_payment")):
            raise PermissionDenied
        form = StatementUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            f = form.cleaned_data["file"]
            stmt = run_service(
                request,
                services.import_bank_statement,
                f.read(),
                file_name=f.name,
                bank_format=form.cleaned_data["bank_format"],
                by=request.user,
            )
            if stmt:
                c = stmt.counts
                self.message_user(
                    request,
                    _(
                        "%(rows)d行を読み込みました（新規 %(new)d・重複 %(dup)d）。自動照合 %(m)d 件、要確認 %(u)d 件。"
                    )
                    % {
                        "rows": c["rows"],
                        "new": c["new"],
                        "dup": c["duplicates"],
                        "m": c["matched"],
                        "u": c["unmatched"],
                    },
                )
                return redirect(
                    reverse("admin:fees_bankstatementline_changelist") + "?status__exact=UNMATCHED"
                )
        intro = _(
            "銀行の入出金明細CSVを取り込み、金額と振込名義（カナ）が一致する請求を自動で消し込みます。"
            "一致しない明細は「入出金明細（照合）」で確認してください。形式に誤りがある場合は行番号を表示し、何も取り込みません。"
        )
        return _form_page(request, self, _("入出金明細を取り込む"), form, intro=intro, submit=_("取り込む"))


@admin.register(BankStatementLine)
class BankStatementLineAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "booked_on",
        "direction",
        "amount_yen",
        "payer_name_raw",
        "payer_key",
        "status",
        "note",
        "review",
    ]
    list_filter = ["status", "direction"]
    search_fields = ["payer_name_raw", "description_raw", "payer_key"]
    readonly_fields = [f.name for f in BankStatementLine._meta.fields]

    @admin.display(description=gettext_lazy("確認"))
    def review(self, obj):
        if obj.status != BankStatementLine.Status.UNMATCHED or obj.direction != "in":
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:fees_statementline_review", args=[obj.pk]),
            _("消込・対象外"),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/review/",
                self.admin_site.admin_view(self.review_view),
                name="fees_statementline_review",
            ),
            *super().get_urls(),
        ]

    def review_view(self, request, pk):
        if not (request.user.is_superuser or request.user.has_perm("fees.add_payment")):
            raise PermissionDenied
        line = get_object_or_404(BankStatementLine, pk=pk)
        settle = SettleLineForm(request.POST if request.POST.get("action") == "settle" else None, prefix="s")
        ignore = IgnoreLineForm(request.POST if request.POST.get("action") == "ignore" else None, prefix="i")
        if request.method == "POST":
            done = None
            if request.POST.get("action") == "settle" and settle.is_valid():
                numbers = settle.cleaned_data["invoices"]
                invoices = list(Invoice.objects.filter(number__in=numbers))
                if len(invoices) != len(set(numbers)):
                    self.message_user(request, _("見つからない請求書番号があります。"), level=messages.ERROR)
                else:
                    done = run_service(
                        request,
                        services.settle_statement_line,
                        line,
                        invoices,
                        by=request.user,
                        note=settle.cleaned_data["note"],
                    )
            elif request.POST.get("action") == "ignore" and ignore.is_valid():
                done = run_service(
                    request,
                    services.ignore_statement_line,
                    line,
                    by=request.user,
                    note=ignore.cleaned_data["note"],
                )
            if done:
                self.message_user(request, _("明細を処理しました。"))
                return redirect(
                    reverse("admin:fees_bankstatementline_changelist") + "?status__exact=UNMATCHED"
                )
        same_amount, similar = selectors.match_suggestions(line)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("入金明細の確認"),
            "line": line,
            "settle": settle,
            "ignore": ignore,
            "same_amount": same_amount,
            "similar": similar,
        }
        return render(request, "admin/fees/statement_line_review.html", context)


# --- direct debit -----------------------------------------------------------------------------------------


@admin.register(DebitMandate)
class DebitMandateAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "establishment",
        "bank_code",
        "bank_name_kana",
        "branch_code",
        "account_type",
        "masked_account",
        "holder_kana",
        "payer",
        "status",
        "first_debit_done",
    ]
    list_filter = ["status", "account_type", "first_debit_done"]
    search_fields = ["establishment__name", "establishment__organisation__name", "holder_kana"]
    list_select_related = ["establishment__organisation", "payer"]
    exclude = ["account_number"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in DebitMandate._meta.fields if f.name != "account_number"] + ["masked_account"]

    def has_revoke_permission(self, request):
        return request.user.has_perm("fees.change_debitmandate")

    @admin.action(description=gettext_lazy("選択した口座振替依頼を停止する"), permissions=["revoke"])
    def revoke(self, request, queryset):
        n = 0
        for md in queryset.filter(status=DebitMandate.Status.ACTIVE):
            if run_service(request, services.revoke_debit_mandate, md, by=request.user):
                n += 1
        self.message_user(request, _("%(n)d件を停止しました。") % {"n": n})


@admin.register(DebitOriginator)
class DebitOriginatorAdmin(admin.ModelAdmin):
    list_display = ["originator_code", "name_kana", "bank_code", "branch_code", "account_type", "crlf"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not DebitOriginator.objects.exists()


class DebitItemInline(ReadOnlyMixin, admin.TabularInline):
    model = DebitItem
    fields = ["invoice", "customer_number", "amount_yen", "new_code", "result_code"]
    readonly_fields = fields
    extra = 0


@admin.register(DebitRun)
class DebitRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["collection_date", "status", "total_count", "total_yen", "created_at", "files"]
    readonly_fields = [
        "collection_date",
        "status",
        "total_count",
        "total_yen",
        "created_by",
        "created_at",
        "result_imported_at",
        "files",
    ]
    exclude = ["request_file", "result_file"]
    inlines = [DebitItemInline]
    change_list_template = "admin/fees/debitrun_changelist.html"

    @admin.display(description=gettext_lazy("ファイル"))
    def files(self, obj):
        links = [(reverse("admin:fees_debitrun_file", args=[obj.pk, "request"]), _("依頼データ"))]
        if obj.status == DebitRun.Status.EXPORTED:
            links.append((reverse("admin:fees_debitrun_result", args=[obj.pk]), _("結果データを取り込む")))
        else:
            links.append((reverse("admin:fees_debitrun_file", args=[obj.pk, "result"]), _("結果データ")))
        return format_html_join(" ｜ ", '<a href="{}">{}</a>', links)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("export/", wrap(self.export_view), name="fees_debitrun_export"),
            path("<int:pk>/file/<str:which>/", wrap(self.file_view), name="fees_debitrun_file"),
            path("<int:pk>/result/", wrap(self.result_view), name="fees_debitrun_result"),
            *super().get_urls(),
        ]

    def _finance(self, request):
        if not (request.user.is_superuser or request.user.has_perm("fees.add_payment")):
            raise PermissionDenied

    def export_view(self, request):
        self._finance(request)
        form = DebitExportForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            run = run_service(
                request,
                services.export_debit_requests,
                form.cleaned_data["collection_date"],
                by=request.user,
            )
            if run:
                self.message_user(
                    request,
                    _("%(n)d件・%(y)s円の依頼データを作成しました。")
                    % {"n": run.total_count, "y": f"{run.total_yen:,}"},
                )
                return redirect("admin:fees_debitrun_change", run.pk)
        missing = (
            Invoice.objects.filter(method=Invoice.Method.DEBIT, status__in=Invoice.OPEN_STATUSES)
            .exclude(membership__establishment__debit_mandates__status="ACTIVE")
            .count()
        )
        intro = _(
            "振替日までに期限が来る口座振替の請求（口座登録済み）から、全銀形式の依頼データを作成します。口座未登録の請求：%(n)d件"
        ) % {"n": missing}
        return _form_page(
            request, self, _("口座振替の依頼データを作成する"), form, intro=intro, submit=_("作成する")
        )

    def file_view(self, request, pk, which):
        self._finance(request)
        run = get_object_or_404(DebitRun, pk=pk)
        f = run.request_file if which == "request" else run.result_file if which == "result" else None
        if not f:
            raise Http404
        return FileResponse(
            f.storage.open(f.name, "rb"),
            as_attachment=True,
            filename=f.name.rsplit("/", 1)[-1],
            content_type="application/octet-stream",
        )

    def result_view(self, request, pk):
        self._finance(request)
        run = get_object_or_404(DebitRun, pk=pk)
        form = DebitResultForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            counts = run_service(
                request,
                services.import_debit_results,
                run,
                form.cleaned_data["file"].read(),
                by=request.user,
            )
            if counts:
                self.message_user(
                    request,
                    _("振替済 %(ok)d件、振替不能 %(ng)d件を反映しました。")
                    % {"ok": counts["collected"], "ng": counts["failed"]},
                )
                return redirect("admin:fees_debitrun_change", run.pk)
        return _form_page(
            request, self, _("口座振替の結果データを取り込む"), form, obj=run, submit=_("取り込む")
        )


@admin.register(BillingContact)
class BillingContactAdmin(admin.ModelAdmin):
    list_display = ["addressee", "email", "organisation", "establishment", "updated_at"]
    search_fields = ["addressee", "email", "organisation__name", "establishment__name"]
    autocomplete_fields = ["organisation", "establishment"]
