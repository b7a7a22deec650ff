"""The console's help (issue 24): every topic is translated into French, and names the
rules it explains (the catalogue test cannot see these strings: they are prose in JSON)."""

from __future__ import annotations

import re

from api.web.i18n import translations
from api.web.routes.help import topics


def test_every_help_topic_has_a_french_title_and_text() -> None:
    french = translations("fr")
    missing = [text for t in topics() for text in (t.title, t.text) if french.gettext(text) == text]
    assert missing == []


def test_every_help_topic_names_the_rules_it_explains() -> None:
    rule = re.compile(r"^[A-Z]\d+$")
    assert all(t.rules and all(rule.match(r) for r in t.rules.split(", ")) for t in topics())
