"""English and French: gettext catalogues (Babel `.po` files), the language a request
asks for, and dates and amounts formatted for it."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from gettext import GNUTranslations, NullTranslations
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

LOCALES = ("en", "fr")
DEFAULT = "en"
LOCALE_DIR = Path(__file__).parent / "locale"


def N_(message: str) -> str:  # noqa: N802 (the gettext convention for deferred strings)
    """Mark a string for the catalogue; it is translated where it is shown."""
    return message


@lru_cache(maxsize=len(LOCALES))
def translations(lang: str) -> NullTranslations:
    """The catalogue of `lang`, read from its `.po` file (English is the source)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT or not po.exists():
        return NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return GNUTranslations(compiled)


def negotiate(chosen: str | None, accept_language: str | None) -> str:
    """The language chosen with the switch, else the best of Accept-Language, else English."""
    if chosen in LOCALES:
        assert chosen is not None
        return chosen
    wanted = []
    for part in (accept_language or "").split(","):
        tag, _, quality = part.strip().partition(";q=")
        try:
            weight = float(quality) if quality else 1.0
        except ValueError:
            continue
        wanted.append((weight, tag.strip().lower()[:2]))
    for _, tag in sorted(wanted, key=lambda item: -item[0]):
        if tag in LOCALES:
            return tag
    return DEFAULT


class Formats:
    """Dates, instants and amounts as `lang` writes them."""

    def __init__(self, lang: str) -> None:
        self.locale = Locale.parse(lang)

    def day(self, value: date | None) -> str:
        """A calendar date, e.g. `Mar 4, 2025` / `4 mars 2025`."""
        return "" if value is None else format_date(value, "medium", locale=self.locale)

    def instant(self, value: datetime | str | None) -> str:
        """An instant with its time."""
        if value is None:
            return ""
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return format_datetime(moment, "medium", locale=self.locale)

    def money(self, amount: Decimal | str, currency: str) -> str:
        """An amount with its currency, e.g. `$1,234.50` / `1 234,50 $US`."""
        return format_currency(Decimal(amount), currency, locale=self.locale)

    def number(self, amount: Decimal | str) -> str:
        """An amount without currency."""
        return format_decimal(Decimal(amount), format="#,##0.00", locale=self.locale)
