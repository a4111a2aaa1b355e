"""Instabase's error envelope: ``{"message": <string>}`` for every error.

The body is the SDK's ``Error`` model and the spec's ``error`` schema (vendor-apis.md
3.5, CONFIRMED). Statuses follow the docs' response-statuses page: 401 covers a bad
token, a bad ``IB-Context`` and missing permissions. 404 for an unknown alias and 409
for a duplicate alias are INFERRED (the docs do not say).
"""

from __future__ import annotations

from collections.abc import Sequence

from secretmock.engine.incoming import IncomingRequest
from secretmock.engine.vendor_api import Reply, VendorError
from secretmock.engine.violations import Violation


def error_reply(status: int, message: str) -> Reply:
    return Reply(status, {"message": message})


class InstabaseError(VendorError):
    """A domain error, raised by auth and the models and answered as is."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(error_reply(self.status, message))


class BadRequest(InstabaseError):
    status = 400


class Unauthorized(InstabaseError):
    """Bad token, bad IB-Context, or a role without the permission."""

    status = 401


class NotFound(InstabaseError):
    status = 404


class Conflict(InstabaseError):
    status = 409


def describe_violation(violation: Violation) -> str:
    """One sentence naming the failing field, never its value."""
    if violation.part == "content-type":
        return f"{violation.message}: send Content-Type: application/json"
    if violation.field:
        return f"invalid {violation.part} field '{violation.field}': {violation.message}"
    return f"invalid request {violation.part}: {violation.message}"


class Envelope:
    """Answers to the problems the engine finds."""

    def no_route(self, request: IncomingRequest) -> Reply:
        return error_reply(404, "Not Found")

    def malformed_body(self, request: IncomingRequest, detail: str) -> Reply:
        return error_reply(400, f"invalid JSON in request body: {detail}")

    def invalid_request(self, request: IncomingRequest, violations: Sequence[Violation]) -> Reply:
        return error_reply(400, describe_violation(violations[0]))

    def internal(self, request: IncomingRequest) -> Reply:
        return error_reply(500, "Internal server error")
