from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("入会・変更申請")

    def ready(self):
        from applications import panels
        from members.panels import register_establishment_panel, register_mypage_panel

        register_establishment_panel(panels.establishment_guide_panel, order=5)  # where it stands, first
        register_establishment_panel(panels.establishment_panel, order=20)
        register_mypage_panel(panels.guide_panel, order=0)  # the next step first
        register_mypage_panel(panels.mypage_panel, order=20)
