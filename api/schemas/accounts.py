"""Bodies of the account routes (A1, A3, A5, I6), and `AccountRef`, the `{country, number}`
every other body names an account by."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from api.schemas.values import (
    Amount,
    Day,
    In,
    MethodId,
    Reference,
    UnenrollmentComment,
    example,
)
from domain.values import AccountKey, AccountType, LineOfBusiness, UnenrollmentReason


class AccountRef(In):
    """An account in a body: `{country, number}` (in paths: `US-1A2B3C`)."""

    model_config = example({"country": "US", "number": "1A2B3C"})

    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    number: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,20}$")]

    def key(self) -> AccountKey:
        """The domain's account key."""
        return AccountKey(self.country, self.number)

    @classmethod
    def of(cls, key: AccountKey | str) -> AccountRef:
        """From a domain key or its `US-1A2B3C` text."""
        key = AccountKey.recorded(key) if isinstance(key, str) else key
        return cls(country=key.country, number=key.number)


class ProofIn(In):
    """A1: what the company reads off one of the account's three latest invoices."""

    invoice_number: Reference
    invoice_date: Day
    amount: Amount
    control_id: Reference


class NewAccount(AccountRef):
    """A1: an account to add, with its proof."""

    model_config = example(
        {
            "country": "US",
            "number": "1A2B3C",
            "line_of_business": "PACKAGE",
            "account_type": "INDIVIDUAL",
            "proof": {
                "invoice_number": "INV-1001",
                "invoice_date": "2025-01-31",
                "amount": "120.50",
                "control_id": "C-77",
            },
        }
    )

    line_of_business: LineOfBusiness
    account_type: AccountType | None = None
    proof: ProofIn


class AutopayOut(BaseModel):
    """I6: an account's automatic payment."""

    days_before_due: int
    set_up_by: str


class AccountOut(AccountRef):
    """An account as API.md shapes it."""

    line_of_business: str
    account_type: str | None
    status: Literal["ENROLLED", "UNENROLLED"]
    paper_invoices: bool
    autopay: AutopayOut | None
    credit: str = "0.00"  # I10: what approvals beyond paid balances left, not used yet
    members: list[AccountRef] = Field(default_factory=list)  # A8: a plan's shipper accounts


class AccountAdded(BaseModel):
    """201 of adding an account."""

    account: AccountRef
    position: int


class Unenrollment(In):
    """A3: the accounts to unenroll, the reason, and a comment (required with OTHER)."""

    model_config = example(
        {
            "accounts": [{"country": "US", "number": "1A2B3C"}],
            "reason": "OTHER",
            "comment": "moving to paper for the audit season",
        }
    )

    accounts: Annotated[list[AccountRef], Field(min_length=1, max_length=500)]
    reason: UnenrollmentReason
    comment: UnenrollmentComment = ""


class Reenrollment(In):
    """A5: the accounts to bring back; none (or null) means every unenrolled one."""

    accounts: Annotated[list[AccountRef], Field(max_length=500)] | None = None


class AccountsChanged(BaseModel):
    """200 of unenrolling or re-enrolling: the accounts it changed and their status."""

    accounts: list[AccountRef]
    status: Literal["ENROLLED", "UNENROLLED"]
    position: int


class AutopayIn(In):
    """I6: pay in full a number of days before the due date, with a method or the default."""

    days_before_due: Annotated[int, Field(ge=0, le=60, strict=True, examples=[5])]
    payment_method_id: MethodId | None = None


class AutopaySet(BaseModel):
    """200 of setting up an automatic payment."""

    account: AccountRef
    days_before_due: int
    payment_method_id: str | None
    set_up_by: str
    position: int


class PlanMembersIn(In):
    """A8: the shipper accounts a plan consolidates from now on (the billing system)."""

    model_config = example({"accounts": [{"country": "US", "number": "1A2B3C"}]})

    accounts: Annotated[list[AccountRef], Field(max_length=500)]


class PlanMembersOut(BaseModel):
    """200 of stating a plan's members: the plan and the accounts it consolidates now."""

    plan: AccountRef
    accounts: list[AccountRef]
    position: int
