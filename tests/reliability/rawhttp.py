"""A load generator's HTTP/1.1 client: keep-alive connections, bytes in, status out.

httpx spends more CPU per request than the service does on a 2-core machine, so a load
generator built on it slows the server it measures and cannot even send 200 requests/s
(issue 9). This client writes each request as one buffer and reads only the status line,
the Content-Length and the body: about 0.4 ms of CPU per request.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

import orjson

_LENGTH = re.compile(rb"(?i)\r\ncontent-length: *(\d+)")
Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@dataclass(frozen=True)
class Request:
    """One request, encoded once: `kind` names it in reports."""

    kind: str
    data: bytes


def encode(method: str, path: str, headers: dict[str, str], json: object = None) -> bytes:
    """The bytes of an HTTP/1.1 request (a JSON body when `json` is given)."""
    body = b"" if json is None else orjson.dumps(json)
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if json is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return "\r\n".join([*lines, "", ""]).encode() + body


@dataclass
class Pool:
    """`size` keep-alive connections to 127.0.0.1:`port`; a request waits for a free one."""

    port: int
    size: int = 64
    free: asyncio.Queue[Connection] = field(default_factory=asyncio.Queue)
    opened: int = 0

    async def open(self) -> Pool:
        """Ready to send. Connections are opened when a request finds none free, as a proxy
        opens them while traffic grows: then the `serve --workers N` process that is less
        busy accepts the new one first, and the load spreads itself. Opened up front, while
        every process idled, the first to wake accepted most (48 of 64 in one burst, 37 of
        64 ten ms apart: issue 20) and that process served their share of the load."""
        return self

    async def _connection(self) -> Connection:
        if self.free.empty() and self.opened < self.size:
            self.opened += 1  # before the await: requests meanwhile count this one
            try:
                return await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                self.opened -= 1  # refused (the service is down): not a connection
                raise
        return await self.free.get()

    async def send(self, request: bytes) -> int:
        """The answer's status; the body is read and dropped. A connection the server
        closed is replaced and the error raised (the caller counts it)."""
        reader, writer = await self._connection()
        try:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = _LENGTH.search(head)
            await reader.readexactly(int(length[1]) if length else 0)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            self.free.put_nowait(await asyncio.open_connection("127.0.0.1", self.port))
            raise
        self.free.put_nowait((reader, writer))
        return int(head[9:12])

    def close(self) -> None:
        while not self.free.empty():
            self.free.get_nowait()[1].close()
