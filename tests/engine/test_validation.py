"""The openapi-core adapter: violations name the place and the rule, never the value."""

from __future__ import annotations

import json

import pytest

from secretmock.engine.incoming import IncomingRequest, MalformedBody, parse_json_body
from secretmock.engine.specs import Operation, load_spec
from secretmock.engine.validation import CheckedRequest, SpecValidator
from secretmock.engine.violations import Violation
from secretmock.resources import spec_path

SPEC = load_spec(spec_path("fireworks.yaml"))
VALIDATOR = SpecValidator(SPEC)
UPDATE = next(op for op in SPEC.operations if op.operation_id == "Gateway_UpdateSecret")
LIST = next(op for op in SPEC.operations if op.operation_id == "Gateway_ListSecrets")
PATH = {"account_id": "acme", "secret_id": "s1"}


def request(
    body: bytes,
    content_type: str = "application/json",
    query: str = "",
    operation: Operation = UPDATE,
) -> IncomingRequest:
    path = "/v1/accounts/acme/secrets" + ("/s1" if operation is UPDATE else "")
    headers = {"content-type": content_type} if content_type else {}
    return IncomingRequest(operation.method.upper(), path, query, headers, body)


def check(
    operation: Operation,
    path: dict[str, str],
    req: IncomingRequest,
    validator: SpecValidator = VALIDATOR,
) -> CheckedRequest:
    return validator.check_request(operation, path, req, parse_json_body(req))


def violations(req: IncomingRequest, operation: Operation = UPDATE) -> list[Violation]:
    return check(operation, PATH, req).violations


CASES = [
    (b'{"value": "v"}', "", "body", "/keyName", "required"),
    (b'{"keyName": 5}', "", "body", "/keyName", "type"),
    (b'{"keyName": "K", "value": ["sk-live-SECRET"]}', "", "body", "/value", "type"),
    (b"", "", "body", "", "required"),
    (b"keyName=K", "text/plain", "content-type", "", "mediaType"),
]


@pytest.mark.parametrize(("body", "content_type", "part", "location", "rule"), CASES)
def test_request_violations(
    body: bytes, content_type: str, part: str, location: str, rule: str
) -> None:
    req = request(body, content_type or "application/json")
    [violation] = violations(req)
    assert (violation.part, violation.location, violation.rule) == (part, location, rule)
    assert "SECRET" not in repr(violation), "a violation never carries the offending value"


def test_type_violation_says_expected_and_actual() -> None:
    [violation] = violations(request(b'{"keyName": "K", "value": ["sk-live-SECRET"]}'))
    assert violation.expected == "type string"
    assert violation.actual == "array of 1 items"
    assert violation.describe() == "body /value: type: expected type string, got array of 1 items"


def test_query_parameter_cast_failure_names_the_parameter() -> None:
    req = request(b"", content_type="", query="pageSize=lots", operation=LIST)
    [violation] = violations(req, LIST)
    assert (violation.part, violation.location) == ("query", "/pageSize")


def test_valid_request_gives_cast_parameters_and_parsed_body() -> None:
    checked = check(UPDATE, PATH, request(b'{"keyName": "K", "value": "v"}'))
    assert checked.violations == [] and checked.body == {"keyName": "K", "value": "v"}
    listed = check(LIST, {"account_id": "acme"}, request(b"", "", "pageSize=5", LIST))
    assert listed.query == {"pageSize": 5}


@pytest.mark.parametrize("body", [b"{", b"\xff", b"[" * 50_000])
def test_malformed_json_is_its_own_error(body: bytes) -> None:
    with pytest.raises(MalformedBody):
        parse_json_body(request(body))


def respond(status: int, body: object) -> list[Violation]:
    data = json.dumps(body).encode()
    return VALIDATOR.check_response(UPDATE, request(b"{}"), status, data, body)


def test_response_violations() -> None:
    assert respond(200, {"name": "n", "keyName": "K"}) == []
    [missing] = respond(200, {"name": "n"})
    assert (missing.part, missing.location, missing.rule) == ("response", "/keyName", "required")
    [undeclared] = respond(418, {})
    assert (undeclared.part, undeclared.rule) == ("response", "status")


def test_each_missing_property_is_named() -> None:
    spec = load_spec(spec_path("langwatch.yaml"))
    create = next(op for op in spec.operations if op.operation_id == "postApiSecrets")
    request = IncomingRequest(
        "POST", "/api/secrets", "", {"content-type": "application/json"}, b"{}"
    )
    found = check(create, {}, request, SpecValidator(spec)).violations
    assert sorted(v.location for v in found) == ["/name", "/value"]


def test_openapi_core_is_built_on_first_need_or_by_warm_up() -> None:
    fresh = SpecValidator(SPEC)
    assert fresh._reference is None
    assert check(UPDATE, PATH, request(b'{"keyName": "K"}'), fresh).violations == []
    assert fresh._reference is None, "a valid request needs no openapi-core"
    assert check(UPDATE, PATH, request(b'{"keyName": 1}'), fresh).violations
    assert fresh._reference is not None, "a refusal is openapi-core's own"
    warmed = SpecValidator(SPEC)
    warmed.warm_up()
    assert warmed._reference is not None
