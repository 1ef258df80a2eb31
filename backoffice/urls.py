"""backoffice's URLs, included once at the site root (jaim/urls.py, before the admin's catch-all).

Staff pages live under admin/ops/ and go through the admin site's admin_view: staff with a verified second
factor only (jaim.admin_site), the rest are sent to the admin login. Public pages: info/. Members: mypage/resources/."""

from django.contrib import admin
from django.urls import path

from backoffice import staff_views, timeline_views, views

app_name = "backoffice"


def staff(view):
    return admin.site.admin_view(view)


urlpatterns = [
    # staff
    path("admin/ops/imports/new/", staff(staff_views.import_upload), name="import_upload"),
    path(
        "admin/ops/imports/template/<str:kind>/", staff(staff_views.import_template), name="import_template"
    ),
    path("admin/ops/imports/<int:pk>/", staff(staff_views.import_preview), name="import_preview"),
    path("admin/ops/imports/<int:pk>/import/", staff(staff_views.import_commit), name="import_commit"),
    path("admin/ops/imports/<int:pk>/discard/", staff(staff_views.import_discard), name="import_discard"),
    path("admin/ops/imports/<int:pk>/report.csv", staff(staff_views.import_report), name="import_report"),
    path(
        "admin/ops/export/<str:app_label>/<str:model_name>/<str:fmt>/",
        staff(staff_views.export),
        name="export",
    ),
    path("admin/ops/exports/", staff(staff_views.export_list), name="exports"),
    path("admin/ops/exports/<int:pk>/download/", staff(staff_views.export_download), name="export_download"),
    path("admin/ops/reports/", staff(staff_views.report_index), name="reports"),
    path("admin/ops/reports/<slug:slug>/", staff(staff_views.report_detail), name="report"),
    path(
        "admin/ops/announcements/<int:pk>/send/",
        staff(staff_views.announcement_send),
        name="announcement_send",
    ),
    path(
        "admin/ops/timeline/establishment/<int:pk>/",
        staff(timeline_views.establishment_timeline),
        name="timeline_establishment",
    ),
    path(
        "admin/ops/timeline/organisation/<int:pk>/",
        staff(timeline_views.organisation_timeline),
        name="timeline_organisation",
    ),
    path("admin/ops/notes/<int:pk>/edit/", staff(timeline_views.note_edit), name="note_edit"),
    path("admin/ops/notes/<int:pk>/strike/", staff(timeline_views.note_strike), name="note_strike"),
    path(
        "admin/ops/notes/<int:pk>/attachment/", staff(timeline_views.note_attachment), name="note_attachment"
    ),
    # public
    path("info/", views.archive, name="archive"),
    path("info/<int:pk>/", views.announcement_detail, name="announcement_detail"),
    path("info/subscribe/", views.subscribe, name="subscribe"),
    path("info/subscribe/me/", views.subscribe_me, name="subscribe_me"),
    path("info/subscribe/sent/", views.subscribe_sent, name="subscribe_sent"),
    path("info/subscribe/confirm/<str:token>/", views.subscribe_confirm, name="subscribe_confirm"),
    path("info/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # members
    path("mypage/resources/", views.resources, name="resources"),
    path("mypage/resources/<int:pk>/", views.resource_detail, name="resource_detail"),
    path("mypage/resources/<int:pk>/download/", views.resource_download, name="resource_download"),
]
