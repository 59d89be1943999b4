"""The URLs below a ``BillingAccountPage`` (``BillingAccountPage.routes``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.account, name="account"),
    path("sign-in/", views.request_link, name="request_sign_in"),
    path("sign-in/<str:token>/", views.sign_in_link, name="sign_in_link"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("invoices/download/", views.download_all, name="download_all"),
    path("invoices/<int:pk>/", views.invoice, name="invoice"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/einvoice/", views.invoice_einvoice, name="invoice_einvoice"),
    path("invoices/<int:pk>/card/", views.card_start, name="start_card_payment"),
    path("invoices/<int:pk>/card/confirm-offline/", views.card_confirm_offline, name="offline_card_confirm"),
    path("invoices/<int:pk>/return/", views.card_return, name="card_return"),
    path("invoices/<int:pk>/credit/", views.credit_payment, name="pay_with_credit"),
    path("receipts/<int:pk>/", views.receipt, name="receipt"),
    path("receipts/<int:pk>/pdf/", views.receipt_pdf, name="receipt_pdf"),
    path("credit-notes/<int:pk>/pdf/", views.credit_note_pdf, name="credit_note_pdf"),
    path("credit-notes/<int:pk>/einvoice/", views.credit_note_einvoice, name="credit_note_einvoice"),
    path("statement/", views.statement, name="statement"),
    path("statement/<str:fmt>/", views.statement_download, name="statement_download"),
]
