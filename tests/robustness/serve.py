"""``secretmock serve`` as a subprocess, for the tests that need the real command:
signals, limits, exit codes and what it prints. It listens on a port the system picks
(``--port 0``) and says where in its ``--ready-file``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

COMMAND = [sys.executable, "-m", "secretmock"]
"""The ``secretmock`` command, as this interpreter runs it."""

GUARD_S = 30.0
"""How long a test waits for the server to start or to stop before it calls it a hang:
a guard against waiting forever, never a speed assertion."""


class Served:
    """One ``secretmock serve`` process; ``url`` is its root once started. Its stdout and
    stderr go to files in ``workdir`` (read them with :meth:`stdout`, :meth:`stderr`)."""

    def __init__(self, workdir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.ready_file = workdir / "ready.json"
        self.args = ["--port", "0", "--ready-file", str(self.ready_file), *args]
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> Served:
        command = [sys.executable, "-m", "secretmock", "serve", *self.args]
        with open(self.workdir / "out", "wb") as out, open(self.workdir / "err", "wb") as err:
            self.process = subprocess.Popen(
                command, cwd=self.workdir, stdout=out, stderr=err, env=self.env
            )
        deadline = time.monotonic() + GUARD_S
        while not self.ready_file.exists():
            if self.process.poll() is not None:
                raise AssertionError(f"secretmock serve exited: {self.stderr()}")
            if time.monotonic() > deadline:
                raise AssertionError("secretmock serve did not start")
            time.sleep(0.02)
        self.url = json.loads(self.ready_file.read_text())["url"]
        return self

    def stop(self, signum: int = signal.SIGTERM) -> int:
        """Sends ``signum`` and waits for the process to end; answers its exit status."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=GUARD_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"secretmock serve did not stop on signal {signum}") from None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        return host, int(port)

    def rss_kib(self) -> int:
        """The server's resident set size now (VmRSS), in KiB."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(row for row in status.splitlines() if row.startswith("VmRSS:"))
        return int(line.split()[1])

    def stdout(self) -> str:
        return (self.workdir / "out").read_text(errors="replace")

    def stderr(self) -> str:
        return (self.workdir / "err").read_text(errors="replace")

    def __enter__(self) -> Served:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            self.stop()


def read_answer(client: socket.socket) -> bytes:
    """One whole HTTP answer (head and ``Content-Length`` bytes of body) from ``client``."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += client.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += client.recv(65536)
    return head + b"\r\n\r\n" + body


def wait_for_ready_file(path: Path, process: subprocess.Popen[str]) -> dict[str, Any]:
    """The ready file's content, once the server has written it."""
    deadline = time.monotonic() + 30
    while not path.exists():
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        assert time.monotonic() < deadline, "the server never wrote its ready file"
        time.sleep(0.05)
    return json.loads(path.read_text())  # type: ignore[no-any-return]


@contextmanager
def serving(
    *args: str, env: dict[str, str] | None = None, merge_stderr: bool = True
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``secretmock serve --port 0 ARGS`` in a subprocess, found through its ready file;
    yields its root URL and the process (stderr merged into stdout unless told not to)."""
    with tempfile.TemporaryDirectory() as directory:
        ready = Path(directory) / "ready.json"
        process = subprocess.Popen(
            [*COMMAND, "serve", "--port", "0", "--ready-file", str(ready), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        with process:  # closes its pipes once it has ended
            try:
                yield wait_for_ready_file(ready, process)["url"], process
            finally:
                process.terminate()
                process.wait(timeout=10)
