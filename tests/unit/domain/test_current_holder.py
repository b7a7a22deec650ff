"""A2, A3, A5, I6 (issue 18): a command on an account is for the company that holds it now.

Account ACCOUNT left alice's company and was added by zoe's, who pays it automatically.
alice's company still remembers the account (its past invoices stay visible to it, A4),
but every command on the account itself is refused as if it did not exist (API.md: 404),
and zoe's automatic payment is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.application import BillingCenter
from domain.errors import AccountTakenOver, NotFound
from domain.values import AccountKey
from tests.builders import (
    ACCOUNT,
    ADMIN,
    OTHER_ACCOUNT,
    add_payment_method,
    billing_center,
    enrolled_company,
    person,
    proven,
    reenroll,
    refused,
    unenroll,
)


@dataclass(frozen=True)
class TakenOver:
    """alice's company A held ACCOUNT; zoe's company B holds it now and pays it automatically."""

    app: BillingCenter
    former: UUID
    holder: UUID


def taken_over() -> TakenOver:
    app = billing_center()
    former = enrolled_company(app)
    add_payment_method(app, former)
    unenroll(app, former)
    holder = enrolled_company(app, "zoe", (OTHER_ACCOUNT,), "PROOF-2")
    app.add_account(person("zoe"), holder, proven(app, ACCOUNT, "PROOF-3"))
    add_payment_method(app, holder, by="zoe")
    app.set_up_autopay(person("zoe"), holder, ACCOUNT, 3)
    return TakenOver(app, former, holder)


def autopay_of(app: BillingCenter, key: AccountKey) -> dict[str, object] | None:
    return app.account(key).autopay


def test_i6_a_former_holder_cannot_cancel_the_new_holders_automatic_payment() -> None:
    """I6/A2: A's administrator cancelling B's autopay on the account is told it does not exist."""
    world = taken_over()
    with refused(world.app, NotFound, None):
        world.app.cancel_autopay(person(ADMIN), world.former, ACCOUNT)
    plan = autopay_of(world.app, ACCOUNT)
    assert plan is not None
    assert plan["company_id"] == str(world.holder)


def test_i6_a_former_holder_cannot_set_up_an_automatic_payment() -> None:
    """I6/A2: setting up autopay on an account another company holds now is 404, not 409."""
    world = taken_over()
    with refused(world.app, NotFound, None):
        world.app.set_up_autopay(person(ADMIN), world.former, ACCOUNT, 5)
    plan = autopay_of(world.app, ACCOUNT)
    assert plan is not None
    assert plan["set_up_by"] == "zoe"


def test_a3_a_former_holder_cannot_unenroll_the_account() -> None:
    """A3/A2: unenrolling an account another company holds now is 404 (it is not the caller's)."""
    world = taken_over()
    with refused(world.app, NotFound, None):
        unenroll(world.app, world.former)
    assert world.app.account(ACCOUNT).enrolled_in(world.holder)


def test_a5_a_former_holder_cannot_reenroll_the_account() -> None:
    """A5: re-enrolling an account another company has taken since is refused."""
    world = taken_over()
    with refused(world.app, AccountTakenOver, "A5"):
        reenroll(world.app, world.former)
    assert world.app.account(ACCOUNT).enrolled_in(world.holder)


def test_i6_the_holder_still_cancels_its_own_automatic_payment() -> None:
    """I6: the check refuses only former holders; the holder's own cancel goes through."""
    world = taken_over()
    world.app.cancel_autopay(person("zoe"), world.holder, ACCOUNT)
    assert autopay_of(world.app, ACCOUNT) is None
