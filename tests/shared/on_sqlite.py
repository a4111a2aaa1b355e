"""A pytest plugin that runs tests written for the in-process emulator on a SQLite store:
the suite's session ``emulator`` is attached to a fresh database once made, so every
request of the tests goes through the shared store's path (sync, commit, journal).

    .venv/bin/python -m pytest -p tests.shared.on_sqlite tests/vendors

Not part of ``make test`` (it reruns those files); ``tests/shared`` has the shared
store's own tests.
"""

from __future__ import annotations

import tempfile
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from secretmock.engine.emulator import Emulator
from secretmock.engine.shared.sqlite import SQLiteBackend


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: pytest.FixtureRequest) -> Generator[None, Any]:
    outcome: Any = yield
    if fixturedef.argname != "emulator":
        return
    emulator = outcome.get_result()
    if isinstance(emulator, Emulator) and emulator.shared is None:
        folder = Path(tempfile.mkdtemp(prefix="secretmock-on-sqlite-"))
        backend = SQLiteBackend(folder / "store.db")
        backend.open()
        emulator.attach(backend)
