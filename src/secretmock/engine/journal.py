"""The journal: what each request was, what it got, and how it broke the spec.

Bounded in memory by entries and by bytes (the oldest entries go first) and safe to
share between threads. Secret values never enter it: a request body that validated is
stored with every field the vendor declares secret replaced by ``"<redacted>"``; any
other body (one that broke the spec or that the vendor refused as invalid, did not parse,
was too large, or was sent to an operation that takes none) is stored as its
:func:`shape` alone, with no string or number from it; violations carry no values at
all; and no header is stored.

Bytes are counted as :func:`size` estimates them: about what the entry holds in memory.
A kept body larger than :data:`BODY_BYTES` is cut to its :func:`shape`, and a shape
itself stops describing a document past half that (the rest of an object is counted,
not listed), so no one entry takes more than about ``BODY_BYTES``; the journal then
drops its oldest entries to stay within ``max_bytes``.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypedDict

from secretmock.engine.violations import Violation

REDACTED = "<redacted>"
DEFAULT_CAPACITY = 10_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
"""What the journal may hold in all (``Emulator(journal_max_bytes=...)``)."""
BODY_BYTES = 64 * 1024
"""The most one entry's body may take; a larger one is kept as its :func:`shape`."""
SHAPE_DEPTH = 16
"""How deep :func:`shape` describes a document; below, a node is only named."""
SHAPE_ITEMS = 10
"""A longer array is recorded by its length alone."""
SHAPE_BYTES = BODY_BYTES // 2
"""What :func:`shape` describes of a document; past it, an object's other keys are
counted (``"<more>": "<N more keys>"``) and its values only named."""
SHAPE_KEY_CHARS = 128
"""A longer key is cut to this many characters in a shape."""
ENTRY_BYTES = 512
"""What an entry takes besides its body, path, query and violations (its fields)."""
VIOLATION_BYTES = 400


@dataclass(slots=True)
class JournalEntry:
    """One request and its answer. ``time`` is when it arrived (Unix seconds; ISO 8601
    UTC in :meth:`as_dict`); ``duration_ms`` is wall time spent in the emulator.

    Never changed once the journal holds it (:meth:`Journal.undelivered` puts a copy in
    its place). Not ``frozen=True`` only for speed: a frozen dataclass sets each of
    these thirteen fields through ``object.__setattr__``, about 2 µs on every request."""

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
    ``capacity`` requests that broke the spec; both within ``max_bytes`` in all; and, for
    coverage, how often each (vendor, operation) answered each status, over every
    request."""

    def __init__(
        self, capacity: int = DEFAULT_CAPACITY, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        self._capacity = capacity
        self._max_bytes = max_bytes
        self._entries: deque[JournalEntry] = deque()
        self._violating: deque[JournalEntry] = deque()
        self._sizes: dict[int, int] = {}
        """The size of every entry kept in either deque, by ``seq``."""
        self._bytes = 0
        self._coverage: dict[tuple[str, str | None], Counter[int]] = {}
        self._lock = threading.Lock()
        self._seq = 0
        self._cleared_at = 0
        """The last ``seq`` before the latest :meth:`clear` (whose counts are gone)."""

    def record(self, **fields: Any) -> JournalEntry:
        """Appends an entry made of ``fields`` (all of :class:`JournalEntry` but ``seq``),
        its body cut to its shape when larger than :data:`BODY_BYTES`."""
        return self.append(JournalEntry(seq=0, **fields))

    def append(self, entry: JournalEntry, body_bytes: int | None = None) -> JournalEntry:
        """Appends ``entry`` (made for it, its ``seq`` not yet set: numbered here), its
        body cut to its shape when larger than :data:`BODY_BYTES`; the request path's
        way in (:meth:`record` without the keyword arguments). ``body_bytes``: the
        body's :func:`size`, when the caller counted it already (:func:`redact_sized`)."""
        body = entry.body
        if body_bytes is None:
            if body is None or type(body) is str:  # nothing to walk: what size() counts
                body_bytes = _SCALAR_BYTES + (len(body) if body is not None else 0)
            else:
                body_bytes = size(body, BODY_BYTES)
        if body_bytes > BODY_BYTES:
            entry.body = body = shape(body)
            body_bytes = size(body, BODY_BYTES)
        entry_bytes = (
            ENTRY_BYTES
            + body_bytes
            + len(entry.path)
            + len(entry.query)
            + VIOLATION_BYTES * len(entry.violations)
        )
        with self._lock:
            self._seq += 1
            entry.seq = self._seq
            self._entries.append(entry)
            if entry.violations:
                self._violating.append(entry)
            self._sizes[entry.seq] = entry_bytes
            self._bytes += entry_bytes
            self._evict()
            if entry.status:  # 0: a dropped connection answered nothing
                key = (entry.vendor, entry.operation_id)
                counts = self._coverage.get(key)
                if counts is None:
                    counts = self._coverage[key] = Counter()
                counts[entry.status] += 1
            return entry

    def _evict(self) -> None:
        """Drops entries past either count, then the oldest kept until within bytes (the
        newest entry always stays)."""
        if len(self._entries) > self._capacity:
            self._drop(self._entries, self._violating)
        if len(self._violating) > self._capacity:
            self._drop(self._violating, self._entries)
        while self._bytes > self._max_bytes and len(self._sizes) > 1:
            entries, violating = self._entries, self._violating
            if violating and (not entries or violating[0].seq <= entries[0].seq):
                self._drop(violating, entries)  # then, if also the oldest entry, from there
            else:
                self._drop(entries, violating)

    def _drop(self, held: deque[JournalEntry], other: deque[JournalEntry]) -> None:
        """Drops the oldest entry of ``held``; its bytes are freed unless ``other`` still
        holds it. Each deque is a run of the entries of its kind, from its first on, so
        ``other`` holds it when its first is not newer (and it is of ``other``'s kind)."""
        entry = held.popleft()
        of_its_kind = other is self._entries or bool(entry.violations)
        if not (other and of_its_kind and other[0].seq <= entry.seq):
            self._bytes -= self._sizes.pop(entry.seq)

    @property
    def bytes(self) -> int:
        """What the kept entries take, as :func:`size` counts."""
        with self._lock:
            return self._bytes

    def violating(self, since: int = 0) -> list[JournalEntry]:
        """The kept entries with violations whose ``seq`` is greater than ``since``."""
        with self._lock:
            return [e for e in self._violating if e.seq > since]

    def undelivered(self, entry: JournalEntry) -> None:
        """Says that ``entry``'s answer never reached its client (a fault's delay cut at
        shutdown): it is kept as status 0, like a dropped connection, and its status is
        no longer counted in coverage. Nothing changes for an entry older than the
        latest :meth:`clear`."""
        with self._lock:
            if entry.seq <= self._cleared_at or not entry.status:
                return
            counts = self._coverage.get((entry.vendor, entry.operation_id))
            if counts is not None and counts[entry.status] > 0:
                counts[entry.status] -= 1
                if not counts[entry.status]:
                    del counts[entry.status]
                if not counts:
                    del self._coverage[(entry.vendor, entry.operation_id)]
            cut = replace(entry, status=0)
            for kept in (self._entries, self._violating):
                for index in range(len(kept) - 1, -1, -1):
                    if kept[index].seq == entry.seq:
                        kept[index] = cut
                        break

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
            self._sizes.clear()
            self._bytes = 0
            self._coverage.clear()
            self._cleared_at = self._seq


def shape(document: Any) -> Any:
    """``document`` reduced to its shape, for a body the journal may not keep: object
    keys stay (violations name them in their locations anyway; one longer than
    ``SHAPE_KEY_CHARS`` is cut), every string, number and boolean becomes its type (a
    string with its length), an array longer than ``SHAPE_ITEMS`` its length, and a node
    deeper than ``SHAPE_DEPTH`` its type. Past ``SHAPE_BYTES`` (as :func:`size` counts)
    nodes are only named, and an object's remaining keys counted: what it costs is
    bounded, whatever the document."""
    budget = [SHAPE_BYTES]

    def walk(node: Any, depth: int) -> Any:
        if isinstance(node, dict):
            if depth >= SHAPE_DEPTH or budget[0] <= 0:
                return f"<object: {len(node)} keys>"
            described: dict[str, Any] = {}
            for index, (key, value) in enumerate(node.items()):
                if budget[0] <= 0:
                    described["<more>"] = f"<{len(node) - index} more keys>"
                    break
                key = key if len(key) <= SHAPE_KEY_CHARS else f"{key[:SHAPE_KEY_CHARS]}..."
                budget[0] -= _KEY_BYTES + len(key)
                described[key] = walk(value, depth + 1)
            return described
        if isinstance(node, list):
            if depth >= SHAPE_DEPTH or len(node) > SHAPE_ITEMS or budget[0] <= 0:
                return [f"<array: {len(node)} items>"]
            budget[0] -= _LIST_BYTES
            return [walk(item, depth + 1) for item in node]
        budget[0] -= _SCALAR_BYTES
        if isinstance(node, str):
            return f"<string: {len(node)} chars>"
        if isinstance(node, bool):
            return "<boolean>"
        if isinstance(node, int | float):
            return "<number>"
        return node  # null

    return walk(document, 0)


_SCALAR_BYTES = 56
"""About what a string, a number or a slot takes in memory, besides its characters."""
_KEY_BYTES = 56 + 40
"""About what an object's key takes: the string and its slot in the dict."""
_LIST_BYTES = 56


def size(document: Any, limit: int) -> int:
    """About how many bytes ``document`` (a JSON value) holds in memory, counted until
    past ``limit``: the cost is bounded by ``limit``, whatever the document."""
    total = 0
    pending = [document]
    while pending and total <= limit:
        node = pending.pop()
        if isinstance(node, str):
            total += _SCALAR_BYTES + len(node)
        elif isinstance(node, dict):
            total += _SCALAR_BYTES
            for key, value in node.items():
                total += _KEY_BYTES + len(key)
                pending.append(value)
                if total > limit:
                    break
        elif isinstance(node, list):
            total += _LIST_BYTES + 8 * len(node)
            if total <= limit:
                pending.extend(node)
        else:
            total += _SCALAR_BYTES
    return total


def redact_sized(document: Any, secret_fields: frozenset[str]) -> tuple[Any, int]:
    """:func:`redact` and the :func:`size` of what it gives, in one walk (the request
    path's: each request's kept body is both)."""
    total = 0
    redacted_bytes = _SCALAR_BYTES + len(REDACTED)

    def walk(node: Any) -> Any:
        nonlocal total
        kind = type(node)
        if kind is dict:
            total += _SCALAR_BYTES
            kept = {}
            for key, value in node.items():
                total += _KEY_BYTES + len(key)
                if key in secret_fields:
                    kept[key] = REDACTED
                    total += redacted_bytes
                else:
                    kept[key] = walk(value)
            return kept
        if kind is list:
            total += _LIST_BYTES + 8 * len(node)
            return [walk(item) for item in node]
        total += _SCALAR_BYTES + (len(node) if kind is str else 0)
        return node

    return walk(document), total


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
