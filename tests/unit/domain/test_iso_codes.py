"""A1 and I1: countries and currencies are assigned ISO codes, from the lists in domain/iso.py."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.iso import COUNTRIES, CURRENCIES
from domain.values import AccountKey, currency


@pytest.mark.parametrize("code", ["XX", "ZZ", "EU", "UN", "AC", "QO", "us", "USA"])
def test_a1_a_country_must_be_an_assigned_iso_3166_alpha_2_code(code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        AccountKey(code, "1A2B3C")
    assert (refused.value.field, refused.value.rule_id) == ("country", "A1")


@pytest.mark.parametrize("code", ["ZZZ", "XXX", "XTS", "XAU", "usd", "US"])
def test_i1_a_currency_must_be_an_iso_4217_code_of_money_in_use(code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        currency(code)
    assert (refused.value.field, refused.value.rule_id) == ("currency", "I1")


def test_the_lists_hold_every_assigned_code_they_should() -> None:
    assert len(COUNTRIES) == 249  # ISO 3166-1 alpha-2, officially assigned
    assert {"US", "FR", "DE", "CA", "SS", "XK"} & COUNTRIES == {"US", "FR", "DE", "CA", "SS"}
    assert {"USD", "EUR", "JPY", "XOF", "CHF"} <= CURRENCIES


def test_a_key_an_event_recorded_is_not_judged_again_by_todays_lists() -> None:
    """Old events must never be judged by today's rules (STYLE.md): a store may hold XX."""
    key = AccountKey.recorded("XX-1A2B3C")
    assert (key.country, key.number, str(key)) == ("XX", "1A2B3C", "XX-1A2B3C")


def test_a1_an_account_number_followed_by_a_line_feed_is_refused() -> None:
    with pytest.raises(InvalidInput, match="number"):
        AccountKey("US", "1A2B3C\n")
