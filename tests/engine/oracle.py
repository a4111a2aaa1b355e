"""The test oracle: whole-operation validation by openapi-core, as its documentation
shows it.

:class:`OracleOperation` hands each request and response to openapi-core's
``unmarshal_request`` and response validator and turns its exceptions into
:class:`~secretmock.engine.violations.Violation` values. It is the yardstick of the
compiled validator (``secretmock.engine.validation``), which must reach the same verdict
and the same failing locations on every request and response
(``tests/engine/test_compiled.py``). It serves no request in production: it has the same
:class:`~secretmock.engine.validation.OperationValidator` signature only so the
differential test can run both alike. openapi-core's object comes from the production
``SchemaValidatorFactory`` (with its pass-through security check).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from openapi_core.casting.schemas.exceptions import CastError
from openapi_core.datatypes import RequestParameters
from openapi_core.deserializing.styles.exceptions import EmptyQueryParameterValue
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

from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.specs import LoadedSpec, Operation
from secretmock.engine.validation import CheckedRequest
from secretmock.engine.validation.schema_factory import SchemaValidatorFactory
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


class OracleOperation:
    """One operation's requests and responses, validated by openapi-core itself."""

    def __init__(self, spec: LoadedSpec, operation: Operation, schemas: SchemaValidatorFactory):
        self._spec = spec
        self._operation = operation
        self._openapi = schemas.openapi

    def check_request(
        self, request: IncomingRequest, path_params: Mapping[str, str], body: Any
    ) -> CheckedRequest:
        result = self._openapi.unmarshal_request(
            _OpenAPIRequest(self._spec, self._operation, request, path_params)
        )
        params = result.parameters
        return CheckedRequest(
            path=dict(params.path) if params else dict(path_params),
            query=dict(params.query) if params else {},
            body=body,
            violations=request_violations(result.errors),
        )

    def check_response(self, status: int, data: bytes, body: Any) -> list[Violation]:
        path = self._spec.base_path + self._operation.path_template
        request = IncomingRequest(self._operation.method.upper(), path, "", {}, b"")
        openapi_request = _OpenAPIRequest(self._spec, self._operation, request, {})
        errors = self._openapi.response_validator.iter_errors(
            openapi_request, _OpenAPIResponse(status, data)
        )
        return [v for error in errors for v in _response_violations(error)]


def oracle_of(spec: LoadedSpec) -> dict[str, OracleOperation]:
    """operationId -> openapi-core's validator of that operation, for ``spec``."""
    schemas = SchemaValidatorFactory(spec)
    return {op.operation_id: OracleOperation(spec, op, schemas) for op in spec.operations}


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
    return [Violation("body", "", type(error).__name__, detail=f"{error}: {cause}")]


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
    return [Violation(location, f"/{name}", "parameter", detail=f"{error}: {cause}")]


def _response_violations(error: Exception) -> list[Violation]:
    cause = error.__cause__
    if isinstance(error, ResponseNotFound):
        return [undeclared_status(int(error.http_status), list(error.availableresponses))]
    if isinstance(error, MissingData):
        return [missing_response_body()]
    if isinstance(cause, InvalidSchemaValue):
        return [from_schema_error("response", e) for e in cause.schema_errors]
    if isinstance(cause, MediaTypeNotFound):
        available = list(cause.availableMimetypes)
        return [unsupported_media_type(cause.mimetype, available, "response")]
    return [Violation("response", "", type(error).__name__, detail=f"{error}: {cause}")]
