"""The shared store: the emulated state kept outside the process (``serve --store``).

:mod:`.backend` is the protocol every backend keeps and the ``--store`` URL parser;
:mod:`.sqlite` is the SQLite backend, :mod:`.redis` the Redis one. :func:`open_backend`
makes and opens the backend a URL names (``None`` for ``memory:``, which keeps
everything in the process).
"""

from __future__ import annotations

from secretmock.engine.shared.backend import (
    Backend,
    StoreError,
    StoreFormatError,
    StoreUnavailable,
    StoreURL,
    StoreURLError,
    store_url,
)

__all__ = [
    "Backend",
    "StoreError",
    "StoreFormatError",
    "StoreURL",
    "StoreURLError",
    "StoreUnavailable",
    "make_backend",
    "store_url",
]


def make_backend(url: StoreURL, journal_max_bytes: int | None = None) -> Backend | None:
    """The backend ``url`` names, not yet opened; ``None`` for ``memory:``. Raises
    :class:`StoreURLError` for a kind this installation cannot serve."""
    extra = {} if journal_max_bytes is None else {"journal_max_bytes": journal_max_bytes}
    if url.kind == "memory":
        return None
    if url.kind == "sqlite":
        from secretmock.engine.shared.sqlite import SQLiteBackend

        return SQLiteBackend(url.path, url=url.text, **extra)
    if url.kind == "redis":
        from secretmock.engine.shared.redis import RedisBackend

        return RedisBackend(url.host, url.port, url.db, url=url.text, **extra)
    raise StoreURLError(f"--store {url.text}: the {url.kind} store is not available here")
