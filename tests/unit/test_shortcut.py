"""Issue 5: which invoice-list requests the shortcut answers itself (the rest go to FastAPI)."""

from __future__ import annotations

from typing import Any

import pytest

from api.http.shortcut import plain_list

CID = "2df3eda0-a31f-49c5-91ac-503903f8327a"
HISTORY = f"/v1/companies/{CID}/invoices"


def _scope(path: str = HISTORY, query: str = "", **extra: Any) -> dict[str, Any]:
    headers = extra.pop("headers", [(b"authorization", b"Bearer t")])
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "",
             "query_string": query.encode(), "headers": headers}  # fmt: skip
    return {**scope, **extra}


def test_a_history_page_with_limit_and_cursor_is_plain() -> None:
    plain = plain_list(_scope(query="limit=20&cursor=abc"))
    assert plain is not None
    cid, section, page = plain
    assert (str(cid), section, page.limit, page.cursor) == (CID, "HISTORY", 20, "abc")


def test_the_archive_with_no_query_is_plain_with_the_default_limit() -> None:
    plain = plain_list(_scope(f"{HISTORY}/archive"))
    assert plain is not None
    assert (plain[1], plain[2].limit, plain[2].cursor) == ("ARCHIVE", 50, None)


@pytest.mark.parametrize(
    "query",
    ["min_position=3", "limit=0", "limit=501", "limit=+5", "limit=", "cursor=",
     "limit=5&limit=6", "cursor=" + "x" * 501, "other=1"],
)  # fmt: skip
def test_queries_fastapi_must_validate_are_not_plain(query: str) -> None:
    assert plain_list(_scope(query=query)) is None


@pytest.mark.parametrize(
    "path",
    [HISTORY.upper(), HISTORY.replace("-", ""), f"{HISTORY}.csv", f"{HISTORY}/", "/v1/me"],
)
def test_other_paths_and_uncanonical_ids_are_not_plain(path: str) -> None:
    assert plain_list(_scope(path)) is None


def test_other_methods_a_root_path_and_long_request_ids_are_not_plain() -> None:
    assert plain_list(_scope(method="HEAD")) is None
    assert plain_list(_scope(root_path="/billing")) is None
    long_id = [(b"authorization", b"Bearer t"), (b"x-request-id", b"r" * 201)]
    assert plain_list(_scope(headers=long_id)) is None
