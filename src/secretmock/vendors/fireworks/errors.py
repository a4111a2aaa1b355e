"""Fireworks' error envelope: the grpc-gateway default ``{code, message, details}``.

The control plane's error body is UNKNOWN (docs/vendors/fireworks.md); the API is served by
grpc-gateway (``Gateway_*`` operation ids, ``gatewaySecret``, ``readMask``), whose
default body this is. ``code`` is the gRPC status code that matches the HTTP status.
"""

from __future__ import annotations

from secretmock.engine.vendor_api import Reply
from secretmock.engine.violations import Violation
from secretmock.vendors.common import MessageEnvelope, MessageError

GRPC_CODES = {
    400: 3,  # INVALID_ARGUMENT
    401: 16,  # UNAUTHENTICATED
    403: 7,  # PERMISSION_DENIED
    404: 5,  # NOT_FOUND
    409: 6,  # ALREADY_EXISTS
    413: 8,  # RESOURCE_EXHAUSTED (gRPC's own "message larger than max")
    429: 8,  # RESOURCE_EXHAUSTED
    500: 13,  # INTERNAL
    502: 14,  # UNAVAILABLE
    503: 14,  # UNAVAILABLE
    504: 4,  # DEADLINE_EXCEEDED
}
"""HTTP status -> the gRPC code grpc-gateway answers it for (its ``HTTPStatusFromCode``
read backwards; 502 has no code of its own and is taken as UNAVAILABLE)."""
UNKNOWN = 2


def error_reply(status: int, message: str) -> Reply:
    code = GRPC_CODES.get(status, UNKNOWN)
    return Reply(status, {"code": code, "message": message, "details": []})


def describe_violation(violation: Violation) -> str:
    """grpc-gateway's sentence for a field that breaks the spec."""
    return f"invalid {violation.part} field {violation.field!r}: {violation.message}"


ENVELOPE = MessageEnvelope(
    error_reply, describe_violation, "invalid character in request body", "internal error"
)
"""Answers to the problems the engine finds."""


class FireworksError(MessageError):
    """A domain error, raised by auth and the models and answered as is."""

    envelope = ENVELOPE


class InvalidArgument(FireworksError):
    """gRPC INVALID_ARGUMENT (3): a field breaks the spec or a rule (an id, a keyName)."""

    status = 400


class Unauthenticated(FireworksError):
    """gRPC UNAUTHENTICATED (16): no API key, or one no account holds."""

    status = 401


class PermissionDenied(FireworksError):
    """gRPC PERMISSION_DENIED (7): the key belongs to another account."""

    status = 403


class NotFound(FireworksError):
    """gRPC NOT_FOUND (5): no secret with this id in the account."""

    status = 404


class AlreadyExists(FireworksError):
    """gRPC ALREADY_EXISTS (6): the id, or the keyName, is taken."""

    status = 409
