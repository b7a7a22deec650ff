"""R11: a company's payment methods, each bank account number sealed before it reaches an
event."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from domain.application.retries import Receipt, command
from domain.application.service import Service
from domain.caller import Caller
from domain.company import DEFAULT_METHOD
from domain.errors import InvalidInput
from domain.text import BANK_CODE, HOLDER


@dataclass(frozen=True)
class BankAccount:
    """R11: a payment method as given; the number is sealed before it reaches an event."""

    holder: str
    bank_code: str
    account_number: str


class BankDetails(Service):
    """The commands about a company's payment methods."""

    @command
    def add_payment_method(
        self, caller: Caller, company_id: UUID, bank: BankAccount, *, make_default: bool = False
    ) -> Receipt[str]:
        """R11: the general administrator adds a bank account, its number sealed."""
        company = self._member_company(caller.as_person(), company_id)
        number = bank.account_number.replace(" ", "")
        if not (number.isalnum() and number.isascii() and 4 <= len(number) <= 34):  # noqa: PLR2004 IBAN bounds
            raise InvalidInput("account_number", "4 to 34 letters or digits", rule="R11")
        method = {
            "holder": HOLDER(bank.holder),
            "bank_code": BANK_CODE(bank.bank_code),
            "sealed_account_number": self.secret_box.seal(number),
            "last4": number[-4:],
        }
        method_id = uuid4().hex
        company.add_payment_method(caller.login, method_id, method, make_default=make_default)
        return Receipt(self._save(company), method_id)

    @command
    def make_default_payment_method(
        self, caller: Caller, company_id: UUID, method_id: str
    ) -> Receipt[None]:
        """R11: change the default payment method."""
        company = self._member_company(caller.as_person(), company_id)
        company.make_default_payment_method(caller.login, method_id)
        return Receipt(self._save(company), None)

    @command
    def remove_payment_method(
        self, caller: Caller, company_id: UUID, method_id: str
    ) -> Receipt[None]:
        """R11: remove a method no automatic payment relies on."""
        company = self._member_company(caller.as_person(), company_id)
        relied_on = {
            account.autopay["payment_method_id"] or DEFAULT_METHOD
            for account in self._company_accounts(company)
            if account.autopay and account.autopay["company_id"] == str(company.id)
        }
        company.remove_payment_method(caller.login, method_id, relied_on)
        return Receipt(self._save(company), None)
