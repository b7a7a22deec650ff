"""Invoice PDFs are drawn on a bounded pool of their own and kept while unchanged (issue 17)."""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import Executor, ThreadPoolExecutor

import pytest

from api.documents.pdf import render
from api.documents.rendering import PdfCache, PdfRenderer, RenderersBusy
from api.documents.sheet import InvoiceSheet
from tests.unit.documents.test_pdf import SHEET


class CountingDraw:
    """A fake renderer: counts its drawings; holds each until `release` is set."""

    def __init__(self, *, held: bool = False) -> None:
        self.drawn = 0
        self.started = threading.Semaphore(0)
        self.release = threading.Event()
        if not held:
            self.release.set()

    def __call__(self, sheet: InvoiceSheet) -> bytes:
        self.started.release()
        self.release.wait(timeout=30)
        self.drawn += 1
        return f"%PDF-{sheet.invoice_number}-{self.drawn}".encode()


def threads() -> Executor:
    """Fakes keep their counts in this process: they draw on threads."""
    return ThreadPoolExecutor(2)


def test_a_repeated_download_returns_the_kept_bytes_without_drawing_again() -> None:
    draw = CountingDraw()
    renderer = PdfRenderer(draw, pool=threads)
    first = asyncio.run(renderer.pdf(("invoice", 1), SHEET))
    again = asyncio.run(renderer.pdf(("invoice", 1), SHEET))
    assert again == first
    assert draw.drawn == 1


def test_a_new_version_is_drawn_anew() -> None:
    draw = CountingDraw()
    renderer = PdfRenderer(draw, pool=threads)
    asyncio.run(renderer.pdf(("invoice", 1), SHEET))
    asyncio.run(renderer.pdf(("invoice", 2), SHEET))
    assert draw.drawn == 2


def test_beyond_its_workers_and_wait_line_a_render_is_refused_at_once() -> None:
    """503 material: the request is refused, not queued behind the others."""
    draw = CountingDraw(held=True)
    renderer = PdfRenderer(draw, pool=threads, capacity=3)

    async def scenario() -> None:
        admitted = [asyncio.ensure_future(renderer.pdf(n, SHEET)) for n in range(3)]
        await asyncio.sleep(0)
        assert renderer.admitted == renderer.capacity == 3
        with pytest.raises(RenderersBusy):
            await renderer.pdf("one more", SHEET)
        draw.release.set()
        await asyncio.gather(*admitted)

    asyncio.run(scenario())
    assert draw.drawn == 3
    assert renderer.admitted == 0
    renderer.close()


def test_the_cache_forgets_the_least_recently_used_pdf_first() -> None:
    cache = PdfCache(entries=2)
    cache.put("a", b"A")
    cache.put("b", b"B")
    cache.get("a")
    cache.put("c", b"C")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"A", None, b"C")


def test_the_cache_holds_at_most_its_size_in_bytes() -> None:
    cache = PdfCache(entries=10, size=10)
    cache.put("a", b"x" * 6)
    cache.put("b", b"y" * 6)
    cache.put("too big", b"z" * 11)
    assert (cache.get("a"), cache.get("b"), cache.get("too big")) == (None, b"y" * 6, None)
    assert cache.used == 6


def test_the_service_draws_its_pdfs_in_processes_of_its_own() -> None:
    renderer = PdfRenderer()
    try:
        pdf = asyncio.run(renderer.pdf("invoice", SHEET))
    finally:
        renderer.close()
    assert pdf.startswith(b"%PDF-")


def die(_: InvoiceSheet) -> bytes:
    os._exit(1)  # a renderer process killed while drawing


def test_a_renderer_process_that_dies_answers_busy_and_is_replaced() -> None:
    """Never 500 forever: the broken pool is replaced; the next request is drawn."""
    renderer = PdfRenderer(die)
    try:
        with pytest.raises(RenderersBusy):
            asyncio.run(renderer.pdf("invoice", SHEET))
        renderer.draw = render
        assert asyncio.run(renderer.pdf("invoice", SHEET)).startswith(b"%PDF-")
        assert renderer.admitted == 0
    finally:
        renderer.close()
