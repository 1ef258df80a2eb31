from django.urls import path

from members import views

app_name = "members"

urlpatterns = [
    path("", views.mypage, name="mypage"),
    path("organisations/new/", views.organisation_create, name="organisation_create"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path("organisations/<int:pk>/access/", views.organisation_access, name="organisation_access"),
    path(
        "organisations/<int:org_pk>/establishments/new/",
        views.establishment_create,
        name="establishment_create",
    ),
    path("establishments/<int:pk>/", views.establishment_detail, name="establishment_detail"),
    path("establishments/<int:pk>/edit/", views.establishment_edit, name="establishment_edit"),
    path("establishments/<int:pk>/access/", views.establishment_access, name="establishment_access"),
    path("establishments/<int:pk>/support/", views.establishment_support, name="establishment_support"),
    path("access/<int:pk>/revoke/", views.access_revoke, name="access_revoke"),
    path("support-grants/<int:pk>/revoke/", views.support_revoke, name="support_revoke"),
    path("postal/<str:code>/", views.postal_lookup, name="postal_lookup"),
]
