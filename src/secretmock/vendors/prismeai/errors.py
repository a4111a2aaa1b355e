"""Prisme.ai's error envelope: ``{"error": <error class name>, "message": ..., "details"?}``.

The workspaces service answers ``PrismeError.toJSON()``: ``error`` is the error class
name, ``details`` is left out when it has no value; any unexpected failure is
``{"error": "Internal", "message": "Internal error"}`` (docs/vendors/prismeai.md). Every
answer carries an ``x-correlation-id`` header with a new UUID: the API gateway overwrites
the client's own outside debug mode (``traceability.ts`` ``extractRequestCorrelationId``,
``OVERWRITE_CORRELATION_ID_HEADER`` defaults to ``!DEBUG``); :func:`finish`, the
vendor's reply hook, adds it to each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.vendor_api import Reply
from secretmock.engine.violations import Violation
from secretmock.vendors.common import DomainError, status_phrase

CORRELATION_HEADER = "x-correlation-id"


def finish(reply: Reply, request: IncomingRequest) -> Reply:
    """Every answer as the gateway sends it: with an ``x-correlation-id`` header, a new
    UUID v4 (the gateway's ``generateToken``), whatever the request sent."""
    return reply.with_headers({CORRELATION_HEADER: request.sources.uuid4()})


def error_reply(status: int, error: str, message: str, details: Any = None) -> Reply:
    """An error answer; ``details`` is left out when it is ``None``."""
    body: dict[str, Any] = {"error": error, "message": message}
    if details is not None:
        body["details"] = details
    return Reply(status, body)


class PrismeError(DomainError):
    """A domain error, raised by auth and the models and answered as is: ``error`` is
    the class's name, as ``PrismeError.toJSON()`` writes it."""

    def answer(self, message: str, details: Any) -> Reply:
        return error_reply(self.status, type(self).__name__, message, details)


class RequestValidationError(PrismeError):
    status = 400
    default_message = "Bad parameters"


class AuthenticationError(PrismeError):
    status = 401
    default_message = "Unauthenticated"


NO_TOKEN = "No authentication token found"
MALFORMED_TOKEN = "Malformed authentication token"
"""The gateway's ``req.authError`` (``authentication/init.ts``) from passport-jwt's "No
auth token" and "jwt malformed": the 401's message (``policies/authentication.ts``)."""


class ForbiddenError(PrismeError):
    status = 403
    default_message = "Unauthorized access"


class ObjectNotFoundError(PrismeError):
    status = 404
    default_message = "Object not found"


def forbidden(action: str, name: str) -> ForbiddenError:
    """The permissions library's refusal: CASL's message, then which secret."""
    return ForbiddenError(
        f'Cannot execute "{action}" on "secrets" {name}',
        {"action": action, "subjectType": "secrets", "name": name},
    )


def validation_error(problems: Sequence[Mapping[str, str]]) -> RequestValidationError:
    """express-openapi-validator's 400: every problem as ``request<path> <message>``."""
    message = ", ".join(f"request{p['path']} {p['message']}" for p in problems)
    return RequestValidationError(message, [dict(p) for p in problems])


def describe_violation(violation: Violation) -> dict[str, str]:
    """One problem in express-openapi-validator's shape: ``{path, message, errorCode?}``."""
    if violation.part == "content-type":
        return {
            "path": "/headers/content-type",
            "message": f"unsupported media type {violation.actual or 'none'}",
        }
    where = {"body": "/body", "path": "/params", "query": "/query", "header": "/headers"}
    path = where.get(violation.part, f"/{violation.part}") + violation.location
    return {
        "path": path,
        "message": _ajv_message(violation),
        "errorCode": f"{violation.rule}.openapi.validation",
    }


def _ajv_message(violation: Violation) -> str:
    if violation.rule == "required":
        return (
            f"must have required property '{violation.name}'" if violation.name else "is required"
        )
    if violation.rule == "type":  # ajv names a list of types joined by commas
        expected = violation.expected
        return f"must be {','.join(expected) if isinstance(expected, list) else expected}"
    return violation.message


class Envelope:
    """Answers to the problems the engine finds before or after a handler."""

    def no_route(self, request: IncomingRequest, allowed: tuple[str, ...]) -> Reply:
        # express-openapi-validator: a known path with another method is a 405, which the
        # service's error handler turns into a 400; an unknown path is its 'not found' 404.
        if allowed:
            message = f"{request.method.upper()} method not allowed"
            details = [{"path": request.path, "message": message}]
            return error_reply(400, "RequestValidationError", message, details)
        details = [{"path": request.path, "message": "not found"}]
        return error_reply(404, "RequestValidationError", "not found", details)

    def malformed_body(self, request: IncomingRequest, detail: str) -> Reply:
        problem = {"path": "/body", "message": f"could not be parsed: {detail}"}
        return validation_error([problem]).reply

    def invalid_request(self, request: IncomingRequest, violations: Sequence[Violation]) -> Reply:
        return validation_error([describe_violation(v) for v in violations]).reply

    def internal(self, request: IncomingRequest) -> Reply:
        return error_reply(500, "Internal", "Internal error")

    def status_error(self, request: IncomingRequest, status: int, retry_after: int | None) -> Reply:
        known = STATUS_ERRORS.get(status)
        if known is not None:
            return known().reply
        if status == 429:
            # The api-gateway's TooManyRequests: details carry the seconds to wait.
            details = None if retry_after is None else {"retryAfter": retry_after}
            return error_reply(429, "TooManyRequests", "Too many requests", details)
        if status == 413:
            return error_reply(413, "PayloadTooLarge", "request too large")
        # Chosen: the error class's name style for an outage the gateway reports.
        phrase = status_phrase(status)
        return error_reply(status, phrase.replace(" ", ""), phrase)


STATUS_ERRORS: dict[int, type[PrismeError]] = {
    400: RequestValidationError,
    401: AuthenticationError,
    403: ForbiddenError,
    404: ObjectNotFoundError,
}
"""The service's own error class for the statuses it has one for."""
