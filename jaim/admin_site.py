"""The Django admin with a second factor: staff see nothing of it until they have passed TOTP.

Installed through JaimAdminConfig (in INSTALLED_APPS instead of django.contrib.admin), so every
`@admin.register` in every app lands on this site. The redirect to the second-factor page is done by
jaim.middleware.TwoFactorMiddleware; has_permission() here is the guard that holds even without it."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class JaimAdminSite(admin.AdminSite):
    """The site owns its index and what every ModelAdmin gets; higher apps plug in through two hooks (jaim imports
    no app): `set_index(context, template)` — the dashboard on the index page (backoffice) — and
    `add_model_admin_hook(fn)` — called with every ModelAdmin registered, before or after (the CSV / Excel
    buttons of every list, backoffice)."""

    site_header = "JAIM 会員管理"
    site_title = "JAIM 会員管理"
    index_title = "事務局管理画面"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._index_context = None
        self._model_admin_hooks: list = []

    def has_permission(self, request):
        user = request.user
        verified = getattr(user, "is_verified", None)
        return bool(user.is_active and user.is_staff and verified is not None and verified())

    # --- hooks for higher apps ------------------------------------------------------------------------------

    def set_index(self, context, template: str) -> None:
        """The index page renders `template` with `context(request)` added (the app list stays below it)."""
        self._index_context = context
        self.index_template = template

    def add_model_admin_hook(self, fn) -> None:
        """`fn(model_admin)` for every registered ModelAdmin, now and for those registered later."""
        if fn in self._model_admin_hooks:
            return
        self._model_admin_hooks.append(fn)
        for model_admin in self._registry.values():
            fn(model_admin)

    def register(self, model_or_iterable, admin_class=None, **options):
        super().register(model_or_iterable, admin_class, **options)
        models = [model_or_iterable] if isinstance(model_or_iterable, type) else model_or_iterable
        for model in models:
            for fn in self._model_admin_hooks:
                fn(self._registry[model])

    def index(self, request, extra_context=None):
        if self._index_context is not None:
            extra_context = {**self._index_context(request), **(extra_context or {})}
        return super().index(request, extra_context=extra_context)


class JaimAdminConfig(AdminConfig):
    default_site = "jaim.admin_site.JaimAdminSite"
