"""``secretmock serve --workers N``: one listening socket, N worker processes serving it.

The parent, the supervisor, has built the app and bound the socket as ``serve`` does
alone. It listens, then forks the workers: each inherits the warm heap (specs and
validators, shared copy-on-write) and the socket, and serves it with uvicorn as a lone
server would (:func:`secretmock.serve.foreground.run`); the kernel hands each new
connection to one of them. The state they serve lives in the shared store (``--store``),
never in a worker's memory, which is why more than one worker needs one
(:func:`workers_refusal`).

* **Ready.** Each worker writes a byte on its own pipe once uvicorn accepts connections;
  the supervisor writes ``--ready-file`` once every worker has, and never again.
* **A worker that dies** (SIGKILL, a crash) while the server serves is replaced by a new
  one, forked from the same warm parent; the others serve on meanwhile, and the shared
  store's transactions mean the dead one left no partial write. One that dies before the
  server was first ready means it cannot serve: the server stops (exit status 1).
* **SIGTERM or SIGINT** to the supervisor is passed on to every worker as SIGTERM; a
  worker still running :data:`STOP_WITHIN_S` later is killed, so all stop within the
  5 seconds the contract allows and the supervisor then writes the reports, once (the
  state is shared: one writer). Each worker dies with the supervisor
  (``PR_SET_PDEATHSIG`` on Linux), so none is left serving the port alone.

The supervisor forks from its only thread (it starts none), so the children inherit no
lock held by another thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import select
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from secretmock.serve.files import write_atomically
from secretmock.serve.protocol import GRACEFUL_SHUTDOWN_S

READY = b"r"
STOP_WITHIN_S = GRACEFUL_SHUTDOWN_S + 1.0
"""From SIGTERM to SIGKILL for a worker: its own graceful shutdown (answers being made,
a fault's delay) ends within ``GRACEFUL_SHUTDOWN_S``; under the contract's 5 s, leaving
time for the reports."""
RESTART_PAUSE_S = 1.0
"""A worker that died before it ever served is replaced only after this pause, so that
one that cannot start (its store gone, say) is not forked again in a tight loop."""
POLL_S = 0.5
"""The longest the supervisor sleeps with nothing happening (a signal or a worker's
message wakes it at once)."""
BACKLOG = 2048
"""uvicorn's own default backlog: the queue of connections no worker has accepted yet."""
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

ServeOne = Callable[[Callable[[], None]], bool]
"""What a worker runs: serves the socket until SIGTERM, calling its argument once it
accepts connections; whether all went well."""


def workers_refusal(workers: int, shared_store: bool) -> str | None:
    """Why ``serve`` must not start with ``workers`` processes (``None``: it may). Each
    worker holds its own memory: with the memory store, one worker would never see
    another's writes, resets, fault counters or clock."""
    if workers <= 1 or shared_store:
        return None
    return (
        f"--workers {workers} needs a shared store: with the memory store each worker would "
        "keep its own state, and a client would see its writes come and go. Pass --store "
        "sqlite:///PATH (one host) or --store redis://HOST:PORT/DB (several hosts), or serve "
        "with --workers 1."
    )


@dataclass
class Worker:
    """A worker process the supervisor started; ``pipe`` is the read end of its ready pipe
    (``-1`` once closed)."""

    pid: int
    pipe: int
    ready: bool = False


class Supervisor:
    """Keeps ``count`` workers running ``serve_one`` until SIGTERM or SIGINT (see the
    module's docstring)."""

    def __init__(
        self,
        count: int,
        serve_one: ServeOne,
        ready_file: Path | None,
        url: str,
        after_fork: Callable[[], None] | None = None,
    ) -> None:
        self.count = count
        self.serve_one = serve_one
        self.ready_file = ready_file
        self.url = url
        self.after_fork = after_fork
        self.workers: dict[int, Worker] = {}
        self.stopping = False
        self.announced = False
        self.failed = False
        self._due: list[float] = []  # when each pending replacement may start
        self._wake_r, self._wake_w = -1, -1

    # -- the supervisor's life ----------------------------------------------------------

    def run(self) -> bool:
        """Starts the workers, serves until a stop signal, stops them all; whether all went
        well: no worker failed before the server was first ready, and the ready file
        was written (a stop signal during start-up is no failure, as for a lone server)."""
        with self._signals():
            try:
                for _ in range(self.count):
                    self._start_worker()
                self._supervise()
            finally:
                self._stop_all()
                if self.ready_file is not None and self.announced:
                    self.ready_file.unlink(missing_ok=True)
        return not self.failed

    @contextlib.contextmanager
    def _signals(self) -> Iterator[None]:
        """Stop signals ask the loop to stop; SIGCHLD and both wake it (through a pipe
        ``signal.set_wakeup_fd`` writes to), so it never sleeps through one."""
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        previous: dict[int, Any] = {
            signum: signal.signal(signum, self._on_stop) for signum in STOP_SIGNALS
        }
        previous[signal.SIGCHLD] = signal.signal(signal.SIGCHLD, _ignore)
        previous_fd = signal.set_wakeup_fd(self._wake_w)
        try:
            yield
        finally:
            signal.set_wakeup_fd(previous_fd)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            os.close(self._wake_r)
            os.close(self._wake_w)

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _supervise(self) -> None:
        while not self.stopping and not self.failed:
            self._reap()
            self._replace_due()
            if not self.announced and self.workers and all(w.ready for w in self.workers.values()):
                self._announce()
            self._wait(POLL_S)

    def _wait(self, timeout: float) -> None:
        """Sleeps until a signal, a worker's message or ``timeout``; reads what came."""
        pipes = {w.pipe: w for w in self.workers.values() if w.pipe >= 0}
        readable, _, _ = select.select([self._wake_r, *pipes], [], [], timeout)
        for fd in readable:
            if fd == self._wake_r:
                _drain(fd)
                continue
            worker = pipes[fd]
            if os.read(fd, 1) == READY:
                worker.ready = True
            else:  # the worker is gone: _reap hears of it
                os.close(fd)
                worker.pipe = -1

    def _announce(self) -> None:
        self.announced = True
        if self.ready_file is None:
            return
        payload = {"url": self.url, "pid": os.getpid(), "workers": self.count}
        try:
            write_atomically(self.ready_file, json.dumps(payload) + "\n")
        except OSError as exc:
            _say(f"{self.ready_file}: cannot write the ready file: {exc}")
            self.failed = True

    # -- workers --------------------------------------------------------------------------

    def _start_worker(self) -> None:
        read_end, write_end = os.pipe()
        sys.stdout.flush()  # or the child would print again what the parent had buffered
        sys.stderr.flush()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            self._child(write_end, parent)
        os.close(write_end)
        self.workers[pid] = Worker(pid, read_end)

    def _child(self, ready_pipe: int, parent: int) -> NoReturn:
        """A worker's whole life; it never returns into the supervisor's code."""
        status = 1
        try:
            if not _die_with_parent(parent):
                os._exit(1)
            signal.set_wakeup_fd(-1)
            for signum in (*STOP_SIGNALS, signal.SIGCHLD):
                signal.signal(signum, signal.SIG_DFL)
            for fd in [self._wake_r, self._wake_w, *(w.pipe for w in self.workers.values())]:
                if fd >= 0:
                    os.close(fd)
            if self.after_fork is not None:
                self.after_fork()

            def ready() -> None:
                os.write(ready_pipe, READY)

            status = 0 if self.serve_one(ready) else 1
        except BaseException:  # a worker's crash is said, never raised into the parent's code
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)

    def _reap(self) -> None:
        """Hears of every worker that ended: one that ended before the server was first
        ready fails the start; after that, each is replaced."""
        while self.workers:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                return
            worker = self.workers.pop(pid, None)
            if worker is None:
                continue
            if worker.pipe >= 0:
                os.close(worker.pipe)
            if self.stopping:
                continue
            how = _ending(status)
            if not self.announced:
                _say(f"worker {pid} {how} before it served: stopping")
                self.failed = True
                return
            _say(f"worker {pid} {how}: starting another in its place")
            pause = 0.0 if worker.ready else RESTART_PAUSE_S
            self._due.append(time.monotonic() + pause)

    def _replace_due(self) -> None:
        now = time.monotonic()
        for due in [d for d in self._due if d <= now]:
            self._due.remove(due)
            self._start_worker()

    def _stop_all(self) -> None:
        """SIGTERM to every worker, SIGKILL to any still running after ``STOP_WITHIN_S``;
        returns once every one has ended."""
        self.stopping = True
        for pid in self.workers:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_WITHIN_S
        while self.workers and time.monotonic() < deadline:
            self._reap()
            if self.workers:
                self._wait(min(POLL_S, max(deadline - time.monotonic(), 0.0)))
        for pid in self.workers:
            _signal(pid, signal.SIGKILL)
        while self.workers:
            pid, _ = os.waitpid(-1, 0)
            worker = self.workers.pop(pid, None)
            if worker is not None and worker.pipe >= 0:
                os.close(worker.pipe)


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _ending(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"was killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exited with status {os.waitstatus_to_exitcode(status)}"


def _drain(fd: int) -> None:
    with contextlib.suppress(BlockingIOError):
        while os.read(fd, 512):
            pass


def _ignore(signum: int, frame: FrameType | None) -> None:
    """SIGCHLD's handler: its only use is to wake the supervisor's ``select``."""


PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> bool:
    """Asks Linux to send this worker SIGTERM when the supervisor dies, however it dies
    (a worker left alone would go on serving the port with no one to replace it); one
    whose supervisor died already, before the ask, must end: whether it is alive."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    return os.getppid() == parent


def _say(message: str) -> None:
    print(f"secretmock: {message}", file=sys.stderr, flush=True)
