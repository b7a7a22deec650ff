"""A8: the billing system states which shipper accounts a consolidated payment plan
consolidates; enrolling a plan or one of its members keeps A2 across the plan."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from domain.application.proofs import Proofs
from domain.application.retries import Receipt, command
from domain.caller import Caller, Scope
from domain.company import Company
from domain.enrollment import AccountEnrollment
from domain.errors import AccountHeldElsewhere, InvalidInput, NotFound
from domain.plan import check_statement, require_unconsolidated
from domain.values import AccountKey


class Plans(Proofs):
    """The plan statement, and the plan checks every enrollment makes."""

    @command
    def state_plan_members(
        self, caller: Caller, plan: AccountKey, members: Sequence[AccountKey]
    ) -> Receipt[list[AccountKey]]:
        """A8: the plan consolidates exactly `members` from now on (the same statement
        again changes nothing); the company that holds the plan learns them (R4)."""
        caller.require_scope(Scope.BILLING_SYSTEM, "A8")
        if len(set(members)) != len(members):
            raise InvalidInput("accounts", "each account once", rule="A8")
        record = self._account_or_new(plan)
        joining = [self._account_or_new(member) for member in sorted(members)]
        check_statement(record, joining)
        wanted = [str(member) for member in sorted(members)]
        leaving = [
            self.account(AccountKey.recorded(gone))
            for gone in record.consolidates or []
            if gone not in wanted
        ]
        record.state_members(wanted)
        for member in joining:
            member.join_plan(str(plan))
        for member in leaving:
            member.leave_plan(str(plan))
        holder = None if record.holder is None else self.company(UUID(record.holder))
        if holder is not None:
            holder.record_plan(str(plan), wanted)
        saved = self._save(holder, record, *joining, *leaving)
        return Receipt(saved, sorted(members))

    def _account_or_new(self, key: AccountKey) -> AccountEnrollment:
        """An account's record, registered if the billing center never heard of it."""
        try:
            return self.account(key)
        except NotFound:
            return AccountEnrollment(country=key.country, number=key.number)

    def _consolidable(self, company: Company, record: AccountEnrollment) -> bool:
        """A5 with A8: "all" passes over an account A2 across a plan keeps elsewhere."""
        try:
            self._check_unconsolidated(company, record)
        except AccountHeldElsewhere:
            return False
        return True

    def _check_unconsolidated(
        self, company: Company, record: AccountEnrollment
    ) -> AccountEnrollment | None:
        """A2 with A8, before `record` is enrolled in `company`; its plan, if any."""
        plan = None if record.plan is None else self.account(AccountKey.recorded(record.plan))
        members = [self.account(AccountKey.recorded(m)) for m in record.consolidates or []]
        require_unconsolidated(record, company.id, plan, members)
        return plan

    def _consolidate(
        self, company: Company, record: AccountEnrollment, saved: dict[str, AccountEnrollment]
    ) -> None:
        """A2 with A8, before `record` is enrolled in `company`: a plan it enrolls, the
        company learns its members (R4); a member it enrolls, its plan joins `saved` (the
        records the command saves, by account) with the member's enrollment recorded, so
        that the plan's enrollment elsewhere, which writes the plan too, cannot race it."""
        plan = self._check_unconsolidated(company, record)
        if record.consolidates is not None:
            company.record_plan(str(record.key), list(record.consolidates))
        if plan is not None:
            plan = saved.setdefault(str(plan.key), plan)
            plan.member_enrolled(record.key, company.id)
