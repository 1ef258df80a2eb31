from django.urls import path

from applications import views

app_name = "applications"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.start, name="start"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/step/<slug:step>/", views.step, name="step"),
    path("<int:pk>/documents/", views.upload, name="upload"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/change-report/", views.change_report, name="change_report"),
    path("<int:pk>/follow-up/", views.follow_up_upload, name="follow_up_upload"),
    path("documents/<int:pk>/", views.document_download, name="document"),
    path("documents/<int:pk>/delete/", views.document_delete, name="document_delete"),
]
