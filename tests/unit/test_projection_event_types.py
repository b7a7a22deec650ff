"""Issue 20: a runner leaves unread the event types none of its projections applies, so
each projection must name every type it reads, its page preparation's included."""

from __future__ import annotations

from projections.accounts import _CHANGES, Accounts
from projections.base import handled_types
from projections.cases import STEPS
from projections.directory import _SEEING, Directory
from projections.events import known_event_types
from projections.invoices import _ENROLLMENT, _LATER, Invoices
from projections.outbox import Notifications
from projections.runner import _skipped
from projections.tracking import PROJECTIONS, units_of
from projections.webhooks import _CASE_STEPS


def test_a_projection_applies_every_event_type_its_page_preparation_reads() -> None:
    invoices, accounts = Invoices("x_").event_types(), Accounts("x_").event_types()
    assert invoices is not None
    assert accounts is not None
    assert invoices.issuperset(_LATER | _ENROLLMENT | {"InvoiceIssued"})
    assert accounts.issuperset(_CHANGES)
    assert handled_types(Directory).issuperset(_SEEING)


def test_every_later_step_of_a_case_is_told_to_its_requester_and_to_webhooks() -> None:
    """I4, I9: the outbox and the webhooks tell of each step the cases keep after a request."""
    assert {"AdjustmentInReview", "AdjustmentCommented", "AdjustmentDecided"} <= STEPS
    assert handled_types(Notifications).issuperset(STEPS)
    assert set(_CASE_STEPS) == STEPS


def test_every_type_a_projection_applies_is_an_event_type_of_this_version() -> None:
    known = known_event_types()
    for model in PROJECTIONS.values():
        types = model.projection(1).event_types()
        assert types is None or types <= known, (model.name, sorted((types or set()) - known))


def test_a_runner_with_the_audit_trail_reads_every_event() -> None:
    assert _skipped(units_of(["cases", "audit"])) == []


def test_a_runner_of_the_cases_leaves_the_directory_s_events_unread() -> None:
    skipped = _skipped(units_of(["cases"]))
    assert "RoleChanged" in skipped
    assert "AdjustmentRequested" not in skipped
