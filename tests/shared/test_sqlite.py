"""What only the SQLite backend does: its file, its format check, its URL."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from secretmock.engine.shared import make_backend
from secretmock.engine.shared.backend import (
    FORMAT_VERSION,
    JournalRecord,
    StoreFormatError,
    StoreUnavailable,
    StoreURLError,
    store_url,
)
from secretmock.engine.shared.sqlite import SQLiteBackend


def test_the_store_is_in_wal_mode_with_its_format_version(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    backend = SQLiteBackend(path)
    backend.open()
    backend.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        row = connection.execute("SELECT value FROM meta WHERE key='format'").fetchone()
    assert row == (str(FORMAT_VERSION),)


def test_an_incompatible_format_version_is_refused_and_the_file_left_as_it_was(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.db"
    backend = SQLiteBackend(path)
    backend.open()
    backend.commit("", "fw", "acme", 0, b"x", None)
    backend.close()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE meta SET value = '99' WHERE key = 'format'")
    connection.close()
    before = path.read_bytes()
    with pytest.raises(StoreFormatError) as refused:
        SQLiteBackend(path).open()
    message = str(refused.value)
    assert str(path) in message and "99" in message and str(FORMAT_VERSION) in message
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "content", [b"not a database at all, just text\n" * 40, b""], ids=["text", "empty"]
)
def test_a_file_that_is_no_store_is_refused_untouched(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "other.db"
    if content:
        path.write_bytes(content)
        with pytest.raises(StoreFormatError, match=r"other\.db"):
            SQLiteBackend(path).open()
        assert path.read_bytes() == content
    else:  # another program's SQLite database
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE theirs (x)")
        connection.close()
        before = path.read_bytes()
        with pytest.raises(StoreFormatError, match="theirs"):
            SQLiteBackend(path).open()
        assert path.read_bytes() == before


def test_a_store_in_a_missing_directory_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="missing"):
        SQLiteBackend(tmp_path / "missing" / "s.db").open()


def test_a_locked_store_answers_unavailable_within_its_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    backend = SQLiteBackend(path, busy_timeout=0.05)
    backend.open()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    try:
        with pytest.raises(StoreUnavailable, match="locked"):
            backend.commit("", "fw", "acme", 0, b"x", None)
        backend.snapshot("", "fw")  # readers never wait in WAL mode
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert backend.commit("", "fw", "acme", 0, b"x", None)
    backend.close()


def test_a_closed_backend_is_unavailable(tmp_path: Path) -> None:
    backend = SQLiteBackend(tmp_path / "s.db")
    backend.open()
    backend.close()
    with pytest.raises(StoreUnavailable):
        backend.ping()


@pytest.mark.parametrize(
    ("text", "kind", "detail"),
    [
        ("memory:", "memory", ""),
        ("sqlite:///state.db", "sqlite", "state.db"),
        ("sqlite:////var/lib/s.db", "sqlite", "/var/lib/s.db"),
        ("redis://localhost:6379/0", "redis", "localhost"),
        ("redis://[::1]:6380/2", "redis", "::1"),
    ],
)
def test_store_urls(text: str, kind: str, detail: str) -> None:
    url = store_url(text)
    assert url.kind == kind
    assert detail in (url.path, url.host, "")
    assert url.shared == (kind != "memory")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("postgres://db/x", "unknown store 'postgres'"),
        ("sqlite://state.db", "three slashes"),
        ("sqlite:///", "no database file"),
        ("redis://localhost/0", "HOST:PORT/DB"),
        ("redis://localhost:6379/", "DB a number"),
        ("redis://user:pw@localhost:6379/0", "credentials"),
        ("state.db", "expected one of memory:, sqlite:///PATH, redis://HOST:PORT/DB"),
    ],
)
def test_bad_store_urls_are_named_with_what_is_accepted(text: str, said: str) -> None:
    with pytest.raises(StoreURLError, match=said.replace("(", r"\(")) as refused:
        store_url(text)
    assert "pw" not in str(refused.value)


def test_make_backend_gives_none_for_memory_and_sqlite_for_a_path(tmp_path: Path) -> None:
    assert make_backend(store_url("memory:")) is None
    backend = make_backend(store_url(f"sqlite:///{tmp_path}/s.db"))
    assert isinstance(backend, SQLiteBackend) and backend.path == f"{tmp_path}/s.db"


def test_the_write_ahead_log_is_copied_into_the_database_in_the_background(
    tmp_path: Path,
) -> None:
    """Commits never run a checkpoint themselves (``wal_autocheckpoint=0``: one in a
    request's commit is an fsync); the backend's own thread does, so the database file
    takes in what the log holds while the backend stays open."""
    path = tmp_path / "s.db"
    backend = SQLiteBackend(path)
    backend.open()
    empty = path.stat().st_size
    for number in range(40):
        backend.commit("", "fw", f"tenant-{number}", 0, b"x" * 4096, None)
    deadline = time.monotonic() + 30
    while path.stat().st_size == empty and time.monotonic() < deadline:
        time.sleep(0.05)
    grown = path.stat().st_size
    backend.close()
    assert grown > empty + 40 * 4096, "the log was never checkpointed while open"
    assert not any(t.name == "secretmock-checkpoint" for t in threading.enumerate())


def test_the_journal_trim_finds_the_oldest_violating_entries_kept(tmp_path: Path) -> None:
    """Past the journal's capacity of violating entries, the oldest leave it."""
    backend = SQLiteBackend(tmp_path / "s.db", journal_capacity=3)
    backend.open()
    for number in range(200):
        record = JournalRecord(b"%d" % number, "fw", "op", 400, violating=True)
        backend.append("", record)
    kept = [data for _, data in backend.journal("", 0, violating=True)]
    backend.close()
    assert kept[-1] == b"199"
    assert len(kept) <= 3 + 64  # the bound is kept every EVICT_EVERY (64) entries
    assert b"0" not in kept
