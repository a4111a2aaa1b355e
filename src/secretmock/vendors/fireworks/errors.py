"""Fireworks' error envelope: the grpc-gateway default ``{code, message, details}``.

The control plane's error body is UNKNOWN (vendor-apis.md 5.5); the API is served by
grpc-gateway (``Gateway_*`` operation ids, ``gatewaySecret``, ``readMask``), whose
default body this is. ``code`` is the gRPC status code that matches the HTTP status.
"""

from __future__ import annotations

from collections.abc import Sequence

from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.vendor_api import Reply, VendorError
from secretmock.engine.violations import Violation

GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 500: 13}
"""HTTP status -> gRPC code: INVALID_ARGUMENT, UNAUTHENTICATED, PERMISSION_DENIED,
NOT_FOUND, ALREADY_EXISTS, INTERNAL."""


def error_reply(status: int, message: str) -> Reply:
    return Reply(status, {"code": GRPC_CODES[status], "message": message, "details": []})


class FireworksError(VendorError):
    """A domain error, raised by the models and answered as is."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(error_reply(self.status, message))


class InvalidArgument(FireworksError):
    status = 400


class Unauthenticated(FireworksError):
    status = 401


class PermissionDenied(FireworksError):
    status = 403


class NotFound(FireworksError):
    status = 404


class AlreadyExists(FireworksError):
    status = 409


class Envelope:
    """Answers to the problems the engine finds."""

    def no_route(self, request: IncomingRequest) -> Reply:
        return error_reply(404, "Not Found")

    def malformed_body(self, request: IncomingRequest, detail: str) -> Reply:
        return error_reply(400, f"invalid character in request body: {detail}")

    def invalid_request(self, request: IncomingRequest, violations: Sequence[Violation]) -> Reply:
        first = violations[0]
        return error_reply(400, f"invalid {first.part} field {first.field!r}: {first.message}")

    def internal(self, request: IncomingRequest) -> Reply:
        return error_reply(500, "internal error")
