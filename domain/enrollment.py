"""The AccountEnrollment aggregate: one per shipper account (country + number).

It records the account's enrollments in companies (A1-A6), its automatic payment (I6),
and each invoice delivered for it (I1), all in one sequence: the order of that sequence
is what places an invoice in a company's history, archive or nowhere (domain.visibility).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.base import BillingAggregate
from domain.errors import (
    AccountAlreadyEnrolled,
    AccountAlreadyInCompany,
    AccountHeldElsewhere,
    AccountNotEnrolled,
    AccountTakenOver,
    AutomaticPaymentMissing,
    CommentRequired,
    InvalidInput,
    NoRecentInvoice,
    NotFound,
    ProofMismatch,
)
from domain.text import UNENROLLMENT_COMMENT
from domain.values import AccountKey, AccountType, LineOfBusiness, Section, UnenrollmentReason
from domain.visibility import Interval, place

PROOF_DAYS = 45
"""A1: the proving invoice was issued at most this many days ago."""

PROOF_CANDIDATES = 3
"""A1: one of the account's three latest invoices."""

MAX_DAYS_BEFORE_DUE = 60
"""I6 (decision): how early an automatic payment may pay."""


def account_id(account: AccountKey) -> UUID:
    """The AccountEnrollment aggregate id of an account."""
    return uuid5(NAMESPACE_URL, f"billing-center:account:{account}")


@dataclass(frozen=True)
class Proof:
    """A1: what the company reads off one of the account's latest invoices."""

    invoice_number: str
    invoice_date: date
    amount: Decimal
    control_id: str


def check_proof(proof: Proof, candidates: list[Proof], today: date) -> None:
    """A1: the proof matches one of the latest invoices issued at most 45 days ago.

    A mismatch says nothing of which field was wrong.
    """
    recent = [c for c in candidates if c.invoice_date >= today - timedelta(days=PROOF_DAYS)]
    if not recent:
        raise NoRecentInvoice
    if proof not in recent:
        raise ProofMismatch


def business(line: LineOfBusiness, kind: AccountType | None) -> tuple[str, str | None]:
    """A1: an account type is required for PACKAGE and refused elsewhere."""
    if line is LineOfBusiness.PACKAGE and kind is None:
        raise InvalidInput("account_type", "INDIVIDUAL or CONSOLIDATED_PAYMENT_PLAN", rule="A1")
    if line is not LineOfBusiness.PACKAGE and kind is not None:
        raise InvalidInput("account_type", "no account type outside PACKAGE", rule="A1")
    return line.value, kind.value if kind else None


class AccountEnrollment(BillingAggregate):
    """A shipper account's life in the billing center."""

    @staticmethod
    def create_id(country: str, number: str) -> UUID:
        """Derived from the account, so two companies adding it collide in the store (A2)."""
        return account_id(AccountKey(country, number))

    @event("AccountRegistered")
    def __init__(self, country: str, number: str) -> None:
        self.country = country
        self.number = number
        self.line_of_business: str | None = None
        self.account_type: str | None = None
        self.intervals: list[dict[str, Any]] = []
        self.recent_invoices: list[dict[str, str]] = []
        self.autopay: dict[str, Any] | None = None

    @property
    def key(self) -> AccountKey:
        """The account's country and number."""
        return AccountKey.recorded(f"{self.country}-{self.number}")

    # --- enrollment (A1-A6) -----------------------------------------------------------

    @property
    def holder(self) -> str | None:
        """The company that holds the account now or held it last."""
        return self.intervals[-1]["company_id"] if self.intervals else None

    @property
    def enrolled(self) -> bool:
        """Whether the account is enrolled in its holder now."""
        return bool(self.intervals) and self.intervals[-1]["end"] is None

    def enrolled_in(self, company_id: UUID) -> bool:
        """Whether the account is enrolled in `company_id` now."""
        return self.enrolled and self.holder == str(company_id)

    def require_holder(self, company_id: UUID) -> None:
        """A2: only the company that holds the account now (enrolled or last unenrolled by it)
        acts on it; to any other, even a former holder, it "does not exist" (API.md: 404)."""
        if self.holder != str(company_id):
            raise NotFound("account", self.key)

    def enroll(self, company_id: UUID, line: LineOfBusiness, kind: AccountType | None) -> None:
        """A1/A2: a company adds the account (its proof already checked)."""
        lob, account_type = business(line, kind)
        if self.holder == str(company_id):
            raise AccountAlreadyInCompany(f"{self.key} is already this company's; re-enroll it")
        if self.enrolled:
            raise AccountHeldElsewhere(f"{self.key} is enrolled in another company")
        if self.autopay is not None:
            self._autopay_cancelled(reason="ACCOUNT_CHANGED_COMPANY")
        self._enrolled(company_id=str(company_id), line_of_business=lob, account_type=account_type)

    @event("AccountEnrolled")
    def _enrolled(self, company_id: str, line_of_business: str, account_type: str | None) -> None:
        self.line_of_business = line_of_business
        self.account_type = account_type
        self.intervals.append({"company_id": company_id, "start": self.version + 1, "end": None})

    def unenroll(self, company_id: UUID, reason: UnenrollmentReason, comment: str) -> None:
        """A3: leave the billing center; with OTHER, a comment says why."""
        self.require_holder(company_id)
        if not self.enrolled_in(company_id):
            raise AccountNotEnrolled(f"{self.key} is not enrolled in this company")
        comment = UNENROLLMENT_COMMENT(comment)
        if reason is UnenrollmentReason.OTHER and not comment:
            raise CommentRequired("with the reason OTHER, a comment is required")
        self._unenrolled(company_id=str(company_id), reason=reason.value, comment=comment)

    @event("AccountUnenrolled")
    def _unenrolled(self, company_id: str, reason: str, comment: str) -> None:
        self.intervals[-1]["end"] = self.version + 1

    def may_reenroll(self, company_id: UUID) -> bool:
        """A5: the company unenrolled it last and nobody took it since."""
        return self.holder == str(company_id) and not self.enrolled

    def reenroll(self, company_id: UUID) -> None:
        """A5: bring an unenrolled account back; paper invoices stop."""
        if self.holder != str(company_id) and str(company_id) in self._companies():
            raise AccountTakenOver(f"{self.key} has since been added by another company")
        if self.holder != str(company_id):
            raise NotFound("account", self.key)
        if self.enrolled:
            raise AccountAlreadyEnrolled(f"{self.key} is enrolled")
        self._reenrolled(company_id=str(company_id))

    @event("AccountReenrolled")
    def _reenrolled(self, company_id: str) -> None:
        self.intervals.append({"company_id": company_id, "start": self.version + 1, "end": None})

    def _companies(self) -> set[str]:
        return {interval["company_id"] for interval in self.intervals}

    def section_for(self, company_id: UUID, sequence: int) -> Section | None:
        """A4, A6, I2: where the invoice delivered at `sequence` stands for the company."""
        intervals = [Interval(i["company_id"], i["start"], i["end"]) for i in self.intervals]
        return place(intervals, str(company_id), sequence)

    # --- invoices (I1, A1) ------------------------------------------------------------

    def deliver(self, invoice_id: UUID, invoice_number: str, issue_date: date) -> int:
        """I1: record an invoice's delivery; returns its place in the account's sequence."""
        self._delivered(
            invoice_id=str(invoice_id), invoice_number=invoice_number, issue_date=str(issue_date)
        )
        return self.version

    @event("InvoiceDelivered")
    def _delivered(self, invoice_id: str, invoice_number: str, issue_date: str) -> None:
        entry = {
            "invoice_id": invoice_id,
            "invoice_number": invoice_number,
            "issue_date": issue_date,
        }
        # The new delivery goes first: the sort is stable, so among invoices printed the
        # same day the one delivered last ranks latest instead of being dropped.
        latest = sorted([entry, *self.recent_invoices], key=lambda e: e["issue_date"], reverse=True)
        self.recent_invoices = latest[:PROOF_CANDIDATES]

    def latest_invoice_ids(self) -> list[UUID]:
        """A1: the account's three latest invoices, by their printed issue date."""
        return [UUID(entry["invoice_id"]) for entry in self.recent_invoices]

    # --- consolidated payment plans (A8: domain/plan.py decides) ----------------------

    @property
    def consolidates(self) -> list[str] | None:
        """A8: the shipper accounts this plan consolidates now, as the billing system stated
        them; None for an account no statement named a plan (older snapshots: none)."""
        members: list[str] | None = self.__dict__.get("plan_members")
        return members

    @property
    def plan(self) -> str | None:
        """A8: the plan that consolidates this account now, if any."""
        found: str | None = self.__dict__.get("consolidated_by")
        return found

    def state_members(self, members: list[str]) -> None:
        """A8: the plan consolidates `members` from now on (checked by domain/plan.py)."""
        if self.consolidates != members:
            self._members_stated(members=members)

    @event("PlanMembersStated")
    def _members_stated(self, members: list[str]) -> None:
        self.__dict__["plan_members"] = list(members)

    def join_plan(self, plan: str) -> None:
        """A8: `plan` consolidates this account from now on."""
        if self.plan != plan:
            self._joined_plan(plan=plan)

    @event("AccountJoinedPlan")
    def _joined_plan(self, plan: str) -> None:
        self.__dict__["consolidated_by"] = plan

    def leave_plan(self, plan: str) -> None:
        """A8: `plan` no longer consolidates this account."""
        if self.plan == plan:
            self._left_plan(plan=plan)

    @event("AccountLeftPlan")
    def _left_plan(self, plan: str) -> None:
        self.__dict__["consolidated_by"] = None

    def member_enrolled(self, member: AccountKey, company_id: UUID) -> None:
        """A2 with A8: one of this plan's members is enrolled in `company_id` on its own.
        Recorded on the plan, whose own enrollment writes this record too: of a plan and a
        member enrolled in two companies at the same instant, one save loses on the plan's
        version, and its retry, from fresh state, is refused (domain/plan.py)."""
        self._member_enrolled(member=str(member), company_id=str(company_id))

    @event("PlanMemberEnrolled")
    def _member_enrolled(self, member: str, company_id: str) -> None:
        """Nothing to keep: the member's own record holds its enrollment."""

    # --- credit (I10) -------------------------------------------------------------------

    @property
    def credit(self) -> Decimal:
        """I10: what approvals beyond a paid balance left to the account, not used yet."""
        return Decimal(self.__dict__.get("credit_left", Decimal(0)))

    def earn_credit(self, invoice_id: UUID, amount: Decimal) -> None:
        """I10: an approval beyond an invoice's outstanding balance."""
        if amount > 0:
            self._credited(invoice_id=str(invoice_id), amount=amount)

    @event("AccountCredited")
    def _credited(self, invoice_id: str, amount: Decimal) -> None:
        self.__dict__["credit_left"] = self.credit + amount

    def use_credit(self, invoice_id: UUID, amount: Decimal) -> None:
        """I10: credit applied to a new invoice, never more than is left (so never twice)."""
        if not Decimal(0) < amount <= self.credit:
            raise InvalidInput("amount", "at most the account's credit", rule="I10")
        self._credit_used(invoice_id=str(invoice_id), amount=amount)

    @event("AccountCreditUsed")
    def _credit_used(self, invoice_id: str, amount: Decimal) -> None:
        self.__dict__["credit_left"] = self.credit - amount

    # --- automatic payment (I6) -------------------------------------------------------

    def set_up_autopay(
        self, company_id: UUID, days_before_due: int, method_id: str | None, by: str
    ) -> None:
        """I6: pay every invoice issued from now on in full, some days before it is due."""
        self.require_holder(company_id)
        if not self.enrolled_in(company_id):
            raise AccountNotEnrolled(f"{self.key} is not enrolled in this company", rule="I6")
        if not 0 <= days_before_due <= MAX_DAYS_BEFORE_DUE:
            raise InvalidInput("days_before_due", "a whole number from 0 to 60", rule="I6")
        self._autopay_set_up(
            days_before_due=days_before_due, payment_method_id=method_id or "", set_up_by=by
        )

    @event("AutomaticPaymentSetUp")
    def _autopay_set_up(self, days_before_due: int, payment_method_id: str, set_up_by: str) -> None:
        self.autopay = {
            "company_id": self.holder,
            "days_before_due": days_before_due,
            "payment_method_id": payment_method_id,
            "set_up_by": set_up_by,
            "since": self.version + 1,
        }

    def cancel_autopay(self, company_id: UUID, reason: str) -> None:
        """I6: cancelled by its user, or because that user may no longer pay the account;
        only the holder's own automatic payment (A2: a former holder's hand stops at 404)."""
        self.require_holder(company_id)
        if self.autopay is None:
            raise AutomaticPaymentMissing(f"{self.key} has no automatic payment")
        self._autopay_cancelled(reason=reason)

    @event("AutomaticPaymentCancelled")
    def _autopay_cancelled(self, reason: str) -> None:
        self.autopay = None

    def autopay_covers(self, sequence: int) -> dict[str, Any] | None:
        """I6: the automatic payment that covers the invoice delivered at `sequence`."""
        plan = self.autopay
        if plan is None or sequence <= plan["since"]:
            return None
        if self.section_for(UUID(plan["company_id"]), sequence) is not Section.HISTORY:
            return None
        return plan
