"""The load generator's connections (issue 20): opened when a request finds none free, as a
proxy opens them while traffic grows, so a busier `serve` process is not handed a fixed
share of idle connections it accepted up front."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from tests.reliability.rawhttp import Pool, encode

ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


@asynccontextmanager
async def server(delay: float) -> AsyncIterator[tuple[int, list[int]]]:
    """An HTTP/1.1 keep-alive server on loopback answering each request after `delay`;
    yields its port and the number of connections it accepted (one item per connection)."""
    accepted: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        while await reader.readuntil(b"\r\n\r\n"):
            await asyncio.sleep(delay)
            writer.write(ANSWER)
            await writer.drain()

    listening = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield listening.sockets[0].getsockname()[1], accepted
    finally:
        listening.close()


def run(test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(test())


def test_requests_one_after_another_use_one_connection() -> None:
    async def test() -> None:
        async with server(delay=0) as (port, accepted):
            pool = await Pool(port, size=64).open()
            statuses = [await pool.send(encode("GET", "/", {})) for _ in range(20)]
            pool.close()
        assert statuses == [200] * 20
        assert (pool.opened, len(accepted)) == (1, 1)

    run(test)


def test_requests_at_once_open_as_many_connections_as_are_busy_up_to_the_size() -> None:
    async def test() -> None:
        async with server(delay=0.05) as (port, accepted):
            pool = await Pool(port, size=4).open()
            request = encode("GET", "/", {})
            statuses = await asyncio.gather(*(pool.send(request) for _ in range(10)))
            pool.close()
        assert statuses == [200] * 10
        assert (pool.opened, len(accepted)) == (4, 4)

    run(test)


def test_a_refused_connection_is_not_counted_as_open() -> None:
    """Counted anyway, every refusal while the service was down took a place in the pool,
    and once it was full every request waited for a free connection that never came."""

    async def test() -> None:
        async with server(delay=0) as (port, _):
            pass  # closed: nothing listens on the port now
        pool = await Pool(port, size=2).open()
        for _ in range(3):
            try:  # (bounded: a full pool of uncounted refusals waited forever)
                await asyncio.wait_for(pool.send(encode("GET", "/", {})), timeout=5)
            except ConnectionError:
                pass
            else:
                raise AssertionError("nothing listens: the request cannot be answered")
        assert pool.opened == 0

    run(test)
