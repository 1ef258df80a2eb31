from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from jaim import views
from members import views as member_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),  # database and cache (readiness)
    path("livez", views.livez, name="livez"),  # the process only (liveness)
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("backoffice.urls")),  # admin/ops/… (staff), info/…, mypage/resources/ — before the admin
    path("admin/", admin.site.urls),
    path("accounts/signup/", member_views.signup, name="signup"),
    path("accounts/verify/<str:token>/", member_views.verify_email, name="verify_email"),
    path("accounts/login/", member_views.LoginView.as_view(), name="login"),
    path("accounts/2fa/", include("security.urls")),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("password_change_done")),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/password/reset/", member_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(success_url=reverse_lazy("password_reset_complete")),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"
    ),
    path("mypage/", include("members.urls")),
    path("mypage/applications/", include("applications.urls")),
    path("mypage/fees/", include("fees.urls")),
    path("mypage/lifecycle/", include("lifecycle.urls")),
    path("roster/", include("roster.urls")),
]


# A database, broker or cache outage is the 503 busy page (with Retry-After), any other error the 500 page.
handler500 = "jaim.views.server_error"
