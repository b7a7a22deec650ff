"""A plain `def` route in one worker-thread hop per request, not two (issue 20).

FastAPI runs a sync endpoint in the thread pool, then validates its answer against the
response model in the pool again: two hand-offs between the event loop and a worker thread
per request, each waking a thread and passing the GIL back and forth. Wrapped as a
coroutine that runs the endpoint in a thread itself, the answer (already a model instance)
is checked on the loop, which takes microseconds. The signature, name and docstring stay the
endpoint's (`functools.wraps`), so OpenAPI and the dependencies are unchanged.

The endpoint runs on one database connection (store/pinning.py): its queries, the
aggregates' and the read models', share the connection it checks out first, returned when
it ends or before a write waits for its group commit (issue 20: GET /v1/me took four
checkouts, an unchanged PUT of a company five).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial, wraps
from typing import Any

from anyio import to_thread
from fastapi.routing import APIRoute

from store.pinning import one_connection_per_request

Endpoint = Callable[..., Any]


def in_one_hop(endpoint: Endpoint) -> Endpoint:
    """`endpoint` itself when it is a coroutine or generator function (FastAPI streams a
    generator's items), else a coroutine function that runs it in a worker thread (the
    default pool, as FastAPI would), on one database connection per pool for all its
    queries (store/pinning.py)."""
    if _left_to_fastapi(endpoint):
        return endpoint

    @wraps(endpoint)
    async def hopped(*args: Any, **kwargs: Any) -> Any:
        return await to_thread.run_sync(partial(on_one_connection, endpoint, *args, **kwargs))

    return hopped


def on_one_connection(endpoint: Endpoint, *args: Any, **kwargs: Any) -> Any:
    """`endpoint(*args, **kwargs)`, its queries on one connection per pool."""
    with one_connection_per_request():
        return endpoint(*args, **kwargs)


def _left_to_fastapi(endpoint: Endpoint) -> bool:
    return any(
        test(endpoint)
        for test in (
            inspect.iscoroutinefunction,
            inspect.isgeneratorfunction,
            inspect.isasyncgenfunction,
        )
    )


class OneHopRoute(APIRoute):
    """The routers' route class: a sync endpoint is run in one hop (`in_one_hop`)."""

    def __init__(self, path: str, endpoint: Endpoint, **kwargs: Any) -> None:
        super().__init__(path, in_one_hop(endpoint), **kwargs)
