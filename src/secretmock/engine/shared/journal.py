"""The journal kept in the shared store: what every worker journals, read by any of them.

:class:`SharedJournal` reads like :class:`~secretmock.engine.journal.Journal`
(``entries``, ``violating``, ``coverage``, ``last_seq``, ``clear``), so the admin API,
the dashboard and ``--report`` need not know where it lives. Writing differs: a request's
entry is written by the store's commit of the request's change (one operation, so a
request journaled is a request whose change is stored); :meth:`SharedJournal.record`
only makes the entry, and :meth:`SharedJournal.take` hands it to the worker's request
path (:mod:`secretmock.engine.shared.sync`), which commits it.

Entries are JSON (the entry's fields; its violations field by field), with the same
bounds on a body as the in-process journal.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from typing import Any

from secretmock.engine.journal import BODY_BYTES, JournalEntry, shape, size
from secretmock.engine.shared.backend import Backend, CoverageCounts, JournalRecord
from secretmock.engine.violations import Violation

_VIOLATION_FIELDS = tuple(f.name for f in dataclasses.fields(Violation))


class _Pending(threading.local):
    """The entry this thread's request made, not yet written."""

    record: JournalRecord | None = None


class SharedJournal:
    """The journal of one scope of a shared store."""

    def __init__(self, backend: Backend, scope: str) -> None:
        self.backend = backend
        self.scope = scope
        self._pending = _Pending()

    # -- writing (the request path) -----------------------------------------------------

    def record(self, **fields: Any) -> JournalEntry:
        """The entry made of ``fields`` (as :meth:`Journal.record` takes them), kept for
        :meth:`take`; its ``seq`` is 0 until the store numbers it."""
        body = fields.get("body")
        if size(body, BODY_BYTES) > BODY_BYTES:
            fields["body"] = shape(body)
        entry = JournalEntry(seq=0, **fields)
        self._pending.record = JournalRecord(
            encode_entry(entry),
            entry.vendor,
            entry.operation_id,
            entry.status,
            bool(entry.violations),
        )
        return entry

    def take(self) -> JournalRecord:
        """The entry this thread's request recorded last (once)."""
        record = self._pending.record
        assert record is not None, "the pipeline records every request"
        self._pending.record = None
        return record

    def undelivered(self, entry: JournalEntry) -> None:
        """A delayed answer cut at shutdown: in a shared journal the entry stays as it was
        committed (the other workers may have read it already)."""

    # -- reading (the admin API, the report) --------------------------------------------

    def entries(self, since: int = 0) -> list[JournalEntry]:
        return [decode_entry(seq, data) for seq, data in self.backend.journal(self.scope, since)]

    def violating(self, since: int = 0) -> list[JournalEntry]:
        kept = self.backend.journal(self.scope, since, violating=True)
        return [decode_entry(seq, data) for seq, data in kept]

    def coverage(self) -> dict[tuple[str, str | None], dict[int, int]]:
        return fold_coverage(self.backend.coverage(self.scope))

    def last_seq(self) -> int:
        return self.backend.last_seq(self.scope)

    def clear(self) -> None:
        self.backend.clear_journal(self.scope)

    @property
    def bytes(self) -> int:
        """What the kept entries take, as stored."""
        return sum(len(data) for _, data in self.backend.journal(self.scope))


def fold_coverage(counts: CoverageCounts) -> dict[tuple[str, str | None], dict[int, int]]:
    """The backend's flat counts as :meth:`Journal.coverage` gives them."""
    folded: dict[tuple[str, str | None], dict[int, int]] = {}
    for (vendor, operation, status), count in counts.items():
        folded.setdefault((vendor, operation), {})[status] = count
    return folded


def encode_entry(entry: JournalEntry) -> bytes:
    """An entry (but its ``seq``, which the store gives) as JSON bytes."""
    fields = {f.name: getattr(entry, f.name) for f in dataclasses.fields(entry)}
    del fields["seq"]
    fields["violations"] = [
        {name: getattr(v, name) for name in _VIOLATION_FIELDS} for v in entry.violations
    ]
    return json.dumps(fields, separators=(",", ":"), default=_json_ready).encode()


def decode_entry(seq: int, data: bytes) -> JournalEntry:
    fields = json.loads(data)
    fields["violations"] = tuple(Violation(**v) for v in fields["violations"])
    return JournalEntry(seq=seq, **fields)


def _json_ready(value: Any) -> Any:
    """A violation's ``expected`` may be a set or a tuple of the spec's values."""
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
    return str(value)
