from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = _("事務局業務")

    def ready(self):
        from django.contrib import admin

        from applications import review
        from backoffice import exports, staff_views, views
        from backoffice.services import notes
        from members import panels
        from members.signals import establishment_anonymised

        # Every admin list gets CSV / Excel buttons; the admin index shows the dashboard.
        admin.site.add_model_admin_hook(exports.add_export_buttons)
        # retention: staff notes may name the site's people (the notes stay, their text goes)
        establishment_anonymised.connect(notes.anonymise_notes, dispatch_uid="backoffice.anonymise_notes")
        admin.site.set_index(staff_views.dashboard_context, "backoffice/admin/index.html")
        panels.register_mypage_panel(views.resources_panel, order=20)
        panels.register_mypage_panel(views.information_panel, order=90)
        panels.register_establishment_panel(views.council_panel, order=60)
        review.register_review_section(staff_views.council_review_section, order=20)
