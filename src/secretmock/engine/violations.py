"""A :class:`Violation` is one way a request or a response breaks its vendor's spec.

Violations are data: where (the part of the message and a JSON location), the rule
that failed, the value the spec gives that rule, and the JSON type and size of what
was there. Vendors build their own error bodies from these fields; ``message`` and
:meth:`Violation.describe` are derived from them for people. The offending value
itself is never kept, so a secret cannot leak through an error body, a log line, the
journal or a report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # jsonschema is imported when a value first fails a schema, not before
    from jsonschema.exceptions import ValidationError as SchemaError

PARAMETER_PARTS = frozenset({"path", "query", "header"})
JSON_TYPE_NAMES = ("null", "boolean", "number", "string", "array", "object")
_NOT_VALUE_RULES = frozenset({"mediaType", "status"})  # their ``actual`` is not a JSON type


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule. ``location`` is a JSON pointer into ``part`` ('' for the whole)."""

    part: str
    """``"body"``, ``"path"``, ``"query"``, ``"header"``, ``"content-type"`` or ``"response"``."""
    location: str
    rule: str
    """The JSON Schema keyword (``"maxLength"``, ``"required"``, ...), or ``"mediaType"``,
    ``"status"``, ``"allowEmptyValue"``, ``"json"`` for what is not a schema keyword."""
    expected: Any = None
    """The spec's value for ``rule``: 10000 for ``maxLength``, the list of names for
    ``required`` (``True`` for a required parameter or body) and for ``enum``, the type
    name for ``type``, the declared media types for ``mediaType``, the declared statuses
    for ``status``."""
    actual: str | None = None
    """The JSON type of the value found (``"string"``, ``"number"``, ``"boolean"``,
    ``"null"``, ``"array"``, ``"object"``); ``None`` when nothing was there. For
    ``mediaType`` the media type sent (``""`` for none), for ``status`` the status."""
    size: int | None = None
    """The found string's length, array's item count or object's property count."""
    detail: str = ""
    """A cause no other field says (the JSON parser's message for rule ``json``)."""

    @property
    def field(self) -> str:
        """The failing field as a dotted name ("" for the whole part)."""
        return ".".join(p for p in self.location.split("/") if p)

    @property
    def name(self) -> str:
        """The last key of ``location``: the missing property of a ``required`` violation."""
        return self.location.rsplit("/", 1)[-1]

    @property
    def message(self) -> str:
        """What is wrong, in words, for people (derived from the fields)."""
        return _message(self)

    def found(self) -> str:
        """What was there, by type and size: ``"string of length 5"``."""
        if self.actual is None:
            return "nothing"
        if self.size is None:
            return self.actual
        unit = {"string": "of length {}", "array": "of {} items", "object": "with {} properties"}
        return f"{self.actual} {unit.get(self.actual, 'of size {}').format(self.size)}"

    def describe(self) -> str:
        """One line for a person: ``body /value: maxLength: expected ..., got ...``."""
        where = f"{self.part} {self.location or '/'}"
        if self.rule not in _NOT_VALUE_RULES and self.actual in JSON_TYPE_NAMES:
            return f"{where}: {self.rule}: expected {_expected_text(self)}, got {self.found()}"
        return f"{where}: {self.rule}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        """The fields and the message as JSON-ready data (the journal and reports)."""
        return {
            "part": self.part,
            "location": self.location,
            "rule": self.rule,
            "expected": _json_ready(self.expected),
            "actual": self.actual,
            "size": self.size,
            "message": self.message,
        }


def json_type(value: Any) -> tuple[str, int | None]:
    """The JSON type of ``value`` and its size (length, items, properties), never the
    value itself."""
    if value is None:
        return "null", None
    if isinstance(value, bool):
        return "boolean", None
    if isinstance(value, (int, float)):
        return "number", None
    if isinstance(value, (str, list, dict)):
        return {str: "string", list: "array", dict: "object"}[type(value)], len(value)
    return type(value).__name__, None


def _message(v: Violation) -> str:
    if v.rule == "json":
        return f"the body is not valid JSON: {v.detail}" if v.detail else "the body is not JSON"
    if v.part in PARAMETER_PARTS:
        parameter = f"the {v.part} parameter {v.name!r}"
        if v.rule == "required":
            return f"{parameter} is required"
        if v.rule == "allowEmptyValue":
            return f"{parameter} must not be empty"
        if v.rule == "type":  # a parameter arrives as text: it failed its cast
            return f"is not a valid {v.expected}"
    if v.rule == "required":
        if v.location:
            return f"{v.name!r} is a required property"
        return "a request body is required" if v.part == "body" else "the response has no body"
    if v.rule == "mediaType":
        return f"unsupported content type {v.actual!r}"
    if v.rule == "status":
        return f"status {v.actual} is not declared"
    template = _SCHEMA_MESSAGES.get(v.rule)
    return template.format(v.expected) if template else f"fails {v.rule}"


_SCHEMA_MESSAGES = {
    "type": "is not of type {!r}",
    "minLength": "is shorter than {}",
    "maxLength": "is longer than {}",
    "pattern": "does not match {!r}",
    "enum": "is not one of {!r}",
    "format": "is not a valid {!r}",
    "minimum": "is less than the minimum of {}",
    "maximum": "is greater than the maximum of {}",
    "additionalProperties": "has properties the schema does not allow",
}


def _expected_text(v: Violation) -> str:
    if v.rule == "type":
        return f"type {v.expected}"
    if v.rule == "additionalProperties" and v.expected is False:
        return "no additional properties"
    if isinstance(v.expected, (str, int, float, bool, list)):
        return f"{v.rule} {json.dumps(v.expected)}"
    return v.rule


def _json_ready(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_json_ready(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_ready(item) for key, item in value.items()}
    return str(value)


# -- the violations the validator reports ------------------------------------------------


def missing_parameter(location: str, name: str) -> Violation:
    return Violation(location, f"/{name}", "required", True)


def empty_parameter(location: str, name: str) -> Violation:
    return Violation(location, f"/{name}", "allowEmptyValue", False, "string", 0)


def uncastable_parameter(location: str, name: str, schema_type: str, raw: Any) -> Violation:
    return Violation(location, f"/{name}", "type", schema_type, *json_type(raw))


def missing_body() -> Violation:
    return Violation("body", "", "required", True)


def unsupported_media_type(
    mimetype: str, available: list[str], part: str = "content-type"
) -> Violation:
    return Violation(part, "", "mediaType", list(available), mimetype)


def undeclared_status(status: int, declared: list[str]) -> Violation:
    return Violation("response", "", "status", list(declared), str(status))


def missing_response_body() -> Violation:
    return Violation("response", "", "required", True)


def malformed_json(detail: str) -> Violation:
    return Violation("body", "", "json", detail=detail)


def from_schema_error(part: str, error: Exception, prefix: str = "") -> Violation:
    """One jsonschema error as a violation at ``prefix`` + the error's path in ``part``."""
    from jsonschema.exceptions import ValidationError as SchemaError

    if not isinstance(error, SchemaError):
        return Violation(part, prefix, "schema", detail=type(error).__name__)
    location = prefix + "".join(f"/{p}" for p in error.absolute_path)
    rule = str(error.validator)
    if rule == "required":
        missing = _missing_property(error)
        return Violation(part, f"{location}/{missing}", "required", error.validator_value)
    return Violation(part, location, rule, error.validator_value, *json_type(error.instance))


def _missing_property(error: SchemaError) -> str:
    """The property this ``required`` error is about: jsonschema makes one error per
    missing property, naming it in the message as ``'<name>' is a required property``."""
    required = error.validator_value if isinstance(error.validator_value, list) else []
    present = error.instance if isinstance(error.instance, dict) else {}
    missing = [str(name) for name in required if name not in present]
    named = [name for name in missing if error.message.startswith(f"{name!r} ")]
    return (named or missing or [""])[0]
