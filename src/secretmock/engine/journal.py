"""The journal: what each request was, what it got, and how it broke the spec.

Bounded in memory (the oldest entries go first) and safe to share between threads.
Secret values never enter it: a request body that validated is stored with every field
the vendor declares secret replaced by ``"<redacted>"``; any other body (one that broke
the spec or that the vendor refused as invalid, did not parse, was too large, or was sent
to an operation that takes none) is stored as its :func:`shape` alone, with no string or
number from it; violations carry no values at all; and no header is stored.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, TypedDict

from secretmock.engine.violations import Violation

REDACTED = "<redacted>"
DEFAULT_CAPACITY = 10_000
SHAPE_DEPTH = 16
"""How deep :func:`shape` describes a document; below, a node is only named."""
SHAPE_ITEMS = 10
"""A longer array is recorded by its length alone."""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One request and its answer. ``time`` is when it arrived (Unix seconds; ISO 8601
    UTC in :meth:`as_dict`); ``duration_ms`` is wall time spent in the emulator."""

    seq: int
    time: float
    vendor: str
    operation_id: str | None
    tenant: str | None
    method: str
    path: str
    query: str
    status: int
    duration_ms: float
    body: Any
    violations: tuple[Violation, ...] = field(default=())
    fault: str | None = None
    """The id of the fault rule that hit the request (``status`` 0: the connection was
    dropped with no answer)."""

    def as_dict(self) -> dict[str, Any]:
        entry = asdict(self)
        entry["time"] = datetime.fromtimestamp(self.time, UTC).isoformat()
        entry["violations"] = [v.as_dict() for v in self.violations]
        return entry


class Journal:
    """The last ``capacity`` requests, in order, numbered from 1 since start-up; the last
    ``capacity`` requests that broke the spec; and, for coverage, how often each
    (vendor, operation) answered each status, over every request."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)
        self._violating: deque[JournalEntry] = deque(maxlen=capacity)
        self._coverage: dict[tuple[str, str | None], Counter[int]] = {}
        self._lock = threading.Lock()
        self._seq = 0

    def record(self, **fields: Any) -> JournalEntry:
        """Appends an entry made of ``fields`` (all of :class:`JournalEntry` but ``seq``)."""
        with self._lock:
            self._seq += 1
            entry = JournalEntry(seq=self._seq, **fields)
            self._entries.append(entry)
            if entry.violations:
                self._violating.append(entry)
            key = (entry.vendor, entry.operation_id)
            if entry.status:  # 0: a dropped connection answered nothing
                self._coverage.setdefault(key, Counter())[entry.status] += 1
            return entry

    def violating(self, since: int = 0) -> list[JournalEntry]:
        """The kept entries with violations whose ``seq`` is greater than ``since``."""
        with self._lock:
            return [e for e in self._violating if e.seq > since]

    def coverage(self) -> dict[tuple[str, str | None], dict[int, int]]:
        """(vendor, operationId or None for no route) -> {status: count}."""
        with self._lock:
            return {key: dict(counts) for key, counts in self._coverage.items()}

    def entries(self, since: int = 0) -> list[JournalEntry]:
        """The kept entries whose ``seq`` is greater than ``since``."""
        with self._lock:
            return [e for e in self._entries if e.seq > since]

    def last_seq(self) -> int:
        with self._lock:
            return self._seq

    def clear(self) -> None:
        """Forgets every entry, violation and count; numbering goes on."""
        with self._lock:
            self._entries.clear()
            self._violating.clear()
            self._coverage.clear()


def shape(document: Any, depth: int = 0) -> Any:
    """``document`` reduced to its shape, for a body the journal may not keep: object
    keys stay (violations name them in their locations anyway), every string, number and
    boolean becomes its type (a string with its length), an array longer than
    ``SHAPE_ITEMS`` its length, and a node deeper than ``SHAPE_DEPTH`` its type."""
    if isinstance(document, dict):
        if depth >= SHAPE_DEPTH:
            return f"<object: {len(document)} keys>"
        return {key: shape(value, depth + 1) for key, value in document.items()}
    if isinstance(document, list):
        if depth >= SHAPE_DEPTH or len(document) > SHAPE_ITEMS:
            return [f"<array: {len(document)} items>"]
        return [shape(item, depth + 1) for item in document]
    if isinstance(document, str):
        return f"<string: {len(document)} chars>"
    if isinstance(document, bool):
        return "<boolean>"
    if isinstance(document, int | float):
        return "<number>"
    return document  # null


def redact(document: Any, secret_fields: Iterable[str]) -> Any:
    """``document`` with the value of every key in ``secret_fields`` replaced, at any depth."""
    names = frozenset(secret_fields)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: REDACTED if k in names else walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(document)


# -- the journal query: which entries meet a set of filters, and which came closest ----------


class QueryFilters(TypedDict, total=False):
    """What a journal query asks of an entry; each given filter is one criterion, and
    ``None`` (or leaving the key out) means "any". ``body`` matches the request body's
    top-level fields, as the journal keeps them (secret values are redacted)."""

    vendor: str | None
    operation_id: str | None
    tenant: str | None
    status: int | None
    method: str | None
    path: str | None
    body: Mapping[str, Any] | None


QUERY_FIELDS = ("vendor", "operation_id", "tenant", "status", "method", "path")
"""The entry fields a query compares, in the order its description lists them."""


class QueryError(ValueError):
    """A query's filters are not of the form :class:`QueryFilters` describes."""


class Query:
    """A set of filters over journal entries (the handle's ``assert_called``, the admin
    API's ``POST /__admin__/journal/find`` and ``/count``).

    An entry matches when it meets every criterion; the entries that meet most of them
    are the closest misses."""

    def __init__(self, filters: QueryFilters) -> None:
        self.criteria: list[tuple[str, Any]] = [
            (name, filters.get(name)) for name in QUERY_FIELDS if filters.get(name) is not None
        ]
        self.criteria += [(f"body.{k}", v) for k, v in (filters.get("body") or {}).items()]

    def misses(self, entry: JournalEntry) -> list[tuple[str, Any]]:
        """The criteria ``entry`` does not meet."""
        return [(k, v) for k, v in self.criteria if actual_value(entry, k) != v]

    def matching(self, entries: Iterable[JournalEntry]) -> list[JournalEntry]:
        """The entries that meet every criterion, in order."""
        return [entry for entry in entries if not self.misses(entry)]

    def closest(self, entries: Iterable[JournalEntry], count: int = 3) -> list[JournalEntry]:
        """Up to ``count`` entries that do not match, those missing fewest criteria first
        (the earlier of two equally close)."""
        missing = [(len(self.misses(entry)), entry) for entry in entries]
        return [entry for n, entry in sorted(missing, key=lambda pair: pair[0]) if n][:count]

    def differences(self, entry: JournalEntry) -> dict[str, Any]:
        """Each criterion ``entry`` misses, with the value the entry has there."""
        return {key: actual_value(entry, key) for key, _ in self.misses(entry)}

    def described(self) -> str:
        """The criteria as ``name=value`` pairs: ``vendor='fireworks', status=404``."""
        return ", ".join(f"{k}={v!r}" for k, v in self.criteria)


def actual_value(entry: JournalEntry, key: str) -> Any:
    """The entry's value for a criterion's key (``body.<field>``: that top-level field
    of the kept body, ``None`` when the body is not an object or lacks it)."""
    if key.startswith("body."):
        return entry.body.get(key[5:]) if isinstance(entry.body, dict) else None
    return getattr(entry, key)


def query_filters(document: Any) -> QueryFilters:
    """``document`` (a JSON object, as the admin API receives it) checked as
    :class:`QueryFilters`; :class:`QueryError` names the first problem."""
    if not isinstance(document, dict):
        raise QueryError("the filters must be a JSON object")
    unknown = sorted(set(document) - {*QUERY_FIELDS, "body"})
    if unknown:
        raise QueryError(
            f"unknown filter(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join((*QUERY_FIELDS, 'body'))}"
        )
    for name, value in document.items():
        if value is None:
            continue
        if name == "status" and (isinstance(value, bool) or not isinstance(value, int)):
            raise QueryError("'status' must be a whole number")
        if name == "body" and not isinstance(value, dict):
            raise QueryError("'body' must be a JSON object of top-level fields")
        if name not in ("status", "body") and not isinstance(value, str):
            raise QueryError(f"{name!r} must be a string")
    return QueryFilters(**document)  # type: ignore[typeddict-item]
