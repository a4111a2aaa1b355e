"""``serve --state FILE``: the emulated state kept in a file across restarts.

At start the file is loaded when it exists (start-up is refused, naming the file and
the problem, when it cannot be: the file is never overwritten then). While serving, a
background thread writes the state after it changes: no sooner than a second after its
previous write, so a burst of changes costs one write a second, and within about a
second of each change. The request path pays nothing but the version counters it
already bumps. Every write is atomic (:func:`~secretmock.serve.files.write_atomically`),
so a crash leaves the complete old file or the complete new one.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from secretmock.engine import json_values
from secretmock.engine.state import StateError, restore_state, state_document
from secretmock.serve.files import PRIVATE_MODE, write_atomically

if TYPE_CHECKING:
    from secretmock.engine.emulator import Emulator

log = logging.getLogger("secretmock")

MIN_INTERVAL_S = 1.0
"""At most one write per this many seconds."""
WRITING_SHARE = 0.25
"""A state so large that a write takes longer than this share of a second spaces the
writes further (a write of 100,000 records takes about 0.4 s): the writer's thread never
takes more than this share of the time, and so of the interpreter, from requests."""
POLL_S = 0.05
"""How often the writer looks for a change (reads a few integers)."""


class StateFileError(Exception):
    """The state file cannot be used; the message names it and the problem."""


def read_state_file(path: Path) -> Any | None:
    """The document in ``path``; ``None`` when there is no such file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StateFileError(f"{path}: cannot read the state file: {exc}") from exc
    if not text.strip():
        raise StateFileError(
            f"{path}: the state file is empty (delete it to start from the fixtures)"
        )
    try:
        return json_values.loads(text, json_values.DOCUMENT_DEPTH)
    except ValueError as exc:
        raise StateFileError(f"{path}: the state file is not valid JSON: {exc}") from exc


def load_state_file(emulator: Emulator, path: Path) -> bool:
    """Restores the state in ``path`` if there is such a file (whether there was);
    :class:`StateFileError` names the file and the problem when it cannot be used, and
    then nothing has changed (the file neither)."""
    if not path.parent.is_dir():
        raise StateFileError(f"{path}: cannot keep the state file: no directory {path.parent}")
    document = read_state_file(path)
    if document is None:
        return False
    try:
        restore_state(emulator, document)
    except StateError as exc:
        raise StateFileError(f"{path}: not a secretmock state file: {exc}") from exc
    return True


def state_version(emulator: Emulator) -> int:
    """A number that grows with every change of the state (stores and clock)."""
    return emulator.clock.version + sum(p.store.version for p in emulator.pipelines.values())


def writer_for(emulator: Emulator, path: Path) -> StateWriter:
    """A writer of ``emulator``'s state to ``path`` (not started)."""

    def snapshot() -> bytes:
        # Compact: with ``indent`` the json module falls back to its pure-Python encoder,
        # three to four times slower on a large state.
        document = state_document(emulator)
        return (json.dumps(document, separators=(",", ":"), ensure_ascii=False) + "\n").encode()

    return StateWriter(path, lambda: state_version(emulator), snapshot)


class StateWriter:
    """Writes ``snapshot()`` to ``path`` whenever ``version()`` has moved on.

    ``clock`` and ``wait`` are injectable so the schedule can be tested without time
    passing (``wait(seconds)`` returns True when asked to stop).
    """

    def __init__(
        self,
        path: Path,
        version: Callable[[], int],
        snapshot: Callable[[], bytes],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self._version = version
        self._snapshot = snapshot
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._written: int | None = None
        self._last_snapshot = float("-inf")
        self._interval = MIN_INTERVAL_S
        self.writes = 0
        self.wait: Callable[[float], bool] = self._stop.wait

    def start(self) -> StateWriter:
        self._thread = threading.Thread(target=self.run, name="secretmock-state", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops the thread, then writes once more if anything changed since."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.write_if_changed()

    def run(self) -> None:
        while not self.wait(POLL_S):
            if self._version() == self._written:
                continue
            pause = self._last_snapshot + self._interval - self._clock()
            if pause > 0 and self.wait(pause):
                return
            self.write_if_changed()

    def write_if_changed(self) -> bool:
        """Writes the state if it changed since the last write; whether it did. A failed
        write is logged and left for the next round (the server carries on)."""
        version = self._version()
        if version == self._written:
            return False
        self._last_snapshot = started = self._clock()
        try:
            write_atomically(self.path, self._snapshot(), PRIVATE_MODE)
        except OSError as exc:
            log.error("secretmock: cannot write the state file %s: %s", self.path, exc)
            return False
        finally:
            took = self._clock() - started
            self._interval = max(MIN_INTERVAL_S, took / WRITING_SHARE)
        self._written = version
        self.writes += 1
        return True
