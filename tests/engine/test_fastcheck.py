"""Fast acceptance never accepts what jsonschema (with OpenAPI's validators) refuses."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_schema_validator import OAS30WriteValidator, OAS31Validator

from secretmock.engine.validation.fastcheck import compile_acceptance

SCHEMAS: list[dict[str, Any]] = [
    {"type": "integer", "format": "int32", "minimum": 0, "maximum": 10},
    {"type": "number"},
    {"type": "boolean"},
    {"type": "string", "minLength": 1, "maxLength": 3, "pattern": "^[A-Z][A-Z0-9_]*$"},
    {"type": "string", "enum": ["ALL", "SOME", "NONE"]},
    {"type": "string", "format": "date-time", "nullable": True},
    {"type": "array", "items": {"type": "string"}},
    {
        "type": "object",
        "required": ["value"],
        "properties": {"value": {}, "id": {"type": "string"}},
        "additionalProperties": False,
    },
    {"type": "object", "additionalProperties": {"type": "object", "required": ["value"]}},
    {"properties": {"read": {"type": "boolean"}}},
    {"type": "string", "format": "uuid"},
]
VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    5,
    11,
    2**40,
    1.0,
    1.5,
    "",
    "A",
    "a",
    "AB_1",
    "ABCD",
    "ALL",
    "all",
    "2030-01-01T00:00:00Z",
    "48e10cd0-5890-42d7-8e22-e9a477d97d17",
    "48E10CD0-5890-42D7-8E22-E9A477D97D17",
    "48e10cd0589042d78e22e9a477d97d17",
    "{48e10cd0-5890-42d7-8e22-e9a477d97d17}",
    "48e10cd0-5890-42d7-8e22-e9a477d97d1g",
    "2030-01-01t00:00:00.123z",
    "2030-01-01T00:00:00+01:00",
    "2030-02-30T00:00:00Z",
    "2030-01-01 00:00:00Z",
    "not a date",
    [],
    ["a"],
    [1],
    {},
    {"value": 1},
    {"value": 1, "id": "x"},
    {"value": 1, "id": 2},
    {"value": 1, "other": 1},
    {"id": "x"},
    {"k": {"value": None}},
    {"k": {}},
    {"k": 1},
    {"read": True},
    {"read": "yes"},
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=[str(s)[:40] for s in SCHEMAS])
def test_in_an_openapi_30_document_acceptance_implies_validity(schema: dict[str, Any]) -> None:
    """There a nullable schema's null is accepted, as openapi-core's 3.0 validator does."""
    accept = compile_acceptance(schema, {"openapi": "3.0.3"})
    assert accept is not None
    validator = OAS30WriteValidator(schema, format_checker=OAS30WriteValidator.FORMAT_CHECKER)
    for value in [v for v in VALUES if accept(v)]:
        assert validator.is_valid(value), f"accepted {value!r}, which the schema refuses"
    if schema.get("nullable") is True and "enum" not in schema:
        assert accept(None)
    if schema.get("format") == "date-time":  # decided here, as jsonschema decides it
        assert accept("2030-01-01T00:00:00Z") and not accept("2030-02-30T00:00:00Z")
    if schema.get("format") == "uuid":
        assert accept("48e10cd0-5890-42d7-8e22-e9a477d97d17")


@pytest.mark.parametrize("schema", SCHEMAS, ids=[str(s)[:40] for s in SCHEMAS])
@pytest.mark.parametrize("validator_class", [OAS30WriteValidator, OAS31Validator])
def test_acceptance_implies_validity(schema: dict[str, Any], validator_class: Any) -> None:
    accept = compile_acceptance(schema, {})
    assert accept is not None
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    for value in [v for v in VALUES if accept(v)]:
        assert validator.is_valid(value), f"accepted {value!r}, which the schema refuses"


@pytest.mark.parametrize(
    "schema",
    [
        {"oneOf": [{"type": "string"}]},
        {"type": "string", "readOnly": True},
        {"type": ["string", "null"]},
        {"$ref": "http://elsewhere/schema"},
    ],
)
def test_what_it_does_not_decide_is_left_to_jsonschema(schema: dict[str, Any]) -> None:
    assert compile_acceptance(schema, {}) is None


@pytest.mark.parametrize(
    ("schema", "value"),
    [
        (SCHEMAS[0], 5),
        (SCHEMAS[3], "AB_"),
        (SCHEMAS[4], "SOME"),
        (SCHEMAS[7], {"value": [1]}),
        (SCHEMAS[8], {"k": {"value": "v"}}),
        (SCHEMAS[9], {"read": True}),
    ],
)
def test_the_usual_valid_values_are_accepted_fast(schema: dict[str, Any], value: Any) -> None:
    accept = compile_acceptance(schema, {})
    assert accept is not None and accept(value)


def test_local_refs_are_followed() -> None:
    document = {"components": {"schemas": {"Name": {"type": "string", "minLength": 2}}}}
    accept = compile_acceptance({"$ref": "#/components/schemas/Name"}, document)
    assert accept is not None and accept("ab") and not accept("a")
