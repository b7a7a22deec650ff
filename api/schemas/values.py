"""The values request and response bodies are made of: bounded, strict, with examples.

Input models forbid unknown fields; strings have lengths, amounts are decimal strings with
at most two decimals, dates are `YYYY-MM-DD`, accounts are `{country, number}`. A free-text
field is checked by its domain function (`DomainRule`), so its limit is written once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from domain import text
from domain.bills import FIRST_DAY, LAST_DAY
from domain.errors import InvalidInput
from domain.values import (
    currency,
)

T = TypeVar("T")

AMOUNT_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
Amount = Annotated[
    str,
    StringConstraints(pattern=AMOUNT_PATTERN, max_length=15),
    Field(description="A decimal string with at most 2 decimals.", examples=["120.50"]),
]
_DAY = re.compile(r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}$")
DAYS = f"YYYY-MM-DD, from {FIRST_DAY} to {LAST_DAY}"


def _calendar_day(value: object) -> object:
    """Only the `YYYY-MM-DD` text form of a date (no timestamps, no datetimes), in the
    years 2000-2099 the domain accepts (I1: printed_day)."""
    if not isinstance(value, str) or not _DAY.match(value):
        raise ValueError(f"a date as {DAYS}")
    return value


Day = Annotated[
    date,
    BeforeValidator(_calendar_day),
    Field(description=DAYS, examples=["2025-01-31"], json_schema_extra={"pattern": _DAY.pattern}),
]
_INSTANT = re.compile(
    r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
INSTANTS = "An RFC 3339 instant with an offset, in the years 2000-2099, e.g. 2025-06-15T12:00:00Z."


def _rfc3339(value: object) -> object:
    """Only RFC 3339 text with an offset: no Unix timestamps, no local times (API.md)."""
    if not isinstance(value, str) or not _INSTANT.match(value):
        raise ValueError(INSTANTS)
    return value


Instant = Annotated[
    datetime,
    BeforeValidator(_rfc3339),
    Field(description=INSTANTS, examples=["2025-06-15T12:00:00Z"],
          json_schema_extra={"pattern": _INSTANT.pattern}),
]  # fmt: skip


@dataclass(frozen=True)
class DomainRule:
    """A field checked by a domain value function (the text rule, the ISO lists), whose limits
    the OpenAPI states. The domain function is the only check, so the limit is written once
    (domain/text.py), counts characters after NFC, and a refusal is a 422 naming the field
    and, through its context, the DOMAIN.md rule."""

    check: Callable[[str], str]
    shown: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, spec: text.FreeText, rule: str | None = None) -> DomainRule:
        """A free-text field of the one table, under `rule` when another than its own."""
        check = replace(spec, rule=rule) if rule else spec
        return cls(check, {"minLength": int(spec.required), "maxLength": spec.limit})

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._checked, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {**handler(schema), **self.shown}

    def _checked(self, value: str) -> str:
        try:
            return self.check(value)
        except InvalidInput as error:
            raise PydanticCustomError(
                "domain_rule", "{detail}", {"detail": error.detail, "rule": error.rule_id}
            ) from None


CompanyName = Annotated[str, DomainRule.of(text.COMPANY_NAME)]
CompanyRename = Annotated[str, DomainRule.of(text.COMPANY_NAME, rule="R10")]
Address = Annotated[str, DomainRule.of(text.COMPANY_ADDRESS)]
Name = Annotated[str, DomainRule.of(text.USER_NAME)]
Holder = Annotated[str, DomainRule.of(text.HOLDER)]
BankCode = Annotated[str, DomainRule.of(text.BANK_CODE)]
UnenrollmentComment = Annotated[str, DomainRule.of(text.UNENROLLMENT_COMMENT)]
Description = Annotated[str, DomainRule.of(text.LINE_DESCRIPTION)]
Reason = Annotated[str, DomainRule.of(text.ADJUSTMENT_REASON)]
DecisionComment = Annotated[str, DomainRule.of(text.DECISION_COMMENT)]
ReassignmentReason = Annotated[str, DomainRule.of(text.REASSIGNMENT_REASON)]
LOGIN_SHOWN = {"minLength": 1, "maxLength": text.LOGIN_LIMIT}
Login = Annotated[
    str,
    DomainRule(text.login, LOGIN_SHOWN),
    Field(
        description="NFKC-casefolded, then a-z 0-9 . _ - @ + | : (first a letter or digit).",
        examples=["bob"],
    ),
]
Email = Annotated[
    str,
    DomainRule(text.email, {"minLength": 3, "maxLength": text.EMAIL_LIMIT}),
    Field(examples=["bob@acme.test"]),
]
Currency = Annotated[
    str,
    DomainRule(currency, {"pattern": "^[A-Z]{3}$"}),
    Field(description="An ISO 4217 code of a currency in use.", examples=["USD"]),
]
Reference = Annotated[
    str,
    StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"),
]
MethodId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")]


def amount_text(value: Decimal) -> str:
    """An amount as API.md writes it: two decimals."""
    return f"{value.quantize(Decimal('0.01'))}"


class In(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


def example(body: dict[str, Any]) -> ConfigDict:
    """A request body's settings: unknown fields refused, `body` its example in OpenAPI."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [body]})


class Page(BaseModel, Generic[T]):
    """A page of a list; pass `next` back as `cursor` (null: no more)."""

    items: list[T]
    next: str | None
