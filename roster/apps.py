from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RosterConfig(AppConfig):
    name = "roster"
    verbose_name = _("会員名簿")

    def ready(self):
        from members import panels
        from members.signals import establishment_updated, identity_changed, membership_status_changed
        from roster import receivers, views

        membership_status_changed.connect(
            receivers.on_membership_status_changed, dispatch_uid="roster.membership_status_changed"
        )
        identity_changed.connect(receivers.on_identity_changed, dispatch_uid="roster.identity_changed")
        establishment_updated.connect(
            receivers.on_establishment_updated, dispatch_uid="roster.establishment_updated"
        )
        panels.register_establishment_panel(views.establishment_panel, order=40)
