"""The compiled validator against openapi-core itself (the oracle, ``oracle.py``): the
same verdict, the same failing locations and the same fields, for a corpus of valid and
invalid requests and responses of every operation of every vendor's spec."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from secretmock.engine.incoming import IncomingRequest, parse_json_body
from secretmock.engine.specs import LoadedSpec, Operation, load_spec
from secretmock.engine.validation import SpecValidator
from secretmock.engine.violations import Violation
from secretmock.resources import spec_path
from secretmock.vendors import all_vendors
from tests.engine.oracle import oracle_of

WRONG_VALUES: list[Any] = [
    None,
    7,
    2.5,
    True,
    "text",
    [],
    {},
    ["x"],
    {"a": 1},
    "",
    -1,
    "x" * 10_001,
]
QUERY_VALUES = ["", "5", "-3", "1.5", "abc", "99999999999", "true", "%ff"]
PATH_VALUES = ["s1", "STRIPE_API_KEY", "lower-case", "a b", "x" * 300]


def resolve(node: Any, document: dict[str, Any]) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def sample(schema: Any, document: dict[str, Any], depth: int = 0) -> Any:
    """A value that the schema most likely accepts (every property filled in)."""
    schema = resolve(schema, document) or {}
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        return (
            {k: sample(v, document, depth + 1) for k, v in properties.items()} if depth < 4 else {}
        )
    if kind == "array":
        return [sample(schema.get("items", {}), document, depth + 1)]
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if schema.get("format") == "date-time":
        return "2030-01-01T00:00:00Z"
    return "A" * max(int(schema.get("minLength", 1)), 1)


def body_variants(schema: Any, document: dict[str, Any]) -> list[bytes]:
    valid = sample(schema, document)
    variants = [valid, {}, [], None, "text", 3]
    if isinstance(valid, dict):
        for name in valid:
            variants.append({k: v for k, v in valid.items() if k != name})
            variants += [{**valid, name: wrong} for wrong in WRONG_VALUES]
            if isinstance(valid[name], dict):  # a map of entries (Prisme.ai)
                variants += [{**valid, name: {**valid[name], "value": w}} for w in WRONG_VALUES]
                variants.append({**valid, name: {}})
    return [json.dumps(v).encode() for v in variants]


def cases(
    spec: LoadedSpec, operation: Operation
) -> list[tuple[str, dict[str, str], IncomingRequest]]:
    """(description, path params, request) for the corpus of one operation."""
    document = spec.document
    item = document["paths"][operation.path_template]
    details = item[operation.method]
    parameters = [
        resolve(p, document) for p in item.get("parameters", []) + details.get("parameters", [])
    ]
    path_names = [p["name"] for p in parameters if p["in"] == "path"]
    query_names = [p["name"] for p in parameters if p["in"] == "query"]
    header_names = [p["name"] for p in parameters if p["in"] == "header"]
    body_schema = (
        details.get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("schema", {})
    )
    bodies = [*body_variants(body_schema, document), b"", b"{}"]
    found = []

    def add(
        what: str, params: dict[str, str], query: str, headers: dict[str, str], body: bytes
    ) -> None:
        path = spec.base_path + operation.path_template
        for name, value in params.items():
            path = path.replace("{" + name + "}", value)
        request = IncomingRequest(operation.method.upper(), path, query, headers, body)
        found.append((what, params, request))

    json_headers = {"content-type": "application/json"}
    for value in PATH_VALUES:
        add(f"path={value[:10]}", dict.fromkeys(path_names, value), "", json_headers, bodies[0])
    base_params = dict.fromkeys(path_names, "s1")
    for index, body in enumerate(bodies):
        add(f"body#{index}", base_params, "", json_headers, body)
    for content_type in [
        "text/plain",
        "",
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/merge-patch+json",
        "application/*",
    ]:
        headers = {"content-type": content_type} if content_type else {}
        add(f"content-type={content_type}", base_params, "", headers, bodies[0])
    for name in query_names:
        for value in QUERY_VALUES:
            add(f"{name}={value}", base_params, f"{name}={value}", json_headers, bodies[0])
        add(f"{name} twice", base_params, f"{name}=2&{name}=x", json_headers, bodies[0])
    for name in header_names:
        for value in ["", "acme-org", "x" * 50]:
            add(
                f"{name}: {value}",
                base_params,
                "",
                {**json_headers, name.lower(): value},
                bodies[0],
            )
    return found


OPERATIONS = [
    (vendor.name, op)
    for vendor in all_vendors()
    for op in load_spec(spec_path(vendor.spec_file)).operations
]


def located(violations: list[Violation]) -> Counter[tuple[Any, ...]]:
    """Each violation's place, rule and fields (the message derives from them)."""
    return Counter(
        (v.part, v.location, v.rule, json.dumps(v.expected), v.actual, v.size) for v in violations
    )


@pytest.mark.parametrize(
    ("vendor", "operation"), OPERATIONS, ids=[f"{v}-{op.operation_id}" for v, op in OPERATIONS]
)
def test_requests_get_openapi_cores_verdict(vendor: str, operation: Operation) -> None:
    spec = load_spec(spec_path(f"{vendor}.yaml"))
    compiled = SpecValidator(spec)[operation.operation_id]
    oracle = oracle_of(spec)[operation.operation_id]
    for what, params, request in cases(spec, operation):
        try:
            body = parse_json_body(request)
        except ValueError:
            continue
        reference = oracle.check_request(request, params, body)
        # Walked, then known by its text (twice: the second from the accepted texts).
        for parsed_as_json in (False, True, True):
            fast = compiled.check_request(request, params, body, parsed_as_json)
            assert located(fast.violations) == located(reference.violations), what
            if not reference.violations:
                assert (fast.path, fast.query) == (reference.path, reference.query), what


def response_bodies(schema: Any, document: dict[str, Any]) -> list[Any]:
    valid = sample(schema, document)
    variants = [valid, {}, [], None, "text", 3, {"unexpected": True}]
    if isinstance(valid, dict):
        for name in valid:
            variants.append({k: v for k, v in valid.items() if k != name})
            variants += [{**valid, name: wrong} for wrong in WRONG_VALUES]
    if isinstance(valid, list) and valid and isinstance(valid[0], dict):
        variants += [[{k: v for k, v in valid[0].items() if k != name}] for name in valid[0]]
    return variants


@pytest.mark.parametrize(
    ("vendor", "operation"), OPERATIONS, ids=[f"{v}-{op.operation_id}" for v, op in OPERATIONS]
)
def test_responses_get_openapi_cores_verdict(vendor: str, operation: Operation) -> None:
    spec = load_spec(spec_path(f"{vendor}.yaml"))
    compiled = SpecValidator(spec)[operation.operation_id]
    oracle = oracle_of(spec)[operation.operation_id]
    responses = spec.document["paths"][operation.path_template][operation.method]["responses"]
    statuses = [*responses, "418", "299", "500"]
    for status in statuses:
        if not status.isdigit():
            continue
        response = resolve(responses.get(status, {}), spec.document)
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        for body in response_bodies(schema, spec.document):
            data = json.dumps(body).encode()
            reference = oracle.check_response(int(status), data, body)
            # Walked, then known by its text (the second, if accepted, from the kept texts).
            for encoded in (False, True, True):
                fast = compiled.check_response(int(status), data, body, encoded)
                assert located(fast) == located(reference), (status, body)


def test_the_corpus_finds_violations_of_every_kind() -> None:
    """The comparisons above mean something: the corpus breaks every kind of rule."""
    kinds: set[tuple[str, str]] = set()
    for vendor, operation in OPERATIONS:
        spec = load_spec(spec_path(f"{vendor}.yaml"))
        validator = SpecValidator(spec)
        for _, params, request in cases(spec, operation):
            try:
                body = parse_json_body(request)
            except ValueError:
                continue
            compiled = validator[operation.operation_id]
            kinds |= {
                (v.part, v.rule) for v in compiled.check_request(request, params, body).violations
            }
    assert {
        ("body", "required"),
        ("body", "type"),
        ("body", "pattern"),
        ("body", "enum"),
        ("body", "minLength"),
        ("body", "maxLength"),
        ("content-type", "mediaType"),
        ("query", "allowEmptyValue"),
        ("query", "type"),
        ("query", "format"),
        ("path", "pattern"),
    } <= kinds
