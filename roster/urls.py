from django.urls import path

from roster import views
from roster.api import api

app_name = "roster"
urlpatterns = [
    path("", views.search, name="search"),
    path("e/<str:token>/", views.entry, name="entry"),
    path("download/<str:fmt>/", views.download, name="download"),
    path("confirmation/<int:establishment_pk>/", views.confirmation, name="confirmation"),
    path("api/v1/", api.urls),
]
urlpatterns += [
    path("verify/", views.verify_page, name="verify"),
]
