"""The SQLite backend: one database file shared by the worker processes of one host.

The file is in WAL mode (readers never wait for the writer) with ``synchronous=NORMAL``:
a committed transaction survives the death of the process that made it (SIGKILL
included), and SQLite's own atomicity means a killed process leaves no partial write; a
power loss may take back the last transactions, which a test emulator can afford. Every
write is one ``BEGIN IMMEDIATE`` transaction (writers queue on the file's lock, waiting
up to ``busy_timeout`` seconds); each thread has its own connection.

Versions come from one counter per scope (``scopes.seq``), so a version is never given
twice in a scope, whatever is removed or replaced (see :mod:`.backend`).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from secretmock.engine.shared.backend import (
    DEFAULT_JOURNAL_CAPACITY,
    DEFAULT_JOURNAL_MAX_BYTES,
    FORMAT_VERSION,
    CoverageCounts,
    JournalRecord,
    StoreError,
    StoreFormatError,
    StoreUnavailable,
    Versions,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scopes (
    scope TEXT PRIMARY KEY, seq INTEGER NOT NULL DEFAULT 0,
    journal_seq INTEGER NOT NULL DEFAULT 0, journal_bytes INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS tenants (
    scope TEXT NOT NULL, vendor TEXT NOT NULL, tenant_id TEXT NOT NULL,
    version INTEGER NOT NULL, document BLOB NOT NULL,
    PRIMARY KEY (scope, vendor, tenant_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS config (
    scope TEXT PRIMARY KEY, version INTEGER NOT NULL, document BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS hits (
    scope TEXT NOT NULL, rule_id TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (scope, rule_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS journal (
    scope TEXT NOT NULL, seq INTEGER NOT NULL, listed INTEGER NOT NULL,
    violating INTEGER NOT NULL, size INTEGER NOT NULL, entry BLOB NOT NULL,
    PRIMARY KEY (scope, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS journal_violating ON journal (scope, seq) WHERE violating = 1;
CREATE TABLE IF NOT EXISTS coverage (
    scope TEXT NOT NULL, vendor TEXT NOT NULL, operation TEXT NOT NULL,
    status INTEGER NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (scope, vendor, operation, status)) WITHOUT ROWID;
"""
TABLES = frozenset({"meta", "scopes", "tenants", "config", "hits", "journal", "coverage"})

EVICT_EVERY = 64
"""The journal's bounds are enforced every this many entries (or at once when over its
bytes): a bound may be passed by this many entries meanwhile."""


CHECKPOINT_EVERY_S = 0.2
"""How often a process copies the write-ahead log into the database (a passive
checkpoint: it never waits for, nor blocks, a reader or a writer)."""


class _Checkpointer:
    """A daemon thread that checkpoints the file's WAL every :data:`CHECKPOINT_EVERY_S`,
    in place of SQLite's automatic checkpoint inside a commit. A checkpoint that fails
    (the store unreachable) is tried again at the next tick; the log only grows
    meanwhile."""

    def __init__(self, path: str, busy_timeout: float) -> None:
        self._path, self._busy_timeout = path, busy_timeout
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="secretmock-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        while not self._stopped.wait(CHECKPOINT_EVERY_S):
            try:
                if connection is None:
                    connection = sqlite3.connect(
                        self._path, timeout=self._busy_timeout, isolation_level=None
                    )
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:
                if connection is not None:
                    connection.close()
                connection = None
        if connection is not None:
            connection.close()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)


class SQLiteBackend:
    """A :class:`~secretmock.engine.shared.backend.Backend` over one SQLite file."""

    def __init__(
        self,
        path: str | Path,
        url: str | None = None,
        busy_timeout: float = 5.0,
        journal_capacity: int = DEFAULT_JOURNAL_CAPACITY,
        journal_max_bytes: int = DEFAULT_JOURNAL_MAX_BYTES,
    ) -> None:
        self.path = str(path)
        self.url = url or f"sqlite:///{self.path}"
        self.busy_timeout = busy_timeout
        self.journal_capacity = journal_capacity
        self.journal_max_bytes = journal_max_bytes
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._opened = False
        self._checkpointer: _Checkpointer | None = None
        """Started with this process's first connection (a forked worker, which reopens
        the store, starts its own)."""

    # -- connections ------------------------------------------------------------------

    def open(self) -> None:
        """Checks the file's format before anything writes to it (not even the switch to
        WAL), then creates the layout if the file has none."""
        try:
            connection = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"{self.url}: cannot open the database: {exc}") from exc
        try:
            self._check_format(connection)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(  # one transaction: the layout is there whole or not
                f"BEGIN IMMEDIATE; {SCHEMA} INSERT OR IGNORE INTO meta (key, value) "
                f"VALUES ('format', '{FORMAT_VERSION}'); COMMIT;"
            )
            self._check_format(connection)
        except sqlite3.Error as exc:
            connection.close()
            raise StoreUnavailable(f"{self.url}: cannot prepare the database: {exc}") from exc
        except StoreError:
            connection.close()
            raise
        connection.close()
        self._opened = True

    def _check_format(self, connection: sqlite3.Connection) -> None:
        """A store of this format, or an empty file; :class:`StoreFormatError` otherwise."""
        try:
            names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
            if not names:
                return
            if "meta" not in names:
                raise StoreFormatError(self.url, f"none (tables {sorted(names)})")
            row = connection.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise StoreUnavailable(f"{self.url}: {exc}") from exc
            raise StoreFormatError(self.url, f"none ({exc})") from exc
        if row is None:
            return  # being created by another process, in this transaction's wake
        if row[0] != str(FORMAT_VERSION):
            raise StoreFormatError(self.url, row[0])

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            if not self._opened:
                raise StoreUnavailable(f"{self.url}: the store is not open")
            try:
                # Used by this thread alone; ``check_same_thread`` off only so that
                # :meth:`close` may close it from another.
                connection = sqlite3.connect(
                    self.path,
                    timeout=self.busy_timeout,
                    isolation_level=None,
                    check_same_thread=False,
                )
                connection.execute("PRAGMA synchronous=NORMAL")
                # Checkpoints (each one an fsync of the database) run in the background
                # (_Checkpointer), never in a request's commit: a request that ran one
                # took 10-20 ms, which made the commit's mean three times its median.
                connection.execute("PRAGMA wal_autocheckpoint=0")
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"{self.url}: cannot open the database: {exc}") from exc
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
                if self._checkpointer is None:
                    self._checkpointer = _Checkpointer(self.path, self.busy_timeout)
        return connection

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
            self._opened = False
            checkpointer, self._checkpointer = self._checkpointer, None
        if checkpointer is not None:
            checkpointer.stop()
        for connection in connections:
            connection.close()
        self._local = threading.local()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A connection for a read: each statement is its own consistent snapshot."""
        try:
            yield self._connection()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"{self.url}: {exc}") from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: committed when the block returns, rolled
        back when it raises."""
        connection = self._connection()
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"{self.url}: {exc}") from exc
        try:
            yield connection
            connection.execute("COMMIT")
        except BaseException as exc:
            # An error may have ended the transaction already (SQLite rolled it back).
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreUnavailable(f"{self.url}: {exc}") from exc
            raise

    def ping(self) -> None:
        with self._read() as connection:
            connection.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()

    # -- tenants ----------------------------------------------------------------------

    def snapshot(self, scope: str, vendor: str) -> Versions:
        with self._read() as connection:
            rows = connection.execute(
                "SELECT NULL, version FROM config WHERE scope = ?1 "
                "UNION ALL SELECT tenant_id, version FROM tenants "
                "WHERE scope = ?1 AND vendor = ?2",
                (scope, vendor),
            ).fetchall()
        config = 0
        tenants = {}
        for tenant_id, version in rows:
            if tenant_id is None:
                config = version
            else:
                tenants[tenant_id] = version
        return Versions(config, tenants)

    def load(
        self, scope: str, vendor: str, tenant_ids: Iterable[str]
    ) -> dict[str, tuple[int, bytes | None]]:
        wanted = list(tenant_ids)
        found: dict[str, tuple[int, bytes | None]] = dict.fromkeys(wanted, (0, None))
        with self._read() as connection:
            for start in range(0, len(wanted), 500):  # SQLite's bound on parameters
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = connection.execute(
                    "SELECT tenant_id, version, document FROM tenants "
                    f"WHERE scope = ? AND vendor = ? AND tenant_id IN ({marks})",
                    (scope, vendor, *chunk),
                )
                for tenant_id, version, document in rows:
                    found[tenant_id] = (version, bytes(document))
        return found

    def commit(
        self,
        scope: str,
        vendor: str,
        tenant_id: str,
        expected_version: int,
        document: bytes | None,
        journal_entry: JournalRecord | None,
    ) -> int | None:
        with self._write() as connection:
            row = connection.execute(
                "SELECT version FROM tenants WHERE scope = ? AND vendor = ? AND tenant_id = ?",
                (scope, vendor, tenant_id),
            ).fetchone()
            if (row[0] if row else 0) != expected_version:
                return None
            if document is None:
                connection.execute(
                    "DELETE FROM tenants WHERE scope = ? AND vendor = ? AND tenant_id = ?",
                    (scope, vendor, tenant_id),
                )
                version = 0
            else:
                version = _next_version(connection, scope)
                connection.execute(
                    "INSERT OR REPLACE INTO tenants VALUES (?, ?, ?, ?, ?)",
                    (scope, vendor, tenant_id, version, document),
                )
            if journal_entry is not None:
                self._append(connection, scope, journal_entry)
            return version

    # -- the config and the fault counters ----------------------------------------------

    def config(self, scope: str) -> tuple[int, bytes | None]:
        with self._read() as connection:
            row = connection.execute(
                "SELECT version, document FROM config WHERE scope = ?", (scope,)
            ).fetchone()
        return (0, None) if row is None else (row[0], bytes(row[1]))

    def set_config(
        self, scope: str, document: bytes, expected_version: int | None = None
    ) -> int | None:
        with self._write() as connection:
            if expected_version is not None:
                row = connection.execute(
                    "SELECT version FROM config WHERE scope = ?", (scope,)
                ).fetchone()
                if (row[0] if row else 0) != expected_version:
                    return None
            return _put_config(connection, scope, document)

    def hit(self, scope: str, rule_id: str) -> int:
        return self._count(scope, rule_id, 1)

    def unhit(self, scope: str, rule_id: str) -> int:
        return self._count(scope, rule_id, -1)

    def _count(self, scope: str, rule_id: str, step: int) -> int:
        with self._write() as connection:
            row = connection.execute(
                "INSERT INTO hits VALUES (?, ?, ?) "
                "ON CONFLICT DO UPDATE SET count = count + excluded.count RETURNING count",
                (scope, rule_id, step),
            ).fetchone()
            return int(row[0])

    def hits(self, scope: str) -> dict[str, int]:
        with self._read() as connection:
            rows = connection.execute(
                "SELECT rule_id, count FROM hits WHERE scope = ?", (scope,)
            ).fetchall()
        return {rule_id: count for rule_id, count in rows}

    # -- the journal --------------------------------------------------------------------

    def append(self, scope: str, entry: JournalRecord) -> int:
        with self._write() as connection:
            return self._append(connection, scope, entry)

    def _append(self, connection: sqlite3.Connection, scope: str, entry: JournalRecord) -> int:
        size = len(entry.data)
        seq, total = connection.execute(
            "INSERT INTO scopes (scope, journal_seq, journal_bytes) VALUES (?1, 1, ?2) "
            "ON CONFLICT DO UPDATE SET journal_seq = journal_seq + 1, "
            "journal_bytes = journal_bytes + ?2 RETURNING journal_seq, journal_bytes",
            (scope, size),
        ).fetchone()
        connection.execute(
            "INSERT INTO journal VALUES (?, ?, 1, ?, ?, ?)",
            (scope, seq, int(entry.violating), size, entry.data),
        )
        if entry.status:
            connection.execute(
                "INSERT INTO coverage VALUES (?, ?, ?, ?, 1) "
                "ON CONFLICT DO UPDATE SET count = count + 1",
                (scope, entry.vendor, entry.operation or "", entry.status),
            )
        if seq % EVICT_EVERY == 0 or total > self.journal_max_bytes:
            self._evict(connection, scope, seq)
        return int(seq)

    def _evict(self, connection: sqlite3.Connection, scope: str, seq: int) -> None:
        """Past ``journal_capacity`` entries, then past that many violating ones, they
        leave their list (and the table, when in neither); past ``journal_max_bytes``,
        the oldest go (the newest stays). Each step reads a range of the key, never the
        whole journal, but for the bytes: only when over them."""
        capacity = self.journal_capacity
        cut = seq - capacity
        since = cut - 2 * EVICT_EVERY  # older ones left at an earlier eviction
        connection.execute(
            "UPDATE journal SET listed = 0 WHERE scope = ? AND seq > ? AND seq <= ?",
            (scope, since, cut),
        )
        row = connection.execute(
            # The partial index holds the violating entries alone: without naming it the
            # planner walks the whole journal backwards, 0.6 ms every EVICT_EVERY entries.
            "SELECT seq FROM journal INDEXED BY journal_violating "
            "WHERE scope = ? AND violating = 1 ORDER BY seq DESC LIMIT 1 OFFSET ?",
            (scope, capacity),
        ).fetchone()
        if row is not None:
            connection.execute(
                "UPDATE journal SET violating = 0 WHERE scope = ? AND violating = 1 AND seq <= ?",
                (scope, row[0]),
            )
            since = min(since, 0)
        freed = connection.execute(
            "DELETE FROM journal WHERE scope = ? AND seq > ? AND seq <= ? "
            "AND listed = 0 AND violating = 0 RETURNING size",
            (scope, since, max(cut, row[0] if row else cut)),
        ).fetchall()
        total = connection.execute(
            "UPDATE scopes SET journal_bytes = journal_bytes - ? WHERE scope = ? "
            "RETURNING journal_bytes",
            (sum(size for (size,) in freed), scope),
        ).fetchone()[0]
        if total <= self.journal_max_bytes:
            return
        row = connection.execute(
            "SELECT seq FROM (SELECT seq, SUM(size) OVER (ORDER BY seq DESC) AS tail "
            "FROM journal WHERE scope = ?) WHERE tail > ? AND seq < ? "
            "ORDER BY seq DESC LIMIT 1",
            (scope, self.journal_max_bytes, seq),
        ).fetchone()
        if row is not None:
            connection.execute("DELETE FROM journal WHERE scope = ? AND seq <= ?", (scope, row[0]))
            connection.execute(
                "UPDATE scopes SET journal_bytes = "
                "(SELECT COALESCE(SUM(size), 0) FROM journal WHERE scope = ?1) WHERE scope = ?1",
                (scope,),
            )

    def journal(
        self, scope: str, after_seq: int = 0, violating: bool = False
    ) -> list[tuple[int, bytes]]:
        column = "violating" if violating else "listed"
        with self._read() as connection:
            rows = connection.execute(
                f"SELECT seq, entry FROM journal WHERE scope = ? AND seq > ? AND {column} = 1 "
                "ORDER BY seq",
                (scope, after_seq),
            ).fetchall()
        return [(seq, bytes(entry)) for seq, entry in rows]

    def last_seq(self, scope: str) -> int:
        with self._read() as connection:
            row = connection.execute(
                "SELECT journal_seq FROM scopes WHERE scope = ?", (scope,)
            ).fetchone()
        return 0 if row is None else int(row[0])

    def coverage(self, scope: str) -> CoverageCounts:
        with self._read() as connection:
            rows = connection.execute(
                "SELECT vendor, operation, status, count FROM coverage WHERE scope = ?",
                (scope,),
            ).fetchall()
        return {(vendor, op or None, status): count for vendor, op, status, count in rows}

    def clear_journal(self, scope: str) -> None:
        with self._write() as connection:
            connection.execute("DELETE FROM journal WHERE scope = ?", (scope,))
            connection.execute("DELETE FROM coverage WHERE scope = ?", (scope,))
            connection.execute("UPDATE scopes SET journal_bytes = 0 WHERE scope = ?", (scope,))

    # -- the whole scope ----------------------------------------------------------------

    def replace(
        self,
        scope: str,
        tenants: Mapping[str, Mapping[str, bytes]],
        config: bytes,
        only_if_empty: bool = False,
    ) -> bool:
        with self._write() as connection:
            if only_if_empty:
                row = connection.execute(
                    "SELECT 1 FROM config WHERE scope = ?", (scope,)
                ).fetchone()
                if row is not None:
                    return False
            connection.execute("DELETE FROM tenants WHERE scope = ?", (scope,))
            connection.execute("DELETE FROM hits WHERE scope = ?", (scope,))
            rows = [
                (scope, vendor, tenant_id, _next_version(connection, scope), document)
                for vendor, documents in tenants.items()
                for tenant_id, document in documents.items()
            ]
            connection.executemany("INSERT INTO tenants VALUES (?, ?, ?, ?, ?)", rows)
            _put_config(connection, scope, config)
            return True


def _next_version(connection: sqlite3.Connection, scope: str) -> int:
    row = connection.execute(
        "INSERT INTO scopes (scope, seq) VALUES (?, 1) "
        "ON CONFLICT DO UPDATE SET seq = seq + 1 RETURNING seq",
        (scope,),
    ).fetchone()
    return int(row[0])


def _put_config(connection: sqlite3.Connection, scope: str, document: bytes) -> int:
    version = _next_version(connection, scope)
    connection.execute("INSERT OR REPLACE INTO config VALUES (?, ?, ?)", (scope, version, document))
    return version
