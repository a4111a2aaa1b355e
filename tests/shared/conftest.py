"""The ``backend`` fixture the contract tests (``test_contract.py``) run on, once per
backend of :data:`BACKENDS`; another backend joins them by adding its factory there.

A factory takes pytest's ``tmp_path`` and returns a function that opens a new backend
object on one and the same store each time it is called (two of them are two workers).
The Redis one runs on the session's own ``redis-server`` (redis_server.py), its
database emptied for each test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from secretmock.engine.shared.backend import Backend
from secretmock.engine.shared.redis import RedisBackend
from secretmock.engine.shared.sqlite import SQLiteBackend
from tests.shared.redis_server import RedisServer, redis_server

__all__ = ["redis_server"]

Opener = Callable[[], Backend]


def sqlite_store(tmp_path: Path) -> Callable[..., Backend]:
    path = tmp_path / "store.db"
    return lambda **options: SQLiteBackend(path, **options)


def redis_store(server: RedisServer) -> Callable[..., Backend]:
    client = server.client()
    client.flushdb()
    client.close()
    return lambda **options: RedisBackend("127.0.0.1", server.port, 0, **options)


BACKENDS: dict[str, Callable[[Path], Callable[..., Backend]]] = {"sqlite": sqlite_store}
"""Backend name -> a factory of new (unopened) backend objects on one fresh store."""
SERVED_BACKENDS: dict[str, Callable[[RedisServer], Callable[..., Backend]]] = {"redis": redis_store}
"""The same, for the backends whose store is a server the tests start (redis_server)."""


@pytest.fixture(params=sorted([*BACKENDS, *SERVED_BACKENDS]))
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Backend]]:
    """Opens another backend object on the test's store (its options passed on)."""
    if request.param in SERVED_BACKENDS:
        make = SERVED_BACKENDS[request.param](request.getfixturevalue("redis_server"))
    else:
        make = BACKENDS[request.param](tmp_path)
    opened: list[Backend] = []

    def open_one(**options: object) -> Backend:
        backend = make(**options)
        backend.open()
        opened.append(backend)
        return backend

    yield open_one
    for backend in opened:
        backend.close()


@pytest.fixture
def backend(open_store: Callable[..., Backend]) -> Backend:
    return open_store()
