"""The applicant's portal: start, the step-by-step wizard (every step saved as a draft), documents, review and
submit. Every view reaches applications through applications.selectors (another tenant's → 404) and changes
them only through applications.services."""

import unicodedata

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications import forms, selectors, services
from applications.models import Application, Kind
from jaim.errors import DomainError
from members import selectors as member_selectors
from members.models import EvidenceTemplate, JsicCode

FORMS = {
    "establishment": forms.PayerForm,
    "shipment": forms.ShipmentForm,
    "images": forms.ImagesForm,
    "sme": forms.SmeForm,
    "association": forms.AssociationForm,
    "change": forms.ChangeForm,
}


def _step_url(app, step):
    if step == "review":
        return reverse("applications:review", args=[app.pk])
    return reverse("applications:step", args=[app.pk, step])


@login_required
def index(request):
    establishments = member_selectors.mypage_establishments(request.user)
    apps = (
        selectors.applications_for(request.user)
        .select_related("establishment__organisation")
        .order_by("-created_at")
    )
    form = forms.StartForm(establishments=establishments, initial=request.GET or None)
    return render(request, "applications/index.html", {"applications": apps, "form": form})


@login_required
def start(request):
    establishments = member_selectors.mypage_establishments(request.user)
    data = request.POST if request.method == "POST" else None
    form = forms.StartForm(data, establishments=establishments, initial=request.GET or None)
    if request.method == "POST" and form.is_valid():
        est = member_selectors.get_establishment_for(request.user, form.cleaned_data["establishment"].pk)
        kind = form.cleaned_data["kind"]
        try:
            app = services.create_application(est, kind=kind, by=request.user)
        except DomainError as exc:
            existing = selectors.open_application(est, kind)
            if exc.code == "open_application_exists" and existing is not None:
                messages.info(request, exc.message)
                return redirect("applications:detail", existing.pk)
            form.add_error(None, exc.message)
            messages.error(request, exc.message)
        else:
            messages.success(request, _("申請の下書きを作成しました。入力内容は画面ごとに保存されます。"))
            return redirect(_step_url(app, "establishment"))
    return render(request, "applications/start.html", {"form": form})


def _editable_or_redirect(request, app):
    if not app.is_editable:
        messages.info(
            request, _("この申請は「%(s)s」のため変更できません。") % {"s": app.get_status_display()}
        )
        return redirect("applications:detail", app.pk)
    return None


def _code_rows(app, request):
    """Search (code or name) or browse the hierarchy; each row says whether it can be picked and why not."""
    search = forms.CodeSearchForm(request.GET or None)
    q = unicodedata.normalize("NFKC", search.data.get("q", "") if search.is_bound else "").strip()
    parent = request.GET.get("parent") or "E"
    if q:
        qs = JsicCode.objects.filter(Q(code__startswith=q) if q.isdigit() else Q(name_ja__icontains=q))
        qs = qs.filter(level__in=["detail", "minor", "middle"]).order_by("code")[:60]
        heading = _("「%(q)s」の検索結果") % {"q": q}
    else:
        qs = JsicCode.objects.filter(parent_id=parent).order_by("code")
        heading = None
    codes = list(qs)
    entries = member_selectors.eligibility_map([c.code for c in codes]) if codes else {}
    existing = set()
    if app.kind == Kind.ADD_CLASSIFICATION:
        m = member_selectors.open_membership(app.establishment)
        if m:
            existing = set(m.jsic_codes.values_list("code", flat=True))
    chosen = {c.code for c in selectors.requested_codes(app)}
    rows = []
    for c in codes:
        entry = entries.get(c.code)
        reason = selectors.code_choice_reason(c, entry, existing=existing)
        browsable = c.level != JsicCode.Level.DETAIL
        rows.append(
            {
                "code": c,
                "entry": entry,
                "reason": "" if browsable and entry is not None and entry.eligible else reason,
                "selectable": not reason and c.code not in chosen,
                "chosen": c.code in chosen,
                "browsable": browsable,
            }
        )
    crumbs = []
    node = JsicCode.objects.filter(code=parent).first() if not q else None
    while node:
        crumbs.insert(0, node)
        node = node.parent
    return {"search": search, "rows": rows, "heading": heading, "crumbs": crumbs, "q": q}


def _render_step(request, app, step, *, form=None, upload_form=None, status=200):
    needs = selectors.checklist(app)
    ctx = {
        "app": app,
        "step": step,
        "step_label": selectors.STEP_LABELS[step],
        "progress": selectors.progress(app, step, needs),
        "previous": selectors.previous_step(app, step),
        "needs": [n for n in needs if n.step == step],
        "form": form,
    }
    doc_types = selectors.document_types_for_step(app, step, needs)
    if doc_types:
        templates = selectors.evidence_templates(app) if step == "shipment" else []
        assoc_qs = None
        if any(t.requires_association for t in doc_types):
            from applications.models import AddonAssociation
            from members.models import Association

            assoc_qs = Association.objects.filter(
                pk__in=AddonAssociation.objects.filter(addon__in=selectors.requested_addons(app)).values(
                    "association_id"
                )
            )
        ctx["upload_form"] = upload_form or forms.UploadForm(
            document_types=doc_types, templates=templates, associations=assoc_qs, initial={"step": step}
        )
        ctx["documents"] = [
            d for d in app.documents.select_related("document_type") if d.document_type in doc_types
        ]
    if step == "codes":
        ctx.update(_code_rows(app, request))
        ctx["chosen"] = selectors.requested_codes(app)
        ctx["chosen_entries"] = selectors.code_entries(app)
    if step == "pledges":
        pledges = selectors.current_pledges(app.kind)
        accepted = set(app.pledges.values_list("pledge_id", flat=True))
        ctx["pledges"] = pledges
        ctx["form"] = form or forms.PledgeForm(pledges=pledges, accepted_ids=accepted)
    if step == "addon":
        ctx["addons"] = sorted(selectors.requested_addons(app))
        ctx["templates"] = selectors.evidence_templates(app)
    if step == "shipment":
        labels = dict(EvidenceTemplate.choices)
        ctx["template_labels"] = [(t, labels.get(t, t)) for t in selectors.evidence_templates(app)]
    if step == "association" and app.association_id:
        ctx["association_proof_required"] = app.association.proof_required
    if step == "establishment":
        ctx["membership"] = member_selectors.open_membership(app.establishment)
    return render(request, "applications/step.html", ctx, status=status)


@login_required
def step(request, pk, step):
    app = selectors.get_application_for(request.user, pk)
    if step not in selectors.steps_for(app):
        raise Http404
    if step == "review":
        return redirect("applications:review", app.pk)
    blocked = _editable_or_redirect(request, app)
    if blocked:
        return blocked
    form_class = FORMS.get(step)
    if request.method != "POST":
        form = form_class(instance=app) if form_class else None
        return _render_step(request, app, step, form=form)

    action = request.POST.get("action", "next")
    try:
        if step == "codes" and action in ("add", "remove"):
            code = request.POST.get("code", "")
            fn = services.add_requested_code if action == "add" else services.remove_requested_code
            fn(app, code, by=request.user)
            messages.success(
                request,
                (_("分類 %(c)s を追加しました。") if action == "add" else _("分類 %(c)s を外しました。"))
                % {"c": code},
            )
            return redirect(request.get_full_path())
        if step == "codes" and not app.requested_codes.exists():
            messages.error(request, _("申請する産業分類を1つ以上選んでください。"))
            return _render_step(request, app, step, status=400)
        if step == "pledges":
            pledges = selectors.current_pledges(app.kind)
            form = forms.PledgeForm(request.POST, pledges=pledges)
            if not form.is_valid():
                return _render_step(request, app, step, form=form, status=400)
            services.accept_pledges(app, pledge_ids=form.accepted_ids(), by=request.user)
        elif form_class:
            form = form_class(request.POST, instance=Application.objects.get(pk=app.pk))
            if not form.is_valid():
                return _render_step(request, app, step, form=form, status=400)
            services.save_answers(
                app, step=step, data={f: form.cleaned_data[f] for f in form.fields}, by=request.user
            )
            if form.cleaned_data.get("had_shipments") is False:
                messages.warning(
                    request,
                    _(
                        "回答を保存しました。直近12か月に製造品出荷額等がない事業所は申請できません"
                        "（稼働前の事業所は、稼働後に申請してください）。"
                    ),
                )
        else:
            services.mark_step_done(app, step=step, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        form = form_class(request.POST, instance=app) if form_class else None
        if form is not None:
            form.is_valid()
            form.add_error(None, exc.message)
        return _render_step(request, app, step, form=form, status=400)
    if action == "save":
        messages.success(request, _("下書きを保存しました。"))
        return redirect(_step_url(app, step))
    return redirect(_step_url(app, selectors.next_step(app, step)))


@login_required
@require_POST
def upload(request, pk):
    app = selectors.get_application_for(request.user, pk)
    blocked = _editable_or_redirect(request, app)
    if blocked:
        return blocked
    step = request.POST.get("step", "")
    if step not in selectors.steps_for(app):
        raise Http404
    doc_types = selectors.document_types_for_step(app, step)
    templates = selectors.evidence_templates(app) if step == "shipment" else []
    from applications.models import AddonAssociation
    from members.models import Association

    assoc_qs = Association.objects.filter(
        pk__in=AddonAssociation.objects.filter(addon__in=selectors.requested_addons(app)).values(
            "association_id"
        )
    )
    form = forms.UploadForm(
        request.POST, request.FILES, document_types=doc_types, templates=templates, associations=assoc_qs
    )
    if form.is_valid():
        try:
            doc = services.upload_document(
                app,
                by=request.user,
                document_type=form.cleaned_data["document_type"],
                uploaded=form.cleaned_data["file"],
                issuer=form.cleaned_data.get("issuer", ""),
                number=form.cleaned_data.get("number", ""),
                valid_until=form.cleaned_data.get("valid_until"),
                association=form.cleaned_data.get("association"),
                evidence_template=form.cleaned_data.get("evidence_template", ""),
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            warning = selectors.upload_warning(app, doc)
            if warning:  # stored, but it will not count: say so now, not only as a ✗ in the checklist
                messages.warning(
                    request,
                    _("「%(n)s」を保存しましたが、このままでは要件を満たしません：%(w)s")
                    % {"n": doc.original_name, "w": warning},
                )
            else:
                messages.success(request, _("「%(n)s」を受け付けました。") % {"n": doc.original_name})
            return redirect(_step_url(app, step) + "#documents")
    messages.error(request, _("ファイルを受け付けられませんでした。内容を確認してください。"))
    return _render_step(
        request,
        app,
        step,
        form=(FORMS[step](instance=app) if step in FORMS else None),
        upload_form=form,
        status=400,
    )


@login_required
@require_POST
def document_delete(request, pk):
    doc = selectors.get_document_for(request.user, pk)
    app = selectors.get_application_for(request.user, doc.application_id)  # staff cannot delete from here
    step = request.POST.get("step") or "review"
    try:
        services.remove_document(doc, by=request.user)
        messages.success(request, _("書類を削除しました。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    if step not in selectors.steps_for(app):
        step = "review"
    return redirect(_step_url(app, step) + "#documents")


@login_required
def document_download(request, pk):
    """Only through here: the applicant's side or staff; always an attachment, never sniffed. Staff may preview
    images inline (still nosniff, the stored type was detected from the content)."""
    doc = selectors.get_document_for(request.user, pk)
    preview = request.GET.get("preview") == "1" and selectors.is_reviewer(request.user)
    if preview and not doc.is_image:
        return _pdf_page_preview(request, doc)
    inline = preview and doc.is_image
    response = FileResponse(
        doc.file.open("rb"),
        as_attachment=not inline,
        filename=doc.download_name,
        content_type=doc.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _pdf_page_preview(request, doc):
    """A reviewer's inline look at one page of an uploaded PDF: a PNG rendered on the server (jaim.uploads), so the
    member's PDF never runs in the staff browser."""
    from jaim.uploads import pdf_preview_png

    try:
        page = max(1, min(int(request.GET.get("page", "1")), 500))
    except ValueError:
        page = 1
    with doc.file.open("rb") as fh:
        png = pdf_preview_png(fh.read(), page=page)
    if png is None:
        raise Http404(_("このページは表示できません。ファイルをダウンロードして確認してください。"))
    response = HttpResponse(png, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def review(request, pk):
    app = selectors.get_application_for(request.user, pk)
    if request.method == "POST":
        try:
            services.submit_application(app, by=request.user)
        except DomainError as exc:
            if exc.code == "already_submitted":
                return redirect("applications:detail", app.pk)
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("申請を提出しました。受付番号：%(n)s。受付メールをお送りしました。")
                % {"n": Application.objects.get(pk=app.pk).receipt_number},
            )
            return redirect("applications:detail", app.pk)
        app = selectors.get_application_for(request.user, pk)
    elif not app.is_editable:
        return redirect("applications:detail", app.pk)
    needs = selectors.checklist(app)
    return render(
        request,
        "applications/review.html",
        {
            "app": app,
            "step": "review",
            "progress": selectors.progress(app, "review", needs),
            "needs": needs,
            "missing": [n for n in needs if not n.satisfied],
            "codes": selectors.requested_codes(app),
            "entries": selectors.code_entries(app),
            "documents": app.documents.select_related("document_type", "association"),
            "pledges": app.pledges.select_related("pledge", "accepted_by"),
            # the templates' labels, not their codes (「その他の分類用」, not `other`)
            "templates": [EvidenceTemplate(t).label for t in selectors.evidence_templates(app)],
            "membership": member_selectors.open_membership(app.establishment),
            "fee": selectors.applicant_fee_quote(app, month=request.GET.get("notice")),
        },
        status=400 if request.method == "POST" else 200,
    )


def _change_context(app, *, report_form=None, upload_form=None) -> dict:
    """The merger/relocation after approval (R13, R14): report the operation, then the follow-up documents."""
    change = selectors.identity_change_of(app)
    if change is None:
        return {}
    needs = selectors.follow_up_needs(app)
    types = selectors.follow_up_document_types(app, needs)
    ctx = {"change": change, "follow_up_needs": needs}
    if change.effective_on is None:
        ctx["report_form"] = report_form or forms.ReportEffectiveForm(
            initial={"effective_on": change.reported_effective_on}
        )
    elif change.follow_up_done_on is None and types:
        ctx["follow_up_form"] = upload_form or forms.FollowUpUploadForm(document_types=types)
    return ctx


def _render_detail(request, app, status=200, **change_forms):
    return render(
        request,
        "applications/detail.html",
        {
            "app": app,
            "codes": selectors.requested_codes(app),
            "documents": app.documents.filter(is_follow_up=False).select_related(
                "document_type", "association"
            ),
            "review_messages": app.review_messages.exclude(kind="APPROVE"),
            "resume": selectors.resume_step(app) if app.is_editable else None,
            "pledges": app.pledges.select_related("pledge", "accepted_by"),
            **_change_context(app, **change_forms),
        },
        status=status,
    )


@login_required
def detail(request, pk):
    app = selectors.get_application_for(request.user, pk)
    return _render_detail(request, app)


@login_required
@require_POST
def change_report(request, pk):
    """「新会社で事業を開始しました」/「新事業所が稼働しました」: lands in the staff queue; never finishes by itself."""
    app = selectors.get_application_for(request.user, pk)
    if selectors.identity_change_of(app) is None:
        raise Http404
    form = forms.ReportEffectiveForm(request.POST)
    if form.is_valid():
        try:
            services.report_change_effective(
                app, effective_on=form.cleaned_data["effective_on"], by=request.user
            )
        except DomainError as exc:
            form.add_error("effective_on", exc.message)
        else:
            messages.success(
                request, _("稼働のご報告を受け付けました。事務局が確認した後、会員名簿の表示が変わります。")
            )
            return redirect(reverse("applications:detail", args=[app.pk]) + "#identity-change")
    return _render_detail(request, app, status=400, report_form=form)


@login_required
@require_POST
def follow_up_upload(request, pk):
    """A follow-up document of a finished merger or relocation (R13, R14), through the usual upload checks."""
    app = selectors.get_application_for(request.user, pk)
    if selectors.identity_change_of(app) is None:
        raise Http404
    form = forms.FollowUpUploadForm(
        request.POST, request.FILES, document_types=selectors.follow_up_document_types(app)
    )
    if form.is_valid():
        try:
            doc = services.upload_follow_up_document(
                app,
                by=request.user,
                document_type=form.cleaned_data["document_type"],
                uploaded=form.cleaned_data["file"],
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, _("「%(n)s」を受け付けました。") % {"n": doc.original_name})
            return redirect(reverse("applications:detail", args=[app.pk]) + "#identity-change")
    messages.error(request, _("ファイルを受け付けられませんでした。内容を確認してください。"))
    return _render_detail(request, app, status=400, upload_form=form)


@login_required
@require_POST
def cancel(request, pk):
    app = selectors.get_application_for(request.user, pk)
    try:
        services.cancel_application(app, by=request.user, note=_("申請者による取下げ"))
        messages.success(request, _("申請を取り下げました。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("applications:detail", app.pk)
