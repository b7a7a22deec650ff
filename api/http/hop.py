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

import asyncio
import contextvars
import inspect
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial, wraps
from typing import Any, ParamSpec, TypeVar

from fastapi.routing import APIRoute

from store.pinning import one_connection_per_request

Endpoint = Callable[..., Any]
P = ParamSpec("P")
T = TypeVar("T")

REQUEST_THREADS = 3
"""Sync routes running at once (anyio's default is 40). More only queue on the database
pools while contending for the GIL: at 200 requests/s forty threads took more CPU per
request and several times the latency of eight (issue 5), and at 400 requests/s over two
processes three gave a lower p99 than eight in 7 of 9 interleaved soaks, median 54 against
121 ms (issue 20: fewer threads take turns for the GIL, fewer context switches; two threads
were worse). `min_position` waits, remote calls and PDFs have threads (or processes) of
their own, so the three wait on nothing but the store."""

ROUTE_THREAD_NAME = "route"
"""What the names of the threads that answer the routes begin with."""
_ROUTE_THREADS = ThreadPoolExecutor(REQUEST_THREADS, thread_name_prefix=ROUTE_THREAD_NAME)
"""The threads that answer the routes, one process's own (each `serve` worker imports this
anew)."""


async def in_route_thread(endpoint: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`endpoint(*args, **kwargs)` in a route thread, on one database connection per pool,
    with the caller's context variables.

    asyncio's own executor hand-off (a C queue, one future), not anyio's `to_thread`: for
    each request that took a capacity limiter, a cancel scope and a `queue.Queue` whose
    condition variable alone was a tenth of an API process's GIL time under the soak's mix
    (issue 20). As with anyio, a request whose task is cancelled (a shutdown past its grace
    period) drops its route if no thread has taken it yet; one already running is waited
    for, so the task ends after it, its write committed whole or not at all, and shutdown
    closes nothing under it.
    """
    context = contextvars.copy_context()
    call: Future[T] = _ROUTE_THREADS.submit(
        context.run, partial(on_one_connection, endpoint, *args, **kwargs)
    )
    try:
        return await asyncio.wrap_future(call)
    except asyncio.CancelledError:
        if not call.cancelled():  # running: cancelling did not stop it
            await asyncio.wait([asyncio.wrap_future(call)])
        raise


def in_one_hop(endpoint: Endpoint) -> Endpoint:
    """`endpoint` itself when it is a coroutine or generator function (FastAPI streams a
    generator's items), else a coroutine function that runs it in a route thread
    (`in_route_thread`), on one database connection per pool for all its queries
    (store/pinning.py)."""
    if _left_to_fastapi(endpoint):
        return endpoint

    @wraps(endpoint)
    async def hopped(*args: Any, **kwargs: Any) -> Any:
        return await in_route_thread(endpoint, *args, **kwargs)

    return hopped


def on_one_connection(endpoint: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
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
