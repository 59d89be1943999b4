"""The REST API: the seed's ``/api/v1/order-payments/invoices/...`` contract, on the services."""
