"""Instabase's error envelope: ``{"message": <string>}`` for every error.

The body is the SDK's ``Error`` model and the spec's ``error`` schema (CONFIRMED;
docs/vendors/instabase.md). Statuses follow the docs' response-statuses page: 401 covers a bad
token, a bad ``IB-Context`` and missing permissions. 404 for an unknown alias and 409
for a duplicate alias are INFERRED (the docs do not say).
"""

from __future__ import annotations

from secretmock.engine.vendor_api import Reply
from secretmock.engine.violations import Violation
from secretmock.vendors.common import MessageEnvelope, MessageError


def error_reply(status: int, message: str) -> Reply:
    return Reply(status, {"message": message})


def describe_violation(violation: Violation) -> str:
    """One sentence naming the failing field, never its value."""
    if violation.part == "content-type":
        return f"{violation.message}: send Content-Type: application/json"
    if violation.field:
        return f"invalid {violation.part} field '{violation.field}': {violation.message}"
    return f"invalid request {violation.part}: {violation.message}"


ENVELOPE = MessageEnvelope(
    error_reply, describe_violation, "invalid JSON in request body", "Internal server error"
)
"""Answers to the problems the engine finds."""


class InstabaseError(MessageError):
    """A domain error, raised by auth and the models and answered as is."""

    envelope = ENVELOPE


class BadRequest(InstabaseError):
    """A body or query that breaks the spec, or SOME without allowed_workspaces."""

    status = 400


class Unauthorized(InstabaseError):
    """Bad token, bad IB-Context, or a role without the permission."""

    status = 401


class NotFound(InstabaseError):
    """No secret with this alias in the organization (status INFERRED)."""

    status = 404


class Conflict(InstabaseError):
    """The alias is taken in the organization (status INFERRED)."""

    status = 409
