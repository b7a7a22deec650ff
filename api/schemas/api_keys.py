"""Bodies of the API key routes (issue 22, API.md "Identity providers, API keys and webhooks"),
shared by the HTTP API and the console's form."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from api.schemas import AccountRef
from api.schemas.values import In
from domain.api_key import KEY_NAME_LIMIT
from domain.values import Role


class NewApiKey(In):
    """A key to create: its label, a role of R2 other than ADMINISTRATOR, granted accounts."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "ERP", "role": "VIEW_ONLY", "accounts": []}]},
    )

    name: Annotated[str, Field(min_length=1, max_length=KEY_NAME_LIMIT)]
    role: Role
    accounts: Annotated[list[AccountRef], Field(default_factory=list, max_length=500)]
