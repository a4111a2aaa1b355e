"""The fast path: each operation's checks compiled once, at start-up.

Plain openapi-core spends about a millisecond per request re-reading the spec:
resolving schema paths, copying a format checker and building schema validators, on
every request. Here all of that happens once per operation. What runs per request is
what openapi-core would finally run: the same casts and the same JSON Schema
validators, built by openapi-core's own factories with its own settings, so the
semantics (OpenAPI 3.0 ``nullable``, read/write-only, formats) are openapi-core's.

:func:`compile_operation` compiles what it fully understands and answers ``None`` for
anything else (parameters with ``content`` or a non-default style, arrays, formats that
unmarshal to other types, non-JSON media types, response headers); such an operation
stays with the reference (``reference.py``). ``tests/engine/test_compiled.py`` runs a
corpus of requests and responses through both and requires the same verdict and the
same failing locations.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from jsonschema_path import SchemaPath
from openapi_core import OpenAPI

from secretmock.engine.fastcheck import Accept, compile_acceptance
from secretmock.engine.incoming import IncomingRequest, is_json
from secretmock.engine.specs import Operation
from secretmock.engine.violations import (
    Violation,
    empty_parameter,
    from_schema_error,
    missing_body,
    missing_parameter,
    missing_response_body,
    uncastable_parameter,
    undeclared_status,
    unsupported_media_type,
)


@dataclass(frozen=True)
class SchemaValidator:
    """A schema's jsonschema validator, as openapi-core's factories build it, and a
    fast acceptance check in front of it (``fastcheck.py``)."""

    validator: Any
    accept: Accept

    def violations(self, value: Any, part: str, name: str = "") -> list[Violation]:
        """Nothing when ``value`` is valid; otherwise jsonschema's own errors."""
        if self.accept(value):
            return []
        prefix = f"/{name}" if name else ""
        return [from_schema_error(part, e, prefix) for e in self.validator.iter_errors(value)]


_CASTS: dict[str, Callable[[str], Any]] = {"string": str, "integer": int, "number": float}
# Formats that only constrain a value (the validator checks them) and do not unmarshal
# it into another type, as "date-time" or "byte" would.
_PLAIN_FORMATS = {"integer": {"int32", "int64"}, "number": {"float", "double"}, "string": set()}
_NO_VALUE = object()


class NotCompilable(Exception):
    """The operation uses a feature the fast path leaves to openapi-core."""


@dataclass(frozen=True)
class _Parameter:
    name: str
    location: str  # path, query or header
    required: bool
    schema_type: str
    validator: SchemaValidator
    default: Any = _NO_VALUE


@dataclass(frozen=True)
class _Content:
    """A ``content`` map: media type -> validator (``None`` where it has no schema)."""

    media: dict[str, SchemaValidator | None]

    def find(self, mimetype: str) -> str | None:
        """The media type key openapi-core's MediaTypeFinder would pick, or ``None``."""
        mime_type = mimetype.split(";")[0].lower().rstrip()
        for candidate in (mimetype, mime_type):
            if candidate in self.media:
                return candidate
        if mime_type:
            for key in self.media:
                if fnmatch.fnmatch(mime_type, key):
                    return key
        return None


@dataclass(frozen=True)
class CheckedParameters:
    path: dict[str, Any]
    query: dict[str, Any]
    violations: list[Violation]


class CompiledOperation:
    """One operation's request and response checks, ready to run."""

    def __init__(
        self,
        parameters: tuple[_Parameter, ...],
        body: _Content | None,
        body_required: bool,
        responses: dict[str, _Content | None],
    ) -> None:
        self._parameters = parameters
        self._body = body
        self._body_required = body_required
        self._responses = responses

    def check_request(
        self, path_params: Mapping[str, str], request: IncomingRequest, body: Any
    ) -> CheckedParameters:
        """Parameters cast and checked, then the body (``body`` is its parsed JSON)."""
        query = dict(parse_qsl(request.query_string, keep_blank_values=True)[::-1])
        sources = {"path": path_params, "query": query, "header": request.headers}
        found: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}}
        violations: list[Violation] = []
        for parameter in self._parameters:
            value = _parameter_value(parameter, sources[parameter.location], violations)
            if value is not _NO_VALUE:
                found[parameter.location][parameter.name] = value
        violations += self._body_violations(request, body)
        return CheckedParameters(found["path"], found["query"], violations)

    def _body_violations(self, request: IncomingRequest, body: Any) -> list[Violation]:
        if self._body is None:
            return []
        if not request.body:
            return [missing_body()] if self._body_required else []
        key = self._body.find(request.content_type)
        if key is None:
            return [unsupported_media_type(request.content_type, list(self._body.media))]
        validator = self._body.media[key]
        return _schema_violations(validator, body, "body")

    def check_response(self, status: int, data: bytes, body: Any) -> list[Violation]:
        """Every way a JSON response (``body`` is ``data`` parsed) breaks the spec."""
        code = str(status)
        for key in (code, f"{code[0]}XX", "default"):
            if key in self._responses:
                content = self._responses[key]
                break
        else:
            return [undeclared_status(status)]
        if content is None:
            return []
        if not data:
            return [missing_response_body()]
        media_key = content.find("application/json")
        if media_key is None:
            violation = unsupported_media_type("application/json", list(content.media))
            return [
                Violation(
                    "response",
                    "",
                    violation.rule,
                    violation.message,
                    violation.expected,
                    violation.actual,
                )
            ]
        return _schema_violations(content.media[media_key], body, "response")


def _parameter_value(
    parameter: _Parameter, source: Mapping[str, str], violations: list[Violation]
) -> Any:
    """The parameter's cast value, or ``_NO_VALUE`` (appending any violation)."""
    key = parameter.name.lower() if parameter.location == "header" else parameter.name
    raw = source.get(key)
    if raw is None:
        if parameter.default is not _NO_VALUE:
            violations += _schema_violations(
                parameter.validator, parameter.default, parameter.location, parameter.name
            )
            return parameter.default
        if parameter.required:
            violations.append(missing_parameter(parameter.location, parameter.name))
        return _NO_VALUE
    try:  # openapi-core casts first, then refuses an empty query value
        value = _CASTS[parameter.schema_type](raw)
    except (ValueError, TypeError):
        violations.append(
            uncastable_parameter(parameter.location, parameter.name, parameter.schema_type, raw)
        )
        return _NO_VALUE
    if parameter.location == "query" and value == "":
        violations.append(empty_parameter(parameter.location, parameter.name))
        return _NO_VALUE
    broken = _schema_violations(parameter.validator, value, parameter.location, parameter.name)
    violations += broken
    return _NO_VALUE if broken else value


def _schema_violations(
    validator: SchemaValidator | None, value: Any, part: str, name: str = ""
) -> list[Violation]:
    return validator.violations(value, part, name) if validator is not None else []


# -- compiling ----------------------------------------------------------------------------


class _Factory:
    """Builds schema validators exactly as one openapi-core component would."""

    def __init__(self, component: Any, document: dict[str, Any]) -> None:
        self._component = component
        self._document = document

    def __call__(self, schema: SchemaPath) -> SchemaValidator:
        c = self._component
        built = c.schema_validators_factory.create(
            c.spec,
            schema,
            format_validators=c.format_validators,
            extra_format_validators=c.extra_format_validators,
            forbid_unspecified_additional_properties=c.forbid_unspecified_additional_properties,
            enforce_properties_required=c.enforce_properties_required,
        )
        jsonschema_validator = built.validator
        accept = compile_acceptance(_contents(schema), self._document)
        return SchemaValidator(jsonschema_validator, accept or _never)


def _never(value: Any) -> bool:
    return False


def compile_operation(
    openapi: OpenAPI, document: dict[str, Any], operation: Operation
) -> CompiledOperation | None:
    """``operation`` of the spec ``document`` compiled, or ``None`` if it needs
    openapi-core itself."""
    request_side = _Factory(openapi.request_unmarshaller, document)
    response_side = _Factory(openapi.response_validator, document)
    item = openapi.spec / "paths" / operation.path_template
    spec_operation = item / operation.method
    try:
        parameters = _parameters(item, spec_operation, request_side)
        body, required = _request_body(spec_operation, request_side)
        responses = {
            str(status): _content(response, response_side, allow_headers=False)
            for status, response in (spec_operation / "responses").str_items()
        }
    except NotCompilable:
        return None
    return CompiledOperation(parameters, body, required, responses)


def _parameters(
    item: SchemaPath, operation: SchemaPath, factory: _Factory
) -> tuple[_Parameter, ...]:
    """Operation parameters first, then the path item's not overridden (openapi-core's order)."""
    seen: set[tuple[str, str]] = set()
    compiled = []
    for source in (operation, item):
        for parameter in source.get("parameters", SchemaPath.from_dict({})):
            key = ((parameter / "name").read_str(), (parameter / "in").read_str())
            if key not in seen:
                seen.add(key)
                compiled.append(_parameter(parameter, factory))
    return tuple(compiled)


def _parameter(parameter: SchemaPath, factory: _Factory) -> _Parameter:
    raw = _contents(parameter)
    location = raw["in"]
    default_style = {"path": "simple", "header": "simple", "query": "form"}.get(location)
    if (
        "content" in raw
        or default_style is None
        or raw.get("style", default_style) != default_style
        or raw.get("explode", location == "query") != (location == "query")
        or "allowEmptyValue" in raw
    ):
        raise NotCompilable(f"parameter {raw['name']}")
    schema = parameter / "schema"
    schema_raw = _contents(schema)
    schema_type = schema_raw.get("type")
    if schema_type not in _CASTS or schema_raw.get("format", "") not in {
        "",
        *_PLAIN_FORMATS[schema_type],
    }:
        raise NotCompilable(f"parameter {raw['name']} type {schema_type}")
    return _Parameter(
        name=raw["name"],
        location=location,
        required=bool(raw.get("required", False)),
        schema_type=schema_type,
        validator=factory(schema),
        default=schema_raw.get("default", _NO_VALUE),
    )


def _contents(node: SchemaPath) -> dict[str, Any]:
    """The mapping at ``node``, its ``$ref`` resolved."""
    with node.resolve() as resolved:
        contents = resolved.contents
    if not isinstance(contents, dict):
        raise NotCompilable(f"{node} is not a mapping")
    return contents


def _request_body(operation: SchemaPath, factory: _Factory) -> tuple[_Content | None, bool]:
    if "requestBody" not in operation:
        return None, False
    body = operation / "requestBody"
    return _content(body, factory, allow_headers=True), (body / "required").read_bool(default=False)


def _content(holder: SchemaPath, factory: _Factory, allow_headers: bool) -> _Content | None:
    if not allow_headers and "headers" in holder:
        raise NotCompilable("response headers")
    if "content" not in holder:
        return None
    media: dict[str, SchemaValidator | None] = {}
    for mimetype, media_type in (holder / "content").str_items():
        if not is_json(mimetype):
            raise NotCompilable(f"media type {mimetype}")
        media[mimetype] = factory(media_type / "schema") if "schema" in media_type else None
    return _Content(media)
