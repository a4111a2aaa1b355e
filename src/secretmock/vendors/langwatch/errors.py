"""LangWatch's error bodies: ``{"error": ..., "message"?: ...}``, open for more fields.

Three families, each as the real server writes it (docs/vendors/langwatch.md):

* the secrets routes' own answers: ``{"error": "<sentence>"}`` (404, 409, 422);
* the auth middleware: ``{"error": "Unauthorized", "message": ...}`` (401);
* handled errors raised through the app's ``onError``: ``{"error": <code>,
  "message": <sentence>, ...meta}``: a schema failure (422 ``validation_error``),
  a body that does not parse (400 ``malformed_request``), a permission refusal
  (403 ``api_key_permission_denied``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.vendor_api import Reply, VendorError
from secretmock.engine.violations import Violation
from secretmock.vendors.common import DomainError, status_phrase
from secretmock.vendors.langwatch import zod

AUTH_REQUIRED = (
    "Authentication required. Use Authorization: Basic base64(projectId:token), "
    "Authorization: Bearer <token>, or X-Auth-Token header."
)
INVALID_CREDENTIALS = "Invalid credentials"
MALFORMED_JSON = "Malformed JSON in request body"
"""Hono's message when ``c.req.json()`` fails; the server passes it on as ``detail``."""

INTERNAL = {"error": "Internal server error", "message": "An unknown error occurred"}
"""The error handler's body for an unexpected failure."""


class LangWatchError(DomainError):
    """A domain error of the secrets routes: ``{"error": <sentence>}``."""

    def answer(self, message: str, details: Any) -> Reply:
        return Reply(self.status, {"error": message})


class NotFound(LangWatchError):
    status = 404
    default_message = "Secret not found"


class Conflict(LangWatchError):
    status = 409


class Unprocessable(LangWatchError):
    status = 422


class Unauthorized(VendorError):
    """The auth middleware's 401."""

    def __init__(self, message: str) -> None:
        super().__init__(Reply(401, {"error": "Unauthorized", "message": message}))


class PermissionDenied(VendorError):
    """A key without the permission an operation requires (a handled error, 403)."""

    def __init__(self, permission: str) -> None:
        super().__init__(
            Reply(
                403,
                {
                    "error": "api_key_permission_denied",
                    "message": f"API Key does not grant required permission: {permission}",
                    "permission": permission,
                },
            )
        )


class SchemaFailure(VendorError):
    """A body that parsed and broke its schema (422 ``validation_error``)."""

    def __init__(self, reasons: Sequence[dict[str, Any]]) -> None:
        super().__init__(validation_error(reasons))


class MalformedRequest(VendorError):
    """A body that did not parse (400 ``malformed_request``)."""

    def __init__(self, detail: str = MALFORMED_JSON) -> None:
        super().__init__(malformed_request(detail))


def validation_error(reasons: Sequence[dict[str, Any]]) -> Reply:
    """The current server's 422 for a schema failure; ``reasons`` as :func:`zod.reason`
    makes."""
    return Reply(
        422,
        {
            "error": "validation_error",
            "message": "The request body didn't match the expected shape.",
            "target": "json",
            "fields": [r["meta"]["field"] for r in reasons],
            "reasons": list(reasons),
        },
    )


def malformed_request(detail: str) -> Reply:
    return Reply(
        400,
        {
            "error": "malformed_request",
            "message": "The request body could not be parsed.",
            "target": "json",
            "detail": detail,
        },
    )


class Envelope:
    """Answers to the problems the engine finds."""

    def no_route(self, request: IncomingRequest, allowed: tuple[str, ...]) -> Reply:
        # Chosen: Hono's default answer is the text "404 Not Found"; the emulator
        # answers it in the vendor's JSON error body.
        message = f"No route for {request.method} {request.path}"
        return Reply(404, {"error": "Not Found", "message": message})

    def malformed_body(self, request: IncomingRequest, detail: str) -> Reply:
        # The parser's own wording differs from Node's; Hono's message is what clients see.
        return malformed_request(detail if request.body_too_large else MALFORMED_JSON)

    def invalid_request(self, request: IncomingRequest, violations: Sequence[Violation]) -> Reply:
        if any(v.part == "content-type" for v in violations):
            return validation_error(zod.missing_fields(request.operation_id or ""))
        return validation_error(zod.reasons(violations, request.operation_id or ""))

    def internal(self, request: IncomingRequest) -> Reply:
        return Reply(500, INTERNAL)

    def status_error(self, request: IncomingRequest, status: int, retry_after: int | None) -> Reply:
        # Chosen: the handled-error shape, a snake_case code and a sentence (what the
        # error handler writes for every error it names); 500 is the CONFIRMED body
        # (``internal``, which the engine answers a 500 with).
        if status == 401:
            return Unauthorized(INVALID_CREDENTIALS).reply
        if status == 404:
            return NotFound().reply
        phrase = status_phrase(status)
        return Reply(status, {"error": phrase.lower().replace(" ", "_"), "message": phrase})


def legacy_schema_failure(reasons: Sequence[dict[str, Any]]) -> Reply:
    """A schema failure on servers before 2026-07-22: 400 with zod's raw ``safeParse``
    result. Its ``error`` is an object, outside the spec's error body (the seed's own
    400 schema), as the real answer was: sent unchecked (``beyond_spec``)."""
    return Reply(400, zod.safe_parse_failure(reasons), beyond_spec=True)


def legacy_malformed(detail: str) -> Reply:
    """A body that does not parse on servers before 2026-07-22: Hono's HTTPException
    400, which the old error handler wrote as ``{error: message, message}``."""
    return Reply(400, {"error": detail, "message": detail})


def legacy_finish(reply: Reply, request: IncomingRequest) -> Reply:
    """The reply hook of servers before 2026-07-22 (version ``before-2026-07-22``): a
    schema failure (422 ``validation_error``) and a body that does not parse (400
    ``malformed_request``), whoever found them, in their older forms; every other
    answer as it is."""
    body = reply.body
    if not isinstance(body, dict):
        return reply
    if reply.status == 422 and body.get("error") == "validation_error":
        return legacy_schema_failure(body["reasons"])
    if reply.status == 400 and body.get("error") == "malformed_request":
        return legacy_malformed(body["detail"])
    return reply
