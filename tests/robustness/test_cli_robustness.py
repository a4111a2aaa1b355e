"""The command line's rough edges (issue 8, bugs 6 and 11): port numbers, ``--help``,
and ``specs`` in a pipe that closes early."""

from __future__ import annotations

import subprocess
import sys

import pytest

SECRETMOCK = [sys.executable, "-m", "secretmock"]


@pytest.mark.parametrize("port", ["99999", "65536", "-1", "http"])
def test_a_port_out_of_range_is_refused(port: str) -> None:
    result = subprocess.run(
        [*SECRETMOCK, "serve", "--port", port], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "--port" in result.stderr and result.stdout == ""


def test_help_names_every_command_in_plain_words() -> None:
    result = subprocess.run([*SECRETMOCK, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for command in ("serve", "report", "specs", "--version"):
        assert command in result.stdout
    assert "``" not in result.stdout  # no docstring markup


def test_specs_is_quiet_in_a_pipe_that_closes_early() -> None:
    """``secretmock specs | head -3``: the reader is gone before ``specs`` writes, and
    no traceback follows."""
    specs = subprocess.Popen([*SECRETMOCK, "specs"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert specs.stdout is not None and specs.stderr is not None
    specs.stdout.close()  # what head does once it has its lines
    error = specs.stderr.read().decode()
    assert specs.wait(timeout=60) == 1
    assert "Traceback" not in error and "BrokenPipeError" not in error, error


def test_no_command_shows_the_help_as_a_usage_error() -> None:
    result = subprocess.run(SECRETMOCK, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    shown = result.stdout + result.stderr
    assert "Usage: secretmock" in shown and "serve" in shown and "Traceback" not in shown
