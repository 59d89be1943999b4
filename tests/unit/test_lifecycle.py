from invoicing.core.lifecycle import (
    ALLOWED_TRANSITIONS,
    CLIENT_REQUESTS,
    COLLECTIBLE_STATES,
    ClientRequest,
    InvoiceStatus,
    can_transition,
)


def test_every_state_has_a_row_in_the_transition_table():
    assert set(ALLOWED_TRANSITIONS) == set(InvoiceStatus)


def test_paid_and_void_are_final():
    for final in (InvoiceStatus.PAID, InvoiceStatus.VOID):
        assert not any(can_transition(final, target) for target in InvoiceStatus)


def test_nothing_returns_to_draft():
    assert not any(can_transition(state, InvoiceStatus.DRAFT) for state in InvoiceStatus)


def test_only_open_and_uncollectible_invoices_collect_money():
    assert {InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE} == COLLECTIBLE_STATES


def test_every_state_says_what_a_client_may_ask_for_and_only_an_open_invoice_allows_anything():
    assert set(CLIENT_REQUESTS) == set(InvoiceStatus)
    for request in ClientRequest:
        assert {state for state, allowed in CLIENT_REQUESTS.items() if request in allowed} == {InvoiceStatus.OPEN}
