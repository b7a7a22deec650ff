"""Issue 20: the API processes' CPU per request. A plain `def` route costs one hand-off to a
worker thread, not two; every route is prepared at start-up, not by the first requests."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, routing
from fastapi.testclient import TestClient

from api.http.app import create_app, match_every_route
from api.http.hop import REQUEST_THREADS, ROUTE_THREAD_NAME, in_one_hop, in_route_thread
from api.http.routes import companies
from tests.e2e.http import settings_for


def _sync_endpoint(*, cid: str, flag: bool = False) -> dict[str, Any]:
    """Answers with the thread it ran in."""
    return {"cid": cid, "flag": flag, "thread": threading.current_thread().name}


def test_a_sync_endpoint_runs_in_a_worker_thread_as_a_coroutine() -> None:
    hopped = in_one_hop(_sync_endpoint)

    async def call() -> dict[str, Any]:
        answer: dict[str, Any] = await hopped(cid="c", flag=True)
        return answer

    answer = asyncio.run(call())
    assert inspect.iscoroutinefunction(hopped)
    assert answer["thread"].startswith(ROUTE_THREAD_NAME)
    assert (answer["cid"], answer["flag"]) == ("c", True)


WAIT_SECONDS = 5.0


class Held:
    """A route that runs until released, noting that it started and that it ended."""

    def __init__(self) -> None:
        self.started, self.release = threading.Event(), threading.Event()
        self.ended: list[str] = []

    def __call__(self, name: str) -> str:
        self.started.set()
        self.release.wait(WAIT_SECONDS)
        self.ended.append(name)
        return name


def test_a_cancelled_request_ends_after_its_running_route() -> None:
    held = Held()

    async def scenario() -> None:
        task = asyncio.create_task(in_route_thread(held, "running"))
        assert await asyncio.to_thread(held.started.wait, WAIT_SECONDS)
        task.cancel()
        await asyncio.sleep(0.05)
        assert not task.done(), "the task ended while its route still ran"
        held.release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert held.ended == ["running"]

    asyncio.run(scenario())


def test_a_cancelled_request_whose_route_no_thread_took_yet_drops_it() -> None:
    held = Held()

    async def scenario() -> None:
        busy = [asyncio.create_task(in_route_thread(held, "busy")) for _ in range(REQUEST_THREADS)]
        queued = asyncio.create_task(in_route_thread(held, "queued"))
        assert await asyncio.to_thread(held.started.wait, WAIT_SECONDS)
        await asyncio.sleep(0.05)  # every thread holds a busy route; "queued" waits for one
        queued.cancel()
        with pytest.raises(asyncio.CancelledError):
            await queued
        held.release.set()
        assert await asyncio.gather(*busy) == ["busy"] * REQUEST_THREADS
        await asyncio.sleep(0.1)  # a thread is free now: "queued" would have run by then
        assert held.ended == ["busy"] * REQUEST_THREADS

    asyncio.run(scenario())


def test_a_hopped_endpoint_keeps_the_signature_name_and_docstring_openapi_shows() -> None:
    hopped = in_one_hop(_sync_endpoint)
    assert inspect.signature(hopped) == inspect.signature(_sync_endpoint)
    assert (hopped.__name__, hopped.__doc__) == ("_sync_endpoint", _sync_endpoint.__doc__)


def test_a_coroutine_endpoint_is_left_as_it_is() -> None:
    async def endpoint() -> None:
        return None

    assert in_one_hop(endpoint) is endpoint


def test_a_generator_endpoint_is_left_for_fastapi_to_stream() -> None:
    def endpoint() -> Iterator[bytes]:
        yield b"row"

    assert in_one_hop(endpoint) is endpoint


def test_the_routers_sync_routes_are_coroutines_for_fastapi() -> None:
    route = next(r for r in companies.router.routes if getattr(r, "name", "") == "company")
    assert isinstance(route, routing.APIRoute)
    assert inspect.iscoroutinefunction(route.endpoint)


def _builds(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The routes FastAPI prepares from now on (FastAPI 0.165 does it per included router,
    at the first request matched against it unless `match_every_route` did)."""
    built: list[object] = []
    build = routing._IncludedRouter._build_effective_context

    def counted(self: routing._IncludedRouter, route: Any) -> Any:
        built.append(route)
        return build(self, route)

    monkeypatch.setattr(routing._IncludedRouter, "_build_effective_context", counted)
    return built


def test_matching_every_route_once_prepares_them_all(monkeypatch: pytest.MonkeyPatch) -> None:
    app = FastAPI()
    app.include_router(companies.router)
    built = _builds(monkeypatch)
    match_every_route(app)
    assert len(built) == len(companies.router.routes)


def test_no_request_prepares_a_route_after_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(settings_for(f"sqlite:///{tmp_path / 'events.sqlite'}", str(tmp_path)))
    with TestClient(app) as client:
        built = _builds(monkeypatch)
        for path in ("/v1/me", "/v1/companies/x/accounts", "/console", "/health", "/nope"):
            client.get(path)
    assert built == []
