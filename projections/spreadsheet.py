"""CSV cells that a spreadsheet shows as text, never runs as a formula (OWASP "CSV injection").

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`
(Excel, LibreOffice and Google Sheets then show it as text), unless it is a plain number
such as `-12.50`. A cell that already starts with `'` is prefixed too, so that the
prefix is reversible: `restored` gives back the exact value (the audit export's verifier
rebuilds the canonical records from the CSV cells and must find the same hash chain).
"""

from __future__ import annotations

import re

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def neutralised(cell: str) -> str:
    """`cell` as a spreadsheet must show it: text, never a formula."""
    if cell.startswith(TRIGGERS) and not _NUMBER.match(cell):
        return "'" + cell
    return cell


def restored(cell: str) -> str:
    """The value `neutralised` was given."""
    return cell[1:] if cell.startswith("'") else cell
