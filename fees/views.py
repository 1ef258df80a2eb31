"""My Page: invoices and documents of an establishment, receipts, billing contact, direct-debit mandate.
Every view finds its object through members.selectors: another organisation's invoice is a 404."""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fees import selectors, services
from fees.forms import BillingContactForm, DebitMandateForm
from fees.models import BillingPreference, CreditNote, Invoice
from jaim.errors import DomainError
from jaim.views import apply_service
from members import selectors as member_selectors
from members.models import Organisation


def establishment_panel(request, establishment):
    """The 会費・請求 section of the establishment page (registered in FeesConfig.ready)."""
    invoices = list(selectors.invoices_for_establishment(establishment))
    return (
        "fees/panel.html",
        {
            "est": establishment,
            "invoices": invoices,
            "failed": [i for i in invoices if i.status == Invoice.Status.DEBIT_FAILED],
            "contact": selectors.billing_contact_for(establishment),
            "mandate": selectors.active_mandate(establishment),
            "may_manage": member_selectors.may_manage(request, establishment),
            "statement_mode": services.wants_statement(establishment.organisation_id),
            # The choice is the head office's (its managers), not a site manager's.
            "may_choose_statement": member_selectors.may_manage(request, establishment)
            and member_selectors.can_manage_organisation(request.user, establishment.organisation),
        },
    )


def _invoice_for(user, pk) -> Invoice:
    return get_object_or_404(selectors.invoices_for_user(user).select_related("receipt"), pk=pk)


@login_required
def invoice_document(request, pk, kind):
    """Download the invoice, fee notice or receipt PDF (attachment), rendering it now if the task has not yet."""
    invoice = _invoice_for(request.user, pk)
    if kind == "invoice":
        name = services.store_document_pdf("invoice", invoice.pk)
        filename = f"請求書_{invoice.number}.pdf"
    elif kind == "notice":
        name = services.store_document_pdf("notice", invoice.pk)
        filename = f"会費請求通知書_{invoice.number}.pdf"
    elif kind == "receipt":
        receipt = getattr(invoice, "receipt", None)
        if receipt is None:
            raise Http404
        name = services.store_document_pdf("receipt", receipt.pk)
        filename = f"領収書_{receipt.number}.pdf"
    else:
        raise Http404
    from django.core.files.storage import default_storage

    return FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=True,
        filename=filename,
        content_type="application/pdf",
    )


@require_GET
def invoice_link(request, token):
    """The invoice mail's link: that one invoice's PDF, without signing in, while the signed token is valid and
    not revoked (fees.services.links). A refused link gets a Japanese page pointing to My Page."""
    try:
        invoice = services.invoice_for_link(token)
    except DomainError as exc:
        status = 410 if exc.code in ("expired", "revoked") else 404
        return render(request, "fees/link_refused.html", {"message": exc.message}, status=status)
    name = services.store_document_pdf("invoice", invoice.pk)
    from django.core.files.storage import default_storage

    response = FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=False,  # opens in the phone's viewer
        filename=f"請求書_{invoice.number}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def statement_link(request, token):
    """The statement mail's link: that one 請求明細書's PDF without signing in, like the invoice link."""
    try:
        statement = services.statement_for_link(token)
    except DomainError as exc:
        status = 410 if exc.code in ("expired", "revoked") else 404
        return render(request, "fees/link_refused.html", {"message": exc.message}, status=status)
    response = FileResponse(
        io.BytesIO(services.statement_pdf_bytes(statement)),
        as_attachment=False,
        filename=f"請求明細書_{statement.number}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
def billing_preference(request, pk):
    """The head office chooses per-site invoice mails or one 請求明細書 for all its sites (its managers only)."""
    est = member_selectors.get_managed_establishment_for(request, pk)
    if not member_selectors.can_manage_organisation(request.user, est.organisation):
        raise PermissionDenied(_("請求メールの送り方は、本社の管理担当者が設定します。"))
    pref = BillingPreference.objects.filter(organisation_id=est.organisation_id).first()
    current = pref.mode if pref else BillingPreference.Mode.PER_SITE
    if request.method == "POST":
        try:
            services.set_billing_preference(
                est.organisation, mode=request.POST.get("mode", ""), by=request.user
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("請求メールの送り方を保存しました。"))
            return redirect("members:establishment_detail", est.pk)
    return render(
        request,
        "fees/billing_preference_form.html",
        {"est": est, "current": current, "modes": BillingPreference.Mode.choices},
    )


@login_required
def credit_note_pdf(request, pk):
    note = get_object_or_404(
        CreditNote.objects.filter(invoice__in=selectors.invoices_for_user(request.user)), pk=pk
    )
    name = services.store_document_pdf("credit_note", note.pk)
    from django.core.files.storage import default_storage

    return FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=True,
        filename=f"請求取消書_{note.number}.pdf",
        content_type="application/pdf",
    )


@login_required
@require_POST
def receipt_request(request, pk):
    """F11: the member issues its own receipt once the invoice is paid."""
    invoice = _invoice_for(request.user, pk)
    try:
        services.request_receipt(invoice, by=request.user)
        messages.success(request, _("領収書を発行しました。「領収書PDF」からダウンロードできます。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("members:establishment_detail", invoice.membership.establishment_id)


@login_required
def billing_contact(request, pk):
    est = member_selectors.get_managed_establishment_for(request, pk)
    own = est.billing_contact if hasattr(est, "billing_contact") else None
    inherited = selectors.billing_contact_for(est) if own is None else None
    initial = {}
    if own is None and inherited is None:
        org = est.organisation
        initial = {
            "addressee": org.name,
            "postal_code": org.postal_code,
            "prefecture": org.prefecture,
            "city": org.city,
            "address_line": org.address_line,
            "phone": org.phone,
        }
    form = BillingContactForm(request.POST or None, instance=own or inherited, initial=initial)
    can_org = member_selectors.organisations_for(request.user).filter(pk=est.organisation_id).exists()
    if not can_org:
        form.fields.pop("for_organisation")
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data.get(f, "") for f in BillingContactForm.Meta.fields}
        if apply_service(
            request,
            form,
            services.save_billing_contact,
            est,
            data=data,
            for_organisation=bool(form.cleaned_data.get("for_organisation")),
            by=request.user,
        ):
            messages.success(request, _("請求書送付先を登録しました。"))
            return redirect("members:establishment_detail", est.pk)
    return render(
        request,
        "fees/billing_contact_form.html",
        {"form": form, "est": est, "inherited": inherited, "own": own},
    )


@login_required
def debit_mandate(request, pk):
    est = member_selectors.get_managed_establishment_for(request, pk)
    supports = Organisation.objects.filter(
        client_grants__establishment=est, client_grants__revoked_at__isnull=True, is_support_organisation=True
    ).distinct()
    current = selectors.active_mandate(est)
    form = DebitMandateForm(request.POST or None, support_organisations=supports)
    if request.method == "POST" and form.is_valid():
        if apply_service(
            request,
            form,
            services.register_debit_mandate,
            est,
            data=form.cleaned_data,
            payer=form.payer,
            by=request.user,
        ):
            messages.success(request, _("口座振替の口座を登録しました。"))
            return redirect("members:establishment_detail", est.pk)
    return render(request, "fees/debit_mandate_form.html", {"form": form, "est": est, "current": current})
