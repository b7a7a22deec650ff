"""Issue 20: workers share the projections by their cost, not their count."""

from __future__ import annotations

from projections.tracking import UNITS
from projections.workers import plan


def _load(names: list[str]) -> float:
    return sum(UNITS[name].cost for name in names)


def test_two_workers_get_shares_of_about_equal_cost() -> None:
    first, second = plan(list(UNITS.values()), 2)
    total = _load(first) + _load(second)
    assert abs(_load(first) - _load(second)) <= 0.1 * total


def test_the_two_heaviest_projections_never_share_a_worker() -> None:
    shares = plan(list(UNITS.values()), 2)
    assert not any({"audit", "outbox"} <= set(share) for share in shares)


def test_every_unit_has_exactly_one_worker_whatever_their_number() -> None:
    for workers in range(1, 12):
        shares = plan(list(UNITS.values()), workers)
        assert sorted(n for share in shares for n in share) == sorted(UNITS)


def test_every_worker_computes_the_same_plan_whatever_order_it_lists_the_units_in() -> None:
    units = list(UNITS.values())
    assert plan(units, 3) == plan(units[::-1], 3)


def test_the_invoice_segments_run_on_different_workers_when_there_are_enough() -> None:
    for workers in range(2, 12):
        shares = plan(list(UNITS.values()), workers)
        assert not any({"invoices/0", "invoices/1"} <= set(share) for share in shares)


def test_segments_share_a_worker_only_when_there_is_one() -> None:
    (share,) = plan(list(UNITS.values()), 1)
    assert {"invoices/0", "invoices/1"} <= set(share)
