"""Tests written for the in-process emulator pass on a SQLite store too: Fireworks'
behaviour table and the scenario tests (faults, clock, state) through the pytest
plugin ``tests.shared.on_sqlite``, in a pytest of their own. The whole vendor suite
runs so with ``pytest -p tests.shared.on_sqlite tests/vendors``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def test_fireworks_and_the_scenarios_pass_on_a_sqlite_store() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.shared.on_sqlite",
            "-p",
            "no:cacheprovider",
            "tests/vendors/test_fireworks.py",
            "tests/test_scenarios.py",
        ],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
