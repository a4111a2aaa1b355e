"""A :class:`Violation` is one way a request or a response breaks its vendor's spec.

Violations teach: each names where (request or response, and the JSON location),
the rule that failed, what was expected and what was there. ``actual`` describes
the offending value by its type and size only, so a secret never leaks through an
error message, a log line or a report.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # jsonschema is imported when a value first fails a schema, not before
    from jsonschema.exceptions import ValidationError as SchemaError


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule. ``location`` is a JSON pointer into ``part`` ('' for the whole)."""

    part: str  # "body", "path", "query", "header", "content-type" or "response"
    location: str
    rule: str
    message: str
    expected: str = ""
    actual: str = ""

    @property
    def field(self) -> str:
        """The failing field as a dotted name ("" for the whole part)."""
        return ".".join(p for p in self.location.split("/") if p)

    def describe(self) -> str:
        """One line for a person: ``body /value: minLength (expected ..., got ...)``."""
        where = f"{self.part} {self.location or '/'}"
        detail = f"expected {self.expected}, got {self.actual}" if self.expected else self.message
        return f"{where}: {self.rule}: {detail}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe_value(value: Any) -> str:
    """The type and size of ``value``, never the value itself."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return f"string of length {len(value)}"
    if isinstance(value, list):
        return f"array of {len(value)} items"
    if isinstance(value, dict):
        return f"object with {len(value)} properties"
    return type(value).__name__


# -- the violations both validation paths report (compiled and openapi-core) -------------


def missing_parameter(location: str, name: str) -> Violation:
    return Violation(
        location,
        f"/{name}",
        "required",
        f"the {location} parameter {name!r} is required",
        "present",
        "missing",
    )


def empty_parameter(location: str, name: str) -> Violation:
    return Violation(
        location,
        f"/{name}",
        "allowEmptyValue",
        f"the {location} parameter {name!r} must not be empty",
        "a value",
        "empty",
    )


def uncastable_parameter(location: str, name: str, schema_type: str, raw: Any) -> Violation:
    return Violation(
        location,
        f"/{name}",
        "type",
        f"is not a valid {schema_type}",
        f"type {schema_type}",
        describe_value(raw),
    )


def missing_body() -> Violation:
    return Violation("body", "", "required", "a request body is required", "a body", "none")


def unsupported_media_type(mimetype: str, available: list[str]) -> Violation:
    return Violation(
        "content-type",
        "",
        "mediaType",
        f"unsupported content type {mimetype!r}",
        f"one of {', '.join(available)}",
        mimetype or "none",
    )


def undeclared_status(status: int) -> Violation:
    return Violation(
        "response",
        "",
        "status",
        f"status {status} is not declared",
        "a declared status",
        str(status),
    )


def missing_response_body() -> Violation:
    return Violation("response", "", "required", "the response has no body", "a body", "none")


def from_schema_error(part: str, error: Exception, prefix: str = "") -> Violation:
    """One jsonschema error as a violation at ``prefix`` + the error's path in ``part``."""
    from jsonschema.exceptions import ValidationError as SchemaError

    if not isinstance(error, SchemaError):
        return Violation(part, prefix, "schema", str(error))
    location = prefix + "".join(f"/{p}" for p in error.absolute_path)
    rule = str(error.validator)
    if rule == "required":
        missing = _missing_property(error)
        return Violation(
            part,
            f"{location}/{missing}",
            "required",
            f"'{missing}' is a required property",
            "present",
            "missing",
        )
    return Violation(
        part,
        location,
        rule,
        _safe_message(error),
        _expected(rule, error.validator_value),
        describe_value(error.instance),
    )


def _missing_property(error: SchemaError) -> str:
    """The property this ``required`` error is about: jsonschema makes one error per
    missing property, naming it in the message as ``'<name>' is a required property``."""
    required = error.validator_value if isinstance(error.validator_value, list) else []
    present = error.instance if isinstance(error.instance, dict) else {}
    missing = [str(name) for name in required if name not in present]
    named = [name for name in missing if error.message.startswith(f"{name!r} ")]
    return (named or missing or [""])[0]


def _expected(rule: str, value: Any) -> str:
    if rule == "type":
        return f"type {value}"
    if rule == "additionalProperties" and value is False:
        return "no additional properties"
    if isinstance(value, (str, int, float, bool, list)):
        return f"{rule} {json.dumps(value)}"
    return rule


def _safe_message(error: SchemaError) -> str:
    """The schema error's message with the offending instance left out (it may be a secret)."""
    rule, value = str(error.validator), error.validator_value
    messages = {
        "type": f"is not of type {value!r}",
        "minLength": f"is shorter than {value}",
        "maxLength": f"is longer than {value}",
        "pattern": f"does not match {value!r}",
        "enum": f"is not one of {value!r}",
        "format": f"is not a valid {value!r}",
        "minimum": f"is less than the minimum of {value}",
        "maximum": f"is greater than the maximum of {value}",
        "additionalProperties": "has properties the schema does not allow",
    }
    return messages.get(rule, f"fails {rule}")
