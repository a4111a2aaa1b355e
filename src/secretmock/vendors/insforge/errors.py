"""InsForge's error envelope: ``{error, message, statusCode, nextActions?}``.

``nextActions`` is left out when there is none, as the server's ``errorResponse`` does
(``JSON.stringify`` drops an undefined field). The codes are those of the current server
code (``SECRET_NOT_FOUND``, ``SECRET_ALREADY_EXISTS``), not the older ones of InsForge's
published spec (``NOT_FOUND``, ``INVALID_INPUT`` for a duplicate); see
docs/vendors/insforge.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.vendor_api import Reply
from secretmock.engine.violations import Violation
from secretmock.vendors.common import DomainError, status_phrase

CHECK_TOKEN = "Check the token is valid or login to get a new token."
CHECK_ADMIN_TOKEN = "Check the admin token is valid or login as admin to get a new token."
CHECK_API_KEY = "Check the API key is valid or generate a new API key."
CHECK_JSON = "Please ensure your request body contains valid JSON"
CHECK_BODY = "Check the request body format"
CHECK_ENDPOINT = "Please check the API documentation for available endpoints"

MISSING_KEY_OR_VALUE = "Both key and value are required"
BAD_KEY_FORMAT = (
    "Invalid key format. Use uppercase letters, numbers, and underscores only "
    "(e.g., STRIPE_API_KEY)"
)


def error_reply(status: int, code: str, message: str, next_actions: str | None = None) -> Reply:
    body: dict[str, object] = {"error": code, "message": message, "statusCode": status}
    if next_actions is not None:
        body["nextActions"] = next_actions
    return Reply(status, body)


class InsForgeError(DomainError):
    """A domain error, raised by the models or authentication and answered as is; its
    ``details`` are the ``nextActions`` sentence."""

    code: ClassVar[str] = "INTERNAL_ERROR"

    def answer(self, message: str, details: Any) -> Reply:
        return error_reply(self.status, self.code, message, details)


class InvalidInput(InsForgeError):
    status, code = 400, "INVALID_INPUT"


class InvalidCredentials(InsForgeError):
    status, code = 401, "AUTH_INVALID_CREDENTIALS"


class InvalidApiKey(InsForgeError):
    status, code = 401, "AUTH_INVALID_API_KEY"


class AdminRequired(InsForgeError):
    status, code = 403, "AUTH_UNAUTHORIZED"


class Forbidden(InsForgeError):
    status, code = 403, "FORBIDDEN"


class SecretNotFound(InsForgeError):
    status, code = 404, "SECRET_NOT_FOUND"

    def __init__(self, key: str) -> None:
        super().__init__(f"Secret not found: {key}")


class SecretAlreadyExists(InsForgeError):
    status, code = 409, "SECRET_ALREADY_EXISTS"

    def __init__(self, key: str) -> None:
        super().__init__(f"Secret already exists: {key}")


class InternalError(InsForgeError):
    """A 500 the real server gives for a client's request (CONFIRMED, routes): a PUT with
    nothing to update, a rotation that fails. No ``nextActions``."""

    status, code = 500, "INTERNAL_ERROR"


LEGACY_CODES = {"SECRET_NOT_FOUND": "NOT_FOUND", "SECRET_ALREADY_EXISTS": "INVALID_INPUT"}
"""The codes of servers before 2026-05-16 (commit d5cc4379f "Centralize error codes"
renamed them), which InsForge's published spec still shows."""


def with_legacy_code(reply: Reply, request: IncomingRequest) -> Reply:
    """The reply hook of servers before 2026-05-16: ``reply`` with the older error code,
    when it differs."""
    body = reply.body
    if not isinstance(body, dict) or body.get("error") not in LEGACY_CODES:
        return reply
    legacy = {**body, "error": LEGACY_CODES[body["error"]]}
    return Reply(reply.status, legacy, reply.headers, reply.beyond_spec)


class Envelope:
    """Answers to the problems the engine finds, as the InsForge server gives them."""

    def no_route(self, request: IncomingRequest, allowed: tuple[str, ...]) -> Reply:
        # Express's catch-all: an unknown path and a known path with another method alike.
        return error_reply(404, "NOT_FOUND", f"Endpoint {request.path} not found", CHECK_ENDPOINT)

    def malformed_body(self, request: IncomingRequest, detail: str) -> Reply:
        return error_reply(400, InvalidInput.code, detail, CHECK_JSON)

    def invalid_request(self, request: IncomingRequest, violations: Sequence[Violation]) -> Reply:
        if any(v.part == "path" for v in violations):
            # The server does not check the path key: a malformed one is simply not found.
            return SecretNotFound(request.path_params.get("key", "")).reply
        if request.operation_id == "createSecret":
            return _create_refusal(violations)
        return _invalid(violations[0])

    def internal(self, request: IncomingRequest) -> Reply:
        return error_reply(500, "INTERNAL_ERROR", "Internal server error")

    def status_error(self, request: IncomingRequest, status: int, retry_after: int | None) -> Reply:
        code = STATUS_CODES.get(status, "UNKNOWN_ERROR")
        return error_reply(status, code, STATUS_MESSAGES.get(status, status_phrase(status)))


STATUS_CODES = {
    400: "INVALID_INPUT",
    401: "AUTH_INVALID_API_KEY",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    413: "INTERNAL_ERROR",
    429: "TOO_MANY_REQUESTS",
    502: "UPSTREAM_FAILURE",
    503: "UPSTREAM_FAILURE",
    504: "UPSTREAM_FAILURE",
}
"""Codes of the server's shared ``ERROR_CODES`` for a failure of the service itself: its
rate limiters answer 429 ``TOO_MANY_REQUESTS``; an upstream failure is 502
``UPSTREAM_FAILURE`` (chosen for 503 and 504 too); body-parser's 413 falls through the
error handler's status map to ``INTERNAL_ERROR`` (docs/vendors/insforge.md)."""
STATUS_MESSAGES = {
    413: "request entity too large",
    429: "Too many requests. Please slow down and try again shortly.",
}


def _create_refusal(violations: Sequence[Violation]) -> Reply:
    """POST's own checks, in the server's order: key and value present, then key format."""
    if any(_is_missing(v) for v in violations):
        return InvalidInput(MISSING_KEY_OR_VALUE).reply
    if any(v.field == "key" and v.rule == "pattern" for v in violations):
        return InvalidInput(BAD_KEY_FORMAT).reply
    return _invalid(violations[0])


def _is_missing(violation: Violation) -> bool:
    """Whether the server's ``!key || !value`` test would fail: no body or no JSON body,
    a body that is not an object, or key/value absent, empty or null."""
    if violation.part == "content-type" or violation.field == "":
        return True
    if violation.field not in ("key", "value"):
        return False
    return violation.rule in ("required", "minLength") or violation.actual == "null"


def _invalid(violation: Violation) -> Reply:
    if violation.part == "content-type":
        message = f"Invalid request: {violation.message}; send application/json"
    elif violation.field:
        message = f"Invalid request: {violation.field} {violation.message}"
    else:
        message = f"Invalid request: {violation.message}"
    return InvalidInput(message, CHECK_BODY).reply
