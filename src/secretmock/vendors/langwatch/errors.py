"""LangWatch's error bodies: ``{"error": ..., "message"?: ...}``, open for more fields.

Three families, each as the real server writes it (vendor-apis.md 2.5):

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
from secretmock.vendors.common import DomainError

AUTH_REQUIRED = (
    "Authentication required. Use Authorization: Basic base64(projectId:token), "
    "Authorization: Bearer <token>, or X-Auth-Token header."
)
INVALID_CREDENTIALS = "Invalid credentials"
MALFORMED_JSON = "Malformed JSON in request body"
"""Hono's message when ``c.req.json()`` fails; the server passes it on as ``detail``."""

INTERNAL = {"error": "Internal server error", "message": "An unknown error occurred"}
"""The error handler's body for an unexpected failure."""
ZOD_TYPES = frozenset({"string", "number", "boolean", "null", "array", "object"})

BODY_FIELDS: dict[str, tuple[str, ...]] = {
    "postApiSecrets": ("name", "value"),
    "putApiSecretsById": ("value",),
}
"""The JSON fields each operation's body schema requires, in the schema's order."""


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
    """The current server's 422 for a schema failure; ``reasons`` as :func:`reason` makes."""
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


def reason(field: str, kind: str, message: str, **extra: Any) -> dict[str, Any]:
    """One ``schema_failure`` reason, as zod's issue for ``field`` reads."""
    return {
        "code": "schema_failure",
        "meta": {"field": field, "type": kind, "message": message, **extra},
    }


def missing_fields(operation_id: str) -> list[dict[str, Any]]:
    """The reasons for a body read as ``{}``: every required field is missing.

    Hono reads a body whose content type is not JSON as ``{}`` and runs the schema
    on that, so the answer names each required field."""
    return [_required(name) for name in BODY_FIELDS.get(operation_id, ())]


class Envelope:
    """Answers to the problems the engine finds."""

    def no_route(self, request: IncomingRequest) -> Reply:
        # Chosen: Hono's default answer is the text "404 Not Found"; the emulator
        # answers it in the vendor's JSON error body.
        message = f"No route for {request.method} {request.path}"
        return Reply(404, {"error": "Not Found", "message": message})

    def malformed_body(self, request: IncomingRequest, detail: str) -> Reply:
        # The parser's own wording differs from Node's; Hono's message is what clients see.
        return malformed_request(detail if request.body_too_large else MALFORMED_JSON)

    def invalid_request(self, request: IncomingRequest, violations: Sequence[Violation]) -> Reply:
        if any(v.part == "content-type" for v in violations):
            return validation_error(missing_fields(request.operation_id or ""))
        required = [v.field for v in violations if v.rule == "required"]
        reasons = [_required(name) for name in dict.fromkeys(required)]
        reasons += [_reason(v) for v in violations if v.rule != "required"]
        return validation_error(_ordered(reasons, request.operation_id or ""))

    def internal(self, request: IncomingRequest) -> Reply:
        return Reply(500, INTERNAL)


ZOD_MESSAGES = {
    ("name", "minLength"): ("too_small", "name is required"),
    ("name", "pattern"): (
        "invalid_string",
        "name must contain only uppercase letters, digits, and underscores, "
        "and must start with a letter",
    ),
    ("value", "minLength"): ("too_small", "value is required"),
    ("value", "maxLength"): ("too_big", "value is too long"),
}
"""The route's own zod messages (app.ts ``createSecretSchema`` / ``updateSecretSchema``)."""


def _required(field: str) -> dict[str, Any]:
    """zod's issue for a missing string field."""
    return reason(field, "invalid_type", "Required", expected="string", received="undefined")


def _reason(violation: Violation) -> dict[str, Any]:
    """A spec violation as the zod issue the real route would report."""
    field = violation.field or "(root)"
    if violation.rule == "type":
        expected = violation.expected.removeprefix("type ")
        received = _zod_type(violation.actual)
        return reason(
            field,
            "invalid_type",
            f"Expected {expected}, received {received}",
            expected=expected,
            received=received,
        )
    kind, message = ZOD_MESSAGES.get((field, violation.rule), ("custom", violation.message))
    return reason(field, kind, message)


def _zod_type(described: str) -> str:
    """zod's name for a value's type, from the type-and-size text of a Violation."""
    first = described.split(" ", 1)[0]
    return first if first in ZOD_TYPES else "unknown"


def _ordered(reasons: list[dict[str, Any]], operation_id: str) -> list[dict[str, Any]]:
    """Reasons in the schema's field order, as zod reports its issues."""
    order = {name: index for index, name in enumerate(BODY_FIELDS.get(operation_id, ()))}
    return sorted(reasons, key=lambda r: order.get(r["meta"]["field"], -1))
