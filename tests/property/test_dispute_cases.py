"""I9 as a state machine on the Invoice aggregate: whatever is requested, reviewed, approved
in part or rejected, the balance is what was billed minus what was credited, never below
zero, a line is never credited more than its amount (never twice), and at most one case
is open on a line."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from domain.errors import AdjustmentAlreadyOpen, DomainError, InvalidInput
from domain.invoice import OPEN_CASE, Invoice
from tests.builders import bill

LINES = {"TRK-1": Decimal("60.00"), "TRK-2": Decimal("40.00")}
cents = st.integers(min_value=0, max_value=7000).map(lambda c: Decimal(c) / 100)


class DisputeMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.invoice = Invoice.issue(bill(amount="100.00"), 1)
        self.credited: dict[str, Decimal] = dict.fromkeys(LINES, Decimal(0))
        self.cases = 0

    @rule(line=st.sampled_from(sorted(LINES)), amount=cents)
    def request(self, line: str, amount: Decimal) -> None:
        self.cases += 1
        try:
            self.invoice.request_adjustment(f"a{self.cases}", "why", {line: amount}, "alice")
        except (InvalidInput, AdjustmentAlreadyOpen):
            return

    def _open(self) -> list[str]:
        return [k for k, v in self.invoice.adjustments.items() if v["status"] in OPEN_CASE]

    @precondition(lambda self: self._open())
    @rule(pick=st.integers(0, 50), approve=st.booleans(), part=cents, review=st.booleans())
    def decide(self, pick: int, approve: bool, part: Decimal, review: bool) -> None:
        aid = self._open()[pick % len(self._open())]
        if review:
            self.invoice.review_adjustment(aid)
        ((line, disputed),) = self.invoice.adjustments[aid]["lines"].items()
        try:
            self.invoice.decide_adjustment(aid, approve, "", {line: part})
        except DomainError:
            assert part > disputed  # only asking more than disputed is refused
            return
        if approve:
            self.credited[line] += part

    @invariant()
    def balance_is_billed_minus_credited(self) -> None:
        assert self.invoice.balance == Decimal("100.00") - sum(self.credited.values())
        assert self.invoice.balance >= 0

    @invariant()
    def no_line_credited_beyond_its_amount(self) -> None:
        assert all(self.credited[line] <= LINES[line] for line in LINES)

    @invariant()
    def one_open_case_per_line(self) -> None:
        lines = [next(iter(self.invoice.adjustments[a]["lines"])) for a in self._open()]
        assert len(lines) == len(set(lines))


TestDisputeMachine = DisputeMachine.TestCase
