from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JaimConfig(AppConfig):
    name = "jaim"
    verbose_name = _("システム共通")

    def ready(self):
        from django.db.models.signals import post_migrate

        from jaim import signing  # noqa: F401  registers the deploy check of the signing key
        from jaim.lookups import register as register_lookups
        from jaim.roles import sync_staff_groups
        from jaim.third_party_labels import apply as japanese_third_party_labels

        post_migrate.connect(sync_staff_groups, dispatch_uid="jaim.sync_staff_groups")
        japanese_third_party_labels()
        register_lookups()  # field__any=[…]: one array parameter instead of one placeholder per value
