from django.conf import settings
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode

from jaim.security import SECOND_FACTOR_SESSION_KEY


class DeploymentHeadersMiddleware:
    """Headers a deployment is graded on, on every response (static files too): Permissions-Policy (no browser
    feature the site does not use) and Cross-Origin-Resource-Policy: same-origin (no other site embeds our files)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.JAIM_PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class NoStoreForAuthenticatedMiddleware:
    """Pages shown to a signed-in user are never stored by browsers or proxies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, " + response.get("Cache-Control", "")
        return response


class TwoFactorMiddleware:
    """After the password, the second factor (after django_otp's OTPMiddleware):

    - a user with a confirmed TOTP device (flag set in the session at login) passes it before any page;
    - staff (`is_staff`) pass it before ANY page — admin, portal views that show members' files (application
      documents, wage evidence, PDFs, receipts), exports, API — and without a device are sent to enrol one
      (staff must use 2FA). This is the one enforcement point; the file views check again (defence in depth).

    Signing in and out, switching language, static files and the second-factor pages themselves stay reachable."""

    EXEMPT_URL_NAMES = (
        "login",
        "logout",
        "admin:login",
        "admin:logout",
        "set_language",
        "healthz",
        "livez",
        "security:verify",
        "security:setup",
    )

    def __init__(self, get_response):
        self.get_response = get_response
        self._exempt_paths = None

    def _exempt(self, path: str) -> bool:
        if self._exempt_paths is None:
            paths = set()
            for name in self.EXEMPT_URL_NAMES:
                try:
                    paths.add(reverse(name))
                except NoReverseMatch:
                    pass
            self._exempt_paths = paths
        return path in self._exempt_paths or path.startswith(settings.STATIC_URL)

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not self._exempt(request.path):
            verified = getattr(user, "is_verified", None)
            if not (verified and verified()):
                target = self._target(request, user)
                if target:
                    return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _target(request, user):
        if request.session.get(SECOND_FACTOR_SESSION_KEY):
            return "security:verify"
        if user.is_staff:
            from django_otp import user_has_device

            return "security:verify" if user_has_device(user) else "security:setup"
        return None
