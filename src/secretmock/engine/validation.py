"""The adapter between the engine and openapi-core.

One :class:`SpecValidator` per vendor, built once at start-up. It checks requests
and responses against the vendor's spec with openapi-core and turns openapi-core's
exceptions into :class:`~secretmock.engine.violations.Violation` values.

Authentication is the vendor's job and runs before validation, so openapi-core's
security check is replaced by a pass-through: some real services accept more
credential forms than their spec documents (LangWatch takes Bearer and Basic besides
``X-Auth-Token``), and a missing credential has already been answered with a 401.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from jsonschema.exceptions import ValidationError as SchemaError
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.security.factories import SecurityProviderFactory
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.validation.request.exceptions import (
    MissingRequiredRequestBody,
    ParameterValidationError,
)
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from werkzeug.datastructures import Headers, ImmutableMultiDict

from secretmock.engine.specs import LoadedSpec, Operation
from secretmock.engine.violations import Violation, describe_value

JSON_TYPES = ("application/json",)


class MalformedBody(Exception):
    """The body claims to be JSON and is not; ``detail`` is the parser's message."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class IncomingRequest:
    """A request as the engine received it, after the vendor's mount prefix."""

    method: str
    path: str
    query_string: str
    headers: Mapping[str, str]  # names lower-cased
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").lower()


@dataclass
class CheckedRequest:
    """The validated parts of a request, ready for a handler."""

    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    violations: list[Violation] = field(default_factory=list)


class _PassThroughSecurity(SecurityProviderFactory):
    """Accepts every security scheme; authentication already happened (see module doc)."""

    def create(self, scheme: Any) -> Any:
        return lambda parameters: None


class _OpenAPIRequest:
    """openapi-core's Request protocol over an :class:`IncomingRequest`."""

    def __init__(self, spec: LoadedSpec, operation: Operation, request: IncomingRequest) -> None:
        self.host_url = spec.host_url
        self.path = request.path
        self.path_pattern = spec.base_path + operation.path_template
        self.method = request.method.lower()
        self.body = request.body or None
        self.content_type = request.content_type
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qsl(request.query_string, keep_blank_values=True)),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
        )


@dataclass(frozen=True)
class _OpenAPIResponse:
    """openapi-core's Response protocol over a status and a JSON body."""

    status_code: int
    data: bytes
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)


class SpecValidator:
    """Validates one vendor's requests and responses against its spec."""

    def __init__(self, spec: LoadedSpec) -> None:
        self._spec = spec
        config = Config(security_provider_factory=_PassThroughSecurity())
        self._openapi = OpenAPI.from_dict(spec.document, config=config)

    def check_request(
        self, operation: Operation, path_params: Mapping[str, str], request: IncomingRequest
    ) -> CheckedRequest:
        """Validates ``request``; raises :class:`MalformedBody` if its JSON does not parse."""
        body = parse_json_body(request)
        openapi_request = _OpenAPIRequest(self._spec, operation, request)
        openapi_request.parameters.path = dict(path_params)
        result = self._openapi.unmarshal_request(openapi_request)
        params = result.parameters
        return CheckedRequest(
            path=dict(params.path) if params else dict(path_params),
            query=dict(params.query) if params else {},
            body=body,
            violations=_violations(result.errors),
        )

    def check_response(
        self, operation: Operation, request: IncomingRequest, status: int, data: bytes
    ) -> list[Violation]:
        """Every way the response (``status``, JSON ``data``) breaks the operation's spec."""
        openapi_request = _OpenAPIRequest(self._spec, operation, request)
        response = _OpenAPIResponse(status, data)
        errors = self._openapi.response_validator.iter_errors(openapi_request, response)
        return [_as_response(v) for v in _violations(errors)]


def parse_json_body(request: IncomingRequest) -> Any:
    """The parsed JSON body, ``None`` if there is none or it is not declared as JSON."""
    if not request.body or not _is_json(request.content_type):
        return None
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedBody(str(exc)) from exc
    except RecursionError as exc:
        raise MalformedBody("the JSON is nested too deeply") from exc


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip()
    return media_type in JSON_TYPES or media_type.endswith("+json")


def _as_response(violation: Violation) -> Violation:
    return Violation(
        "response",
        violation.location,
        violation.rule,
        violation.message,
        violation.expected,
        violation.actual,
    )


def _violations(errors: Iterable[Exception]) -> list[Violation]:
    found: list[Violation] = []
    for error in errors:
        found.extend(_from_error(error))
    return found


def _from_error(error: Exception) -> list[Violation]:
    cause = error.__cause__
    if isinstance(error, ParameterValidationError):
        part, location = error.location, f"/{error.name}"
        if isinstance(cause, InvalidSchemaValue):
            return [_from_schema_error(part, e, location) for e in cause.schema_errors]
        return [Violation(part, location, "parameter", str(error) + _cause_text(cause))]
    if isinstance(error, MissingRequiredRequestBody):
        return [Violation("body", "", "required", "a request body is required")]
    if isinstance(cause, InvalidSchemaValue):
        return [_from_schema_error("body", e) for e in cause.schema_errors]
    if isinstance(cause, MediaTypeNotFound):
        return [
            Violation(
                "content-type",
                "",
                "mediaType",
                f"unsupported content type {cause.mimetype!r}",
                f"one of {', '.join(cause.availableMimetypes)}",
                cause.mimetype or "none",
            )
        ]
    return [Violation("body", "", type(error).__name__, str(error) + _cause_text(cause))]


def _cause_text(cause: BaseException | None) -> str:
    return f": {cause}" if cause is not None else ""


def _from_schema_error(part: str, error: Exception, prefix: str = "") -> Violation:
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
    if isinstance(value, str | int | float | bool | list):
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
