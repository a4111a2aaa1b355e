"""The reference: validation by openapi-core itself, as its documentation shows it.

:class:`ReferenceValidator` hands each request and response to openapi-core and turns
its exceptions into :class:`~secretmock.engine.violations.Violation` values. It is the
yardstick of the compiled fast path (``compiled.py``), which must reach the same verdict
and the same failing location on every request (``tests/engine/test_compiled.py``), and
it serves any operation that uses a feature the fast path does not compile.

Authentication is the vendor's job and runs before validation, so openapi-core's
security check is replaced by a pass-through: some real services accept more
credential forms than their spec documents (LangWatch takes Bearer and Basic besides
``X-Auth-Token``), and a missing credential has already been answered with a 401.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from openapi_core import Config, OpenAPI
from openapi_core.casting.schemas.exceptions import CastError
from openapi_core.datatypes import RequestParameters
from openapi_core.deserializing.styles.exceptions import EmptyQueryParameterValue
from openapi_core.security.factories import SecurityProviderFactory
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.request.exceptions import (
    MissingRequiredParameter,
    MissingRequiredRequestBody,
    ParameterValidationError,
)
from openapi_core.validation.response.exceptions import MissingData
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from werkzeug.datastructures import Headers, ImmutableMultiDict

from secretmock.engine.incoming import CheckedParameters, IncomingRequest
from secretmock.engine.specs import LoadedSpec, Operation
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


class _PassThroughSecurity(SecurityProviderFactory):
    """Accepts every security scheme; authentication already happened (see module doc)."""

    def create(self, scheme: Any) -> Any:
        return lambda parameters: None


def openapi_of(spec: LoadedSpec) -> OpenAPI:
    """openapi-core's object for ``spec``, with the pass-through security check. The spec
    was checked by ``load_spec``; openapi-core is not asked to check it again."""
    config = Config(security_provider_factory=_PassThroughSecurity(), spec_validator_cls=None)
    return OpenAPI.from_dict(spec.document, config=config)


class _OpenAPIRequest:
    """openapi-core's Request protocol over an :class:`IncomingRequest`."""

    def __init__(
        self,
        spec: LoadedSpec,
        operation: Operation,
        request: IncomingRequest,
        path_params: Mapping[str, str],
    ) -> None:
        self.host_url = spec.host_url or "http://localhost"  # openapi-core wants a host
        self.path = request.path
        self.path_pattern = spec.base_path + operation.path_template
        self.method = request.method.lower()
        self.body = request.body or None
        self.content_type = request.content_type
        self.parameters = RequestParameters(
            path=dict(path_params),
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


class ReferenceValidator:
    """One vendor's requests and responses, validated by openapi-core."""

    def __init__(self, spec: LoadedSpec, openapi: OpenAPI | None = None) -> None:
        self._spec = spec
        self.openapi = openapi or openapi_of(spec)

    def schema_validator(self, pointer: tuple[str | int, ...], side: str) -> Any:
        """The JSON Schema validator openapi-core builds for the schema at ``pointer`` (keys
        from the document root), with the settings of its ``side`` ("request" or
        "response"): what openapi-core would run on that schema, built once."""
        component: Any = (
            self.openapi.request_unmarshaller
            if side == "request"
            else self.openapi.response_validator
        )
        schema = self.openapi.spec
        for key in pointer:
            schema = schema / key
        built = component.schema_validators_factory.create(
            component.spec,
            schema,
            format_validators=component.format_validators,
            extra_format_validators=component.extra_format_validators,
            forbid_unspecified_additional_properties=component.forbid_unspecified_additional_properties,
            enforce_properties_required=component.enforce_properties_required,
        )
        return built.validator

    def check_request(
        self, operation: Operation, path_params: Mapping[str, str], request: IncomingRequest
    ) -> CheckedParameters:
        result = self.openapi.unmarshal_request(
            _OpenAPIRequest(self._spec, operation, request, path_params)
        )
        params = result.parameters
        return CheckedParameters(
            path=dict(params.path) if params else dict(path_params),
            query=dict(params.query) if params else {},
            violations=request_violations(result.errors),
        )

    def check_response(
        self, operation: Operation, request: IncomingRequest, status: int, data: bytes
    ) -> list[Violation]:
        openapi_request = _OpenAPIRequest(self._spec, operation, request, {})
        errors = self.openapi.response_validator.iter_errors(
            openapi_request, _OpenAPIResponse(status, data)
        )
        return [v for error in errors for v in _response_violations(error)]


def request_violations(errors: Iterable[Exception]) -> list[Violation]:
    return [v for error in errors for v in _request_violations(error)]


def _request_violations(error: Exception) -> list[Violation]:
    cause = error.__cause__
    if isinstance(error, MissingRequiredParameter):
        return [missing_parameter(error.location, error.name)]
    if isinstance(error, ParameterValidationError):
        return _parameter_violations(error, cause)
    if isinstance(error, MissingRequiredRequestBody):
        return [missing_body()]
    if isinstance(cause, MediaTypeNotFound):
        return [unsupported_media_type(cause.mimetype, list(cause.availableMimetypes))]
    if isinstance(cause, InvalidSchemaValue):
        return [from_schema_error("body", e) for e in cause.schema_errors]
    return [Violation("body", "", type(error).__name__, f"{error}: {cause}")]


def _parameter_violations(
    error: ParameterValidationError, cause: BaseException | None
) -> list[Violation]:
    location, name = error.location, error.name
    if isinstance(cause, InvalidSchemaValue):
        return [from_schema_error(location, e, f"/{name}") for e in cause.schema_errors]
    if isinstance(cause, EmptyQueryParameterValue):
        return [empty_parameter(location, name)]
    if isinstance(cause, CastError):
        return [uncastable_parameter(location, name, str(cause.type), cause.value)]
    return [Violation(location, f"/{name}", "parameter", f"{error}: {cause}")]


def _response_violations(error: Exception) -> list[Violation]:
    cause = error.__cause__
    if isinstance(error, ResponseNotFound):
        return [undeclared_status(int(error.http_status))]
    if isinstance(error, MissingData):
        return [missing_response_body()]
    if isinstance(cause, InvalidSchemaValue):
        return [from_schema_error("response", e) for e in cause.schema_errors]
    if isinstance(cause, MediaTypeNotFound):
        violation = unsupported_media_type(cause.mimetype, list(cause.availableMimetypes))
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
    return [Violation("response", "", type(error).__name__, f"{error}: {cause}")]
