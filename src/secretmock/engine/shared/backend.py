"""The store several processes share: the protocol every backend keeps, and store URLs.

A backend knows no vendor: it keeps bytes (JSON documents the engine writes and reads)
under a *scope* (``""`` for a server's root, a sandbox's id for a sandbox), a vendor's
name and a tenant's id. What it guarantees, and every backend is tested for
(``tests/shared/contract.py``):

- **Versions.** Every write of a tenant gives it a new version, greater than every
  version the backend gave before in that scope (a tenant removed and made again never
  comes back with a version a worker cached). A tenant that does not exist has version
  0 and is absent from :meth:`Backend.snapshot`. The config has version 0 until first
  set.
- **Compare-and-commit.** :meth:`Backend.commit` writes only if the tenant's version is
  still the expected one; the document and its journal entry are written together or
  not at all. Concurrent commits to one tenant are serialised: one wins, the others
  get ``None`` (a conflict) and nothing written.
- **Durability.** Every acknowledged write (a method that returned) survives the
  process that made it being killed; a killed process leaves no partial write.
- **Unreachable.** Any method raises :class:`StoreUnavailable` when the store cannot be
  reached (then nothing was written, or the write is whole: never part of one).

The journal: entries are numbered from 1 per scope in the order they were appended
(numbering goes on after :meth:`Backend.clear_journal` and :meth:`Backend.replace`);
the backend keeps the last ``journal_capacity`` entries and the last
``journal_capacity`` entries with violations, within about ``journal_max_bytes``
(eviction may run late by a few entries). An entry is a :class:`JournalRecord`: its
bytes (the engine's JSON) and the few fields the backend reads (coverage counts each
record's vendor, operation and status; a status of 0 is not counted).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

FORMAT_VERSION = 1
"""The layout of the store this code writes; a store of another version is refused."""

DEFAULT_JOURNAL_CAPACITY = 10_000
DEFAULT_JOURNAL_MAX_BYTES = 64 * 1024 * 1024


class StoreError(Exception):
    """A problem with the shared store; the message names the store."""


class StoreUnavailable(StoreError):
    """The store cannot be reached now (down, locked, unreadable): the request gets its
    vendor's 503 with ``Retry-After`` and the caller may try again later."""


class StoreFormatError(StoreError):
    """The store was written by an incompatible version; it is left as it is."""

    def __init__(self, store: str, found: object, expected: int = FORMAT_VERSION) -> None:
        super().__init__(
            f"{store}: the store's format version is {found!r}, this secretmock "
            f"reads version {expected}; the store was left untouched (use another "
            f"store, or the secretmock version that wrote it)"
        )
        self.store = store
        self.found = found
        self.expected = expected


class StoreURLError(StoreError, ValueError):
    """A ``--store`` URL this version cannot use; the message says which ones it can."""


@dataclass(frozen=True, slots=True)
class Versions:
    """What :meth:`Backend.snapshot` reads in one go: the config's version and every
    existing tenant's version of one vendor."""

    config: int
    tenants: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class JournalRecord:
    """One journal entry as the backend keeps it: ``data`` (opaque bytes) and what the
    backend counts and filters by."""

    data: bytes
    vendor: str
    operation: str | None
    status: int
    violating: bool = False


CoverageCounts = dict[tuple[str, str | None, int], int]
"""(vendor, operationId or ``None`` for no route, status) -> how many answers."""


@runtime_checkable
class Backend(Protocol):
    """A shared store (see the module for what every method guarantees). Safe to call
    from several threads at once; several processes may open the same store."""

    url: str
    """The store as the user named it (``sqlite:///var/lib/secretmock.db``), for messages."""

    def open(self) -> None:
        """Connects; creates the layout in an empty store, or checks the store's format
        version: :class:`StoreFormatError` for an incompatible one, touching nothing."""

    def close(self) -> None:
        """Lets go of every connection this object holds (idempotent)."""

    def ping(self) -> None:
        """Returns when the store answers; :class:`StoreUnavailable` otherwise."""

    def snapshot(self, scope: str, vendor: str) -> Versions:
        """ONE read: the config version and every tenant's version of ``vendor``."""

    def load(
        self, scope: str, vendor: str, tenant_ids: Iterable[str]
    ) -> dict[str, tuple[int, bytes | None]]:
        """Each named tenant's (version, document); ``(0, None)`` for one that does not
        exist. Called only for tenants whose version differs from a worker's cache."""

    def commit(
        self,
        scope: str,
        vendor: str,
        tenant_id: str,
        expected_version: int,
        document: bytes | None,
        journal_entry: JournalRecord | None,
    ) -> int | None:
        """ONE compare-and-commit: when the tenant's version is ``expected_version`` (0:
        it must not exist), writes ``document`` (``None``: the tenant is removed) and
        appends ``journal_entry`` (if given), and returns the tenant's new version (0
        after a removal). ``None`` on a conflict: nothing written."""

    def append(self, scope: str, entry: JournalRecord) -> int:
        """Appends a journal entry (a request that changed no tenant); its number."""

    def config(self, scope: str) -> tuple[int, bytes | None]:
        """The config document (fault rules, clock, vendor versions) and its version;
        ``(0, None)`` before the first :meth:`set_config` or :meth:`replace`."""

    def set_config(
        self, scope: str, document: bytes, expected_version: int | None = None
    ) -> int | None:
        """Writes the config and returns its new version (greater than any before);
        with ``expected_version``, only if the config's version is still that one
        (``None`` on a conflict, nothing written)."""

    def hit(self, scope: str, rule_id: str) -> int:
        """Adds one to a fault rule's counter atomically; the new count."""

    def unhit(self, scope: str, rule_id: str) -> int:
        """Takes one from a fault rule's counter (a hit given back); the new count."""

    def hits(self, scope: str) -> dict[str, int]:
        """Every fault rule's counter in the scope (rule id -> count)."""

    def journal(
        self, scope: str, after_seq: int = 0, violating: bool = False
    ) -> list[tuple[int, bytes]]:
        """The kept entries numbered above ``after_seq`` (only those with violations
        when ``violating``), oldest first, each with its number."""

    def last_seq(self, scope: str) -> int:
        """The number of the latest journal entry appended (0 before any)."""

    def coverage(self, scope: str) -> CoverageCounts:
        """How often each (vendor, operation) answered each status since the journal
        was last cleared (counted over every entry appended, kept or not)."""

    def clear_journal(self, scope: str) -> None:
        """Forgets every journal entry and coverage count; numbering goes on."""

    def replace(
        self,
        scope: str,
        tenants: Mapping[str, Mapping[str, bytes]],
        config: bytes,
        only_if_empty: bool = False,
    ) -> bool:
        """ONE operation: every tenant of the scope replaced by ``tenants`` (vendor ->
        tenant id -> document; each gets a new version), the config by ``config`` (a new
        version), the fault rules' counters emptied; the journal stays. With
        ``only_if_empty``, only when the scope's config was never set (the first
        worker to start seeds the store); whether it was written."""


SCHEMES = ("memory:", "sqlite:///PATH", "redis://HOST:PORT/DB")


@dataclass(frozen=True, slots=True)
class StoreURL:
    """A parsed ``--store`` URL: ``kind`` is ``memory``, ``sqlite`` or ``redis``."""

    text: str
    kind: str
    path: str = ""
    """sqlite: the database file."""
    host: str = ""
    port: int = 0
    db: int = 0
    """redis: where the server is and which database."""

    @property
    def shared(self) -> bool:
        """Whether it names a store outside the process (anything but ``memory:``)."""
        return self.kind != "memory"


def store_url(text: str) -> StoreURL:
    """Parses a ``--store`` value; :class:`StoreURLError` says what is wrong with it and
    which forms are accepted."""
    text = text.strip()
    accepted = f"expected one of {', '.join(SCHEMES)}"
    if text in ("memory:", "memory://", "memory"):
        return StoreURL(text, "memory")
    if text.startswith("sqlite:"):
        return _sqlite_url(text, accepted)
    if text.startswith("redis://"):
        return _redis_url(text, accepted)
    scheme = text.split(":", 1)[0] if ":" in text else text
    raise StoreURLError(f"--store {text!r}: unknown store {scheme!r}; {accepted}")


def _sqlite_url(text: str, accepted: str) -> StoreURL:
    if not text.startswith("sqlite:///"):
        raise StoreURLError(
            f"--store {text!r}: a SQLite store is sqlite:///PATH (three slashes, then "
            f"the file: sqlite:///state.db, sqlite:////var/lib/secretmock.db); {accepted}"
        )
    path = text[len("sqlite:///") :]
    if not path or path.endswith("/"):
        raise StoreURLError(f"--store {text!r}: no database file after sqlite:///")
    if "?" in path or "#" in path:
        raise StoreURLError(f"--store {text!r}: a SQLite store takes no query or fragment")
    return StoreURL(text, "sqlite", path=path)


def _redis_url(text: str, accepted: str) -> StoreURL:
    rest = text[len("redis://") :]
    where, _, db_text = rest.partition("/")
    if "@" in where:
        raise StoreURLError(
            f"--store: a Redis URL with credentials is not accepted here "
            f"(it would be logged); {accepted}"
        )
    host, _, port_text = where.rpartition(":")
    if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise StoreURLError(f"--store {text!r}: expected redis://HOST:PORT/DB (port 1-65535)")
    if not db_text.isdigit():
        raise StoreURLError(f"--store {text!r}: expected redis://HOST:PORT/DB (DB a number)")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    return StoreURL(text, "redis", host=host, port=int(port_text), db=int(db_text))
