"""Dispute cases (I9): the case with its conversation and evidence, its steps, and the
billing system's queue. The decision itself stays `POST .../decision` (invoices routes)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, File, HTTPException, Path, Query, Response, UploadFile
from pydantic import BaseModel

from api.cases import case_of, evidence_of
from api.documents.names import content_disposition
from api.documents.upload import DocumentTooLarge, check_evidence, read_limited
from api.http.deps import App, CurrentCaller, Reads, written
from api.http.hop import OneHopRoute
from api.http.responses import COMMON, READ, WRITE
from api.http.routes.documents import Documents, filename_of
from api.schemas.values import DomainRule, In
from domain import text
from domain.caller import Scope
from projections.queries import MAX_LIMIT, CaseView

router = APIRouter(route_class=OneHopRoute, tags=["invoices"], responses=COMMON)

CasePath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")]
CaseComment = Annotated[str, DomainRule.of(text.CASE_COMMENT)]


class CommentIn(In):
    """I9: a comment on a case."""

    text: CaseComment


class CommentCreated(BaseModel):
    """201 of a comment."""

    comment_id: str
    position: int


class EvidenceCreated(BaseModel):
    """201 of an attachment."""

    document_id: str
    position: int


class Reviewed(BaseModel):
    """200 of marking a case IN_REVIEW."""

    adjustment_id: str
    status: Literal["IN_REVIEW"]
    position: int


@router.get("/v1/invoices/{iid}/adjustments/{aid}", responses=READ)
def case(*, iid: UUID, aid: CasePath, caller: CurrentCaller, app: App, reads: Reads) -> Response:
    """The case (I9): status, lines, reason, comments, attachments, history, decide_by; for
    who may see the invoice (R4, A4-A7) and the billing system."""
    return Response(orjson.dumps(_shown(case_of(app, reads, caller, iid, aid))),
                    media_type="application/json")  # fmt: skip


@router.post("/v1/invoices/{iid}/adjustments/{aid}/comments", status_code=201, responses=WRITE)
def comment(
    *, iid: UUID, aid: CasePath, body: CommentIn, caller: CurrentCaller, app: App,
    response: Response,
) -> CommentCreated:  # fmt: skip
    """Comment on an undecided case: who may adjust the invoice, or the billing system (I9)."""
    receipt = app.comment_on_adjustment(caller, iid, aid, body.text)
    return CommentCreated(comment_id=receipt.result, position=written(response, receipt.position))


@router.post("/v1/invoices/{iid}/adjustments/{aid}/attachments", status_code=201,
             responses=WRITE)  # fmt: skip
def attach(
    *, iid: UUID, aid: CasePath, caller: CurrentCaller, app: App, store: Documents,
    response: Response,
    file: Annotated[UploadFile, File(description="A PDF, PNG or JPEG, at most 10 MB.")],
) -> EvidenceCreated:  # fmt: skip
    """Evidence on an undecided case, checked by its content (I9)."""
    name = filename_of(file.filename, "evidence")
    try:
        content = read_limited(file.file)
    except DocumentTooLarge as error:
        raise HTTPException(413, error.detail) from None
    check_evidence(content)
    receipt = app.attach_to_adjustment(
        caller, iid, aid, sha256=store.put(content), filename=name, size=len(content)
    )
    return EvidenceCreated(document_id=receipt.result, position=written(response, receipt.position))


@router.get("/v1/invoices/{iid}/adjustments/{aid}/attachments/{did}", responses=READ,
            response_class=Response)  # fmt: skip
def evidence(
    *, iid: UUID, aid: CasePath, did: CasePath, caller: CurrentCaller, app: App, reads: Reads,
    store: Documents,
) -> Response:  # fmt: skip
    """One piece of a case's evidence, as uploaded, served as a download."""
    content, kind, name = evidence_of(case_of(app, reads, caller, iid, aid), did, store)
    # Always a download; `nosniff` is on every answer (the security headers middleware).
    headers = {"Content-Disposition": content_disposition("attachment", name)}
    return Response(content, media_type=kind, headers=headers)


@router.post("/v1/invoices/{iid}/adjustments/{aid}/review", responses=WRITE)
def review(
    *, iid: UUID, aid: CasePath, caller: CurrentCaller, app: App, response: Response
) -> Reviewed:
    """Mark the case IN_REVIEW (the billing system, I9)."""
    receipt = app.review_adjustment(caller, iid, aid)
    return Reviewed(adjustment_id=aid, status="IN_REVIEW",
                    position=written(response, receipt.position))  # fmt: skip


@router.get("/v1/adjustments", responses=READ)
def queue(
    *,
    caller: CurrentCaller,
    app: App,
    reads: Reads,
    status: Literal["OPEN", "IN_REVIEW", "APPROVED", "REJECTED"] | None = None,
    overdue: Annotated[
        bool | None, Query(description="Undecided 30 days after the request.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> Response:
    """The billing system's queue of cases, oldest first (I9)."""
    caller.require_scope(Scope.BILLING_SYSTEM, "I9")
    found = reads.case_queue(app.today(), status=status, overdue=overdue, limit=limit)
    items = [{k: v for k, v in _shown(c).items() if k != "history"} for c in found]
    return Response(orjson.dumps({"items": items}), media_type="application/json")


def _shown(found: CaseView) -> dict[str, Any]:
    shown = asdict(found)
    shown["decide_by"] = found.decide_by.isoformat()
    steps = shown["history"]
    shown["comments"] = [
        {"comment_id": s["detail"]["comment_id"], "text": s["detail"]["text"],
         "by": s["actor"], "at": s["at"]}
        for s in steps if s["step"] == "COMMENTED"
    ]  # fmt: skip
    shown["attachments"] = [
        {"document_id": s["detail"]["document_id"], "filename": s["detail"]["filename"],
         "size": s["detail"]["size"], "by": s["actor"], "at": s["at"]}
        for s in steps if s["step"] == "ATTACHED"
    ]  # fmt: skip
    return shown
