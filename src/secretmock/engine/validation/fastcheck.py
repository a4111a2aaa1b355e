"""Fast acceptance, exact refusal: a quick yes for values a schema certainly accepts.

jsonschema walks a schema by building a validator per keyword and per property, which
costs tens of microseconds per request. :func:`compile_acceptance` turns a schema into
plain Python closures that answer ``True`` only when the value is certainly valid, for
the keywords our specs use. They never say "invalid": on ``False`` the caller asks
jsonschema (with openapi-core's settings) for the verdict and the exact errors, so a
refusal is always jsonschema's own. Whatever the closures do not fully understand (an
unknown keyword, ``readOnly``, a format they do not check, a float where an integer is
expected, ``null`` where the schema is not ``nullable``) simply answers ``False`` and
goes the slow, exact way. ``date-time`` is checked as jsonschema's own checker does
(``rfc3339_validator``, which openapi-core's format checker calls), a canonical
``uuid`` is accepted (any other form goes the exact way), and, in an OpenAPI
3.0 document, a ``nullable`` schema's null is accepted as openapi-core's ``type``
keyword accepts it: InSforge's
listings (``createdAt``, a ``null`` ``lastUsedAt``) took the slow way every time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from secretmock.engine.specs import resolve_refs

Accept = Callable[[Any], bool]

# Keywords that describe but never constrain a value.
_ANNOTATIONS = {
    "description",
    "title",
    "example",
    "examples",
    "default",
    "deprecated",
    "$comment",
    "externalDocs",
    "xml",
}
_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: type(v) is int,
    "number": lambda v: type(v) in (int, float),
    "boolean": lambda v: type(v) is bool,
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}

_CANONICAL_UUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\Z")
"""A UUID in its canonical form: ``uuid.UUID`` reads it and its dashes are where
jsonschema's ``uuid`` format checker wants them."""

try:  # what jsonschema's own date-time checker calls, when (and only when) installed
    from rfc3339_validator import validate_rfc3339 as _rfc3339
except ImportError:  # then jsonschema checks no date-time, and this leaves it to it
    _rfc3339 = None


class _Unsupported(Exception):
    """The schema uses something the fast check does not decide."""


def compile_acceptance(schema: Any, document: dict[str, Any]) -> Accept | None:
    """A quick acceptance check for ``schema`` (local ``$ref`` resolved in ``document``),
    or ``None`` when the schema uses anything it does not cover."""
    try:
        return _compile(schema, document, depth=0)
    except _Unsupported:
        return None


def _compile(schema: Any, document: dict[str, Any], depth: int) -> Accept:
    try:
        schema = resolve_refs(schema, document)
    except ValueError as exc:
        raise _Unsupported(str(exc)) from exc
    if not isinstance(schema, dict) or depth > 32:
        raise _Unsupported(schema)
    checks = [_keyword(name, value, schema, document, depth) for name, value in schema.items()]
    accept = _all_of([check for check in checks if check is not None])
    nullable = schema.get("nullable") is True and "type" in schema and "enum" not in schema
    if nullable and str(document.get("openapi", "")).startswith("3.0"):
        # OpenAPI 3.0 (3.1 has no nullable): openapi-core's type keyword lets a null
        # through when the same schema says nullable: true, and of the other keywords
        # compiled here only enum would refuse one (format, pattern, the lengths and
        # bounds, properties and items ignore a value not of their type).
        return lambda v: v is None or accept(v)
    return accept


def _all_of(checks: list[Accept]) -> Accept:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    frozen = tuple(checks)

    def accept(value: Any) -> bool:
        for check in frozen:  # a plain loop: the hot path, cheaper than all(<genexpr>)
            if not check(value):
                return False
        return True

    return accept


def _always(value: Any) -> bool:
    return True


def _keyword(
    name: str, value: Any, schema: dict[str, Any], document: dict[str, Any], depth: int
) -> Accept | None:
    if name in _ANNOTATIONS or (name == "nullable" and value is False):
        return None
    builder = _BUILDERS.get(name)
    if builder is None:
        raise _Unsupported(name)
    return builder(value, schema, document, depth)


def _type(value: Any, schema: dict[str, Any], document: dict[str, Any], depth: int) -> Accept:
    names = value if isinstance(value, list) else [value]
    if any(name not in _TYPES for name in names):
        raise _Unsupported(f"type {value}")  # "null" included: left to jsonschema
    tests = [_TYPES[name] for name in names]
    if len(tests) == 1:
        return tests[0]
    return lambda v: any(test(v) for test in tests)


def _properties(value: Any, schema: dict[str, Any], document: dict[str, Any], depth: int) -> Accept:
    checks = tuple((name, _compile(sub, document, depth + 1)) for name, sub in value.items())
    checks = tuple((name, check) for name, check in checks if check is not _always)

    def accept(v: Any) -> bool:
        if not isinstance(v, dict):
            return True  # properties constrains objects only
        for name, check in checks:
            if name in v and not check(v[name]):
                return False
        return True

    return accept


def _additional(value: Any, schema: dict[str, Any], document: dict[str, Any], depth: int) -> Accept:
    known = set(schema.get("properties", {}))
    if "patternProperties" in schema:
        raise _Unsupported("patternProperties")
    if value is True:
        return _always
    if value is False:
        return lambda v: not isinstance(v, dict) or all(k in known for k in v)
    check = _compile(value, document, depth + 1)

    def accept(v: Any) -> bool:
        if not isinstance(v, dict):
            return True
        for key, item in v.items():
            if key not in known and not check(item):
                return False
        return True

    return accept


def _required(value: Any, schema: dict[str, Any], document: dict[str, Any], depth: int) -> Accept:
    names = tuple(value)

    def accept(v: Any) -> bool:
        if not isinstance(v, dict):
            return True
        for name in names:
            if name not in v:
                return False
        return True

    return accept


def _items(value: Any, schema: dict[str, Any], document: dict[str, Any], depth: int) -> Accept:
    if isinstance(value, list):
        raise _Unsupported("tuple items")
    check = _compile(value, document, depth + 1)

    def accept(v: Any) -> bool:
        if not isinstance(v, list):
            return True
        for item in v:
            if not check(item):
                return False
        return True

    return accept


def _enum(value: Any, schema: dict[str, Any], document: dict[str, Any], depth: int) -> Accept:
    if not all(isinstance(option, str) for option in value):
        raise _Unsupported("enum of non-strings")  # jsonschema tells 1 from True; leave it
    options = frozenset(value)
    return lambda v: isinstance(v, str) and v in options


def _pattern(value: Any, schema: dict[str, Any], document: dict[str, Any], depth: int) -> Accept:
    compiled = re.compile(value)  # jsonschema uses re.search, as here
    return lambda v: not isinstance(v, str) or compiled.search(v) is not None


def _min_length(value: Any, schema: dict[str, Any], document: dict[str, Any], depth: int) -> Accept:
    return lambda v: not isinstance(v, str) or len(v) >= value


def _max_length(value: Any, schema: dict[str, Any], document: dict[str, Any], depth: int) -> Accept:
    return lambda v: not isinstance(v, str) or len(v) <= value


def _minimum(value: Any, schema: dict[str, Any], document: dict[str, Any], depth: int) -> Accept:
    if "exclusiveMinimum" in schema:
        raise _Unsupported("exclusiveMinimum")
    return lambda v: type(v) not in (int, float) or v >= value


def _maximum(value: Any, schema: dict[str, Any], document: dict[str, Any], depth: int) -> Accept:
    if "exclusiveMaximum" in schema:
        raise _Unsupported("exclusiveMaximum")
    return lambda v: type(v) not in (int, float) or v <= value


def _format(value: Any, schema: dict[str, Any], document: dict[str, Any], depth: int) -> Accept:
    if value in _INT_RANGES:
        low, high = _INT_RANGES[value]
        return lambda v: type(v) is not int or low <= v <= high
    if value in ("float", "double"):
        return lambda v: type(v) is not float
    if value == "uuid":  # certainly what jsonschema's is_uuid accepts (other forms: slow)
        return lambda v: not isinstance(v, str) or _CANONICAL_UUID.match(v) is not None
    if value == "date-time" and _rfc3339 is not None:
        check = _rfc3339
        return lambda v: not isinstance(v, str) or check(v.upper())
    # The rest: jsonschema's format checker decides whenever one is present.
    return lambda v: not isinstance(v, str)


def _nullable(value: Any, schema: dict[str, Any], document: dict[str, Any], depth: int) -> Accept:
    return lambda v: v is not None  # a null goes to jsonschema, which knows nullable


_BUILDERS: dict[str, Callable[[Any, dict[str, Any], dict[str, Any], int], Accept]] = {
    "type": _type,
    "properties": _properties,
    "additionalProperties": _additional,
    "required": _required,
    "items": _items,
    "enum": _enum,
    "pattern": _pattern,
    "minLength": _min_length,
    "maxLength": _max_length,
    "minimum": _minimum,
    "maximum": _maximum,
    "format": _format,
    "nullable": _nullable,
}
