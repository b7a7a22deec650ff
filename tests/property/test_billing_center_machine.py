"""Random command sequences against a small reference model of companies and accounts.

After every step: exactly one general administrator per company, always an Administrator
and a member (R6); an account enrolled in at most one company (A2); memberships, roles,
grants and holders as the model says; refused commands changed nothing; replaying the
stored events yields the state the commands left (C1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from domain.application import BankAccount, BillingCenter
from domain.enrollment import account_id
from domain.errors import DomainError
from domain.invoice import Bill
from domain.roles import TOP_ROLES
from domain.user import login_id
from domain.values import AccountKey, Role, UnenrollmentReason
from tests.builders import (
    BANK_NUMBER,
    BILLING,
    TODAY,
    bill,
    billing_center,
    person,
    replayed,
    request,
    state,
)

LOGINS = ("ann", "ben", "cat", "dan", "eve")
OUTSIDER = "zed"
ACCOUNTS = (AccountKey("US", "S1"), AccountKey("US", "S2"), AccountKey("CA", "S3"))
ACCOUNT_SETS = st.sets(st.sampled_from(ACCOUNTS), min_size=1, max_size=len(ACCOUNTS))
PICK = st.integers(min_value=-1, max_value=6)
"""A caller: -1 someone from outside, 0 the general administrator, else some member."""
TARGET = st.integers(min_value=0, max_value=2 * len(LOGINS) - 1)
"""A target login: half the time any login, half the time a member."""
STEPS = 30


@dataclass
class CompanyModel:
    """What the model expects of one company."""

    id: UUID
    general_administrator: str
    roles: dict[str, Role]
    grants: dict[str, set[str]]
    accounts: list[str]
    pending: set[str] = field(default_factory=set)  # R5: added, no successful command yet

    def pick(self, index: int) -> str:
        """The caller drawn as PICK."""
        if index <= 0:
            return self.general_administrator if index == 0 else OUTSIDER
        return sorted(self.roles)[index % len(self.roles)]

    def target(self, index: int) -> str:
        """The login drawn as TARGET."""
        if index < len(LOGINS):
            return LOGINS[index]
        return sorted(self.roles)[index % len(self.roles)]

    def may_manage(self, by: str) -> bool:
        """R3/R9: Administrators and Plan Managers manage users."""
        return self.roles.get(by) in TOP_ROLES

    def manages(self, by: str, login: str) -> bool:
        """R9: Administrators manage everyone; Plan Managers the users within their accounts."""
        if login not in self.roles or not self.may_manage(by):
            return False
        if self.roles[by] is Role.ADMINISTRATOR:
            return True
        return self.roles[login] not in TOP_ROLES and self.grants[login] <= self.grants[by]

    def grantable(self, by: str, role: Role, accounts: set[str]) -> bool:
        """R4/R9: grants within the company; a Plan Manager's within its own, no top role."""
        if not accounts <= set(self.accounts):
            return False
        plan_manager = self.roles[by] is Role.PLAN_MANAGER
        return not plan_manager or (role not in TOP_ROLES and accounts <= self.grants[by])


@dataclass
class AccountModel:
    """What the model expects of one account."""

    holder: int | None = None
    enrolled: bool = False
    last_bill: Bill | None = None


@dataclass
class Model:
    """The reference model: companies, who belongs where, who holds which account."""

    companies: list[CompanyModel] = field(default_factory=list)
    member_of: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, AccountModel] = field(
        default_factory=lambda: {str(a): AccountModel() for a in ACCOUNTS}
    )


class BillingCenterMachine(RuleBasedStateMachine):
    """Drives every command of the billing center and compares with the model."""

    def __init__(self) -> None:
        super().__init__()
        self.app: BillingCenter = billing_center()
        self.model = Model()
        self.invoices: list[UUID] = []
        self.bills = 0

    def teardown(self) -> None:
        self.app.close()

    # --- how a command is judged -------------------------------------------------------

    def known_ids(self) -> list[UUID]:
        users = [login_id(login) for login in (*LOGINS, OUTSIDER)]
        accounts = [account_id(a) for a in ACCOUNTS]
        return [*(c.id for c in self.model.companies), *users, *accounts, *self.invoices]

    def states(self) -> dict[UUID, dict[str, object]]:
        found = {}
        for aggregate_id in self.known_ids():
            try:
                found[aggregate_id] = state(self.app.repository.get(aggregate_id))
            except AggregateNotFoundError:
                continue
        return found

    def attempt(self, expected: bool | None, command: Callable[[], object]) -> bool:
        """Run `command`; it succeeds when the model expects it to (None: either way)."""
        head, before = self.app.head(), self.states()
        refusal: DomainError | None = None
        try:
            command()
        except DomainError as error:
            refusal = error
        if refusal is None:
            assert expected is not False, "accepted, but the model refuses it"
            return True
        assert expected is not True, f"refused, but the model allows it: {refusal!r}"
        assert self.app.head() == head
        assert self.states() == before
        return False

    def company(self, index: int) -> CompanyModel:
        return self.model.companies[index % len(self.model.companies)]

    def has_companies(self) -> bool:
        return bool(self.model.companies)

    @initialize()
    def a_first_company_with_a_billed_account(self) -> None:
        """Every account has an invoice; ann's company holds the first, pays, and has ben."""
        for account in ACCOUNTS:
            self.issue_invoice(account)
        self.enroll_company(LOGINS[0], {ACCOUNTS[0]})
        self.add_payment_method(0)
        self.add_user(0, 0, LOGINS[1], Role.VIEW_PAY_ADJUST, {ACCOUNTS[0]})
        self.issue_invoice(ACCOUNTS[0])
        assert self.model.member_of == {LOGINS[0]: 0, LOGINS[1]: 0}

    # --- invoices (I1) -------------------------------------------------------------------

    @rule(account=st.sampled_from(ACCOUNTS))
    def issue_invoice(self, account: AccountKey) -> None:
        self.bills += 1
        issued = bill(account, f"B-{self.bills}", issued=TODAY, due=TODAY + timedelta(days=30))
        self.invoices.append(self.app.issue_invoice(BILLING, issued).result)
        self.model.accounts[str(account)].last_bill = issued

    def proof_for(self, account: AccountKey) -> Bill:
        last = self.model.accounts[str(account)].last_bill
        return last or bill(account, "NEVER-ISSUED")

    def addable(self, account: AccountKey, company: int | None) -> bool:
        """A1/A2: proven by a recent invoice, enrolled nowhere, not the company's already."""
        record = self.model.accounts[str(account)]
        free = not record.enrolled and (company is None or record.holder != company)
        return record.last_bill is not None and free

    # --- companies and users (R1, R3-R9) -----------------------------------------------------

    @rule(login=st.sampled_from(LOGINS), accounts=ACCOUNT_SETS)
    def enroll_company(self, login: str, accounts: set[AccountKey]) -> None:
        chosen = sorted(accounts)
        former = self.model.member_of.get(login)
        free = former is None or login in self.model.companies[former].pending  # R5
        expected = free and all(self.addable(a, None) for a in chosen)
        requests = [request(self.proof_for(a)) for a in chosen]
        result: list[UUID] = []
        command = lambda: result.append(  # noqa: E731
            self.app.enroll_company(person(login), "Acme", requests).result
        )
        if self.attempt(expected, command):
            if former is not None:  # R5: the pending membership was withdrawn
                left = self.model.companies[former]
                del left.roles[login], left.grants[login]
                left.pending.discard(login)
            index = len(self.model.companies)
            names = [str(a) for a in chosen]
            grants: dict[str, set[str]] = {login: set()}
            company = CompanyModel(result[0], login, {login: Role.ADMINISTRATOR}, grants, names)
            self.model.companies.append(company)
            self.model.member_of[login] = index
            for name in names:
                self.model.accounts[name] = AccountModel(
                    index, True, self.model.accounts[name].last_bill
                )

    @precondition(has_companies)
    @rule(
        ci=PICK,
        by=PICK,
        login=st.sampled_from(LOGINS),
        role=st.sampled_from(Role),
        accounts=st.sets(st.sampled_from(ACCOUNTS), max_size=2),
    )
    def add_user(self, ci: int, by: int, login: str, role: Role, accounts: set[AccountKey]) -> None:
        company, caller = self.company(ci), self.company(ci).pick(by)
        names = {str(a) for a in accounts}
        expected = (
            company.may_manage(caller)
            and login not in self.model.member_of
            and company.grantable(caller, role, names)
        )
        command = lambda: self.app.add_user(  # noqa: E731
            person(caller),
            company.id,
            login,
            email=f"{login}@example.com",
            name=login,
            role=role,
            accounts=sorted(accounts),
        )
        if self.attempt(expected, command):
            company.pending.discard(caller)  # R5: a first command confirms
            company.roles[login], company.grants[login] = role, names
            company.pending.add(login)
            self.model.member_of[login] = self.model.companies.index(company)

    @precondition(has_companies)
    @rule(ci=PICK, by=PICK, who=TARGET, confirmed=st.sampled_from((True, True, False)))
    def remove_user(self, ci: int, by: int, who: int, confirmed: bool) -> None:
        company, caller = self.company(ci), self.company(ci).pick(by)
        login = company.target(who)
        expected = (
            company.manages(caller, login) and confirmed and login != company.general_administrator
        )
        command = lambda: self.app.remove_user(  # noqa: E731
            person(caller), company.id, login, confirmed=confirmed
        )
        if self.attempt(expected, command):
            company.pending.discard(caller)  # R5: a first command confirms
            del company.roles[login], company.grants[login], self.model.member_of[login]
            company.pending.discard(login)

    @precondition(has_companies)
    @rule(ci=PICK, by=PICK, who=TARGET, role=st.sampled_from(Role))
    def change_role(self, ci: int, by: int, who: int, role: Role) -> None:
        company, caller = self.company(ci), self.company(ci).pick(by)
        login = company.target(who)
        expected = (
            company.manages(caller, login)
            and company.grantable(caller, role, set())
            and (login != company.general_administrator or role is Role.ADMINISTRATOR)
        )
        command = lambda: self.app.change_role(person(caller), company.id, login, role)  # noqa: E731
        if self.attempt(expected, command):
            company.pending.discard(caller)  # R5: a first command confirms
            company.roles[login] = role

    @precondition(has_companies)
    @rule(
        ci=PICK,
        by=PICK,
        who=TARGET,
        accounts=st.sets(st.sampled_from(ACCOUNTS), max_size=2),
    )
    def set_user_accounts(self, ci: int, by: int, who: int, accounts: set[AccountKey]) -> None:
        company, caller = self.company(ci), self.company(ci).pick(by)
        login = company.target(who)
        names = {str(a) for a in accounts}
        expected = company.manages(caller, login) and company.grantable(
            caller, company.roles[login], names
        )
        command = lambda: self.app.set_user_accounts(  # noqa: E731
            person(caller), company.id, login, sorted(accounts)
        )
        if self.attempt(expected, command):
            company.pending.discard(caller)  # R5: a first command confirms
            company.grants[login] = names

    @precondition(has_companies)
    @rule(ci=PICK, by=PICK, who=TARGET)
    def hand_over(self, ci: int, by: int, who: int) -> None:
        company, caller = self.company(ci), self.company(ci).pick(by)
        login = company.target(who)
        expected = (
            caller == company.general_administrator and login in company.roles and login != caller
        )
        command = lambda: self.app.hand_over(person(caller), company.id, login)  # noqa: E731
        if self.attempt(expected, command):
            company.pending.discard(caller)  # R5: a first command confirms
            company.general_administrator = login
            company.roles[login] = Role.ADMINISTRATOR

    # --- accounts (A1-A5) ------------------------------------------------------------------

    @precondition(has_companies)
    @rule(ci=PICK, by=PICK, account=st.sampled_from(ACCOUNTS))
    def add_account(self, ci: int, by: int, account: AccountKey) -> None:
        company, caller = self.company(ci), self.company(ci).pick(by)
        index = self.model.companies.index(company)
        admin = company.roles.get(caller) is Role.ADMINISTRATOR
        expected = admin and self.addable(account, index)
        wanted = request(self.proof_for(account))
        command = lambda: self.app.add_account(person(caller), company.id, wanted)  # noqa: E731
        if self.attempt(expected, command):
            company.pending.discard(caller)  # R5: a first command confirms
            record = self.model.accounts[str(account)]
            record.holder, record.enrolled = index, True
            if str(account) not in company.accounts:
                company.accounts.append(str(account))

    def enrolled_here(self, company: CompanyModel, account: AccountKey, enrolled: bool) -> bool:
        record = self.model.accounts[str(account)]
        mine = record.holder == self.model.companies.index(company)
        return str(account) in company.accounts and mine and record.enrolled is enrolled

    @precondition(has_companies)
    @rule(ci=PICK, by=PICK, accounts=ACCOUNT_SETS, blank_other=st.booleans())
    def unenroll_accounts(
        self, ci: int, by: int, accounts: set[AccountKey], blank_other: bool
    ) -> None:
        company, caller = self.company(ci), self.company(ci).pick(by)
        expected = (
            caller == company.general_administrator
            and not blank_other
            and all(self.enrolled_here(company, a, True) for a in accounts)
        )
        reason = UnenrollmentReason.OTHER if blank_other else UnenrollmentReason.PREFER_PAPER
        command = lambda: self.app.unenroll_accounts(  # noqa: E731
            person(caller), company.id, sorted(accounts), reason
        )
        if self.attempt(expected, command):
            company.pending.discard(caller)  # R5: a first command confirms
            for account in accounts:
                self.model.accounts[str(account)].enrolled = False

    @precondition(has_companies)
    @rule(ci=PICK, by=PICK, accounts=st.none() | ACCOUNT_SETS)
    def reenroll_accounts(self, ci: int, by: int, accounts: set[AccountKey] | None) -> None:
        company, caller = self.company(ci), self.company(ci).pick(by)
        admin = company.roles.get(caller) is Role.ADMINISTRATOR
        back = (
            [a for a in ACCOUNTS if self.enrolled_here(company, a, False)]
            if accounts is None
            else sorted(accounts)
        )
        expected = admin and all(self.enrolled_here(company, a, False) for a in back)
        selection = None if accounts is None else back
        command = lambda: self.app.reenroll_accounts(  # noqa: E731
            person(caller), company.id, selection
        )
        if self.attempt(expected, command):
            company.pending.discard(caller)  # R5: a first command confirms
            for account in back:
                self.model.accounts[str(account)].enrolled = True

    # --- payments and adjustments (I3, I4, R11) ---------------------------------------------

    @precondition(has_companies)
    @rule(ci=PICK)
    def add_payment_method(self, ci: int) -> None:
        company = self.company(ci)
        bank = BankAccount("Acme", "BANK", BANK_NUMBER)
        caller = person(company.general_administrator)
        self.attempt(True, lambda: self.app.add_payment_method(caller, company.id, bank))
        company.pending.discard(caller.login)

    @precondition(lambda self: bool(self.invoices))
    @rule(invoice=TARGET, by=PICK)
    def pay_invoice(self, invoice: int, by: int) -> None:
        chosen, login = self.invoice_and_caller(invoice, by)
        if self.attempt(None, lambda: self.app.pay_invoice(person(login), chosen)):
            self.confirmed(login)

    @precondition(lambda self: bool(self.invoices))
    @rule(invoice=TARGET, by=PICK, approve=st.booleans())
    def request_adjustment(self, invoice: int, by: int, approve: bool) -> None:
        chosen, login = self.invoice_and_caller(invoice, by)
        lines = {"TRK-1": Decimal("1.00")}
        asked: list[str] = []
        command = lambda: asked.append(  # noqa: E731
            self.app.request_adjustment(person(login), chosen, "check", lines).result
        )
        if self.attempt(None, command):
            self.confirmed(login)
            decide = lambda: self.app.decide_adjustment(  # noqa: E731
                BILLING, chosen, asked[0], approved=approve
            )
            self.attempt(True, decide)

    def confirmed(self, login: str) -> None:
        """R5: a successful command of a pending member made it a member."""
        if login in self.model.member_of:
            self.model.companies[self.model.member_of[login]].pending.discard(login)

    def invoice_and_caller(self, invoice: int, by: int) -> tuple[UUID, str]:
        """One of the latest invoices, and a caller from the company holding its account."""
        chosen = self.invoices[-1 - invoice % len(self.invoices)]
        account = self.app.invoice(chosen).account
        holder = self.model.accounts[account].holder
        caller = OUTSIDER if holder is None else self.model.companies[holder].pick(by)
        return chosen, caller

    # --- what always holds ---------------------------------------------------------------------

    @invariant()
    def one_general_administrator_an_administrator_and_member(self) -> None:
        for expected in self.model.companies:
            company = self.app.company(expected.id)
            assert company.general_administrator == expected.general_administrator
            assert company.role_of(company.general_administrator) is Role.ADMINISTRATOR
            assert {k: Role(v) for k, v in company.roles.items()} == expected.roles
            assert {k: set(v) for k, v in company.grants.items()} == expected.grants

    @invariant()
    def an_account_is_enrolled_in_at_most_one_company(self) -> None:
        for key in ACCOUNTS:
            expected = self.model.accounts[str(key)]
            if expected.last_bill is None:
                continue
            account = self.app.account(key)
            holders = [c.id for c in self.model.companies if account.enrolled_in(c.id)]
            assert len(holders) <= 1
            assert account.enrolled is expected.enrolled
            if expected.holder is not None:
                assert account.holder == str(self.model.companies[expected.holder].id)

    @invariant()
    def logins_belong_where_the_model_says(self) -> None:
        for login in LOGINS:
            index = self.model.member_of.get(login)
            try:
                company_id = self.app.user(login).company_id
            except DomainError:
                company_id = None
            expected = None if index is None else str(self.model.companies[index].id)
            assert company_id == expected

    @invariant()
    def replaying_the_stored_events_yields_the_same_state(self) -> None:
        for aggregate_id, current in self.states().items():
            assert replayed(self.app, aggregate_id) == current


BillingCenterMachine.TestCase.settings = settings(stateful_step_count=STEPS)
TestBillingCenterMachine = BillingCenterMachine.TestCase
