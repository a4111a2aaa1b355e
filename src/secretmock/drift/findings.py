"""A drift finding: one way the real vendor's answer and the emulator's differ.

The vocabularies are the drift check's contract (docs/drift.md): users' reports, CI
rules and dashboards match on these names. A finding names where the difference is
and what each side had as JSON types, status codes, error codes or format classes:
never a secret value, and never a string a client or the vendor wrote, whatever field
it sits in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Scalar = str | int | float | bool | None


class Kind(StrEnum):
    """What differs."""

    STATUS = "status"
    """The HTTP status (``detail``: ``status_code`` in the same class, else ``status_class``)."""
    REMOVED = "removed"
    """A field the emulator answers is missing from the real answer."""
    ADDED = "added"
    """The real answer has a field the emulator does not answer."""
    TYPE = "type"
    """The JSON type at a location differs (reported once, not for everything below)."""
    VALUE = "value"
    """A value differs (``detail``: ``code``, ``echo``, ``message``, ``format``, ``order``,
    ``id``, ``secret`` or ``value``)."""
    HEADER = "header"
    """A compared response header differs (``location`` ``header:NAME``)."""
    DEPRECATION = "deprecation"
    """The real answer announces its own end (``Deprecation``, ``Sunset``, ``Warning: 299``)."""
    REQUEST_OFF_SPEC = "request_off_spec"
    """The request breaks the spec, and the real vendor accepted it."""
    RESPONSE_OFF_SPEC = "response_off_spec"
    """The real answer breaks the spec (``detail``: the rule)."""
    COULD_NOT_CHECK = "could_not_check"
    """The real vendor gave nothing to compare (unreachable, timed out, dropped, 5xx)."""
    STATE_DIVERGENCE = "state_divergence"
    """The emulator's state visibly parted from the real vendor's (a list of other
    records): not drift; the shadow resynchronises and the records are left out."""


class Severity(StrEnum):
    BREAKING = "breaking"
    """A client would break: a status, a removed field, a changed type, an echoed value
    or a vendor error code that differs."""
    WARNING = "warning"
    INFO = "info"
    """An added field, a message's wording."""


class Attribution(StrEnum):
    """Whose difference it is."""

    VENDOR_OFF_SPEC = "vendor_off_spec"
    """The real answer breaks the spec (the vendor, or the spec, moved)."""
    EMULATOR_GAP = "emulator_gap"
    """The real answer keeps the spec and the emulator answers otherwise."""
    SPEC_GAP = "spec_gap"
    """Only what the spec leaves open differs (undeclared fields, headers)."""
    COULD_NOT_CHECK = "could_not_check"
    """There was nothing to compare."""


@dataclass(frozen=True, slots=True)
class Where:
    """The exchange a finding belongs to."""

    vendor: str
    operation: str | None
    """The operationId, or ``None`` when the request matched no operation of the spec."""
    method: str
    path: str
    """The operation's path template (the request's path when it matched none)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One difference, with where it is and what each side had (no values)."""

    kind: Kind
    severity: Severity
    attribution: Attribution
    where: Where
    location: str
    """A JSON pointer into the body (``""``: the whole body or the status), or
    ``header:NAME``."""
    real: Scalar = None
    """What the real answer had there: a JSON type, a status, a code or a format class."""
    emulated: Scalar = None
    """What the emulator had there, in the same terms."""
    detail: str = ""
    """A finer name for what differs (see :class:`Kind`)."""

    @property
    def breaking(self) -> bool:
        return self.severity is Severity.BREAKING

    def key(self) -> tuple[Any, ...]:
        """What makes two findings the same finding (the report counts repeats)."""
        return (
            self.kind,
            self.severity,
            self.attribution,
            self.where,
            self.location,
            self.real,
            self.emulated,
            self.detail,
        )

    def as_dict(self) -> dict[str, Any]:
        """The finding as the drift document writes it."""
        return {
            "kind": str(self.kind),
            "severity": str(self.severity),
            "attribution": str(self.attribution),
            "vendor": self.where.vendor,
            "operation": self.where.operation,
            "method": self.where.method,
            "path": self.where.path,
            "location": self.location,
            "real": self.real,
            "emulated": self.emulated,
            "detail": self.detail,
        }
