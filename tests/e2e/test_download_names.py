"""Download names (issue 18): no control or bidi character reaches `Content-Disposition`,
which carries an ASCII `filename` and the exact name as `filename*` (RFC 6266, RFC 5987)."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote

import pytest

from api.documents.names import content_disposition, safe_filename
from tests.e2e.http import World
from tests.e2e.test_documents import upload
from tests.samples import a_pdf

HOSTILE = "in\u202evoice\u2066\r\n\x07\x85\u200b résumé\tform.pdf"
UPLOADED = "invoice résumé form.pdf"  # the text rule (issue 17) refuses the hostile one at upload


def _hidden(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) in {"Cc", "Cf", "Cs", "Zl", "Zp"}]


def test_a_stored_name_loses_its_control_and_bidi_characters() -> None:
    assert safe_filename(HOSTILE) == "invoice résumé form.pdf"


@pytest.mark.parametrize("name", [HOSTILE, "../../etc/passwd", "", "\u202e\r\n"])
def test_the_header_has_an_ascii_filename_and_the_exact_name_as_filename_star(name: str) -> None:
    value = content_disposition("attachment", name)
    value.encode("ascii")  # a header value a proxy passes on as it is
    assert not _hidden(value)
    assert value.startswith('attachment; filename="')
    star = value.split("filename*=UTF-8''", 1)[1]
    assert unquote(star) == safe_filename(name)
    assert not _hidden(unquote(star))


def test_an_uploaded_document_downloads_under_an_ascii_name_and_its_exact_name(
    world: World,
) -> None:
    iid = world.issue(world.accounts[0])
    status, body = upload(world, iid, a_pdf(), name=UPLOADED)
    assert status == 201, body
    response = world.admin.get(f"/v1/invoices/{iid}/documents/{body['document_id']}")
    assert response.status_code == 200
    header = response.headers["content-disposition"]
    assert "filename*=UTF-8''invoice%20r%C3%A9sum%C3%A9%20form.pdf" in header
    assert 'filename="invoice r_sum_ form.pdf"' in header
    detail = world.admin.get(f"/v1/invoices/{iid}").json()
    assert [d["filename"] for d in detail["documents"]] == ["invoice résumé form.pdf"]
