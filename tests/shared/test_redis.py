"""What only the Redis backend does: its format key, one round trip per operation,
the store gone and back, its URL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from secretmock.engine.shared import make_backend
from secretmock.engine.shared.backend import (
    FORMAT_VERSION,
    JournalRecord,
    StoreFormatError,
    StoreUnavailable,
    store_url,
)
from secretmock.engine.shared.redis import FORMAT_KEY, RedisBackend
from tests.shared.redis_server import RedisServer, free_port


@pytest.fixture
def fresh(redis_server: RedisServer) -> Iterator[RedisBackend]:
    """An opened backend on the session's Redis, its database emptied first."""
    client = redis_server.client()
    client.flushdb()
    client.close()
    backend = RedisBackend("127.0.0.1", redis_server.port, 0)
    backend.open()
    yield backend
    backend.close()


def test_open_writes_the_format_version_on_an_empty_store(
    fresh: RedisBackend, redis_server: RedisServer
) -> None:
    client = redis_server.client()
    assert client.get(FORMAT_KEY) == str(FORMAT_VERSION).encode()
    client.close()


def test_an_incompatible_format_version_is_refused_and_the_store_left_as_it_was(
    redis_server: RedisServer,
) -> None:
    client = redis_server.client()
    client.flushdb()
    client.set(FORMAT_KEY, "99")
    client.set("secretmock:{}:seq", "7")
    before = {key: client.dump(key) for key in client.keys("*")}
    with pytest.raises(StoreFormatError) as refused:
        RedisBackend("127.0.0.1", redis_server.port, 0).open()
    message = str(refused.value)
    assert f"redis://127.0.0.1:{redis_server.port}/0" in message
    assert "99" in message and str(FORMAT_VERSION) in message
    assert {key: client.dump(key) for key in client.keys("*")} == before
    client.flushdb()
    client.close()


class RoundTrips:
    """Counts what redis-py sends: one ``send_packed_command`` is one round trip."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original: Any = redis.connection.AbstractConnection.send_packed_command

        def counted(connection: Any, command: Any, check_health: bool = True) -> None:
            self.count += 1
            original(connection, command, check_health)

        monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counted)

    def of(self, call: Any) -> int:
        before = self.count
        call()
        return self.count - before


def test_every_operation_is_one_round_trip(
    fresh: RedisBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = JournalRecord(b'{"n": 1}', "fw", "op", 200)
    for _ in range(2):  # the first call of each script also loads it
        current = fresh.snapshot("", "fw").tenants.get("acme", 0)
        assert fresh.commit("", "fw", "acme", current, b"x", entry) is not None
        fresh.set_config("", b"c")
        fresh.append("", entry)
        fresh.journal("")
        fresh.replace("", {"fw": {"acme": b"y"}}, b"c")
    trips = RoundTrips(monkeypatch)
    current = fresh.snapshot("", "fw").tenants["acme"]
    assert trips.of(lambda: fresh.snapshot("", "fw")) == 1
    assert trips.of(lambda: fresh.load("", "fw", ["acme", "other"])) == 1
    assert trips.of(lambda: fresh.commit("", "fw", "acme", current, b"z", entry)) == 1
    assert trips.of(lambda: fresh.hit("", "f1")) == 1
    assert trips.of(lambda: fresh.set_config("", b"c2")) == 1
    assert trips.of(lambda: fresh.journal("", 0)) == 1
    assert trips.of(lambda: fresh.replace("", {"fw": {"a": b"1"}}, b"c3")) == 1


def test_a_long_journal_is_read_whole(redis_server: RedisServer, fresh: RedisBackend) -> None:
    """More entries than Lua's unpack() takes at once."""
    big = RedisBackend("127.0.0.1", redis_server.port, 0, journal_capacity=12_000)
    big.open()
    client = redis_server.client()
    pipe = client.pipeline(transaction=False)
    for seq in range(1, 9_001):  # written directly: 9,000 appends one by one are slow
        pipe.hset("secretmock:{}:je", str(seq), f'{{"n": {seq}}}')
        pipe.zadd("secretmock:{}:jl", {str(seq): seq})
    pipe.set("secretmock:{}:jseq", 9_000)
    pipe.execute()
    client.close()
    kept = big.journal("")
    assert [seq for seq, _ in kept] == list(range(1, 9_001))
    assert kept[-1][1] == b'{"n": 9000}'
    assert [seq for seq, _ in big.journal("", after_seq=8_998)] == [8_999, 9_000]
    big.close()


def test_a_store_nobody_listens_on_is_unavailable_naming_it() -> None:
    port = free_port()
    backend = RedisBackend("127.0.0.1", port, 0, timeout=1)
    with pytest.raises(StoreUnavailable, match=f"redis://127.0.0.1:{port}/0"):
        backend.open()
    for call in (
        backend.ping,
        lambda: backend.snapshot("", "fw"),
        lambda: backend.commit("", "fw", "acme", 0, b"x", None),
        lambda: backend.hit("", "f1"),
    ):
        with pytest.raises(StoreUnavailable):
            call()


def test_a_killed_redis_is_unavailable_then_serves_again_once_restarted(
    tmp_path: Path,
) -> None:
    server = RedisServer(tmp_path, durable=True).start()
    backend = RedisBackend("127.0.0.1", server.port, 0, timeout=1)
    try:
        backend.open()
        version = backend.commit("", "fw", "acme", 0, b"kept", None)
        server.kill()
        with pytest.raises(StoreUnavailable):
            backend.snapshot("", "fw")
        with pytest.raises(StoreUnavailable):
            backend.commit("", "fw", "acme", version or 0, b"lost", None)
        server.start()
        # every call works at once: no connection left on the dead server's socket
        assert backend.load("", "fw", ["acme"]) == {"acme": (version, b"kept")}
        assert backend.append("", JournalRecord(b"{}", "fw", "op", 200)) == 1
        assert backend.hit("", "f1") == 1
        assert backend.snapshot("", "fw").tenants == {"acme": version}
    finally:
        backend.close()
        server.stop()


def test_make_backend_gives_a_redis_backend_for_a_redis_url() -> None:
    backend = make_backend(store_url("redis://127.0.0.1:6390/3"))
    assert isinstance(backend, RedisBackend)
    assert backend.url == "redis://127.0.0.1:6390/3"
