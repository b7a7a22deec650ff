"""The text rule (API.md, Values; issue 17): free text, logins and e-mail addresses."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.invoice import reference
from domain.text import (
    ADJUSTMENT_REASON,
    COMPANY_ADDRESS,
    COMPANY_NAME,
    LINE_DESCRIPTION,
    USER_NAME,
    FreeText,
    email,
    login,
)

C0 = [chr(c) for c in range(0x20) if chr(c) not in "\t\n"]
C1 = [chr(c) for c in range(0x7F, 0xA0)]
BIDI_OVERRIDES = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


@pytest.mark.parametrize("bad", [*C0, *C1, "\u2028", "\u2029"])
def test_free_text_refuses_control_characters(bad: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        COMPANY_NAME(f"Acme{bad}Inc")
    assert refused.value.field == "name"
    assert refused.value.rule_id == "R1"


@pytest.mark.parametrize("bad", BIDI_OVERRIDES)
def test_free_text_refuses_bidirectional_overrides_and_isolates(bad: str) -> None:
    with pytest.raises(InvalidInput, match="address"):
        COMPANY_ADDRESS(f"1 Main St{bad}")


@pytest.mark.parametrize("bad", SURROGATES)
def test_free_text_refuses_unpaired_surrogates(bad: str) -> None:
    with pytest.raises(InvalidInput, match="reason"):
        ADJUSTMENT_REASON(f"wrong{bad}")


@pytest.mark.parametrize("mark", ["\u200e", "\u200f", "\u061c"])
def test_free_text_keeps_bidirectional_marks_that_right_to_left_text_needs(mark: str) -> None:
    assert USER_NAME(f"\u05d3\u05e0\u05d4{mark} 2") == f"\u05d3\u05e0\u05d4{mark} 2"


@pytest.mark.parametrize("kept", ["\t", "\n"])
def test_multi_line_fields_keep_tab_and_line_feed(kept: str) -> None:
    assert LINE_DESCRIPTION(f"Ground{kept}Air") == f"Ground{kept}Air"


@pytest.mark.parametrize("bad", ["\t", "\n"])
def test_single_line_fields_refuse_tab_and_line_feed(bad: str) -> None:
    with pytest.raises(InvalidInput, match="name"):
        USER_NAME(f"Bob{bad}Smith")


def test_multi_line_fields_read_cr_lf_as_a_line_feed_and_refuse_a_lone_cr() -> None:
    assert COMPANY_ADDRESS("1 Main St\r\nSpringfield") == "1 Main St\nSpringfield"
    with pytest.raises(InvalidInput, match="address"):
        COMPANY_ADDRESS("1 Main St\rSpringfield")


def test_free_text_is_nfc_normalised_and_trimmed() -> None:
    decomposed = "Cafe\u0301 "
    assert COMPANY_NAME(decomposed) == "Caf\u00e9"


def test_free_text_limit_counts_characters_after_normalisation() -> None:
    spec = FreeText("name", 3)
    assert spec("e\u0301" * 3) == "\u00e9" * 3
    with pytest.raises(InvalidInput, match="1 to 3 characters"):
        spec("abcd")


def test_required_free_text_refuses_blank_and_optional_accepts_it() -> None:
    with pytest.raises(InvalidInput, match="name"):
        COMPANY_NAME("   ")
    assert COMPANY_ADDRESS("  ") == ""


def test_a_field_used_by_two_rules_names_the_rule_it_is_checked_under() -> None:
    with pytest.raises(InvalidInput) as refused:
        COMPANY_NAME("\x00", rule="R10")
    assert refused.value.rule_id == "R10"


@given(st.text())
def test_accepted_free_text_is_stable_and_storable(value: str) -> None:
    """What is accepted holds no NUL or surrogate and passes the rule again unchanged."""
    try:
        kept = LINE_DESCRIPTION(value)
    except InvalidInput:
        return
    assert "\x00" not in kept
    kept.encode("utf-8")
    assert unicodedata.is_normalized("NFC", kept)
    assert LINE_DESCRIPTION(kept) == kept


# --- logins ----------------------------------------------------------------------------


def test_logins_are_casefolded_so_admin_and_capital_admin_are_one() -> None:
    assert login("Admin") == login("admin") == "admin"


def test_logins_are_nfkc_folded() -> None:
    assert login("\uff41\uff44\uff4d\uff49\uff4e") == "admin"  # full-width "admin"


def test_a_cyrillic_look_alike_cannot_pass_for_a_login() -> None:
    with pytest.raises(InvalidInput) as refused:
        login("\u0430dmin")  # a Cyrillic a
    assert refused.value.field == "login"
    assert refused.value.rule_id == "R5"


@pytest.mark.parametrize("bad", ZERO_WIDTH)
def test_logins_refuse_zero_width_characters(bad: str) -> None:
    with pytest.raises(InvalidInput, match="login"):
        login(f"ad{bad}min")


@pytest.mark.parametrize(
    "bad", ["", " admin", "ad min", "admin\x00", "admin\n", "-admin", "a" * 129]
)
def test_logins_refuse_spaces_controls_and_odd_shapes(bad: str) -> None:
    with pytest.raises(InvalidInput, match="login"):
        login(bad)


def test_logins_keep_the_characters_identity_providers_use() -> None:
    assert login("auth0|5f7c8ec7c33c6c004bbafe82") == "auth0|5f7c8ec7c33c6c004bbafe82"
    assert login("Bob.Smith+billing@Acme.test") == "bob.smith+billing@acme.test"


# --- e-mail addresses -------------------------------------------------------------------


def test_email_addresses_are_plausible_and_bounded() -> None:
    assert email(" bob@acme.test ") == "bob@acme.test"
    for bad in ["bob", "bob@acme", "bob@@acme.test", "bo b@acme.test", "bob@acme.test\x00"]:
        with pytest.raises(InvalidInput, match="email"):
            email(bad)
    with pytest.raises(InvalidInput, match="email"):
        email("b" * 64 + "@" + "a" * 190 + ".test")


@pytest.mark.parametrize("field", ["invoice_number", "control_id", "tracking_number"])
def test_i1_a_reference_followed_by_a_line_feed_is_refused(field: str) -> None:
    with pytest.raises(InvalidInput, match=field):
        reference("INV-1\n", field)
