"""My Page for the lifecycle: the renewal answer, 退会する, and the wage-increase report. Every view reaches the
establishment through members.selectors (another tenant's → 404) and changes things only through services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jaim.dates import fiscal_year_end, fiscal_year_of, fiscal_year_start, today
from jaim.errors import DomainError
from jaim.security import staff_verified
from jaim.views import apply_service
from lifecycle import forms, selectors, services
from lifecycle.models import WageEvidence, WageReport, WithdrawalRequest
from members import selectors as member_selectors
from members.models import Membership


def _back(est, anchor="lifecycle"):
    return redirect(reverse("members:establishment_detail", args=[est.pk]) + f"#{anchor}")


def _membership(est, *statuses) -> Membership | None:
    return (
        est.memberships.filter(status__in=statuses or Membership.OPEN_STATUSES)
        .order_by("-created_at")
        .first()
    )


@login_required
@require_POST
def renewal_continue(request, pk):
    est = member_selectors.get_establishment_for(request.user, pk)
    m = _membership(est)
    if m is None:
        raise Http404
    try:
        services.continue_membership(m, by=request.user)
        messages.success(request, _("「継続する」と回答しました。翌年度もよろしくお願いいたします。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(est)


@login_required
def withdraw(request, pk):
    """退会する (R11), or "withdraw at the end of this year" from the renewal confirmation (?year_end=1, F8)."""
    est = member_selectors.get_managed_establishment_for(request, pk)
    m = _membership(est)
    if m is None:
        raise Http404
    if m.status != Membership.Status.ACTIVE:
        messages.error(
            request,
            _("退会の申出ができるのは有効な会員資格だけです（現在：%(s)s）。")
            % {"s": m.get_status_display()},
        )
        return _back(est)
    on = today()
    year_end = (request.POST.get("year_end") or request.GET.get("year_end")) == "1"
    season = selectors.answerable_season(m, on)
    if year_end and season is None:
        messages.error(request, _("更新確認の回答期間ではありません。"))
        return _back(est)
    form = forms.WithdrawalForm(request.POST or None, year_end=year_end)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        req = apply_service(
            request,
            form,
            services.request_withdrawal,
            m,
            by=request.user,
            effective_on=data.get("effective_on"),
            reason=data["reason"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            no_ssw_confirmed=data["no_ssw_confirmed"],
            no_refund_acknowledged=data["no_refund_acknowledged"],
            source=WithdrawalRequest.Source.RENEWAL if year_end else WithdrawalRequest.Source.MY_PAGE,
        )
        if req:
            messages.success(
                request, _("退会の申出を受け付けました。事務局で確認のうえ、メールで御連絡します。")
            )
            return _back(est)
    year_end_day = fiscal_year_start(fiscal_year_of(on) + 1)
    if not year_end and "effective_on" in form.fields:
        form.fields["effective_on"].widget.attrs.update(
            {"min": on.isoformat(), "max": year_end_day.isoformat()}
        )
    siblings = (
        Membership.objects.filter(
            establishment__organisation_id=est.organisation_id, status__in=Membership.OPEN_STATUSES
        )
        .exclude(establishment=est)
        .select_related("establishment")
    )
    return render(
        request,
        "lifecycle/withdraw.html",
        {
            "est": est,
            "membership": m,
            "form": form,
            "year_end": year_end,
            "season": season,
            "last_day": fiscal_year_end(fiscal_year_of(on)),
            "siblings": siblings,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def withdraw_cancel(request, pk):
    """The member takes back a request the secretariat has not confirmed yet."""
    est = member_selectors.get_managed_establishment_for(request, pk)
    m = _membership(est)
    req = selectors.open_withdrawal(m) if m else None
    if req is None:
        raise Http404
    if req.status != WithdrawalRequest.Status.PENDING:
        messages.error(request, _("事務局で確認済みのため、取り消す場合は事務局に御連絡ください。"))
        return _back(est)
    try:
        services.cancel_withdrawal(req, by=request.user, note=_("申出者が取り消し"))
        messages.success(request, _("退会の申出を取り消しました。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return _back(est)


def _wage_context(request, pk):
    est = member_selectors.get_establishment_for(request.user, pk)
    on = today()
    period = selectors.current_wage_period(on)
    m = _membership(est, Membership.Status.ACTIVE, Membership.Status.WITHDRAWAL_REQUESTED)
    if period is None or m is None:
        raise Http404
    report = WageReport.objects.filter(period=period, membership=m).first()
    if report is None and not selectors.owes_wage_report(m, period):
        raise Http404
    return est, m, period, report, on


@login_required
def wage_report(request, pk):
    """The year's wage-increase report: figures and evidence; correctable until the deadline."""
    est, m, period, report, on = _wage_context(request, pk)
    submitted = report is not None and report.status == WageReport.Status.SUBMITTED
    locked = submitted and on > period.closes_on
    initial = {}
    if submitted:
        initial = {
            f: getattr(report, f) for f in ("workers", "wage_before_yen", "wage_after_yen", "measures")
        }
    form = forms.WageReportForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and not locked and form.is_valid():
        data = form.cleaned_data
        saved = apply_service(
            request,
            form,
            services.submit_wage_report,
            m,
            period=period,
            by=request.user,
            workers=data["workers"],
            wage_before_yen=data["wage_before_yen"],
            wage_after_yen=data["wage_after_yen"],
            measures=data["measures"],
            files=data["evidence"],
        )
        if saved:
            if saved.below_target:
                messages.warning(
                    request,
                    _(
                        "賃上げ報告を受け付けました。賃上げ率が目標に届いていないため、追加報告をお願いします。"
                    ),
                )
            else:
                messages.success(request, _("賃上げ報告を受け付けました。"))
            return _back(est, "wage-report")
    from fees.services import is_sme

    sme = is_sme(est.organisation)
    return render(
        request,
        "lifecycle/wage_report.html",
        {
            "est": est,
            "membership": m,
            "period": period,
            "report": report if submitted else None,
            "evidence": list(report.evidence.all()) if report else [],
            "form": form,
            "locked": locked,
            "sme": sme,
            "target": period.target_for(sme=sme),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
def wage_additional(request, pk):
    est, m, period, report, on = _wage_context(request, pk)
    if report is None or not report.below_target:
        raise Http404
    form = forms.WageAdditionalForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and report.additional_submitted_at is None and form.is_valid():
        data = form.cleaned_data
        if apply_service(
            request,
            form,
            services.submit_additional_wage_report,
            report,
            by=request.user,
            reason=data["reason"],
            plan=data["plan"],
            files=data["evidence"],
        ):
            messages.success(request, _("追加報告を受け付けました。"))
            return _back(est, "wage-report")
    return render(
        request,
        "lifecycle/wage_additional.html",
        {
            "est": est,
            "period": period,
            "report": report,
            "form": form,
            "evidence": [e for e in report.evidence.all() if e.for_additional],
        },
        status=400 if request.method == "POST" else 200,
    )


def _evidence_for(user, pk) -> WageEvidence:
    qs = WageEvidence.objects.select_related(
        "report__period", "report__membership__establishment__organisation"
    )
    if user.is_staff and staff_verified(user) and user.has_perm("lifecycle.view_wagereport"):
        return get_object_or_404(qs, pk=pk)
    return get_object_or_404(
        qs, pk=pk, report__membership__establishment__in=member_selectors.establishments_for(user)
    )


@login_required
def wage_evidence(request, pk):
    """Only through here: the member's side or staff; always an attachment, never sniffed."""
    ev = _evidence_for(request.user, pk)
    response = FileResponse(
        ev.file.open("rb"), as_attachment=True, filename=ev.download_name, content_type=ev.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def wage_evidence_delete(request, pk):
    ev = get_object_or_404(
        WageEvidence.objects.select_related("report__membership"),
        pk=pk,
        report__membership__establishment__in=member_selectors.establishments_for(request.user),
    )
    est_id = ev.report.membership.establishment_id
    try:
        services.remove_wage_evidence(ev, by=request.user)
        messages.success(request, _("書類を削除しました。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("lifecycle:wage_report", est_id)
