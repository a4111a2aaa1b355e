"""The validator: violations name the place and the rule, never the value; one compiled
path, and a spec it cannot compile refused at load."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from secretmock.engine.incoming import IncomingRequest, MalformedBody, parse_json_body
from secretmock.engine.specs import Operation, SpecError, load_spec
from secretmock.engine.validation import CheckedRequest, SpecValidator, UncompilableOperation
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
    return validator[operation.operation_id].check_request(req, path, parse_json_body(req))


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
    assert "SECRET" not in json.dumps(violation.as_dict())


def test_type_violation_says_expected_and_actual() -> None:
    [violation] = violations(request(b'{"keyName": "K", "value": ["sk-live-SECRET"]}'))
    assert (violation.expected, violation.actual, violation.size) == ("string", "array", 1)
    assert violation.describe() == "body /value: type: expected type string, got array of 1 items"


def test_query_parameter_cast_failure_names_the_parameter() -> None:
    req = request(b"", content_type="", query="pageSize=lots", operation=LIST)
    [violation] = violations(req, LIST)
    assert (violation.part, violation.location) == ("query", "/pageSize")
    assert (violation.rule, violation.expected, violation.actual) == ("type", "integer", "string")
    assert violation.message == "is not a valid integer"


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
    return VALIDATOR[UPDATE.operation_id].check_response(status, data, body)


def test_response_violations() -> None:
    assert respond(200, {"name": "n", "keyName": "K"}) == []
    [missing] = respond(200, {"name": "n"})
    assert (missing.part, missing.location, missing.rule) == ("response", "/keyName", "required")
    [undeclared] = respond(418, {})
    assert (undeclared.part, undeclared.rule, undeclared.actual) == ("response", "status", "418")
    assert "200" in undeclared.expected


def test_each_missing_property_is_named() -> None:
    spec = load_spec(spec_path("langwatch.yaml"))
    request = IncomingRequest(
        "POST", "/api/secrets", "", {"content-type": "application/json"}, b"{}"
    )
    found = SpecValidator(spec)["postApiSecrets"].check_request(request, {}, {}).violations
    assert sorted(v.location for v in found) == ["/name", "/value"]
    assert {v.name for v in found} == {"name", "value"}
    assert all(v.expected == ["name", "value"] for v in found), "the schema's required list"


def test_the_validator_maps_every_operation_id() -> None:
    assert sorted(VALIDATOR) == sorted(op.operation_id for op in SPEC.operations)
    assert len(VALIDATOR) == len(SPEC.operations)


def test_openapi_core_is_built_on_first_need_or_by_warm_up() -> None:
    fresh = SpecValidator(SPEC)
    assert not fresh.schemas.built
    assert check(UPDATE, PATH, request(b'{"keyName": "K"}'), fresh).violations == []
    assert not fresh.schemas.built, "a valid request needs no openapi-core"
    assert check(UPDATE, PATH, request(b'{"keyName": 1}'), fresh).violations
    assert fresh.schemas.built, "a refusal is openapi-core's own"
    warmed = SpecValidator(SPEC)
    warmed.warm_up()
    assert warmed.schemas.built


# -- structured violations ---------------------------------------------------------------

LANGWATCH = load_spec(spec_path("langwatch.yaml"))
LANGWATCH_VALIDATOR = SpecValidator(LANGWATCH)


def langwatch_create(body: Any) -> list[Violation]:
    data = json.dumps(body).encode()
    req = IncomingRequest("POST", "/api/secrets", "", {"content-type": "application/json"}, data)
    return LANGWATCH_VALIDATOR["postApiSecrets"].check_request(req, {}, body).violations


@pytest.mark.parametrize(
    ("body", "location", "rule", "expected", "actual", "size"),
    [
        pytest.param(
            {"name": "K", "value": "x" * 10_001},
            "/value",
            "maxLength",
            10000,
            "string",
            10_001,
            id="too-long-string-has-its-length",
        ),
        pytest.param(
            {"name": "K", "value": ""}, "/value", "minLength", 1, "string", 0, id="empty-string"
        ),
        pytest.param(
            {"name": "K", "value": None}, "/value", "type", "string", "null", None, id="null"
        ),
        pytest.param(
            {"name": "K", "value": 7}, "/value", "type", "string", "number", None, id="number"
        ),
        pytest.param(
            {"name": "K", "value": True}, "/value", "type", "string", "boolean", None, id="bool"
        ),
        pytest.param(
            {"name": "K", "value": ["a", "b"]}, "/value", "type", "string", "array", 2, id="array"
        ),
        pytest.param(
            {"name": "K", "value": {"a": 1}}, "/value", "type", "string", "object", 1, id="object"
        ),
        pytest.param(
            {"name": "lower", "value": "v"},
            "/name",
            "pattern",
            "^[A-Z][A-Z0-9_]*$",
            "string",
            5,
            id="pattern-gives-the-schemas-pattern",
        ),
        pytest.param(
            {"value": "v"}, "/name", "required", ["name", "value"], None, None, id="required-list"
        ),
        pytest.param([], "", "type", "object", "array", 0, id="whole-body-of-another-type"),
    ],
)
def test_violation_fields(
    body: Any, location: str, rule: str, expected: Any, actual: str | None, size: int | None
) -> None:
    [violation] = langwatch_create(body)
    assert (violation.location, violation.rule) == (location, rule)
    assert (violation.expected, violation.actual, violation.size) == (expected, actual, size)


@pytest.mark.parametrize(
    ("violation", "message", "described"),
    [
        pytest.param(
            Violation("body", "/value", "maxLength", 10000, "string", 10001),
            "is longer than 10000",
            "body /value: maxLength: expected maxLength 10000, got string of length 10001",
            id="maxLength",
        ),
        pytest.param(
            Violation("body", "/name", "required", ["name", "value"]),
            "'name' is a required property",
            "body /name: required: 'name' is a required property",
            id="required-property",
        ),
        pytest.param(
            Violation("query", "/pageSize", "required", True),
            "the query parameter 'pageSize' is required",
            "query /pageSize: required: the query parameter 'pageSize' is required",
            id="required-parameter",
        ),
        pytest.param(
            Violation("body", "", "required", True),
            "a request body is required",
            "body /: required: a request body is required",
            id="required-body",
        ),
        pytest.param(
            Violation("content-type", "", "mediaType", ["application/json"], "text/plain"),
            "unsupported content type 'text/plain'",
            "content-type /: mediaType: unsupported content type 'text/plain'",
            id="media-type",
        ),
        pytest.param(
            Violation("response", "", "status", ["200"], "418"),
            "status 418 is not declared",
            "response /: status: status 418 is not declared",
            id="status",
        ),
        pytest.param(
            Violation("body", "/expiresAt", "format", "date-time", "string", 4),
            "is not a valid 'date-time'",
            'body /expiresAt: format: expected format "date-time", got string of length 4',
            id="format",
        ),
        pytest.param(
            Violation("body", "", "json", detail="Expecting value: line 1 column 1 (char 0)"),
            "the body is not valid JSON: Expecting value: line 1 column 1 (char 0)",
            "body /: json: the body is not valid JSON: Expecting value: line 1 column 1 (char 0)",
            id="malformed-json",
        ),
    ],
)
def test_messages_are_derived_from_the_fields(
    violation: Violation, message: str, described: str
) -> None:
    assert violation.message == message
    assert violation.describe() == described
    assert violation.as_dict()["message"] == message


def test_as_dict_is_json_ready_and_keeps_the_fields() -> None:
    violation = Violation("body", "/kind", "enum", ("A", "B"), "string", 3)
    assert json.loads(json.dumps(violation.as_dict())) == {
        "part": "body",
        "location": "/kind",
        "rule": "enum",
        "expected": ["A", "B"],
        "actual": "string",
        "size": 3,
        "message": "is not one of ('A', 'B')",
    }


# -- one path: what does not compile is refused at load -----------------------------------

SPEC_HEAD = """
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /things:
    get:
      operationId: listThings
"""


@pytest.mark.parametrize(
    ("operation", "feature"),
    [
        pytest.param(
            """      parameters:
        - {name: ids, in: query, schema: {type: array, items: {type: string}}}
      responses: {'200': {description: ok}}
""",
            "the query parameter 'ids' of type 'array'",
            id="array-query-parameter",
        ),
        pytest.param(
            """      responses:
        '200':
          description: ok
          content: {text/plain: {schema: {type: string}}}
""",
            "the media type 'text/plain'",
            id="non-json-media-type",
        ),
        pytest.param(
            """      parameters:
        - {name: q, in: query, style: deepObject, schema: {type: string}}
      responses: {'200': {description: ok}}
""",
            "the query parameter 'q' with 'style'",
            id="parameter-style",
        ),
        pytest.param(
            """      responses:
        '200':
          description: ok
          headers: {X-Rate: {schema: {type: integer}}}
""",
            "response headers",
            id="response-headers",
        ),
    ],
)
def test_an_operation_that_does_not_compile_is_refused_at_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, operation: str, feature: str
) -> None:
    monkeypatch.setenv("SECRETMOCK_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "acme.yaml"
    path.write_text(SPEC_HEAD + operation)
    spec = load_spec(path)
    with pytest.raises(UncompilableOperation) as refused:
        SpecValidator(spec, vendor="acme")
    message = str(refused.value)
    assert isinstance(refused.value, SpecError), "start-up reports it as a spec problem"
    assert "vendor acme, operation listThings" in message
    assert feature in message
