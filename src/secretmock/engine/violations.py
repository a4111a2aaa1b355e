"""A :class:`Violation` is one way a request or a response breaks its vendor's spec.

Violations teach: each names where (request or response, and the JSON location),
the rule that failed, what was expected and what was there. ``actual`` describes
the offending value by its type and size only, so a secret never leaks through an
error message, a log line or a report.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Violation:
    """One broken rule. ``location`` is a JSON pointer into ``part`` ('' for the whole)."""

    part: str  # "body", "path", "query", "header", "content-type" or "response"
    location: str
    rule: str
    message: str
    expected: str = ""
    actual: str = ""

    @property
    def field(self) -> str:
        """The failing field as a dotted name ("" for the whole part)."""
        return ".".join(p for p in self.location.split("/") if p)

    def describe(self) -> str:
        """One line for a person: ``body /value: minLength (expected ..., got ...)``."""
        where = f"{self.part} {self.location or '/'}"
        detail = f"expected {self.expected}, got {self.actual}" if self.expected else self.message
        return f"{where}: {self.rule}: {detail}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe_value(value: Any) -> str:
    """The type and size of ``value``, never the value itself."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return f"string of length {len(value)}"
    if isinstance(value, list):
        return f"array of {len(value)} items"
    if isinstance(value, dict):
        return f"object with {len(value)} properties"
    return type(value).__name__
