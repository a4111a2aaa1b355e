"""The store comparison's parts without wrk: its Redis, and one client's latency."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bench import stores
from secretmock.serve.background import BackgroundServer


def test_the_bench_redis_answers_and_stops(tmp_path: Path) -> None:
    with stores.redis_server(tmp_path) as url:
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        assert url.startswith("redis://127.0.0.1:") and url.endswith("/0")
        assert stores._answers(port)
    with socket.socket() as probe:  # stopped: its port is free again
        probe.bind(("127.0.0.1", port))


def test_one_client_p50_measures_answered_requests(
    server: BackgroundServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    monkeypatch.setattr(stores, "REQUESTS_PER_STEP", 20)
    assert stores.one_client_p50(port, stores.GET) > 0
