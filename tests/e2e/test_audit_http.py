"""The audit routes (API.md, C1-C3): auditor scope only, RFC 3339 instants, the export as a
zip that `billing-center audit verify` accepts."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from api.tokens import Scope
from projections.audit.verify import verify_export
from tests.e2e.http import As, World


def _auditor(world: World) -> As:
    return As(world.client, "ada", Scope.AUDITOR)


def test_only_the_auditor_scope_reads_the_audit_routes(world: World) -> None:
    for caller in (world.admin, world.billing):
        response = caller.get("/v1/audit/events")
        assert response.status_code == 403
    assert _auditor(world).get("/v1/audit/events").status_code == 200


def test_the_event_log_pages_by_position(world: World) -> None:
    auditor = _auditor(world)
    first = auditor.get("/v1/audit/events", params={"limit": 2}).json()
    assert [e["position"] for e in first["items"]] == [1, 2]
    assert first["next"] == 2
    after = auditor.get("/v1/audit/events", params={"after": first["next"], "limit": 1}).json()
    assert after["items"][0]["position"] == 3
    shape = {"recorded_at", "type", "aggregate_id", "version", "company_id", "actor", "payload"}
    assert set(after["items"][0]) >= shape


def test_the_event_log_filters_by_company(world: World) -> None:
    events = _auditor(world).get("/v1/audit/events", params={"company": world.cid}).json()
    assert events["items"]
    assert {e["company_id"] for e in events["items"]} == {world.cid}


def test_a_company_as_of_an_instant(world: World) -> None:
    before = datetime.now(UTC).isoformat()
    world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    auditor = _auditor(world)
    then = auditor.get(f"/v1/audit/companies/{world.cid}", params={"as_of": before}).json()
    assert [u["login"] for u in then["users"]] == ["alice"]
    now = auditor.get(f"/v1/audit/companies/{world.cid}").json()
    assert {u["login"] for u in now["users"]} == {"alice", "bob"}
    assert {a["status"] for a in now["accounts"]} == {"ENROLLED"}


def test_an_instant_without_offset_is_refused(world: World) -> None:
    url = f"/v1/audit/companies/{world.cid}"
    assert _auditor(world).get(url, params={"as_of": "2025-01-01T00:00:00"}).status_code == 422


def test_invoice_visibility_explains_each_user(world: World) -> None:
    world.add_user("bob", "VIEW_ONLY", world.accounts[0])
    world.add_user("carol", "VIEW_ONLY")
    invoice = world.issue(world.accounts[0])
    body = _auditor(world).get(f"/v1/audit/invoices/{invoice}/visibility").json()
    assert {r["login"] for r in body["could_see"]} == {"alice", "bob"}
    assert body["could_not"] == [{"login": "carol", "company_id": world.cid, "rule": "R4"}]


def test_the_export_streams_a_verifiable_zip(world: World, tmp_path: Path) -> None:
    for fmt in ("jsonl", "csv"):
        response = _auditor(world).get("/v1/audit/export", params={"format": fmt})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/zip"
        zipfile.ZipFile(io.BytesIO(response.content)).extractall(tmp_path / fmt)
        verdict = verify_export(tmp_path / fmt)
        assert verdict.ok, verdict.problem
        assert verdict.records > 0
