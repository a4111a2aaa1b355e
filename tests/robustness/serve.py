"""``secretmock serve`` as a subprocess, for the tests that need the real command:
signals, limits, exit codes and what it prints. It listens on a port the system picks
(``--port 0``) and says where in its ``--ready-file``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

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
