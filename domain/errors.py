"""Every refusal of the domain is a type that names the rule it enforces.

`status` says what kind of refusal it is; the API maps each kind to one HTTP status
in one table (api/http/problems.py), so no route decides a status by itself.
"""

from __future__ import annotations

from typing import ClassVar, Literal

Status = Literal["invalid", "forbidden", "not_found", "conflict"]


class DomainError(Exception):
    """A command the rules refuse. It changed nothing."""

    rule: ClassVar[str | None] = None
    status: ClassVar[Status] = "conflict"
    title: ClassVar[str] = "Refused"

    def __init__(self, detail: str, *, rule: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.rule_id = rule or type(self).rule


class InvalidInput(DomainError):
    """A value that is malformed whatever the state (422)."""

    status = "invalid"
    title = "Invalid input"

    def __init__(self, field: str, expected: str, *, rule: str | None = None) -> None:
        super().__init__(f"{field}: expected {expected}", rule=rule)
        self.field = field


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it does (404)."""

    status = "not_found"
    title = "Not found"

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"no {kind} {key}")
        self.kind = kind


class Forbidden(DomainError):
    """The caller is known but lacks the role, scope or title (403)."""

    status = "forbidden"
    title = "Forbidden"

    def __init__(self, detail: str, *, rule: str) -> None:
        super().__init__(detail, rule=rule)


class ConcurrentChange(DomainError):
    """Another command changed the same records first; retrying may succeed (409)."""

    title = "Changed concurrently, retry"


class ConfirmationRequired(DomainError):
    """R5: removing a user needs an explicit confirmation."""

    rule = "R5"
    status = "invalid"
    title = "Confirmation required"


class LoginTaken(DomainError):
    """R5: a login belongs to at most one company at a time."""

    rule = "R5"
    title = "Login taken"


class GeneralAdministratorLocked(DomainError):
    """R6: the general administrator keeps its role until it hands the title over."""

    rule = "R6"
    title = "General administrator locked"


class NotAMember(DomainError):
    """R6: the title goes to a user of the company."""

    rule = "R6"
    status = "not_found"
    title = "Not a member"


class PaymentMethodInUse(DomainError):
    """R11: a method an automatic payment relies on stays until that changes."""

    rule = "R11"
    title = "Payment method in use"


class NoPaymentMethod(DomainError):
    """R11: paying needs a payment method."""

    rule = "R11"
    title = "No payment method"


class ProofMismatch(DomainError):
    """A1: the proof does not match; the same words whatever field was wrong."""

    rule = "A1"
    status = "invalid"
    title = "Proof does not match"

    def __init__(self) -> None:
        super().__init__(
            "the invoice details do not match any of the account's three latest invoices"
        )


class NoRecentInvoice(DomainError):
    """A1: an account with no invoice in the last 45 days cannot be proven."""

    rule = "A1"
    status = "invalid"
    title = "No recent invoice"

    def __init__(self) -> None:
        super().__init__("this account has no invoice issued in the last 45 days to prove it with")


class AccountHeldElsewhere(DomainError):
    """A2: an account is held by at most one company at a time."""

    rule = "A2"
    title = "Account held by another company"


class AccountAlreadyInCompany(DomainError):
    """A2/A5: the account is already this company's (re-enroll it instead)."""

    rule = "A2"
    title = "Account already added"


class AccountInAnotherPlan(DomainError):
    """A8: a shipper account is consolidated by one plan at a time (decision)."""

    rule = "A8"
    title = "Account in another plan"


class AccountNotEnrolled(DomainError):
    """A3: only enrolled accounts of the company can be unenrolled."""

    rule = "A3"
    title = "Account not enrolled"


class CommentRequired(DomainError):
    """A3: with the reason OTHER, a comment says why."""

    rule = "A3"
    status = "invalid"
    title = "Comment required"


class AccountAlreadyEnrolled(DomainError):
    """A5: re-enrolling an enrolled account is refused."""

    rule = "A5"
    title = "Account already enrolled"


class AccountTakenOver(DomainError):
    """A2/A5: another company has since added the account; it cannot come back here."""

    rule = "A5"
    title = "Account taken by another company"


class InvoiceNumberTaken(DomainError):
    """I1: an invoice number is unique per account."""

    rule = "I1"
    title = "Invoice number taken"


class ArchiveReadOnly(DomainError):
    """A6: archive invoices are for viewing and downloading only."""

    rule = "A6"
    title = "Archive invoice"


class AlreadyPaid(DomainError):
    """I3: an invoice with a payment made or scheduled cannot be paid again."""

    rule = "I3"
    title = "Already paid"


class NothingToPay(DomainError):
    """I3: a payment settles an outstanding balance; there is none."""

    rule = "I3"
    title = "Nothing to pay"


class AdjustmentAlreadyOpen(DomainError):
    """I4: a request open on a line blocks a second one."""

    rule = "I4"
    title = "Adjustment already open"


class AdjustmentAlreadyDecided(DomainError):
    """I4: the billing system decides a request once."""

    rule = "I4"
    title = "Adjustment already decided"


class AutomaticPaymentMissing(DomainError):
    """I6: there is no automatic payment to cancel."""

    rule = "I6"
    title = "No automatic payment"


class SearchNameTaken(DomainError):
    """R12: a person's saved searches have distinct names."""

    rule = "R12"
    title = "Saved search name taken"


class CompanyClosed(DomainError):
    """R14: a closed company accepts no command."""

    rule = "R14"
    title = "Company closed"


class AccountsStillEnrolled(DomainError):
    """R14: a company is closed only once no account is enrolled in it."""

    rule = "R14"
    title = "Accounts still enrolled"


class PaymentNotCancellable(DomainError):
    """I3: only a payment scheduled for a later date is cancelled, before that date."""

    rule = "I3"
    title = "Payment not cancellable"
