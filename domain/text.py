"""The text rule (API.md, Values): what free text, logins and e-mail addresses may hold.

Every piece of text a caller gives goes through one of these checks before it reaches an
event, whichever way it came in (HTTP, console, CLI): what the store keeps is exactly what
reads back, and nothing in it can stop a read model (a NUL stalls PostgreSQL's `text`).

Decisions:
- Free text is NFC-normalised and trimmed. It refuses C0/C1 controls (tab and line feed
  only in multi-line fields, where CR LF counts as a line feed), the line and paragraph
  separators U+2028/U+2029, unpaired surrogates, and the bidirectional embeddings,
  overrides and isolates (U+202A-U+202E, U+2066-U+2069), which can make text read in an
  order other than the one stored. The bidirectional *marks* (U+200E, U+200F, U+061C)
  stay allowed: right-to-left names and addresses need them, and they reorder nothing
  beyond the neutral characters next to them.
- Logins are identifiers, not names: NFKC-casefolded, then 1 to 128 characters from the
  safe set `a-z 0-9 . _ - @ + | :`, starting with a letter or digit. So `Admin` and
  `admin` are one login, and no look-alike (a Cyrillic a, zero-width characters,
  full-width forms other than those NFKC folds to ASCII) can pass for another login.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from domain.errors import InvalidInput

LOGIN_LIMIT = 128
EMAIL_LIMIT = 254

_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029"
_BIDI_OVERRIDES = "\u202a-\u202e\u2066-\u2069"
_SURROGATES = "\ud800-\udfff"
_REFUSED_MULTILINE = re.compile(f"[{_CONTROLS}{_BIDI_OVERRIDES}{_SURROGATES}]")
_REFUSED_SINGLE_LINE = re.compile(f"[\t\n{_CONTROLS}{_BIDI_OVERRIDES}{_SURROGATES}]")
RESERVED_LOGIN_PREFIX = "key:"
"""API keys act as `key:<id>` (domain/api_key.py): no person may sign in or be added as one."""
_LOGIN = re.compile(r"[a-z0-9][a-z0-9._@+|:-]*")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")


@dataclass(frozen=True)
class FreeText:
    """One free-text field: its name in requests, its rule, its maximum length, its kind."""

    field: str
    limit: int
    rule: str | None = None
    multiline: bool = False
    required: bool = True

    def __call__(self, value: str, *, rule: str | None = None) -> str:
        """The value as it is stored: NFC, trimmed, checked; InvalidInput naming the field."""
        rule = rule or self.rule
        if self.multiline:
            value = value.replace("\r\n", "\n")
        refused = _REFUSED_MULTILINE if self.multiline else _REFUSED_SINGLE_LINE
        if refused.search(value):
            raise InvalidInput(self.field, self._allowed(), rule=rule)
        value = unicodedata.normalize("NFC", value).strip()
        if len(value) > self.limit or (self.required and not value):
            least = 1 if self.required else 0
            raise InvalidInput(self.field, f"{least} to {self.limit} characters", rule=rule)
        return value

    def _allowed(self) -> str:
        kept = "tabs and line feeds" if self.multiline else "line breaks"
        return f"text without control characters, {kept} or bidirectional overrides"


# The one table of free-text fields and their limits (API.md, Values); the HTTP schemas
# and the console take their limits from here.
COMPANY_NAME = FreeText("name", 200, rule="R1")
COMPANY_ADDRESS = FreeText("address", 500, rule="R10", multiline=True, required=False)
USER_NAME = FreeText("name", 200, rule="R5")
UNENROLLMENT_COMMENT = FreeText("comment", 1000, rule="A3", multiline=True, required=False)
LINE_DESCRIPTION = FreeText("description", 500, rule="I1", multiline=True)
ADJUSTMENT_REASON = FreeText("reason", 500, rule="I4", multiline=True)
DECISION_COMMENT = FreeText("comment", 1000, rule="I4", multiline=True, required=False)
CASE_COMMENT = FreeText("text", 2000, rule="I9", multiline=True)
HOLDER = FreeText("holder", 200, rule="R11")
BANK_CODE = FreeText("bank_code", 20, rule="R11")
DOCUMENT_FILENAME = FreeText("filename", 255, rule="I7")
REASSIGNMENT_REASON = FreeText("reason", 1000, rule="R6", multiline=True)
_EMAIL_TEXT = FreeText("email", EMAIL_LIMIT, rule="R5")


def login(value: str, *, rule: str | None = "R5") -> str:
    """A login id as the service keys it: NFKC-casefolded, from the safe set (see above)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    if len(folded) > LOGIN_LIMIT or not _LOGIN.fullmatch(folded):
        expected = f"1 to {LOGIN_LIMIT} of a-z 0-9 . _ - @ + | : (first a letter or digit)"
        raise InvalidInput("login", expected, rule=rule)
    if folded.startswith(RESERVED_LOGIN_PREFIX):
        raise InvalidInput("login", f"a login not starting with {RESERVED_LOGIN_PREFIX}", rule=rule)
    return folded


def email(value: str) -> str:
    """R5: a plausible e-mail address, bounded, free of controls and spaces."""
    address = _EMAIL_TEXT(value)
    if not _EMAIL.fullmatch(address):
        raise InvalidInput("email", "an e-mail address such as bob@acme.test", rule="R5")
    return address
