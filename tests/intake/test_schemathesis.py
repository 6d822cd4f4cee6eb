"""Property-based conformance: every operation of the server's OpenAPI document, called with
signed requests, answers as the document says.

schemathesis generates valid (positive) and invalid (negative) requests per operation from the
schema the running server serves; ``call_and_validate`` runs its default checks on each answer
(no server error, documented status code, content type and body schema, auth enforced — it
resends each operation without the signature and expects 401 —, negative data rejected, valid
data accepted).

Random identifiers mostly name nothing (404), so half of the positive cases are pinned to
things the server holds: this kiosk's id, a demo appointment, a started upload, catalogue
service codes, and events that act (ticket.issued, locker.deposit). That way the fuzzing reaches
the ticket numbering, event side effects and upload paths, not only their 404s.

schemathesis' pytest plugin (``schema.parametrize``) does not run under pytest 9.2 (it sets
``Node._nodeid``, which pytest no longer has), so the operations are parametrised here from the
document ``create_app`` generates and each is driven by Hypothesis through the public
``APIOperation.as_strategy``. Derandomized (a fixed seed per test) with a small example budget:
deterministic, and about 10 s in all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode

from devicecfg import load_config
from intake.server import openapi_document, provision, run_in_thread
from intake.server.demo import DEMO_APPOINTMENTS, DEMO_CASES
from tests.intake.support import HttpxSigner, RequestsSigner

KIOSK_ID = "k-fuzz"
MAX_EXAMPLES = 20
HELD_SHA = "5" * 64  # an upload the fixture starts (never completed: 512 MiB declared)
SERVICE_CODES = [s.code for s in load_config().services()]

_PATHS = json.loads(openapi_document())["paths"]
OPERATIONS = [(method.upper(), path) for path, item in sorted(_PATHS.items()) for method in sorted(item)]
# Negative cases need something to break: a parameter or a body (health and config have none).
CASES = [(method, path, mode) for method, path in OPERATIONS
         for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if mode is GenerationMode.POSITIVE or {"parameters", "requestBody"} & set(_PATHS[path][method.lower()])]


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[tuple[schemathesis.BaseSchema, RequestsSigner]]:
    data = tmp_path_factory.mktemp("intake-fuzz")
    handle = run_in_thread(data)
    try:
        secret = provision(data, KIOSK_ID)
        with httpx.Client(base_url=handle.url, auth=HttpxSigner(KIOSK_ID, secret)) as c:
            started = c.put(f"/api/v1/materials/{HELD_SHA}", json={
                "size": 512 * 1024 * 1024, "kind": "form", "pages": 1, "verification": "self_service_unverified",
                "key": "fuzz-upload"})
            assert started.status_code == 200, started.text
        schema = schemathesis.openapi.from_url(f"{handle.url}/openapi.json")
        # The signer makes the five security headers; generated stand-ins (or a negative case
        # that drops them) would only be overwritten. Unsigned requests are still sent: the
        # ignored_auth check resends each operation without the signature.
        schema.config.generation.update(with_security_parameters=False)
        yield schema, RequestsSigner(KIOSK_ID, secret)
    finally:
        handle.stop()


def _set_body(case: schemathesis.Case, fn: Callable[[dict[str, Any], Any], None], value: Any) -> schemathesis.Case:
    if isinstance(case.body, dict):
        fn(case.body, value)
    return case


def _ticket_service(body: dict[str, Any], code: str) -> None:
    body["service_code"] = code
    body.pop("appointment_code", None)


def _acting_events(body: dict[str, Any], n: int) -> None:
    events = body.get("events")
    if isinstance(events, list) and events and isinstance(events[0], dict):
        events[0]["type"] = "ticket.issued"
        events[0]["payload"] = {"number": f"A{n:03d}", "service_code": "intake", "business_day": "2026-04-01"}
        events[-1]["type"] = "locker.deposit"
        events[-1]["payload"] = {"case_number": DEMO_CASES[n % len(DEMO_CASES)]}


# Positive cases pinned to what the server holds: (as_strategy keyword arguments, body edit).
PINS: dict[tuple[str, str], tuple[dict[str, Any], tuple[Callable[..., None], st.SearchStrategy[Any]] | None]] = {
    ("PUT", "/api/v1/kiosks/{kiosk_id}/inventory"): ({"path_parameters": {"kiosk_id": KIOSK_ID}}, None),
    ("GET", "/api/v1/appointments/{code}"): ({"path_parameters": {"code": DEMO_APPOINTMENTS[0]}}, None),
    ("GET", "/api/v1/materials/{sha256}"): ({"path_parameters": {"sha256": HELD_SHA}}, None),
    ("PUT", "/api/v1/materials/{sha256}"): ({"path_parameters": {"sha256": HELD_SHA}}, None),
    ("PATCH", "/api/v1/materials/{sha256}"): ({"path_parameters": {"sha256": HELD_SHA}}, None),
    ("POST", "/api/v1/materials/{sha256}/complete"): ({"path_parameters": {"sha256": HELD_SHA}}, None),
    ("POST", "/api/v1/tickets"): ({}, (_ticket_service, st.sampled_from(SERVICE_CODES))),
    ("POST", "/api/v1/events"): ({}, (_acting_events, st.integers(1, 999))),
    ("POST", "/api/v1/lockers/deposits/validate"): ({"body": {"case_number": DEMO_CASES[0]}}, None),
}


# Positive runs that must include a success (PATCH and complete of the pinned upload cannot:
# its offset rarely matches and it is never whole).
SUCCEED = {op for op in OPERATIONS if op[0] in ("GET", "PUT", "POST")} - {
    ("POST", "/api/v1/materials/{sha256}/complete")}


def strategy(operation: schemathesis.APIOperation, method: str, path: str,
             mode: GenerationMode) -> st.SearchStrategy[schemathesis.Case]:
    free = operation.as_strategy(generation_mode=mode)
    if mode is GenerationMode.NEGATIVE or (method, path) not in PINS:
        return free
    kwargs, edit = PINS[(method, path)]
    pinned = operation.as_strategy(generation_mode=mode, **kwargs)
    if edit is not None:
        fn, values = edit
        pinned = st.tuples(pinned, values).map(lambda pair: _set_body(pair[0], fn, pair[1]))
    return st.one_of(free, pinned)


def test_every_operation_is_fuzzed():
    """The parametrisation below covers the whole API (so a new operation cannot escape it)."""
    assert len(OPERATIONS) == 13
    assert ("PATCH", "/api/v1/materials/{sha256}") in OPERATIONS
    assert len(CASES) == 2 * 13 - 2


@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=[f"{m} {p} {g.value}" for m, p, g in CASES])
def test_operation_conforms_to_its_schema(api, method: str, path: str, mode: GenerationMode):
    schema, auth = api
    statuses: list[int] = []

    @hypothesis.given(case=strategy(schema[path][method], method, path, mode))
    @hypothesis.settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    def run(case: schemathesis.Case) -> None:
        statuses.append(case.call_and_validate(auth=auth, timeout=10).status_code)

    run()
    assert statuses, "no request was made"
    if mode is GenerationMode.POSITIVE and (method, path) in SUCCEED:
        assert 200 in statuses, f"no valid request succeeded: {sorted(set(statuses))}"
