"""The URLs below a ``PayPage``, as Wagtail's ``@path`` would declare them on the page: the page
model names this module (``PayPage.routes``), so that the model imports no view."""

from django.urls import path

from . import card, saved_card, views

urlpatterns = [
    path("", views.no_invoice, name="index"),
    path("invoice/<str:token>/", views.invoice, name="invoice"),
    path("invoice/<str:token>/fresh-link/", views.fresh_link, name="fresh_link"),
    path("invoice/<str:token>/card/", card.start, name="start_card_payment"),
    path("invoice/<str:token>/card/confirm-offline/", card.confirm_offline, name="offline_card_confirm"),
    path("invoice/<str:token>/return/", card.returned, name="card_return"),
    path("invoice/<str:token>/saved-card/stop/", saved_card.stop, name="stop_auto_charge"),
    path("invoice/<str:token>/credit/", views.credit_payment, name="pay_with_credit"),
    path("invoice/<str:token>/plan/", views.choose_plan, name="choose_plan"),
    path("invoice/<str:token>/receipt/", views.receipt, name="receipt"),
    path("invoice/<str:token>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("invoice/<str:token>/einvoice/", views.invoice_einvoice, name="invoice_einvoice"),
    path("invoice/<str:token>/receipt/pdf/", views.receipt_pdf, name="receipt_pdf"),
]
