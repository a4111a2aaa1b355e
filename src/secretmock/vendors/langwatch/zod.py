"""Spec violations as the zod issues LangWatch's routes report.

The real routes validate bodies with zod schemas (app.ts ``createSecretSchema`` and
``updateSecretSchema``); the emulator validates with the OpenAPI spec, whose body
schemas say the same. This module turns the engine's violations into zod's issues:
its issue types (``invalid_type`` with ``expected``/``received``, ``too_small``,
``too_big``, ``invalid_string``), the routes' own messages, and zod's order (the
schema's property order). Which fields a body requires and in which order they come is
read from the spec, never copied here.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from secretmock.engine.specs import load_spec, resolve_refs
from secretmock.engine.violations import Violation
from secretmock.resources import spec_path

SPEC_FILE = "langwatch.yaml"
ZOD_TYPES = frozenset({"string", "number", "boolean", "null", "array", "object"})

ZOD_MESSAGES = {
    ("name", "minLength"): ("too_small", "name is required"),
    ("name", "pattern"): (
        "invalid_string",
        "name must contain only uppercase letters, digits, and underscores, "
        "and must start with a letter",
    ),
    ("value", "minLength"): ("too_small", "value is required"),
    ("value", "maxLength"): ("too_big", "value is too long"),
}
"""The route's own zod messages (app.ts ``createSecretSchema`` / ``updateSecretSchema``)."""
ZOD_BOUNDS = {("name", "too_small"): 1, ("value", "too_small"): 1, ("value", "too_big"): 10_000}
"""The bounds those checks carry (``min(1)``, ``max(10_000)``), which zod's raw issues show."""


def reason(field: str, kind: str, message: str, **extra: Any) -> dict[str, Any]:
    """One ``schema_failure`` reason, as zod's issue for ``field`` reads."""
    return {
        "code": "schema_failure",
        "meta": {"field": field, "type": kind, "message": message, **extra},
    }


def missing_fields(operation_id: str) -> list[dict[str, Any]]:
    """The reasons for a body read as ``{}``: every required field is missing.

    Hono reads a body whose content type is not JSON as ``{}`` and runs the schema
    on that, so the answer names each required field, in the schema's order."""
    _, required = body_schema(operation_id)
    return _ordered([_required(name) for name in required], operation_id)


def reasons(violations: Sequence[Violation], operation_id: str) -> list[dict[str, Any]]:
    """The zod issues for a body's violations, one per missing field, in zod's order."""
    missing = [v.field for v in violations if v.rule == "required"]
    found = [_required(name) for name in dict.fromkeys(missing)]
    found += [_reason(v) for v in violations if v.rule != "required"]
    return _ordered(found, operation_id)


@functools.cache
def body_schema(operation_id: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The JSON body's property names and required names, each in the spec's order
    (both empty for an operation without a JSON body)."""
    spec = load_spec(spec_path(SPEC_FILE))
    document = spec.document
    for operation in spec.operations:
        if operation.operation_id == operation_id:
            details = document["paths"][operation.path_template][operation.method]
            body = resolve_refs(details.get("requestBody", {}), document)
            media = body.get("content", {}).get("application/json", {})
            schema = resolve_refs(media.get("schema", {}), document)
            return tuple(schema.get("properties", {})), tuple(schema.get("required", ()))
    return (), ()


def _required(field: str) -> dict[str, Any]:
    """zod's issue for a missing string field."""
    return reason(field, "invalid_type", "Required", expected="string", received="undefined")


def _reason(violation: Violation) -> dict[str, Any]:
    """A spec violation as the zod issue the real route would report."""
    field = violation.field or "(root)"
    if violation.rule == "type":
        expected = str(violation.expected)
        received = violation.actual if violation.actual in ZOD_TYPES else "unknown"
        return reason(
            field,
            "invalid_type",
            f"Expected {expected}, received {received}",
            expected=expected,
            received=received,
        )
    kind, message = ZOD_MESSAGES.get((field, violation.rule), ("custom", violation.message))
    return reason(field, kind, message)


def _ordered(found: list[dict[str, Any]], operation_id: str) -> list[dict[str, Any]]:
    """Issues in the schema's property order, as zod reports them; a whole-body issue
    (``(root)``) first."""
    properties, _ = body_schema(operation_id)
    order = {name: index for index, name in enumerate(properties)}
    return sorted(found, key=lambda r: order.get(r["meta"]["field"], -1))


def safe_parse_failure(found: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """zod's ``safeParse`` result for ``found`` (reasons as :func:`reason` makes them), as
    ``JSON.stringify`` writes it: what servers before 2026-07-22 answered for a schema
    failure (``@hono/zod-validator``'s default hook, ``c.json(result, 400)``, zod 3)."""
    issues = [_raw_issue(r["meta"]) for r in found]
    return {"success": False, "error": {"issues": issues, "name": "ZodError"}}


def _raw_issue(meta: dict[str, Any]) -> dict[str, Any]:
    """One issue as zod 3 builds it: its own fields, then ``path`` and ``message``."""
    field, kind, message = meta["field"], meta["type"], meta["message"]
    path = [] if field == "(root)" else field.split(".")
    if kind == "invalid_type":
        head = {"code": kind, "expected": meta["expected"], "received": meta["received"]}
    elif kind in ("too_small", "too_big"):
        bound = "minimum" if kind == "too_small" else "maximum"
        head = {"code": kind, bound: ZOD_BOUNDS.get((field, kind), 0), "type": "string"}
        head |= {"inclusive": True, "exact": False}
    elif kind == "invalid_string":
        head = {"validation": "regex", "code": kind}
    else:
        head = {"code": kind}
    return {**head, "path": path, "message": message}
