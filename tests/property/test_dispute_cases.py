"""I9 as a state machine on the Invoice aggregate: whatever is requested (one line or both),
reviewed, approved in part, rejected, decided again or paid, the balance is what was billed
minus what was paid and credited, never below zero; what an approval gives beyond the balance
is the account's credit (I10); a line is never credited more than its amount, and a decided
case is never credited twice; at most one case is open on a line."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from domain.bills import Payment
from domain.errors import AdjustmentAlreadyDecided, AdjustmentAlreadyOpen, DomainError, InvalidInput
from domain.invoice import OPEN_CASE, Invoice
from tests.builders import TODAY, bill

LINES = {"TRK-1": Decimal("60.00"), "TRK-2": Decimal("40.00")}
BILLED = sum(LINES.values(), Decimal(0))
cents = st.integers(min_value=0, max_value=7000).map(lambda c: Decimal(c) / 100)
disputes = st.dictionaries(st.sampled_from(sorted(LINES)), cents, min_size=1, max_size=2)


class DisputeMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.invoice = Invoice.issue(bill(amount=str(BILLED)), 1)
        self.credited: dict[str, Decimal] = dict.fromkeys(LINES, Decimal(0))
        self.paid = self.to_balance = self.to_account = Decimal(0)
        self.cases = 0

    @rule(lines=disputes)
    def request(self, lines: dict[str, Decimal]) -> None:
        self.cases += 1
        try:
            self.invoice.request_adjustment(f"a{self.cases}", "why", lines, "alice")
        except (InvalidInput, AdjustmentAlreadyOpen):
            return

    def _with(self, statuses: tuple[str, ...]) -> list[str]:
        return [k for k, v in self.invoice.adjustments.items() if v["status"] in statuses]

    @precondition(lambda self: self._with(OPEN_CASE))
    @rule(pick=st.integers(0, 50), approve=st.booleans(), parts=st.lists(cents, min_size=2),
          review=st.booleans())  # fmt: skip
    def decide(self, pick: int, approve: bool, parts: list[Decimal], review: bool) -> None:
        aid = self._with(OPEN_CASE)[pick % len(self._with(OPEN_CASE))]
        if review:
            self.invoice.review_adjustment(aid)
        disputed: dict[str, Decimal] = self.invoice.adjustments[aid]["lines"]
        approved = dict(zip(disputed, parts, strict=False))
        balance = self.invoice.balance
        try:
            self.invoice.decide_adjustment(aid, approve, "", approved)
        except DomainError:
            assert any(approved[line] > disputed[line] for line in approved)
            return
        if approve:
            self._credit(approved, balance)

    def _credit(self, approved: dict[str, Decimal], balance: Decimal) -> None:
        for line, amount in approved.items():
            self.credited[line] += amount
        approval = sum(approved.values(), Decimal(0))
        self.to_balance += min(approval, balance)
        self.to_account += approval - min(approval, balance)

    @precondition(lambda self: self._with(("APPROVED", "REJECTED")))
    @rule(pick=st.integers(0, 50), part=cents)
    def decide_again(self, pick: int, part: Decimal) -> None:
        """A decided case takes no second decision: never credited twice."""
        aid = self._with(("APPROVED", "REJECTED"))[pick % len(self._with(("APPROVED", "REJECTED")))]
        version = self.invoice.version
        line = next(iter(self.invoice.adjustments[aid]["lines"]))
        try:
            self.invoice.decide_adjustment(aid, True, "", {line: part})
        except AdjustmentAlreadyDecided:
            assert self.invoice.version == version
            return
        raise AssertionError("a decided case was decided again")

    @precondition(lambda self: not self.invoice.payments and self.invoice.balance > 0)
    @rule()
    def pay(self) -> None:
        self.paid = self.invoice.balance
        self.invoice.pay(Payment("p1", "BC1", "m1", "alice"), TODAY, TODAY)

    @invariant()
    def balance_is_billed_minus_paid_and_credited(self) -> None:
        assert self.invoice.balance == BILLED - self.paid - self.to_balance
        assert self.invoice.balance >= 0

    @invariant()
    def what_goes_beyond_the_balance_is_the_account_s_credit(self) -> None:
        assert self.invoice.credit_earned == self.to_account

    @invariant()
    def no_line_credited_beyond_its_amount(self) -> None:
        assert all(self.credited[line] <= LINES[line] for line in LINES)

    @invariant()
    def one_open_case_per_line(self) -> None:
        lines = [
            line for a in self._with(OPEN_CASE) for line in self.invoice.adjustments[a]["lines"]
        ]
        assert len(lines) == len(set(lines))


TestDisputeMachine = DisputeMachine.TestCase
