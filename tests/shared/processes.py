"""Helpers for tests of real processes: a supervisor's workers and which one answers."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

GUARD_S = 30.0
"""How long a test waits for something to happen before it calls it a hang: a guard
against waiting forever, never a speed assertion."""


def children(pid: int) -> list[int]:
    """The pids of ``pid``'s child processes (Linux's ``/proc``), zombies left out."""
    listed = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [child for child in map(int, listed) if alive(child)]


def alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (not gone, not a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Returns once ``condition()`` holds; fails naming ``what`` after ``GUARD_S``."""
    deadline = time.monotonic() + GUARD_S
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


@contextmanager
def only(worker: int, workers: list[int]) -> Iterator[None]:
    """Every worker but ``worker`` stopped (SIGSTOP) meanwhile: a new connection can
    then be accepted by ``worker`` alone, so that a test knows who answers it."""
    others = [pid for pid in workers if pid != worker]
    for pid in others:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in others:
            os.kill(pid, signal.SIGCONT)
