"""One exception hierarchy for the module; every interface turns these into a readable message."""


class InvoicingError(Exception):
    """Base of every error the invoicing module raises on purpose."""

    code = "invoicing_error"

    def __init__(self, message):
        super().__init__(message)
        self.message = str(message)

    def __str__(self):
        return self.message


class InvalidTransition(InvoicingError):
    code = "invalid_transition"


class ValidationFailed(InvoicingError):
    code = "validation_failed"


class PaymentRejected(InvoicingError):
    code = "payment_rejected"


class PaymentLinkInvalid(InvoicingError):
    """The token matches no link: answered with a plain 404."""

    code = "payment_link_invalid"


class PaymentLinkUnusable(InvoicingError):
    """The token matched a link that is expired, revoked or no longer bound to the invoice."""

    code = "payment_link_unusable"

    def __init__(self, message, link):
        super().__init__(message)
        self.link = link


class SignInLinkInvalid(InvoicingError):
    """The token matches no sign-in link on this website: answered with a plain 404."""

    code = "sign_in_link_invalid"


class SignInLinkUnusable(InvoicingError):
    """The sign-in link was used already or has expired: the client asks for a new one."""

    code = "sign_in_link_unusable"


class EmailRefused(InvoicingError):
    """An email that must not be sent as it is (e.g. a line break in a header); never retried."""

    code = "email_refused"


class ProviderUnavailable(InvoicingError):
    """The payment provider could not be reached; nothing changed, and trying again is safe."""

    code = "provider_unavailable"
