"""The vendor pipeline itself: each step that can answer, seen through a fake vendor.

The fake vendor (a one-operation spec in ``tests/data/specs/tiny.yaml``) answers every
engine-found problem with an ``error`` naming the envelope method that wrote it, so a
row shows which step answered; each row then checks the status, the envelope, the
journal entry and that a refused request stored nothing. The last tests send a body
over the limit to a real vendor, in-process, over a socket and through interception.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from secretmock.engine.emulator import Emulator
from secretmock.engine.faults import FaultRuleError
from secretmock.engine.incoming import IncomingRequest, incoming_request
from secretmock.engine.journal import REDACTED, Journal, JournalEntry
from secretmock.engine.pipeline import Outcome, VendorPipeline
from secretmock.engine.sources import Sources
from secretmock.engine.specs import load_spec
from secretmock.engine.store import Credential, TenantState, VendorStore
from secretmock.engine.vendor_api import (
    Call,
    CredentialLookup,
    Principal,
    Reply,
    Vendor,
    VendorError,
)
from secretmock.engine.violations import Violation
from secretmock.testing.intercept import Interceptor
from tests.conftest import Api

TINY_SPEC = Path(__file__).parent.parent / "data" / "specs" / "tiny.yaml"
TOKEN = "good-token"
LIMIT = 64
AUTH = {"authorization": f"Bearer {TOKEN}"}
JSON = {"content-type": "application/json"}


def authenticate(request: IncomingRequest, lookup: CredentialLookup) -> Principal:
    header = request.headers.get("authorization", "")
    credential = lookup(header.removeprefix("Bearer ")) if header.startswith("Bearer ") else None
    if credential is None:
        raise VendorError(Reply(401, {"error": "authenticate"}))
    return Principal(credential.tenant_id, credential.role, credential.user)


def put_item(call: Call) -> Reply:
    """Stores the value; some names stand for a handler's failures."""
    name = call.path["name"]
    if name == "boom":
        raise RuntimeError("a handler bug, with a secret in its trace")
    if name == "missing":
        raise VendorError(Reply(404, {"error": "handler"}))
    if name == "offspec":
        return Reply(200, {"name": name})  # the spec requires "value": an emulator bug
    call.tenant.secrets[name] = call.body["value"]
    return Reply(200, {"name": name, "value": call.body["value"]})


class Envelope:
    """Every answer names the envelope method that wrote it."""

    def no_route(self, request: IncomingRequest, allowed: tuple[str, ...]) -> Reply:
        detail = f"{request.method} {request.path}" + (f" (allowed: {allowed})" if allowed else "")
        return Reply(404, {"error": "no_route", "detail": detail})

    def malformed_body(self, request: IncomingRequest, detail: str) -> Reply:
        return Reply(400, {"error": "malformed_body", "detail": detail})

    def invalid_request(self, request: IncomingRequest, violations: Sequence[Violation]) -> Reply:
        return Reply(400, {"error": "invalid_request", "detail": str(request.operation_id)})

    def internal(self, request: IncomingRequest) -> Reply:
        return Reply(500, {"error": "internal"})

    def status_error(self, request: IncomingRequest, status: int, retry_after: int | None) -> Reply:
        return Reply(status, {"error": "status_error", "detail": str(retry_after)})


TINY = Vendor(
    name="tiny",
    spec_file="tiny.yaml",
    roles=frozenset({"admin"}),
    authenticate=authenticate,
    handlers={"putItem": put_item},
    errors=Envelope(),
    seed_secret=lambda tenant, entry, sources: None,
    export_secret=lambda record: {"value": record},
)


@pytest.fixture
def pipeline() -> VendorPipeline:
    store = VendorStore()
    credential = Credential(TOKEN, "t1", "admin", "ada")
    store.put(TenantState("t1", credentials={TOKEN: credential}))
    spec = load_spec(TINY_SPEC)
    return VendorPipeline(TINY, spec, store, Sources(seed=1), Journal(), max_body_bytes=LIMIT)


def send(
    pipeline: VendorPipeline, method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[Outcome, JournalEntry]:
    """What a transport does: build the request (flagging a body over the limit), hand it
    over, and return the outcome with the journal's one new entry."""
    request = incoming_request(
        method, path, "", headers.items(), body, len(body) > pipeline.max_body_bytes
    )
    outcome = pipeline.handle(request)
    (entry,) = pipeline.journal.entries()
    return outcome, entry


@pytest.mark.parametrize(
    "method, path, headers, body, status, answer, operation_id, tenant, broke_spec",
    [
        pytest.param(
            "GET", "/api/items/a", AUTH, b"",
            404, {"error": "no_route", "detail": "GET /api/items/a (allowed: ('PUT',))"},
            None, None, False,
            id="route-miss",
        ),
        pytest.param(
            "GET", "/api/things", AUTH, b"",
            404, {"error": "no_route", "detail": "GET /api/things"}, None, None, False,
            id="route-miss-unknown-path",
        ),
        pytest.param(
            "PUT", "/api/items/a", JSON, b'{"value": "v"}',
            401, {"error": "authenticate"}, "putItem", None, False,
            id="auth-failure",
        ),
        pytest.param(
            "PUT", "/api/items/a", AUTH | JSON, b'{"value": ',
            400, {"error": "malformed_body"}, "putItem", "t1", True,
            id="malformed-body",
        ),
        pytest.param(
            # Refused before authentication: no credential, and still the vendor's 413.
            "PUT", "/api/items/a", JSON, b'{"value": "' + b"v" * LIMIT + b'"}',
            413, {"error": "status_error", "detail": "None"},
            "putItem", None, False,
            id="too-large-body",
        ),
        pytest.param(
            "PUT", "/api/items/a", AUTH | JSON, b'{"value": 1}',
            400, {"error": "invalid_request", "detail": "putItem"}, "putItem", "t1", True,
            id="invalid-request",
        ),
        pytest.param(
            "PUT", "/api/items/missing", AUTH | JSON, b'{"value": "v"}',
            404, {"error": "handler"}, "putItem", "t1", False,
            id="handler-vendor-error",
        ),
        pytest.param(
            "PUT", "/api/items/boom", AUTH | JSON, b'{"value": "v"}',
            500, {"error": "internal"}, "putItem", None, False,
            id="handler-exception",
        ),
        pytest.param(
            "PUT", "/api/items/offspec", AUTH | JSON, b'{"value": "v"}',
            500, {"error": "internal"}, "putItem", "t1", True,
            id="response-outside-spec",
        ),
        pytest.param(
            "PUT", "/api/items/a", AUTH | JSON, b'{"value": "v"}',
            200, {"name": "a", "value": "v"}, "putItem", "t1", False,
            id="success",
        ),
    ],
)  # fmt: skip
def test_each_step_answers_in_the_envelope_and_is_journaled(
    pipeline: VendorPipeline,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    status: int,
    answer: dict[str, str],
    operation_id: str | None,
    tenant: str | None,
    broke_spec: bool,
) -> None:
    outcome, entry = send(pipeline, method, path, headers, body)
    assert outcome.reply.status == status
    assert {k: outcome.reply.body.get(k) for k in answer} == answer, outcome.reply.body
    assert b"Traceback" not in outcome.data and b"secret" not in outcome.data
    assert (entry.status, entry.operation_id, entry.tenant) == (status, operation_id, tenant)
    assert (entry.method, entry.path, entry.vendor) == (method, path, "tiny")
    assert bool(entry.violations) is broke_spec, entry.violations
    stored = pipeline.store.get("t1")
    assert stored is not None
    assert stored.secrets == ({"a": "v"} if status == 200 else {}), "a refusal stores nothing"


def test_the_journal_keeps_the_parsed_body_redacted(pipeline: VendorPipeline) -> None:
    outcome, entry = send(pipeline, "PUT", "/api/items/a", AUTH | JSON, b'{"value": "v"}')
    # The body as parsed reached the handler (which answers it back) and the journal,
    # which keeps its structure with the secret field redacted.
    assert outcome.reply.body == {"name": "a", "value": "v"}
    assert entry.body == {"value": REDACTED}


def test_the_steps_run_in_the_contracts_order(pipeline: VendorPipeline) -> None:
    """Authentication before the body is parsed, fault rules once the principal is
    known, validation before the handler; a vendor whose server parses the body before
    authenticating (``parses_body_first``) has ``parse`` first. Setting the vendor (a
    server version) builds the order again."""
    assert pipeline.steps == (
        "limit",
        "authenticate",
        "try_faults",
        "parse",
        "validate",
        "dispatch",
    )
    pipeline.vendor = replace(TINY, parses_body_first=True)
    assert pipeline.steps == (
        "limit",
        "parse",
        "authenticate",
        "try_faults",
        "validate",
        "dispatch",
    )


def test_the_finish_hook_sees_every_answer_before_the_response_check(
    pipeline: VendorPipeline,
) -> None:
    """A handler's, a refusal's, a fault's and the envelope's answers all go through the
    vendor's ``finish``; what it returns is what is checked and sent."""
    seen: list[tuple[int, str | None]] = []

    def finish(reply: Reply, request: IncomingRequest) -> Reply:
        seen.append((reply.status, request.operation_id))
        return reply.with_headers({"x-finished": "yes"})

    pipeline.vendor = replace(TINY, finish=finish)
    answers = [
        send_more(pipeline, "PUT", "/api/items/a", AUTH | JSON, b'{"value": "v"}'),
        send_more(pipeline, "PUT", "/api/items/a", JSON, b'{"value": "v"}'),
        send_more(pipeline, "GET", "/api/items/a", AUTH, b""),
        send_more(pipeline, "PUT", "/api/items/offspec", AUTH | JSON, b'{"value": "v"}'),
    ]
    pipeline.faults.add({"vendor": "tiny", "status": 413})
    answers.append(send_more(pipeline, "PUT", "/api/items/a", AUTH | JSON, b'{"value": "v"}'))
    assert [outcome.reply.status for outcome in answers] == [200, 401, 404, 500, 413]
    assert all(outcome.reply.headers.get("x-finished") == "yes" for outcome in answers)
    # The off-spec 200 was finished, found outside the spec, and its 500 finished too.
    assert seen == [
        (200, "putItem"),
        (401, "putItem"),
        (404, None),
        (200, "putItem"),
        (500, "putItem"),
        (413, "putItem"),
    ]


def test_an_absent_operation_is_routed_as_an_unknown_path(pipeline: VendorPipeline) -> None:
    pipeline.vendor = replace(TINY, absent_operations=frozenset({"putItem"}))
    outcome, entry = send(pipeline, "PUT", "/api/items/a", AUTH | JSON, b'{"value": "v"}')
    assert outcome.reply.body == {"error": "no_route", "detail": "PUT /api/items/a"}
    assert (entry.status, entry.operation_id) == (404, None)
    pipeline.vendor = TINY
    assert (
        send_more(pipeline, "PUT", "/api/items/a", AUTH | JSON, b'{"value": "v"}').reply.status
        == 200
    )


def send_more(
    pipeline: VendorPipeline, method: str, path: str, headers: dict[str, str], body: bytes
) -> Outcome:
    """:func:`send` when the journal already holds entries: the outcome alone."""
    request = incoming_request(method, path, "", headers.items(), body)
    return pipeline.handle(request)


def test_a_response_outside_the_spec_is_recorded_as_a_response_violation(
    pipeline: VendorPipeline,
) -> None:
    _, entry = send(pipeline, "PUT", "/api/items/offspec", AUTH | JSON, b'{"value": "v"}')
    assert [v.part for v in entry.violations] == ["response"]
    assert pipeline.journal.violating() == [entry]


def test_routing_hands_the_vendor_the_operation_and_raw_path_parameters(
    pipeline: VendorPipeline,
) -> None:
    seen: list[IncomingRequest] = []

    def spy(request: IncomingRequest, lookup: CredentialLookup) -> Principal:
        seen.append(request)
        return authenticate(request, lookup)

    pipeline.vendor = replace(TINY, authenticate=spy)
    send(pipeline, "PUT", "/api/items/a", AUTH | JSON, b'{"value": "v"}')
    (request,) = seen
    assert (request.operation_id, dict(request.path_params)) == ("putItem", {"name": "a"})
    assert request.sources is pipeline.sources


def test_the_base_path_is_the_mount_prefix_then_the_specs_server_path(
    pipeline: VendorPipeline,
) -> None:
    assert pipeline.base_path == "/tiny/api"


# -- a body over the limit, to a real vendor, through every transport ------------------

CREATE = "/v1/accounts/acme/secrets"
FIREWORKS_AUTH = {"authorization": "Bearer fw-test-acme", "content-type": "application/json"}
TOO_LARGE_ANSWER = {"code": 8, "message": "Payload Too Large", "details": []}
"""Fireworks' 413 (grpc-gateway's body, RESOURCE_EXHAUSTED; docs/vendors/fireworks.md)."""


def _last_entry(emulator: Emulator) -> JournalEntry:
    return emulator.journal.entries()[-1]


def _oversized() -> bytes:
    return b'{"name": "big", "keyName": "BIG", "value": "' + b"v" * LIMIT + b'"}'


def test_a_body_over_the_limit_is_refused_and_journaled(
    api: Api, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emulator.pipelines["fireworks"], "max_body_bytes", LIMIT)
    before = emulator.tenant_snapshot("fireworks", "acme")
    response = api.request("POST", "/fireworks" + CREATE, headers=FIREWORKS_AUTH, data=_oversized())
    assert (response.status_code, response.json()) == (413, TOO_LARGE_ANSWER)
    entry = _last_entry(emulator)
    assert (entry.status, entry.operation_id, entry.path) == (413, "Gateway_CreateSecret", CREATE)
    assert entry.body == f"<not read: over {LIMIT} bytes>"
    assert emulator.tenant_snapshot("fireworks", "acme") == before


def test_an_intercepted_body_over_the_limit_is_refused_and_journaled(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emulator.pipelines["fireworks"], "max_body_bytes", LIMIT)
    before = emulator.tenant_snapshot("fireworks", "acme")
    with Interceptor(emulator), requests.Session() as session:
        response = session.post(
            "https://api.fireworks.ai" + CREATE, headers=FIREWORKS_AUTH, data=_oversized()
        )
    assert (response.status_code, response.json()) == (413, TOO_LARGE_ANSWER)
    entry = _last_entry(emulator)
    assert (entry.status, entry.operation_id, entry.path) == (413, "Gateway_CreateSecret", CREATE)
    assert entry.body == f"<not read: over {LIMIT} bytes>"
    assert emulator.tenant_snapshot("fireworks", "acme") == before


# -- fault rules: what the pipeline hands the transport ----------------------------------

GOOD_PUT = ("PUT", "/api/items/a", AUTH | JSON, b'{"value": "v"}')


@pytest.mark.parametrize(
    "rule, status, answer, headers, delay, disconnect, stored",
    [
        pytest.param(
            {"status": 413, "retry_after": 3},
            413, {"error": "status_error", "detail": "3"}, {"retry-after": "3"}, 0.0, False, False,
            id="status-and-retry-after",
        ),
        pytest.param(
            # A 500 is the vendor's internal error, which the engine answers itself.
            {"status": 500, "retry_after": 3},
            500, {"error": "internal"}, {"retry-after": "3"}, 0.0, False, False,
            id="status-500-is-the-internal-error",
        ),
        pytest.param(
            {"status": 413, "commit": True},
            413, {"error": "status_error", "detail": "None"}, {}, 0.0, False, True,
            id="commit-then-status",
        ),
        pytest.param(
            {"status": 500, "commit": True},
            500, {"error": "internal"}, {}, 0.0, False, True,
            id="commit-then-500",
        ),
        pytest.param(
            {"delay_ms": 1500},
            200, {"name": "a", "value": "v"}, {}, 1.5, False, True,
            id="latency-alone-serves",
        ),
        pytest.param(
            {"disconnect": True, "delay_ms": 10},
            0, None, {}, 0.01, True, False,
            id="disconnect-without-commit",
        ),
        pytest.param(
            {"disconnect": True, "commit": True},
            0, None, {}, 0.0, True, True,
            id="disconnect-after-commit",
        ),
    ],
)  # fmt: skip
def test_a_fault_rule_shapes_the_outcome(
    pipeline: VendorPipeline,
    rule: dict[str, object],
    status: int,
    answer: object,
    headers: dict[str, str],
    delay: float,
    disconnect: bool,
    stored: bool,
) -> None:
    added = pipeline.faults.add({"vendor": "tiny", "operation": "putItem", **rule})
    outcome, entry = send(pipeline, *GOOD_PUT)
    assert (outcome.reply.status, outcome.reply.body) == (status, answer)
    assert dict(outcome.reply.headers) == headers
    assert (outcome.fault_id, outcome.delay, outcome.disconnect) == (added.id, delay, disconnect)
    assert (entry.fault, entry.status, entry.violations) == (added.id, status, ())
    tenant = pipeline.store.get("t1")
    assert tenant is not None and ("a" in tenant.secrets) is stored


def test_no_rule_no_fault(pipeline: VendorPipeline) -> None:
    outcome, entry = send(pipeline, *GOOD_PUT)
    assert (outcome.fault_id, outcome.delay, outcome.disconnect, entry.fault) == (
        None,
        0.0,
        False,
        None,
    )


def test_a_status_the_operation_does_not_declare_is_refused(pipeline: VendorPipeline) -> None:
    with pytest.raises(FaultRuleError, match="'status' 503 is not a response tiny putItem"):
        pipeline.faults.add({"vendor": "tiny", "status": 503})
