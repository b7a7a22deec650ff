"""What users take away: the invoice PDF, the history as CSV, attached documents (I7)."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from starlette import types as asgi
from starlette.exceptions import HTTPException

from api.document_store import documents_of
from api.documents.csv_export import all_pages, csv_chunks
from api.documents.names import content_disposition
from api.documents.printing import printed_invoice
from api.documents.rendering import PdfRenderer
from api.documents.upload import DocumentTooLarge, check_pdf, read_limited
from api.http.deps import App, CurrentCaller, Reads, written
from api.http.hop import OneHopRoute
from api.http.responses import COMMON, READ, WRITE
from api.usecases import invoice_reader, invoices
from domain.caller import Scope
from domain.errors import NotFound
from domain.text import DOCUMENT_FILENAME
from projections.queries import MAX_LIMIT, SectionName
from store.documents import DocumentStore

router = APIRouter(route_class=OneHopRoute, tags=["documents"], responses=COMMON)

PDF = "application/pdf"
PDF_READ: dict[int | str, dict[str, Any]] = {
    503: READ[503]
    | {
        "description": "The read models have not reached `min_position` within 5 s, or every "
        "invoice PDF renderer is busy; retry after a second."
    }
}


def documents(request: Request) -> DocumentStore:
    """The document store beside the events, opened on first use."""
    return documents_of(request.app.state)


Documents = Annotated[DocumentStore, Depends(documents)]


async def pdf_renderer(request: Request) -> PdfRenderer:
    """The app's invoice PDF renderer: its own bounded pool and its cache."""
    renderer: PdfRenderer = request.app.state.pdfs
    return renderer


Pdfs = Annotated[PdfRenderer, Depends(pdf_renderer)]


class CsvStream(StreamingResponse):
    """Streams without waiting on `receive` for a disconnect.

    The request guard hands the buffered body on once and then answers `http.disconnect`
    at once, which would cancel a stream that listens for it (ASGI < 2.4) after 0 bytes.
    Streaming as ASGI 2.4 does (a failed send ends it) is unaffected by that.
    """

    async def __call__(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        asgi = {**scope.get("asgi", {}), "spec_version": "2.4"}
        await super().__call__({**scope, "asgi": asgi}, receive, send)


class DocumentCreated(BaseModel):
    """A document attached to an invoice (I7)."""

    document_id: str
    position: int


def _disposition(kind: str, filename: str) -> dict[str, str]:
    return {"Content-Disposition": content_disposition(kind, filename)}


@router.get("/v1/invoices/{iid}/pdf", responses=PDF_READ, response_class=Response)
async def invoice_pdf(iid: UUID, caller: CurrentCaller, app: App, pdfs: Pdfs) -> Response:
    """The invoice as a PDF, if you may see it (R4, A4-A7; archive ones are stamped, A6).

    Drawn off the request threads by a small pool of its own (503 with `Retry-After` when
    it is full), and kept while the invoice and its company are unchanged.
    """
    printed = await printed_invoice(app, caller.as_person(), iid, pdfs)
    return Response(printed.content, media_type=PDF, headers=_disposition("inline", printed.name))


@router.get("/v1/companies/{cid}/invoices.csv", responses=READ, response_class=StreamingResponse)
def invoices_csv(
    cid: UUID,
    caller: CurrentCaller,
    app: App,
    reads: Reads,
    archive: Annotated[bool, Query(description="The archive history (A6) instead.")] = False,
) -> StreamingResponse:
    """The invoices you may see, as CSV (UTF-8 with BOM): the billing history, or the archive."""
    access = invoice_reader(app, cid, caller)
    section: SectionName = "ARCHIVE" if archive else "HISTORY"
    rows = all_pages(
        lambda cursor: invoices(app, reads, access, section, cursor=cursor, limit=MAX_LIMIT)
    )
    name = f"{'archive' if archive else 'invoices'}-{cid}.csv"
    headers = _disposition("attachment", name)
    chunks = csv_chunks(rows, reads.line_accounts)  # A8: each line's account
    return CsvStream(chunks, media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/v1/invoices/{iid}/documents", status_code=201, responses=WRITE)
def attach_document(
    iid: UUID,
    *,
    caller: CurrentCaller,
    app: App,
    store: Documents,
    response: Response,
    file: Annotated[UploadFile, File(description="The PDF, at most 10 MB.")],
) -> DocumentCreated:
    """Attach a PDF to an invoice, such as a brokerage form (the billing system, I7)."""
    caller.require_scope(Scope.BILLING_SYSTEM, "I7")
    app.invoice(iid)
    filename = filename_of(file.filename)
    try:
        content = read_limited(file.file)
    except DocumentTooLarge as error:
        raise HTTPException(413, error.detail) from None
    check_pdf(content)
    sha256 = store.put(content)
    receipt = app.attach_document(caller, iid, sha256, filename, len(content))
    return DocumentCreated(document_id=receipt.result, position=written(response, receipt.position))


def filename_of(given: str | None, default: str = "document.pdf") -> str:
    """The name without directories, refused by the text rule before any byte is kept (I7)."""
    name = PureWindowsPath(PurePosixPath(given or "").name).name.strip()
    return DOCUMENT_FILENAME(name or default)


@router.get("/v1/invoices/{iid}/documents/{did}", responses=READ, response_class=Response)
def document(iid: UUID, did: str, caller: CurrentCaller, app: App, store: Documents) -> Response:
    """A document attached to an invoice you may see (I7); the bytes as they were uploaded."""
    seen = app.visible_invoice(caller.as_person(), iid)
    found = next((d for d in seen.invoice.documents if d["document_id"] == did), None)
    content = store.get(found["sha256"]) if found else None
    if found is None or content is None:
        raise NotFound("document", did)
    return Response(content, media_type=PDF, headers=_disposition("attachment", found["filename"]))
