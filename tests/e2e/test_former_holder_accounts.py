"""A2, A3, A4 (issue 17): a company's account list shows, for an account another company
has since enrolled, what this company had: its own enrollment's line of business and
account type, UNENROLLED, and paper invoices as the account is billed now (not on paper:
the new holder gets it in the billing center)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from store.database import open_database
from tests.e2e.http import As, World, enroll, invoice_body, proven, running


def _row(caller: As, cid: str, number: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = caller.get(f"/v1/companies/{cid}/accounts").json()["items"]
    (row,) = [r for r in rows if r["number"] == number]
    return row


def _unenroll(world: World, account: dict[str, str]) -> None:
    body = {"accounts": [account], "reason": "NO_LONGER_NEEDED"}
    answer = world.admin.post(f"/v1/companies/{world.cid}/unenrollment", json=body)
    assert answer.status_code == 200, answer.text


def _taken_over(world: World, account: dict[str, str]) -> World:
    """Another company enrolls `account` as FREIGHT (no account type)."""
    other = enroll(world.client, "zoe")
    bill = invoice_body(account)
    assert world.billing.post("/v1/invoices", json=bill).status_code == 201
    item = {**proven(account, bill), "line_of_business": "FREIGHT", "account_type": None}
    other.admin.seen.extend(world.billing.seen)
    added = other.admin.post(f"/v1/companies/{other.cid}/accounts", json=item)
    assert added.status_code == 201, added.text
    return other


def test_a_former_holder_sees_its_own_enrollment_of_a_taken_over_account(world: World) -> None:
    account = world.accounts[0]
    _unenroll(world, account)
    other = _taken_over(world, account)
    world.admin.seen.extend(other.admin.seen)
    mine = _row(world.admin, world.cid, account["number"])
    assert (mine["line_of_business"], mine["account_type"]) == ("PACKAGE", "INDIVIDUAL")
    assert (mine["status"], mine["paper_invoices"]) == ("UNENROLLED", False)
    theirs = _row(other.admin, other.cid, account["number"])
    assert (theirs["line_of_business"], theirs["account_type"]) == ("FREIGHT", None)
    assert (theirs["status"], theirs["paper_invoices"]) == ("ENROLLED", False)


def test_an_account_unenrolled_and_held_by_nobody_is_billed_on_paper(world: World) -> None:
    """A4: while no company holds it, it is billed on paper again."""
    account = world.accounts[0]
    _unenroll(world, account)
    mine = _row(world.admin, world.cid, account["number"])
    assert (mine["status"], mine["paper_invoices"]) == ("UNENROLLED", True)
    assert mine["account_type"] == "INDIVIDUAL"


def test_a_store_projected_before_enrollments_existed_still_lists_accounts(
    durable_store_url: str, tmp_path: Path
) -> None:
    """Starting this version on a read model without `enrollments` adds it (empty: the
    list falls back on the account's row until `projections rebuild accounts`)."""
    with running(durable_store_url, str(tmp_path)) as client:
        world = enroll(client)
    db = open_database(durable_store_url)
    with db.write() as tx:
        tx.execute("DROP VIEW accounts_enrollments")
        tx.execute("DROP TABLE accounts_g1_enrollments")
    db.close()
    with running(durable_store_url, str(tmp_path)) as client:
        world.client = client
        world.admin.client = client
        row = _row(world.admin, world.cid, world.accounts[0]["number"])
        assert (row["account_type"], row["status"]) == ("INDIVIDUAL", "ENROLLED")
