"""Staff pages (under the admin site: staff with a verified second factor, see urls.py): the dashboard on the admin
index, imports with preview, exports, reports, sending an announcement."""

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backoffice import charts, dashboard, exports, imports, permissions, reports, selectors, services
from backoffice.forms import ImportUploadForm, SendAnnouncementForm
from backoffice.imports import ASSOCIATION_COLUMNS, COUNCIL_COLUMNS
from backoffice.models import Announcement, Audience, ImportRun
from jaim.admin import run_service
from jaim.tabular import csv_bytes


def _page(request, template: str, title: str, **context):
    return render(request, template, {**admin.site.each_context(request), "title": title, **context})


# --- dashboard ----------------------------------------------------------------------------------------------------


def _link(name: str, query: str = "") -> str:
    return reverse(name) + (f"?{query}" if query else "")


def dashboard_context(request) -> dict:
    """The dashboard's sections the user may see, each with a chart and its numbers."""
    user = request.user
    out: dict = {"dashboard": True}
    if user.has_perm("applications.view_application"):
        waiting = dashboard.waiting_applications()
        out["waiting"] = waiting
        out["waiting_chart"] = charts.hbars(
            waiting["buckets"],
            title=_("審査待ちの申請（受付からの期間）"),
            unit=_("件"),
            label_width=100,
            width=330,
        )
        months = dashboard.review_times()
        out["review_months"] = months
        labels = [f"{m['month']:%y/%m}" for m in months]
        out["review_chart"] = charts.columns(
            labels,
            [
                (_("平均"), "bo-s1", [m["avg_days"] for m in months]),
                (_("90%点"), "bo-s3", [m["p90_days"] for m in months]),
            ],
            title=_("月別の審査日数（受付から決定まで）"),
            unit=_("日"),
        )
        out["returns_chart"] = charts.columns(
            labels,
            [(_("差戻し"), "bo-warn", [m["returns"] for m in months])],
            title=_("月別の差戻し件数"),
            unit=_("件"),
        )
        out["queue_url"] = _link("admin:applications_application_changelist")
        out["returned_url"] = _link("admin:applications_application_changelist", "status=RETURNED")
    if user.has_perm("members.view_membership"):
        by_status = dashboard.members_by_status()
        out["members_status"] = [
            (label, n, _link("admin:members_membership_changelist", f"status__exact={value}"))
            for value, label, n in by_status
        ]
        out["members_status_chart"] = charts.hbars(
            [(label, n) for _v, label, n in by_status],
            title=_("状態別の会員資格"),
            unit=_("件"),
            label_width=120,
            width=330,
        )
        by_pref = dashboard.members_by_prefecture()
        out["members_prefecture"] = by_pref
        out["members_prefecture_chart"] = charts.hbars(
            [(name, n) for _c, name, n in by_pref],
            title=_("都道府県別の会員数"),
            unit=_("件"),
            label_width=70,
            width=330,
        )
        by_jsic = dashboard.members_by_jsic_middle()
        out["members_jsic"] = by_jsic
        out["members_jsic_chart"] = charts.hbars(
            [(f"{code} {name}", n) for code, name, n in by_jsic],
            title=_("産業分類（中分類）別の会員数"),
            unit=_("件"),
            label_width=210,
        )
    if user.has_perm("fees.view_invoice"):
        years = dashboard.invoices_by_fiscal_year()
        out["invoice_years"] = years
        out["invoice_chart"] = charts.stacked(
            [
                (_("%(fy)s年度") % {"fy": y["fiscal_year"]}, [y["paid"], y["open"], y["overdue"]])
                for y in years
            ],
            [(_("入金済み"), "bo-s2"), (_("未入金（期限前）"), "bo-s1"), (_("期限超過"), "bo-warn")],
            title=_("年度別の請求書（入金済み・未入金・期限超過）"),
        )
        out["invoice_url"] = _link("admin:fees_invoice_changelist")
    if user.has_perm("jaim.view_jobrun"):
        out["jobs"] = dashboard.job_runs()
        out["jobs_url"] = _link("admin:jaim_jobrun_changelist")
    out["can_import"] = bool(permissions.importable_kinds(user))
    out["can_report"] = user.has_perm("backoffice.view_reports")
    return out


# --- imports ------------------------------------------------------------------------------------------------------

TEMPLATES = {
    ImportRun.Kind.COUNCIL: COUNCIL_COLUMNS,
    ImportRun.Kind.ASSOCIATION: ASSOCIATION_COLUMNS,
}


def import_upload(request):
    kinds = permissions.importable_kinds(request.user)
    if not kinds:
        raise PermissionDenied
    form = ImportUploadForm(
        request.POST or None, request.FILES or None, kinds=kinds, initial={"kind": request.GET.get("kind")}
    )
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        run = run_service(
            request,
            services.preview_import,
            form.cleaned_data["kind"],
            f.read(),
            file_name=f.name,
            options=form.options(),
            by=request.user,
        )
        if run:
            return redirect("backoffice:import_preview", run.pk)
    return _page(
        request,
        "backoffice/admin/import_upload.html",
        _("データを取り込む"),
        form=form,
        templates=[(k, ImportRun.Kind(k).label, cols) for k, cols in TEMPLATES.items() if k in kinds],
    )


def import_template(request, kind):
    """An empty file with the expected header (UTF-8 with BOM), to fill in."""
    if kind not in TEMPLATES or not permissions.can_import(request.user, kind):
        raise Http404
    data = csv_bytes([c.label for c in TEMPLATES[kind]], [])
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind.lower()}_template.csv"'
    return response


def _import_run(request, pk) -> ImportRun:
    run = get_object_or_404(ImportRun, pk=pk)
    if not (
        permissions.can_import(request.user, run.kind) or request.user.has_perm("backoffice.view_importrun")
    ):
        raise Http404
    return run


def import_preview(request, pk):
    run = _import_run(request, pk)
    show = request.GET.get("show", "problems" if run.counts.get("rejected") else "all")
    rows = run.report
    if show == "problems":
        rows = [r for r in rows if r["outcome"] in (imports.REJECTED, imports.SKIPPED)]
    limit = 500
    return _page(
        request,
        "backoffice/admin/import_preview.html",
        _("取込の確認（ドライラン）") if run.status == ImportRun.Status.PREVIEWED else _("取込の結果"),
        run=run,
        rows=rows[:limit],
        more=max(0, len(rows) - limit),
        show=show,
        labels=imports.OUTCOME_LABELS,
        earlier=list(services.same_file_imports(run)[:3]),
        can_commit=run.can_import and permissions.can_import(request.user, run.kind),
        statement_url=_link("admin:fees_bankstatementline_changelist", "status__exact=UNMATCHED")
        if run.kind == ImportRun.Kind.BANK_STATEMENT
        else "",
    )


@require_POST
def import_commit(request, pk):
    run = _import_run(request, pk)
    if not permissions.can_import(request.user, run.kind):
        raise PermissionDenied
    done = run_service(request, services.commit_import, run, by=request.user)
    if done and done.status == ImportRun.Status.IMPORTED:
        c = done.counts
        messages.success(
            request,
            _("取り込みました：新規 %(c)d件・更新 %(u)d件・変更なし %(n)d件・対象外 %(s)d件。")
            % {"c": c["created"], "u": c["updated"], "n": c["unchanged"], "s": c["skipped"]},
        )
    elif done:
        messages.error(request, _("データが変わったため、取り込めない行があります。何も取り込んでいません。"))
    return redirect("backoffice:import_preview", pk)


@require_POST
def import_discard(request, pk):
    run = _import_run(request, pk)
    if not permissions.can_import(request.user, run.kind):
        raise PermissionDenied
    if run_service(request, services.discard_import, run, by=request.user):
        messages.info(request, _("取込を取り消しました。何も取り込んでいません。"))
    return redirect("admin:backoffice_importrun_changelist")


def import_report(request, pk):
    run = _import_run(request, pk)
    data = csv_bytes([*services.imports.REPORT_HEADER, *run.columns], services.report_rows(run))
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import_{run.pk}_report.csv"'
    return response


# --- exports ------------------------------------------------------------------------------------------------------


def export(request, app_label, model_name, fmt):
    """Export the list as filtered on screen: at once when small, else in the background."""
    model_admin = services.model_admin_for(app_label, model_name)
    if model_admin is None or fmt not in ("csv", "xlsx"):
        raise Http404
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    opts = model_admin.model._meta
    back = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    query = exports.list_query(request.GET)
    try:
        cl = exports.changelist(model_admin, request)
    except IncorrectLookupParameters:
        messages.error(request, _("絞り込み条件が正しくないため出力できません。"))
        return redirect(back)
    if cl.result_count <= services.sync_limit():
        data, count = exports.render(cl, fmt, title=str(opts.verbose_name_plural))
        job = services.record_direct_export(
            by=request.user, model_admin=model_admin, query=query, fmt=fmt, row_count=count
        )
        response = HttpResponse(data, content_type=exports.CONTENT_TYPES[fmt])
        response["Content-Disposition"] = _disposition(job.download_name)
        return response
    services.request_export(by=request.user, model_admin=model_admin, query=query, fmt=fmt)
    messages.success(
        request,
        _(
            "%(n)s件あるため、ファイルを作成しています。できあがったら「出力したファイル」からダウンロードできます。"
        )
        % {"n": f"{cl.result_count:,}"},
    )
    return redirect("backoffice:exports")


def _disposition(name: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename=\"export.{name.rsplit('.', 1)[-1]}\"; filename*=UTF-8''{quote(name)}"


def export_list(request):
    jobs = list(services.exports_for(request.user)[:50])
    pending = any(j.status in ("PENDING", "RUNNING") for j in jobs)
    return _page(request, "backoffice/admin/exports.html", _("出力したファイル"), jobs=jobs, pending=pending)


def export_download(request, pk):
    job = get_object_or_404(services.exports_for(request.user), pk=pk, status="DONE")
    if not job.file or not default_storage.exists(job.file):
        raise Http404
    return FileResponse(
        default_storage.open(job.file, "rb"),
        as_attachment=True,
        filename=job.download_name,
        content_type=exports.CONTENT_TYPES[job.format],
    )


# --- reports ------------------------------------------------------------------------------------------------------


def _report_access(request):
    if not (request.user.is_superuser or request.user.has_perm("backoffice.view_reports")):
        raise PermissionDenied


def report_index(request):
    _report_access(request)
    available = [(slug, title) for slug, (title, _fn) in reports.REPORTS.items()]
    return _page(request, "backoffice/admin/reports.html", _("集計レポート"), reports=available)


def report_detail(request, slug):
    _report_access(request)
    if slug not in reports.REPORTS:
        raise Http404
    title, fn = reports.REPORTS[slug]
    fy = None
    if slug == "review-time":
        try:
            fy = int(request.GET["fy"]) if request.GET.get("fy") else None
        except ValueError:
            fy = None
        report = fn(fy)
    else:
        report = fn()
    if report is None:
        return _page(request, "backoffice/admin/report.html", title, report=None, slug=slug)
    if request.GET.get("format") == "csv":
        response = HttpResponse(csv_bytes(report.header, report.rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="report_{slug}.csv"'
        return response
    current = reports.current_fiscal_year()
    return _page(
        request,
        "backoffice/admin/report.html",
        title,
        report=report,
        slug=slug,
        fy=fy,
        years=list(range(current, 2024, -1)) if slug == "review-time" else [],
    )


# --- announcements ------------------------------------------------------------------------------------------------


def announcement_send(request, pk):
    if not (request.user.is_superuser or request.user.has_perm("backoffice.send_announcement")):
        raise PermissionDenied
    announcement = get_object_or_404(Announcement, pk=pk)
    form = SendAnnouncementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        dispatch = run_service(
            request,
            services.send_announcement,
            announcement,
            audiences=form.cleaned_data["audiences"],
            by=request.user,
        )
        if dispatch:
            messages.success(request, _("送信を受け付けました。同じ宛先に二重に送られることはありません。"))
            return redirect("admin:backoffice_announcement_change", announcement.pk)
    sizes = {
        Audience.SUPPORTING: selectors.supporting_member_users().count(),
        Audience.INFORMATION: selectors.information_member_users().count(),
        Audience.SUBSCRIBERS: selectors.active_subscribers().count(),
    }
    return _page(
        request,
        "backoffice/admin/announcement_send.html",
        _("お知らせを送信する"),
        announcement=announcement,
        form=form,
        sizes=[(Audience(k).label, n) for k, n in sizes.items()],
        dispatches=list(announcement.dispatches.select_related("requested_by")[:20]),
        opts=Announcement._meta,
    )


def council_review_section(application):
    """The review screen's section on former council records of the applicant (R17, FAQ 2-2-1, 2-2-4): a
    reviewer checking the classifications can rely on them. None when there are none."""
    from django.utils.formats import date_format
    from django.utils.html import format_html, format_html_join

    records = selectors.council_records_for(application.establishment)
    if not records:
        return None
    rows = format_html_join(
        "",
        '<li><a href="{}">{} {}</a> {}（{}〜{}） {}{} — {}</li>',
        (
            (
                reverse("admin:backoffice_councilrecord_change", args=[r.pk]),
                r.council_number or "—",
                r.company_name,
                r.establishment_name,
                date_format(r.council_joined_on, "DATE_FORMAT"),
                date_format(r.council_left_on, "DATE_FORMAT") if r.council_left_on else "",
                _("産業分類：%(codes)s") % {"codes": "、".join(str(c) for c in r.jsic_codes) or "—"},
                format_html("（{}）", _("情報移行のみ")) if r.information_migration_only else "",
                _("この事業所に照合済み") if r.establishment_id else _("法人番号が一致（未照合）"),
            )
            for r in records
        ),
    )
    return format_html("<strong>{}</strong><ul>{}</ul>", _("協議会の記録"), rows)
