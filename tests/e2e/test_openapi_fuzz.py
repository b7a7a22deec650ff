"""Schemathesis against /openapi.json (issue 17, done-when): on every operation, no input
makes a 5xx, and every answer has a documented status, content type and schema.

Each case is sent as one of the three kinds of caller (a person who administers the
company, the billing system, an auditor) or none, with its path parameters either as
generated or replaced by ids that exist, so the fuzzing reaches the routes' bodies and
not only their 404s. Bounded (a few examples per operation, no deadline, fewer under the
ci profile) to stay within one to two minutes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.http.app import create_app
from api.tokens import Scope
from tests.conftest import POSTGRES, PROFILE
from tests.e2e.http import World, acct, enroll, settings_for, store_url_of, token

EXAMPLES = {"ci": 15, "deep": 100}.get(PROFILE, 30)
"""Per operation (64 of them), positive and negative cases together: `make test` (profile
ci) sends 15, derandomized (a third less time per store than 30: the suite's 15 minutes);
`make test-deep` sends 100."""
SCENARIOS, STEPS = 8, 20
"""Stateful: sequences of up to STEPS calls along the inferred links (a few seconds)."""

BOUNDED = settings(
    deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

CALLERS: dict[str, dict[str, str]] = {
    "person": {"Authorization": f"Bearer {token('alice', email='alice@acme.test')}"},
    "billing": {"Authorization": f"Bearer {token('ledger', Scope.BILLING_SYSTEM)}"},
    "auditor": {"Authorization": f"Bearer {token('inspector', Scope.AUDITOR)}"},
    "nobody": {},
}

BILLING_SYSTEM_WRITES = {
    ("POST", "/v1/invoices"),
    ("POST", "/v1/invoices/{iid}/documents"),
    ("POST", "/v1/invoices/{iid}/adjustments/{aid}/decision"),
}


@dataclass
class Known:
    """Ids that exist in the fuzzed store, to put into path parameters."""

    values: dict[str, str]

    def fill(self, case: Case[Any]) -> None:
        for name in list(case.path_parameters or {}):
            if name in self.values:
                case.path_parameters[name] = self.values[name]


@pytest.fixture(scope="module", params=["sqlite", POSTGRES])
def fuzzed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Known]]:
    tmp = tmp_path_factory.mktemp("fuzz")
    url = store_url_of(request, tmp)
    # The fuzzing sends thousands of requests without a token on purpose, from one address:
    # the token-less limit (tested in test_rate_limits) would answer them 429.
    settings = settings_for(url, str(tmp)).model_copy(
        update={"rate_limit_token_less": "1000000/minute"}
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, _known(enroll(client))


def _known(world: World) -> Known:
    invoice = world.issue(world.accounts[0])
    method = {"holder": "Acme Inc.", "bank_code": "021000021", "account_number": "000123456789"}
    made = world.admin.post(f"/v1/companies/{world.cid}/payment-methods", json=method)
    assert made.status_code == 201, made.text
    return Known(
        {
            "cid": world.cid,
            "company_id": world.cid,
            "iid": invoice,
            "invoice_id": invoice,
            "acct": acct(world.accounts[0]),
            "login": "alice",
            "pmid": made.json()["payment_method_id"],
        }
    )


def _bounded(case: Case[Any]) -> None:
    """A far `min_position` is a 503 after 5 s by contract (its own tests): wait for none."""
    if case.query and "min_position" in case.query:
        case.query["min_position"] = 0


def _callers(method: str, path: str) -> list[str]:
    """Who may call the operation first (hypothesis shrinks towards it), then the others."""
    if path.startswith("/v1/audit"):
        right = "auditor"
    elif (method, path) in BILLING_SYSTEM_WRITES:
        right = "billing"
    else:
        right = "person"
    return [right, *(c for c in CALLERS if c != right)]


def _fuzz(known: Known) -> Callable[[Any], None]:
    def run(operation: Any) -> None:
        callers = _callers(operation.method.upper(), operation.path)
        cases = st.one_of(operation.as_strategy(), operation.as_strategy(GenerationMode.NEGATIVE))

        @given(case=cases, who=st.sampled_from(callers), real=st.booleans().map(lambda b: not b))
        @settings(BOUNDED, max_examples=EXAMPLES)
        def fuzz(case: Case[Any], who: str, real: bool) -> None:
            if real:
                known.fill(case)
            _bounded(case)
            case.call_and_validate(headers=CALLERS[who], checks=CHECKS)

        fuzz()

    return run


def test_no_input_makes_a_5xx_and_answers_match_the_schema(
    fuzzed: tuple[TestClient, Known],
) -> None:
    client, known = fuzzed
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    run = _fuzz(known)
    for result in schema.get_all_operations():
        run(result.ok())  # type: ignore[union-attr]


def test_stateful_sequences_make_no_5xx_and_answers_match_the_schema(
    fuzzed: tuple[TestClient, Known],
) -> None:
    """The links schemathesis infers (a created user read, changed, removed; an invoice of a
    list audited, ...) chained within our company, as the caller each step needs."""
    client, known = fuzzed
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Case[Any]) -> None:
            for name in ("cid", "company_id"):
                if name in (case.path_parameters or {}):
                    case.path_parameters[name] = known.values[name]
            _bounded(case)

        def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
            return {"headers": CALLERS[_callers(case.method.upper(), case.path)[0]]}

        def validate_response(
            self, response: Response, case: Case[Any], additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(
                response,
                checks=CHECKS,
                additional_checks=additional_checks,
                transport_kwargs=kwargs,
            )

    Workflow.run(settings=settings(BOUNDED, max_examples=SCENARIOS, stateful_step_count=STEPS))
