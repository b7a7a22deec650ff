"""R11: the company's bank information, sealed in events and protected while relied on."""

from __future__ import annotations

from domain.errors import PaymentMethodInUse
from tests.builders import (
    ACCOUNT,
    ADMIN,
    BANK_NUMBER,
    a_company,
    add_payment_method,
    person,
    refused,
)


def test_the_bank_account_number_never_appears_in_clear_in_a_stored_event() -> None:
    """R11: account numbers are stored sealed; only the last 4 digits are kept readable."""
    app, company = a_company()
    method = add_payment_method(app, company)
    stored = app.recorder.select_notifications(start=1, limit=1000)
    assert stored
    assert not any(BANK_NUMBER.encode() in n.state for n in stored)
    assert app.company(company).payment_methods[method]["last4"] == BANK_NUMBER[-4:]


def test_a_sealed_account_number_opens_to_the_number_given() -> None:
    """R11: the sealed number is the bank account number, not lost."""
    app, company = a_company()
    method = add_payment_method(app, company)
    sealed = app.company(company).payment_methods[method]["sealed_account_number"]
    assert app.secret_box.open(sealed) == BANK_NUMBER


def test_the_first_payment_method_is_the_default() -> None:
    """R11: the first method added is the default."""
    app, company = a_company()
    first = add_payment_method(app, company)
    add_payment_method(app, company, number="FR7630006000011234567890189")
    assert app.company(company).default_payment_method == first


def test_the_default_payment_method_can_be_changed() -> None:
    """R11: the default can be changed."""
    app, company = a_company()
    add_payment_method(app, company)
    second = add_payment_method(app, company, number="FR7630006000011234567890189")
    app.make_default_payment_method(person(ADMIN), company, second)
    assert app.company(company).default_payment_method == second


def test_a_method_an_automatic_payment_names_cannot_be_removed() -> None:
    """R11: a method named by an automatic payment stays until that changes."""
    app, company = a_company()
    add_payment_method(app, company)
    named = add_payment_method(app, company, number="FR7630006000011234567890189")
    app.set_up_autopay(person(ADMIN), company, ACCOUNT, 3, named)
    with refused(app, PaymentMethodInUse, "R11"):
        app.remove_payment_method(person(ADMIN), company, named)


def test_the_default_cannot_be_removed_while_an_automatic_payment_relies_on_it() -> None:
    """R11: an automatic payment on the default protects the default."""
    app, company = a_company()
    default = add_payment_method(app, company)
    app.set_up_autopay(person(ADMIN), company, ACCOUNT, 3)
    with refused(app, PaymentMethodInUse, "R11"):
        app.remove_payment_method(person(ADMIN), company, default)


def test_a_method_nothing_relies_on_can_be_removed() -> None:
    """R11: with no automatic payment on it, a method is removed."""
    app, company = a_company()
    method = add_payment_method(app, company)
    app.remove_payment_method(person(ADMIN), company, method)
    assert app.company(company).payment_methods == {}


def test_a_cancelled_automatic_payment_frees_its_method() -> None:
    """R11: once the automatic payment is cancelled, its method can be removed."""
    app, company = a_company()
    method = add_payment_method(app, company)
    app.set_up_autopay(person(ADMIN), company, ACCOUNT, 3)
    app.cancel_autopay(person(ADMIN), company, ACCOUNT)
    app.remove_payment_method(person(ADMIN), company, method)
    assert app.company(company).default_payment_method is None
