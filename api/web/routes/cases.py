"""A dispute case in the console (I9): its lines, status and due date, the conversation and
evidence from both sides, and forms to add to them while it is undecided."""

from __future__ import annotations

from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.cases import case_of, evidence_of
from api.document_store import documents_of
from api.documents.names import content_disposition
from api.documents.upload import DocumentTooLarge, check_evidence, read_limited
from api.web.routes.common import Ctx, Posted, console_router, uuid_or_404
from api.web.routes.forms import attempt, back, form_page, text
from api.web.templating import Console, secured
from domain.errors import InvalidInput
from domain.invoice import OPEN_CASE
from domain.text import DOCUMENT_FILENAME

router = console_router()


def _page(ctx: Console, iid: str, aid: str, error: Exception | None = None) -> Response:
    found = case_of(ctx.app, ctx.reads, ctx.person, uuid_or_404(iid, "invoice"), aid[:64])
    member = ctx.member
    may_add = found.status in OPEN_CASE and member is not None and member.can("ADJUST")
    return form_page(ctx, "case.html", error, case=found, may_add=may_add)


def _url(iid: str, aid: str) -> str:
    return f"/console/invoices/{iid}/adjustments/{aid}"


@router.get("/console/invoices/{iid}/adjustments/{aid}")
def case_page(ctx: Ctx, iid: str, aid: str) -> Response:
    """I9: the case and its history."""
    return _page(ctx, iid, aid)


@router.post("/console/invoices/{iid}/adjustments/{aid}/comments")
def comment(ctx: Ctx, iid: str, aid: str, form: Posted) -> Response:
    """I9: add a comment to an undecided case."""

    def write() -> int:
        invoice = uuid_or_404(iid, "invoice")
        return ctx.app.comment_on_adjustment(ctx.person, invoice, aid, text(form, "text")).position

    return attempt(write, lambda e: _page(ctx, iid, aid, e), back(ctx, _url(iid, aid), "commented"))


@router.post("/console/invoices/{iid}/adjustments/{aid}/attachments")
async def attach(ctx: Ctx, iid: str, aid: str, form: Posted) -> Response:
    """I9: add evidence (PDF, PNG, JPEG) to an undecided case."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(ctx, iid, aid, InvalidInput("file", "a PDF, PNG or JPEG file", rule="I9"))
    try:
        content = await run_in_threadpool(read_limited, upload.file)
    except DocumentTooLarge as error:
        return _page(ctx, iid, aid, InvalidInput("file", error.detail, rule="I9"))
    name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1]

    def write() -> int:
        check_evidence(content)
        sha256 = documents_of(ctx.request.app.state).put(content)
        return ctx.app.attach_to_adjustment(
            ctx.person, uuid_or_404(iid, "invoice"), aid, sha256=sha256,
            filename=DOCUMENT_FILENAME(name), size=len(content),
        ).position  # fmt: skip

    return await run_in_threadpool(
        attempt, write, lambda e: _page(ctx, iid, aid, e), back(ctx, _url(iid, aid), "attached")
    )


@router.get("/console/invoices/{iid}/adjustments/{aid}/attachments/{did}")
def evidence(ctx: Ctx, iid: str, aid: str, did: str) -> Response:
    """I9: one piece of the case's evidence, as a download."""
    found = case_of(ctx.app, ctx.reads, ctx.person, uuid_or_404(iid, "invoice"), aid[:64])
    content, kind, name = evidence_of(found, did[:64], documents_of(ctx.request.app.state))
    headers = {"Content-Disposition": content_disposition("attachment", name)}
    return secured(ctx, Response(content, media_type=kind, headers=headers))
