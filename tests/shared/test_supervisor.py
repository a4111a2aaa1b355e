"""The supervisor of ``--workers N`` (serve/workers.py) with real processes: readiness,
replacing a killed worker, stopping them all, writing the reports once; and the
refusal of more than one worker without a shared store.

The workers here serve a tiny app that answers its own pid (tests/shared/pid_server.py),
so that each test knows which worker answered; the same supervisor serving the
emulator on a shared store is tested in tests/shared/test_history.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.robustness.serve import COMMAND
from tests.shared.processes import GUARD_S, alive, children, only, wait_until


class Supervised:
    """``python -m tests.shared.pid_server WORKDIR N MODE`` as a subprocess."""

    def __init__(self, workdir: Path, count: int, mode: str = "") -> None:
        self.workdir = workdir
        self.count = count
        with open(workdir / "err", "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.shared.pid_server", str(workdir), str(count), mode],
                stderr=err,
            )
        self.ready = workdir / "ready.json"

    def wait_ready(self) -> dict[str, object]:
        wait_until(lambda: self.ready.exists() or self.process.poll() is not None, "ready")
        assert self.ready.exists(), self.stderr()
        return json.loads(self.ready.read_text())  # type: ignore[no-any-return]

    @property
    def url(self) -> str:
        return str(json.loads(self.ready.read_text())["url"])

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def answer(self) -> int:
        """The pid of the worker that answers a request on a new connection."""
        reply = requests.get(self.url, headers={"Connection": "close"}, timeout=GUARD_S)
        return int(reply.json()["pid"])

    def stop(self, signum: int = signal.SIGTERM) -> int:
        self.process.send_signal(signum)
        return self.process.wait(timeout=GUARD_S)

    def stderr(self) -> str:
        return (self.workdir / "err").read_text()

    def reports(self) -> list[str]:
        return (self.workdir / "reports").read_text().splitlines()


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[Supervised]:
    """Three workers that each start after a random moment."""
    running = Supervised(tmp_path, 3, "slow")
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait()


def test_the_ready_file_is_written_once_every_worker_serves(supervised: Supervised) -> None:
    announced = supervised.wait_ready()
    assert announced["pid"] == supervised.process.pid
    assert announced["workers"] == 3
    workers = supervised.workers()
    assert len(workers) == 3
    for worker in workers:  # each already accepts: none is still starting
        with only(worker, workers):
            assert supervised.answer() == worker


def test_a_killed_worker_is_replaced_and_the_others_serve_on(supervised: Supervised) -> None:
    supervised.wait_ready()
    first = supervised.workers()
    killed = first[0]
    os.kill(killed, signal.SIGKILL)
    wait_until(
        lambda: len(supervised.workers()) == 3 and killed not in supervised.workers(),
        "a replacement for the killed worker",
    )
    now = supervised.workers()
    (replacement,) = set(now) - set(first)
    assert set(first) - {killed} <= set(now)
    for worker in now:  # the replacement serves, and so do the others
        with only(worker, now):
            assert supervised.answer() == worker
    assert f"worker {killed} was killed by SIGKILL" in supervised.stderr()
    assert replacement != killed
    assert supervised.ready.exists()  # the server stayed ready throughout


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_stops_every_worker_and_reports_once(
    supervised: Supervised, signum: signal.Signals
) -> None:
    supervised.wait_ready()
    workers = supervised.workers()
    assert supervised.stop(signum) == 0
    assert not [pid for pid in workers if alive(pid)]
    assert supervised.reports() == [f"report by {supervised.process.pid}"]
    assert not supervised.ready.exists()  # removed at shutdown, as a lone server does


def test_a_worker_that_ignores_sigterm_is_killed_at_shutdown(tmp_path: Path) -> None:
    stuck = Supervised(tmp_path, 2, "stuck")
    stuck.wait_ready()
    workers = stuck.workers()
    assert stuck.stop() == 0
    assert not [pid for pid in workers if alive(pid)]
    assert len(stuck.reports()) == 1


def test_workers_that_cannot_start_stop_the_server(tmp_path: Path) -> None:
    broken = Supervised(tmp_path, 2, "broken")
    assert broken.process.wait(timeout=GUARD_S) == 1
    assert not broken.ready.exists()
    assert "this worker cannot start" in broken.stderr()
    assert "before it served: stopping" in broken.stderr()


def test_workers_end_when_their_supervisor_is_killed(supervised: Supervised) -> None:
    supervised.wait_ready()
    workers = supervised.workers()
    supervised.process.kill()
    supervised.process.wait()
    wait_until(lambda: not [pid for pid in workers if alive(pid)], "the orphans end")


# -- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, env",
    [
        pytest.param(["--workers", "2"], {}, id="flag"),
        pytest.param([], {"SECRETMOCK_WORKERS": "4"}, id="variable"),
        pytest.param(["--workers", "2", "--store", "memory:"], {}, id="memory-store"),
    ],
)
def test_more_than_one_worker_without_a_shared_store_is_refused(
    args: list[str], env: dict[str, str]
) -> None:
    done = subprocess.run(
        [*COMMAND, "serve", "--port", "0", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=GUARD_S,
    )
    assert done.returncode == 2, done.stderr
    assert "--workers" in done.stderr
    assert "needs a shared store" in done.stderr
    assert "Traceback" not in done.stderr


def test_more_than_one_worker_beside_a_state_file_is_refused(tmp_path: Path) -> None:
    store = f"redis://127.0.0.1:{6390}/0"  # refused before any store is reached
    done = subprocess.run(
        [*COMMAND, "serve", "--workers", "2", "--store", store, "--state", str(tmp_path / "s")],
        capture_output=True,
        text=True,
        timeout=GUARD_S,
    )
    assert done.returncode == 2, done.stderr
    assert "--state is written by one process" in done.stderr
    assert not (tmp_path / "s").exists()


def test_proxy_refuses_more_than_one_worker() -> None:
    done = subprocess.run(
        [*COMMAND, "proxy", "--upstream", "fireworks=http://127.0.0.1:9", "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=GUARD_S,
    )
    assert done.returncode == 2, done.stderr
    assert "--workers 1" in done.stderr


def test_zero_workers_is_a_usage_error() -> None:
    done = subprocess.run(
        [*COMMAND, "serve", "--workers", "0"], capture_output=True, text=True, timeout=GUARD_S
    )
    assert done.returncode == 2
    assert "--workers" in done.stderr
