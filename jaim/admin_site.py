"""The Django admin with a second factor: staff see nothing of it until they have passed TOTP.

Installed through JaimAdminConfig (in INSTALLED_APPS instead of django.contrib.admin), so every
`@admin.register` in every app lands on this site. The redirect to the second-factor page is done by
jaim.middleware.TwoFactorMiddleware; has_permission() here is the guard that holds even without it."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class JaimAdminSite(admin.AdminSite):
    site_header = "JAIM 会員管理"
    site_title = "JAIM 会員管理"
    index_title = "事務局管理画面"

    def has_permission(self, request):
        user = request.user
        verified = getattr(user, "is_verified", None)
        return bool(user.is_active and user.is_staff and verified is not None and verified())


class JaimAdminConfig(AdminConfig):
    default_site = "jaim.admin_site.JaimAdminSite"
