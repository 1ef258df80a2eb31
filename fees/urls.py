from django.urls import path

from fees import views

app_name = "fees"
urlpatterns = [
    path("invoices/<int:pk>/<str:kind>.pdf", views.invoice_document, name="invoice_document"),
    path("invoices/<int:pk>/receipt/", views.receipt_request, name="receipt_request"),
    path(
        "l/<str:token>/", views.invoice_link, name="invoice_link"
    ),  # signed token: jaim/gunicorn.py redacts it
    path("s/<str:token>/", views.statement_link, name="statement_link"),  # signed token, as above
    path("establishments/<int:pk>/billing-preference/", views.billing_preference, name="billing_preference"),
    path("credit-notes/<int:pk>.pdf", views.credit_note_pdf, name="credit_note_pdf"),
    path("establishments/<int:pk>/billing-contact/", views.billing_contact, name="billing_contact"),
    path("establishments/<int:pk>/debit-mandate/", views.debit_mandate, name="debit_mandate"),
]
