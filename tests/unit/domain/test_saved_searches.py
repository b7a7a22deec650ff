"""R12: saved searches are the member's own named invoice filters, checked when saved."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from domain.errors import InvalidInput, NotFound, SearchNameTaken
from domain.searches import FILTER_NAMES, MAX_SAVED_SEARCHES, valid_filters
from domain.values import Role
from tests.builders import (
    ACCOUNT,
    BILLING,
    a_company,
    add_user,
    billing_center,
    enrolled_company,
    person,
    refused,
)


def test_r12_filters_are_kept_checked_and_in_order() -> None:
    kept = valid_filters({"status": "open", "account": "US-A00001", "from": "2025-01-31",
                          "min": "10,50", "q": " INV-1 ", "sort": "amount",
                          "dir": "asc"})  # fmt: skip
    assert kept == {"account": "US-A00001", "dir": "asc", "from": "2025-01-31", "min": "10.50",
                    "q": "INV-1", "sort": "amount", "status": "open"}  # fmt: skip
    assert valid_filters({"status": " ", "q": ""}) == {}  # an empty field is no filter


@pytest.mark.parametrize(
    ("name", "value"),
    [("status", "late"), ("from", "2025-1-31"), ("from", "31/01/2025"), ("min", "NaN"),
     ("min", "1e999999"), ("account", "us-a1"), ("sort", "secret"), ("q", "a\x00b"),
     ("where", "1=1")],
)  # fmt: skip
def test_r12_a_filter_the_page_does_not_know_is_refused(name: str, value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        valid_filters({name: value})
    assert caught.value.rule_id == "R12"


@given(st.dictionaries(st.text(max_size=8), st.text(max_size=30), max_size=6))
def test_r12_any_filters_are_kept_clean_or_refused(filters: dict[str, str]) -> None:
    try:
        kept = valid_filters(filters)
    except InvalidInput as error:
        refused_by = error.rule_id
    else:
        refused_by = None
    if refused_by is not None:
        assert refused_by == "R12"
        return
    assert set(kept) <= set(FILTER_NAMES)
    assert all(value and value == value.strip() for value in kept.values())


def test_r12_a_member_saves_lists_and_deletes_their_own() -> None:
    app, company = a_company()
    add_user(app, company, "bob", Role.VIEW_ONLY, (ACCOUNT,))
    sid = app.save_search(person("bob"), "Open ones", {"status": "open"}).result
    assert [(s.name, s.filters) for s in app.saved_searches("bob")] == [
        ("Open ones", {"status": "open"})
    ]
    assert app.saved_searches("alice") == []  # private (R12)
    with refused(app, NotFound, None):
        app.delete_saved_search(person("alice"), sid)  # another's is "not found"
    with refused(app, SearchNameTaken, "R12"):
        app.save_search(person("bob"), "OPEN ONES", {})
    app.delete_saved_search(person("bob"), sid)
    assert app.saved_searches("bob") == []


def test_r12_a_service_principal_or_an_outsider_has_none() -> None:
    app = billing_center()
    enrolled_company(app)
    with pytest.raises(NotFound):
        app.save_search(person("stranger"), "x", {})
    with pytest.raises(Exception, match="service principals"):
        app.save_search(BILLING, "x", {})


def test_r12_at_most_fifty() -> None:
    app = billing_center()
    enrolled_company(app)
    for n in range(MAX_SAVED_SEARCHES):
        app.save_search(person("alice"), f"search {n}", {})
    with refused(app, InvalidInput, "R12"):
        app.save_search(person("alice"), "one more", {})


class SavedSearchMachine(RuleBasedStateMachine):
    """Whatever is saved and deleted, the list is exactly what a dict model says."""

    searches = Bundle("searches")

    def __init__(self) -> None:
        super().__init__()
        self.app = billing_center()
        enrolled_company(self.app)
        self.model: dict[str, str] = {}

    @rule(target=searches, name=st.sampled_from(["a", "B", "b", "c d", "é"]))
    def save(self, name: str) -> str:
        taken = name.casefold() in {n.casefold() for n in self.model.values()}
        try:
            sid = self.app.save_search(person("alice"), name, {"status": "open"}).result
        except SearchNameTaken:
            assert taken
            return ""
        assert not taken
        self.model[sid] = name
        return sid

    @rule(sid=consumes(searches))
    def delete(self, sid: str) -> None:
        if sid in self.model:
            self.app.delete_saved_search(person("alice"), sid)
            del self.model[sid]
        else:
            with pytest.raises(NotFound):
                self.app.delete_saved_search(person("alice"), sid or "0")

    @invariant()
    def listed_as_modelled(self) -> None:
        listed = {s.search_id: s.name for s in self.app.saved_searches("alice")}
        assert listed == self.model


TestSavedSearchMachine = SavedSearchMachine.TestCase
