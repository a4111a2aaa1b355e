"""A real ``redis-server`` for the tests, started and stopped by the tests themselves.

The binary is Debian's (``make redis-deps`` installs it; ``make test`` depends on that).
Each server listens on a free loopback port with its own temporary directory and
persistence off (``--save "" --appendonly no``), unless a test asks for an append-only
file that survives a kill (:class:`RedisServer` ``durable``). No test depends on a
service the project does not start itself.

``redis_server`` is the one server of a test session (of one xdist worker); a test that
kills or stops its Redis starts its own :class:`RedisServer` instead.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

GUARD_S = 30.0
"""How long to wait for a server to answer before calling it a failed start (a guard
against a hang, never a speed assertion)."""


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """One ``redis-server`` process on 127.0.0.1; ``url`` is ``redis://127.0.0.1:PORT/0``."""

    def __init__(self, directory: Path, durable: bool = False) -> None:
        self.directory = directory
        self.durable = durable
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        assert binary is not None, "redis-server is missing: run `make redis-deps`"
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "always"]
            if self.durable
            else ["--appendonly", "no"]
        )
        command = [
            binary,
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--save", "",
            *persistence,
            "--dir", str(self.directory),
            "--daemonize", "no",
            "--loglevel", "warning",
        ]  # fmt: skip
        with open(self.directory / "redis.log", "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        self._wait_until_it_answers()
        return self

    def _wait_until_it_answers(self) -> None:
        assert self.process is not None
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
        deadline = time.monotonic() + GUARD_S
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                log = (self.directory / "redis.log").read_text(errors="replace")
                assert self.process.poll() is None, f"redis-server exited: {log}"
                assert time.monotonic() < deadline, f"redis-server never answered: {log}"
                time.sleep(0.02)
            finally:
                client.close()

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port)

    def kill(self) -> None:
        """SIGKILL: what the server had not written to its append-only file is lost."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=GUARD_S)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=GUARD_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """The session's Redis (one per xdist worker): tests using it keep to keys of their
    own (a store URL's database number, or a flush of their own)."""
    with tempfile.TemporaryDirectory(prefix="secretmock-redis-") as directory:
        server = RedisServer(Path(directory)).start()
        try:
            yield server
        finally:
            server.stop()
