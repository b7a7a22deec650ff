"""Issue 17: reading your own write (`seen` in the console, `min_position` in the API) never
holds a shared request thread, nor waits for a position the store has not reached.

`GET /console/sign-in?seen=<huge>` x 8 used to wait 5 s each on the 8 threads every sync
route shares, and the whole service stopped answering. The waits are observed with events
(a fake read side whose `wait_for` blocks until released), not with timings.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.http.hop import REQUEST_THREADS
from tests.e2e.http import World, enroll, running

RELEASE_SECONDS = 30


class HeldReads:
    """The real read models, but `wait_for` blocks until the test releases it."""

    def __init__(self, reads: Any) -> None:
        self.reads = reads
        self.waiting = threading.Semaphore(0)
        self.release = threading.Event()
        self.waits: list[int] = []

    def wait_for(self, position: int, timeout: float) -> bool:  # noqa: ARG002 (held, not timed)
        self.waits.append(position)
        self.waiting.release()
        return self.release.wait(RELEASE_SECONDS)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.reads, name)


@pytest.fixture
def held(tmp_path: Any) -> Iterator[tuple[TestClient, World, HeldReads]]:
    with running(f"sqlite:///{tmp_path / 'events.sqlite'}", str(tmp_path)) as client:
        world = enroll(client)
        reads = HeldReads(client.app.state.read_models)  # type: ignore[attr-defined]
        client.app.state.read_models = reads  # type: ignore[attr-defined]
        try:
            yield client, world, reads
        finally:
            reads.release.set()


def test_waiting_sign_in_pages_leave_the_shared_threads_free(
    held: tuple[TestClient, World, HeldReads],
) -> None:
    client, _, reads = held
    pages = [
        threading.Thread(
            target=client.get, args=("/console/sign-in",), kwargs={"params": {"seen": 1}}
        )
        for _ in range(REQUEST_THREADS)
    ]
    for page in pages:
        page.start()
    for _ in pages:
        assert reads.waiting.acquire(timeout=RELEASE_SECONDS), "a page did not start waiting"
    answers: list[int] = []
    other = threading.Thread(target=lambda: answers.append(client.get("/health").status_code))
    other.start()
    other.join(RELEASE_SECONDS)
    assert answers == [200], "another route was not answered while the pages waited"
    reads.release.set()
    for page in pages:
        page.join(RELEASE_SECONDS)


def test_a_position_beyond_the_store_is_not_waited_for(
    held: tuple[TestClient, World, HeldReads],
) -> None:
    client, _, reads = held
    for seen in ("999999999999999999", "²", "9" * 5000, "-1"):
        response = client.get("/console/sign-in", params={"seen": seen})
        assert response.status_code == 200, seen
    assert reads.waits == []


def test_a_min_position_beyond_the_store_is_503_without_waiting(
    held: tuple[TestClient, World, HeldReads],
) -> None:
    """API.md: a position no write has reached cannot be caught up with: 503 at once."""
    client, world, reads = held
    response = client.get(
        f"/v1/companies/{world.cid}", params={"min_position": 10**9}, headers=world.admin.headers
    )
    assert (response.status_code, response.headers["Retry-After"]) == (503, "1")
    assert reads.waits == []
