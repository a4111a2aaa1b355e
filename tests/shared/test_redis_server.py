"""The tests' own Redis: on loopback, persistence off unless asked, stopped with them."""

from __future__ import annotations

from pathlib import Path

from tests.shared.redis_server import RedisServer


def test_the_session_redis_answers_on_loopback_with_persistence_off(
    redis_server: RedisServer,
) -> None:
    client = redis_server.client()
    try:
        assert client.ping()
        config = client.config_get("*")
        assert config["bind"] == "127.0.0.1"
        assert config["save"] == ""
        assert config["appendonly"] == "no"
    finally:
        client.close()


def test_a_durable_redis_keeps_what_it_acknowledged_across_a_kill(tmp_path: Path) -> None:
    server = RedisServer(tmp_path, durable=True).start()
    try:
        client = server.client()
        client.set("kept", "1")
        client.close()
        server.kill()
        server.start()
        client = server.client()
        assert client.get("kept") == b"1"
        client.close()
    finally:
        server.stop()
