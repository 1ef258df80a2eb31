from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LifecycleConfig(AppConfig):
    name = "lifecycle"
    verbose_name = _("会員資格の更新・退会・期限管理")

    def ready(self):
        from lifecycle import panels
        from members.panels import register_establishment_panel, register_mypage_panel

        register_establishment_panel(panels.establishment_panel, order=10)
        register_mypage_panel(panels.mypage_panel, order=10)
