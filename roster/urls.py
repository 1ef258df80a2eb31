from django.urls import path

from roster import views

app_name = "roster"
urlpatterns = [path("", views.search, name="search")]
