"""Invoice PDFs drawn off the request threads, a few at a time, and kept while unchanged.

Drawing a PDF is pure-Python CPU work. Done on the request threads, eight large ones at once
held every thread, and another company's invoice list waited 73 s (issue 17). Here they are
drawn by `RENDER_WORKERS` threads of their own; at most `RENDER_WAITING` more wait their turn,
and a request beyond that is refused at once (`RenderersBusy`: 503 with `Retry-After`)
instead of queueing without bound. Threads rather than processes: with the layout of
`api.documents.pdf` a 1,000-line invoice takes about 0.2 s of CPU, so the GIL share the
two workers take from the request threads is short; a process pool would copy each sheet
and load the fonts per process for no visible gain at that size.

A PDF is kept (a bounded LRU, by count and by bytes) under what it was drawn from: the
invoice and its version, the company that sees it and its version (its name and address
are printed), and the section (A6 stamps archive invoices), so a repeated download costs
nothing and any change draws it anew.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor

from api.documents.pdf import render
from api.documents.sheet import InvoiceSheet

RENDER_WORKERS = 2
RENDER_WAITING = 2
CACHED_PDFS = 256
CACHED_BYTES = 32 * 1024 * 1024


class RenderersBusy(Exception):
    """Every PDF renderer is busy and the short wait line is full: retry shortly (503)."""

    detail = "every invoice PDF renderer is busy; retry in a second"


class PdfCache:
    """The most recently used PDFs, at most `entries` of them and `size` bytes in all."""

    def __init__(self, entries: int = CACHED_PDFS, size: int = CACHED_BYTES) -> None:
        self.entries, self.size, self.used = entries, size, 0
        self._pdfs: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            pdf = self._pdfs.get(key)
            if pdf is not None:
                self._pdfs.move_to_end(key)
            return pdf

    def put(self, key: Hashable, pdf: bytes) -> None:
        if len(pdf) > self.size:
            return
        with self._lock:
            self.used += len(pdf) - len(self._pdfs.pop(key, b""))
            self._pdfs[key] = pdf
            while len(self._pdfs) > self.entries or self.used > self.size:
                _, oldest = self._pdfs.popitem(last=False)
                self.used -= len(oldest)


class PdfRenderer:
    """Draws invoice PDFs on a small pool of its own, refusing work beyond its capacity."""

    def __init__(
        self,
        draw: Callable[[InvoiceSheet], bytes] = render,
        *,
        workers: int = RENDER_WORKERS,
        waiting: int = RENDER_WAITING,
        cache: PdfCache | None = None,
    ) -> None:
        self.draw, self.capacity = draw, workers + waiting
        self.cache = cache or PdfCache()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="invoice-pdf")
        self._admitted = 0
        self._lock = threading.Lock()

    @property
    def admitted(self) -> int:
        """Renders being drawn or waiting for a worker."""
        return self._admitted

    async def pdf(self, key: Hashable, sheet: InvoiceSheet) -> bytes:
        """The PDF of `sheet`, kept under `key`; `RenderersBusy` when at capacity."""
        kept = self.cache.get(key)
        if kept is not None:
            return kept
        pdf = await asyncio.wrap_future(self._submit(sheet))
        self.cache.put(key, pdf)
        return pdf

    def _submit(self, sheet: InvoiceSheet) -> Future[bytes]:
        with self._lock:
            if self._admitted >= self.capacity:
                raise RenderersBusy
            self._admitted += 1
        # Released when the drawing ends, not when the request does: a client that hangs
        # up does not free a worker that is still drawing.
        future = self._pool.submit(self.draw, sheet)
        future.add_done_callback(self._release)
        return future

    def _release(self, _: Future[bytes]) -> None:
        with self._lock:
            self._admitted -= 1

    def close(self) -> None:
        """Stop the workers (what is drawing finishes; what waits is dropped)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
