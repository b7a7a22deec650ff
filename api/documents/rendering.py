"""Invoice PDFs drawn off the request threads, a few at a time, and kept while unchanged.

Drawing a PDF is pure-Python CPU work. Done on the request threads, eight large ones at once
held every thread, and another company's invoice list waited 73 s (issue 17). Here they are
drawn by `RENDER_WORKERS` processes of their own; at most `RENDER_WAITING` more wait their
turn, and a request beyond that is refused at once (`RenderersBusy`: 503 with `Retry-After`)
instead of queueing without bound. Processes rather than threads, measured with two renderers
drawing 1,000-line invoices without pause while another company lists its invoices
(`python -m benchmarks.pdf_isolation`): on threads, the renderers' share of the GIL made the
list's median 7-9 times slower (13-18 ms against 1.9 ms idle, 95th percentile 150-180 ms);
in a pool of processes it stayed that of an idle service (2 ms; 95th percentile 2-11 ms).
The pool has half the CPUs (the request threads keep the rest) and starts its processes on
the first PDF, by spawn: a threaded server is never forked.

A PDF is kept (a bounded LRU, by count and by bytes) under what it was drawn from: the
invoice and its version, the company that sees it and its version (its name and address
are printed), and the section (A6 stamps archive invoices), so a repeated download costs
nothing and any change draws it anew.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from api.documents.pdf import render
from api.documents.sheet import InvoiceSheet

RENDER_WORKERS = max(1, (os.cpu_count() or 2) // 2)
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


def process_pool(workers: int = RENDER_WORKERS) -> Executor:
    """The renderers' own processes, started on first use."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


class PdfRenderer:
    """Draws invoice PDFs on a small pool of its own, refusing work beyond its capacity."""

    def __init__(
        self,
        draw: Callable[[InvoiceSheet], bytes] = render,
        *,
        pool: Callable[[], Executor] = process_pool,
        capacity: int = RENDER_WORKERS + RENDER_WAITING,
        cache: PdfCache | None = None,
    ) -> None:
        self.draw, self.capacity, self.new_pool = draw, capacity, pool
        self.cache = cache or PdfCache()
        self._pool = pool()
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
        pool = self._pool
        try:
            pdf = await asyncio.wrap_future(self._submit(pool, sheet))
        except BrokenProcessPool:  # a renderer died (killed, out of memory): start anew
            self._renew(pool)
            raise RenderersBusy from None
        self.cache.put(key, pdf)
        return pdf

    def _submit(self, pool: Executor, sheet: InvoiceSheet) -> Future[bytes]:
        with self._lock:
            if self._admitted >= self.capacity:
                raise RenderersBusy
            self._admitted += 1
        try:
            future = pool.submit(self.draw, sheet)
        except BaseException:
            self._release(None)
            raise
        # Released when the drawing ends, not when the request does: a client that hangs
        # up does not free a renderer that is still drawing.
        future.add_done_callback(self._release)
        return future

    def _release(self, _: Future[bytes] | None) -> None:
        with self._lock:
            self._admitted -= 1

    def _renew(self, broken: Executor) -> None:
        with self._lock:
            if self._pool is not broken:
                return  # another request already replaced it
            self._pool = self.new_pool()
        broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the workers (what is drawing finishes; what waits is dropped)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
