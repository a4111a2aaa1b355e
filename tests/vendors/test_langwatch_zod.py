"""LangWatch's zod translation: required fields and their order come from the spec."""

from __future__ import annotations

from typing import Any

import pytest

from secretmock.engine.violations import Violation
from secretmock.vendors.langwatch import zod


@pytest.mark.parametrize(
    ("operation_id", "properties", "required"),
    [
        pytest.param("postApiSecrets", ("name", "value"), ("name", "value"), id="create"),
        pytest.param("putApiSecretsById", ("value",), ("value",), id="update"),
        pytest.param("getApiSecrets", (), (), id="no-body"),
        pytest.param("noSuchOperation", (), (), id="unknown"),
    ],
)
def test_body_schema_is_read_from_the_spec(
    operation_id: str, properties: tuple[str, ...], required: tuple[str, ...]
) -> None:
    assert zod.body_schema(operation_id) == (properties, required)


def fields(reasons: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(r["meta"]["field"], r["meta"]["type"], r["meta"]["message"]) for r in reasons]


@pytest.mark.parametrize(
    ("violations", "expected"),
    [
        pytest.param(
            [
                Violation("body", "/value", "maxLength", 10000, "string", 10001),
                Violation("body", "/name", "required", ["name", "value"]),
            ],
            [("name", "invalid_type", "Required"), ("value", "too_big", "value is too long")],
            id="in-the-schemas-property-order",
        ),
        pytest.param(
            [Violation("body", "/value", "type", "string", "array", 2)],
            [("value", "invalid_type", "Expected string, received array")],
            id="type-from-the-fields",
        ),
        pytest.param(
            [Violation("body", "", "type", "object", "null")],
            [("(root)", "invalid_type", "Expected object, received null")],
            id="whole-body",
        ),
    ],
)
def test_reasons(violations: list[Violation], expected: list[tuple[str, str, str]]) -> None:
    assert fields(zod.reasons(violations, "postApiSecrets")) == expected


def test_a_body_read_as_empty_misses_every_required_field() -> None:
    assert [r["meta"]["field"] for r in zod.missing_fields("postApiSecrets")] == ["name", "value"]
