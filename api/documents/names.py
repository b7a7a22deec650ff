"""Download names: a document's name made safe to show and to send (RFC 6266), whichever
way in serves it."""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import quote

_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
"""Controls, formatting (bidi overrides and isolates, zero-width), surrogates, separators."""
_ATTR_CHARS = "!#$&+-.^_`|~"
"""RFC 5987 attr-char besides letters and digits: what `filename*` may carry unescaped."""


def safe_filename(given: str | None) -> str:
    """A document's name without a path, controls or bidi characters (tabs become spaces),
    NFC, at most 255 characters; `document.pdf` if nothing is left."""
    base = PureWindowsPath(PurePosixPath(given or "").name).name
    text = unicodedata.normalize("NFC", base.replace("\t", " "))
    name = "".join(c for c in text if unicodedata.category(c) not in _HIDDEN).strip()
    return name[:255] or "document.pdf"


def content_disposition(kind: str, filename: str) -> str:
    """RFC 6266: an ASCII `filename` for old clients and the exact name as `filename*`."""
    name = safe_filename(filename)
    fallback = "".join(c if c.isascii() and c not in '"\\' else "_" for c in name)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"
