from django.urls import path

from lifecycle import views

app_name = "lifecycle"

urlpatterns = [
    path("establishments/<int:pk>/renewal/continue/", views.renewal_continue, name="renewal_continue"),
    path("establishments/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("establishments/<int:pk>/withdraw/cancel/", views.withdraw_cancel, name="withdraw_cancel"),
    path("establishments/<int:pk>/wage-report/", views.wage_report, name="wage_report"),
    path("establishments/<int:pk>/wage-report/additional/", views.wage_additional, name="wage_additional"),
    path("wage-evidence/<int:pk>/", views.wage_evidence, name="wage_evidence"),
    path("wage-evidence/<int:pk>/delete/", views.wage_evidence_delete, name="wage_evidence_delete"),
]
