"""The client's billing account pages, below a ``BillingAccountPage``: a passwordless sign-in,
then every invoice, receipt, PDF and statement of that client on that website."""
