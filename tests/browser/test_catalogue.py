"""Every string of the console goes through the catalogue, and French has them all."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import api.web

WEB = Path(api.web.__file__).parent
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
KEYWORDS: dict[str, None] = {"_": None, "N_": None, "gettext": None}


def _used() -> set[str]:
    found = extract_from_dir(str(WEB), METHODS, {}, keywords=KEYWORDS)
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def test_every_console_string_has_a_french_translation() -> None:
    """English is the source; a string missing from the French catalogue would show in English."""
    with (WEB / "locale" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        french = {m.id: m.string for m in read_po(po) if m.id}
    untranslated = sorted(m for m in _used() if not french.get(m))
    assert not untranslated, untranslated
