"""Two-step verification pages: verify at login, enrol an authenticator app (QR code), recovery codes, turn off."""

import base64

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from jaim.errors import DomainError
from jaim.security import SECOND_FACTOR_SESSION_KEY
from security import services
from security.forms import CodeForm, DisableForm, EnrolForm


def _is_verified(user) -> bool:
    verified = getattr(user, "is_verified", None)
    return bool(verified and verified())


def _next(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index") if request.user.is_staff else reverse("members:mypage")


def _with_next(name: str, request) -> str:
    return f"{reverse(name)}?{urlencode({'next': _next(request)})}"


def _passed(request, device) -> None:
    """The second factor is passed: remember the device in the session under a fresh session key."""
    request.session.cycle_key()
    otp_login(request, device)
    request.session[SECOND_FACTOR_SESSION_KEY] = True


@never_cache
@sensitive_post_parameters("code")
@login_required
def verify(request):
    """After the password: the 6-digit code from the app, or a recovery code."""
    user = request.user
    if _is_verified(user):
        return redirect(_next(request))
    if not services.has_second_factor(user):
        if user.is_staff:
            return redirect(_with_next("security:setup", request))
        request.session.pop(SECOND_FACTOR_SESSION_KEY, None)
        return redirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.verify_second_factor(user, form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            _passed(request, device)
            if device.name == services.RECOVERY_NAME:
                left = services.remaining_recovery_codes(user)
                messages.warning(
                    request,
                    _(
                        "リカバリーコードを使用しました（残り%(n)d個）。2段階認証の設定で新しいコードを発行できます。"
                    )
                    % {"n": left},
                )
            return redirect(_next(request))
    return render(request, "security/verify.html", {"form": form, "next": _next(request)})


@never_cache
@sensitive_post_parameters("code")
@login_required
def setup(request):
    """Enrol an authenticator app: scan the QR code, type the code it shows, keep the recovery codes."""
    user = request.user
    if services.has_second_factor(user) and not _is_verified(user):
        # Replacing a device needs the current one: a password alone never enrols over an existing device.
        return redirect(_with_next("security:verify", request))
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.confirm_totp_device(user, token=form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            _passed(request, device)
            return render(
                request,
                "security/recovery_codes.html",
                {"codes": codes, "next": _next(request), "first_time": True},
            )
    device = services.start_totp_enrolment(user)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    # segno writes this SVG markup itself from the otpauth URL (no user input): safe to inline, and inline SVG
    # needs no CSP exception.
    qr_svg = mark_safe(segno.make(device.config_url, error="m").svg_inline(scale=5, border=2))  # noqa: S308  # nosec B308 B703
    return render(
        request,
        "security/setup.html",
        {
            "form": form,
            "next": _next(request),
            "qr_svg": qr_svg,
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
            "staff_required": user.is_staff and not services.has_second_factor(user),
            "debug": settings.DEBUG,
        },
    )


@never_cache
@login_required
def overview(request):
    """The user's two-step verification settings (reached from My Page)."""
    user = request.user
    enabled = services.has_second_factor(user)
    return render(
        request,
        "security/overview.html",
        {
            "enabled": enabled,
            "verified": _is_verified(user),
            "remaining": services.remaining_recovery_codes(user) if enabled else 0,
        },
    )


@never_cache
@login_required
@require_POST
def recovery_codes(request):
    """Issue a new set of recovery codes (only after passing the second factor in this session)."""
    if not _is_verified(request.user):
        return redirect(_with_next("security:verify", request))
    try:
        codes = services.regenerate_recovery_codes(request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("security:overview")
    return render(
        request,
        "security/recovery_codes.html",
        {"codes": codes, "next": reverse("security:overview"), "first_time": False},
    )


@never_cache
@sensitive_post_parameters("code")
@login_required
def disable(request):
    """A portal user turns two-step verification off (confirming with a current code)."""
    user = request.user
    if not services.has_second_factor(user):
        return redirect("security:overview")
    if not _is_verified(user):
        return redirect(_with_next("security:verify", request))
    form = DisableForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.disable_two_factor(user, token=form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", exc.message)
        else:
            request.session[SECOND_FACTOR_SESSION_KEY] = False
            messages.success(request, _("2段階認証を無効にしました。"))
            return redirect("security:overview")
    return render(request, "security/disable.html", {"form": form})
