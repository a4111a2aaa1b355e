"""The one validation path: each operation's checks compiled once, at start-up.

Plain openapi-core spends about a millisecond per request re-reading the spec:
resolving schema paths, copying a format checker and building schema validators, on
every request. Here all of that happens once per operation, from the spec document.
What runs per request is what openapi-core would finally run: the same casts, then
the schema checks.

A schema check is two-staged (``fastcheck.py``): closures that accept what is
certainly valid, and, for anything else, the JSON Schema validator openapi-core
itself builds for that schema (``schema_factory.py``), which gives the verdict and the
errors. That validator is built on first need, so neither openapi-core nor jsonschema
is imported before a request needs them.

:func:`compile_operation` compiles what it fully understands and raises
:class:`NotCompilable` naming anything else (parameters with ``content``, a
non-default style or an array schema, formats that unmarshal to other types, non-JSON
media types, response headers): the spec cannot be served, and start-up says why.
``tests/engine/test_compiled.py`` runs a corpus of requests and responses of every
operation through this and through openapi-core's whole-operation validation, and
requires the same verdict and the same failing locations.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from secretmock.engine.incoming import IncomingRequest, is_json
from secretmock.engine.specs import Operation, resolve_refs
from secretmock.engine.validation.contract import CheckedRequest
from secretmock.engine.validation.fastcheck import Accept, compile_acceptance
from secretmock.engine.validation.schema_factory import Pointer, SchemaValidatorFactory
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

_CASTS: dict[str, Callable[[str], Any]] = {"string": str, "integer": int, "number": float}
# Formats that only constrain a value (the validator checks them) and do not unmarshal
# it into another type, as "date-time" or "byte" would.
_PLAIN_FORMATS = {"integer": {"int32", "int64"}, "number": {"float", "double"}, "string": set()}
_NO_VALUE = object()


class NotCompilable(Exception):
    """The operation uses a feature the compiler does not cover; the message names it."""


ACCEPTED_KEPT = 8
"""How many accepted documents a schema check remembers (by a 128-bit BLAKE2b digest
of their JSON text: 16 bytes each)."""
ACCEPTED_MAX_BYTES = 8 * 1024
"""The largest JSON text a schema check remembers as accepted; a larger one is always
walked (and is rare: the vendors' answers are small), as digesting it would cost a
good part of the walk."""


class SchemaCheck:
    """One schema: fast acceptance, then openapi-core's validator for the rest.

    A document given with the JSON text it was read from or written as
    (:meth:`violations_of_text`) is accepted at once when that same text was accepted
    last time: the same text is the same JSON document, so the verdict is the same.
    An answer made of records unchanged since (a read, or a write that changed
    nothing) is one dict lookup instead of a walk of the whole document. Only
    acceptances are remembered; a refusal always goes the exact way."""

    def __init__(
        self, accept: Accept, pointer: Pointer, side: str, factory: SchemaValidatorFactory
    ) -> None:
        self._accept = accept
        self._pointer = pointer
        self._side = side
        self._factory = factory
        self._validator: Any = None
        self._lock = threading.Lock()
        self._accepted: dict[bytes, None] = {}
        """The digests of the JSON texts last accepted, oldest first (at most
        ``ACCEPTED_KEPT``): a digest, not the text, so that no secret value a request
        sent is kept here."""

    def violations(self, value: Any, part: str, name: str = "") -> list[Violation]:
        """Nothing when ``value`` is valid; otherwise jsonschema's own errors."""
        if self._accept(value):
            return []
        return self._refusal(value, part, name)

    def violations_of_text(self, value: Any, text: bytes, part: str) -> list[Violation]:
        """:meth:`violations` of ``value``, the document the JSON ``text`` holds exactly
        (``value`` parsed from it with the standard decoder, or encoded as it)."""
        if len(text) > ACCEPTED_MAX_BYTES:
            return self.violations(value, part)
        accepted = self._accepted
        digest = hashlib.blake2b(text, digest_size=16).digest()
        if digest in accepted:
            return []
        if not self._accept(value):
            return self._refusal(value, part, "")
        if len(accepted) >= ACCEPTED_KEPT:
            # The oldest goes; another thread may have taken it already.
            with contextlib.suppress(KeyError, RuntimeError, StopIteration):
                del accepted[next(iter(accepted))]
        accepted[digest] = None
        return []

    def _refusal(self, value: Any, part: str, name: str) -> list[Violation]:
        prefix = f"/{name}" if name else ""
        errors = self.validator().iter_errors(value)
        return [from_schema_error(part, error, prefix) for error in errors]

    def validator(self) -> Any:
        """openapi-core's validator for this schema, built once, on first need."""
        if self._validator is None:
            with self._lock:
                if self._validator is None:
                    self._validator = self._factory.validator(self._pointer, self._side)
        return self._validator


@dataclass(frozen=True)
class _Parameter:
    name: str
    location: str  # path, query or header
    required: bool
    schema_type: str
    check: SchemaCheck
    default: Any = _NO_VALUE


@dataclass(frozen=True)
class _Content:
    """A ``content`` map: media type -> its schema check (``None`` where it has none)."""

    media: dict[str, SchemaCheck | None]

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


class CompiledOperation:
    """One operation's request and response checks, ready to run (an
    :class:`~secretmock.engine.validation.contract.OperationValidator`)."""

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
        self._has_query = any(p.location == "query" for p in parameters)

    def checks(self) -> list[SchemaCheck]:
        """Every schema check of the operation (to build their validators ahead)."""
        found = [p.check for p in self._parameters]
        for content in [self._body, *self._responses.values()]:
            if content is not None:
                found += [check for check in content.media.values() if check is not None]
        return found

    def check_request(
        self,
        request: IncomingRequest,
        path_params: Mapping[str, str],
        body: Any,
        parsed_as_json: bool = False,
    ) -> CheckedRequest:
        """Parameters cast and checked, then the body (``body`` is its parsed JSON;
        ``parsed_as_json``: parsed from ``request.body`` by the standard JSON decoder,
        so that text stands for it)."""
        query = (  # the first value of a repeated name wins, as in openapi-core
            dict(parse_qsl(request.query_string, keep_blank_values=True)[::-1])
            if self._has_query
            else {}
        )
        sources = {"path": path_params, "query": query, "header": request.headers}
        found: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}}
        violations: list[Violation] = []
        for parameter in self._parameters:
            value = _parameter_value(parameter, sources[parameter.location], violations)
            if value is not _NO_VALUE:
                found[parameter.location][parameter.name] = value
        violations += self._body_violations(request, body, parsed_as_json)
        return CheckedRequest(found["path"], found["query"], body, violations)

    def _body_violations(
        self, request: IncomingRequest, body: Any, parsed_as_json: bool
    ) -> list[Violation]:
        if self._body is None:
            return []
        if not request.body:
            return [missing_body()] if self._body_required else []
        key = self._body.find(request.content_type)
        if key is None:
            return [unsupported_media_type(request.content_type, list(self._body.media))]
        check = self._body.media[key]
        if check is None:
            return []
        if parsed_as_json:
            return check.violations_of_text(body, request.body, "body")
        return check.violations(body, "body")

    def check_response(
        self, status: int, data: bytes, body: Any, encoded: bool = False
    ) -> list[Violation]:
        """Every way a JSON response (``body`` is ``data`` decoded) breaks the spec.
        ``encoded``: ``data`` is exactly ``body`` encoded (the pipeline's answers), so
        that text stands for it; a caller whose bytes may not match its body (a
        recording, a test's changed answer) leaves it off and the body is walked."""
        code = str(status)
        for key in (code, f"{code[0]}XX", "default"):
            if key in self._responses:
                content = self._responses[key]
                break
        else:
            return [undeclared_status(status, list(self._responses))]
        if content is None:
            return []
        if not data:
            return [missing_response_body()]
        media_key = content.find("application/json")
        if media_key is None:
            return [unsupported_media_type("application/json", list(content.media), "response")]
        check = content.media[media_key]
        if check is None:
            return []
        if encoded:
            return check.violations_of_text(body, data, "response")
        return check.violations(body, "response")


def _parameter_value(
    parameter: _Parameter, source: Mapping[str, str], violations: list[Violation]
) -> Any:
    """The parameter's cast value, or ``_NO_VALUE`` (appending any violation)."""
    key = parameter.name.lower() if parameter.location == "header" else parameter.name
    raw = source.get(key)
    if raw is None:
        if parameter.default is not _NO_VALUE:
            violations += parameter.check.violations(
                parameter.default, parameter.location, parameter.name
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
    broken = parameter.check.violations(value, parameter.location, parameter.name)
    violations += broken
    return _NO_VALUE if broken else value


# -- compiling ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Compiler:
    document: dict[str, Any]
    factory: SchemaValidatorFactory

    def check(self, pointer: Pointer, side: str) -> SchemaCheck:
        schema = self.at(pointer)
        accept = compile_acceptance(schema, self.document) or _never
        return SchemaCheck(accept, pointer, side, self.factory)

    def at(self, pointer: Pointer) -> Any:
        node: Any = self.document
        for key in pointer:
            node = resolve_refs(node, self.document)[key]
        return resolve_refs(node, self.document)


def _never(value: Any) -> bool:
    return False


def compile_operation(
    document: dict[str, Any], operation: Operation, factory: SchemaValidatorFactory
) -> CompiledOperation:
    """``operation`` of the spec ``document`` compiled; ``factory`` makes openapi-core's
    validators when first needed. Raises :class:`NotCompilable` naming what the
    operation uses that the compiler does not cover."""
    compiler = _Compiler(document, factory)
    at_operation: Pointer = ("paths", operation.path_template, operation.method)
    spec_operation = compiler.at(at_operation)
    parameters = _parameters(compiler, operation)
    body, required = _request_body(compiler, at_operation, spec_operation)
    responses = {
        str(status): _content(compiler, (*at_operation, "responses", status), "response")
        for status in spec_operation["responses"]
    }
    return CompiledOperation(parameters, body, required, responses)


def _parameters(compiler: _Compiler, operation: Operation) -> tuple[_Parameter, ...]:
    """Operation parameters first, then the path item's not overridden (openapi-core's order)."""
    seen: set[tuple[str, str]] = set()
    compiled = []
    for owner in [
        ("paths", operation.path_template, operation.method),
        ("paths", operation.path_template),
    ]:
        for index, _ in enumerate(compiler.at(owner).get("parameters", [])):
            pointer: Pointer = (*owner, "parameters", index)
            raw = compiler.at(pointer)
            if (raw["name"], raw["in"]) not in seen:
                seen.add((raw["name"], raw["in"]))
                compiled.append(_parameter(compiler, pointer, raw))
    return tuple(compiled)


def _parameter(compiler: _Compiler, pointer: Pointer, raw: dict[str, Any]) -> _Parameter:
    location = raw["in"]
    described = f"the {location} parameter {raw['name']!r}"
    default_style = {"path": "simple", "header": "simple", "query": "form"}.get(location)
    if default_style is None:
        raise NotCompilable(f"{described} (only path, query and header parameters)")
    for key, default in (
        ("style", default_style),
        ("explode", location == "query"),
        ("content", _NO_VALUE),
        ("allowEmptyValue", _NO_VALUE),
    ):
        if raw.get(key, default) != default:
            raise NotCompilable(f"{described} with {key!r}")
    schema = compiler.at((*pointer, "schema"))
    schema_type = schema.get("type")
    schema_format = schema.get("format", "")
    if schema_type not in _CASTS:
        raise NotCompilable(f"{described} of type {schema_type!r}")
    if schema_format not in {"", *_PLAIN_FORMATS[schema_type]}:
        raise NotCompilable(f"{described} of format {schema_format!r}")
    return _Parameter(
        name=raw["name"],
        location=location,
        required=bool(raw.get("required", False)),
        schema_type=schema_type,
        check=compiler.check((*pointer, "schema"), "request"),
        default=schema.get("default", _NO_VALUE),
    )


def _request_body(
    compiler: _Compiler, at_operation: Pointer, spec_operation: dict[str, Any]
) -> tuple[_Content | None, bool]:
    if "requestBody" not in spec_operation:
        return None, False
    pointer: Pointer = (*at_operation, "requestBody")
    required = bool(compiler.at(pointer).get("required", False))
    return _content(compiler, pointer, "request"), required


def _content(compiler: _Compiler, pointer: Pointer, side: str) -> _Content | None:
    holder = compiler.at(pointer)
    if side == "response" and "headers" in holder:
        raise NotCompilable(f"response headers ({'/'.join(map(str, pointer[-2:]))})")
    if "content" not in holder:
        return None
    media: dict[str, SchemaCheck | None] = {}
    for mimetype, media_type in holder["content"].items():
        if not is_json(mimetype):
            raise NotCompilable(f"the media type {mimetype!r}")
        has_schema = "schema" in resolve_refs(media_type, compiler.document)
        schema_pointer: Pointer = (*pointer, "content", mimetype, "schema")
        media[mimetype] = compiler.check(schema_pointer, side) if has_schema else None
    return _Content(media)
