from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeesConfig(AppConfig):
    name = "fees"
    verbose_name = _("会費・請求")

    def ready(self):
        from fees import views
        from members import panels

        panels.register_establishment_panel(views.establishment_panel, order=30)
