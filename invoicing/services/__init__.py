"""The only code that changes invoicing state. Views, the admin, the API and tasks call these."""
