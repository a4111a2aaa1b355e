"""The files ``secretmock serve`` writes (issue 18, D1, D2, D4, U1): a ``--state`` file is
locked by the server using it, written through a symbolic link and never over a
read-only file; every file it will write is checked before anything is served; and at
shutdown one failed write never keeps another from being written. Each over the real
command, in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.robustness.serve import Served
from tests.scenario_calls import FIREWORKS

ACME = "/fireworks/v1/accounts/acme/secrets"


def create(root: str, name: str) -> None:
    body = {"name": name, "keyName": name.upper().replace("-", "_"), "value": "v"}
    answer = requests.post(root + ACME, headers=FIREWORKS, json=body, timeout=10)
    assert answer.status_code == 200, answer.text


def stored_ids(state_file: Path) -> set[str]:
    document = json.loads(state_file.read_text())
    return set(document["vendors"]["fireworks"]["tenants"]["acme"]["secrets"])


def refused(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "secretmock", "serve", "--port", "0", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


# -- D1: one server per state file -------------------------------------------------------


def test_a_second_server_on_the_same_state_file_refuses_to_start(tmp_path: Path) -> None:
    state_file = tmp_path / "s.json"
    first_dir, second_dir = tmp_path / "a", tmp_path / "b"
    first_dir.mkdir()
    second_dir.mkdir()
    with Served(first_dir, "--state", str(state_file)) as first:
        assert first.process is not None
        result = refused(second_dir, "--state", str(state_file))
        assert result.returncode == 2
        assert result.stderr.startswith(f"secretmock: {state_file}: the state file is in use")
        assert f"pid {first.process.pid}" in result.stderr
        assert "Traceback" not in result.stderr and "base URL" not in result.stdout
        create(first.url, "from-a")  # the first server goes on, its writes kept
        assert first.stop(signal.SIGINT) == 0
    assert "from-a" in stored_ids(state_file)
    with Served(second_dir, "--state", str(state_file)) as second:
        assert second.stop() == 0, "once the first has stopped, the file is free"


# -- D4: symbolic links, modes, read-only files ------------------------------------------


def test_a_symlinked_state_file_is_written_through_the_link(tmp_path: Path) -> None:
    target = tmp_path / "target.json"
    link = tmp_path / "link.json"
    link.symlink_to(target.name)  # dangling: the target is made at the first write
    with Served(tmp_path, "--state", str(link)) as served:
        create(served.url, "through-the-link")
        assert served.stop() == 0
    assert link.is_symlink() and os.readlink(link) == target.name
    assert "through-the-link" in stored_ids(target)


def test_the_state_files_mode_is_kept_and_a_loaded_file_is_not_rewritten(
    tmp_path: Path,
) -> None:
    state_file = tmp_path / "s.json"
    with Served(tmp_path, "--state", str(state_file)) as served:
        assert served.stop() == 0
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600  # new: it holds every secret
    state_file.chmod(0o640)
    before = state_file.stat()
    with Served(tmp_path, "--state", str(state_file)) as served:
        assert served.stop() == 0
    unchanged = state_file.stat()
    assert (unchanged.st_ino, unchanged.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    with Served(tmp_path, "--state", str(state_file)) as served:
        create(served.url, "changed")
        assert served.stop() == 0
    assert "changed" in stored_ids(state_file)
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o640


def test_a_read_only_state_file_is_refused_and_kept(tmp_path: Path) -> None:
    golden = tmp_path / "golden.json"
    with Served(tmp_path, "--state", str(golden)) as served:
        assert served.stop() == 0
    golden.chmod(0o444)
    content = golden.read_bytes()
    result = refused(tmp_path, "--state", str(golden))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"secretmock: {golden}: cannot write the --state file there: the file is read-only"
    )
    assert golden.read_bytes() == content and stat.S_IMODE(golden.stat().st_mode) == 0o444


# -- D2 / U1: every output checked at start-up --------------------------------------------


@pytest.mark.parametrize("flag", ["--report", "--ready-file", "--state"])
def test_an_output_in_a_missing_directory_is_refused_at_start(tmp_path: Path, flag: str) -> None:
    result = refused(tmp_path, flag, "nodir/out.json")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"secretmock: nodir/out.json: cannot write the {flag} file there: "
        f"no directory {tmp_path / 'nodir'}"
    )
    assert result.stdout == "" and not (tmp_path / "nodir").exists()


@pytest.mark.parametrize("flag", ["--report", "--ready-file", "--state"])
def test_an_output_that_is_a_directory_is_a_usage_error(tmp_path: Path, flag: str) -> None:
    (tmp_path / "out").mkdir()
    result = refused(tmp_path, flag, "out")
    assert result.returncode == 2
    assert f"Invalid value for '{flag}'" in result.stderr
    assert "'out' is a directory" in result.stderr and "Traceback" not in result.stderr


def test_a_failed_report_at_shutdown_keeps_the_last_state_write(tmp_path: Path) -> None:
    """The report's directory goes away while serving: at shutdown the report cannot be
    written, which is said (exit status 1, no traceback), and the state file still
    gets the last change."""
    reports = tmp_path / "reports"
    reports.mkdir()
    state_file = tmp_path / "s.json"
    args = ("--state", str(state_file), "--report", str(reports / "r.json"))
    with Served(tmp_path, *args) as served:
        reports.rmdir()
        create(served.url, "last-change")
        status = served.stop()
    assert status == 1
    assert f"secretmock: {reports / 'r.json'}: cannot write the report" in served.stderr()
    assert "Traceback" not in served.stderr()
    assert "last-change" in stored_ids(state_file)


def test_a_failed_state_write_at_shutdown_keeps_the_report(tmp_path: Path) -> None:
    """The state file's place is taken by a directory while serving: its writes fail,
    which is said, naming it (exit status 1, no traceback), and the report is written
    all the same."""
    state_file, report = tmp_path / "s.json", tmp_path / "r.json"
    with Served(tmp_path, "--state", str(state_file), "--report", str(report)) as served:
        state_file.unlink(missing_ok=True)
        state_file.mkdir()
        create(served.url, "never-saved")
        status = served.stop()
    assert status == 1
    assert f"secretmock: {state_file}: cannot write the state file: " in served.stderr()
    assert "Traceback" not in served.stderr()
    written = json.loads(report.read_text())
    assert written["vendors"]["fireworks"]["operations"]


# -- secretmock report's own files --------------------------------------------------------


@pytest.mark.parametrize("flag", ["--junit", "--json", "--html"])
def test_report_refuses_a_file_it_cannot_write_before_fetching(tmp_path: Path, flag: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "secretmock", "report", "--url", "http://127.0.0.1:9", flag, "no/f"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"secretmock: no/f: cannot write the {flag} file there")
    assert "cannot fetch" not in result.stderr and "Traceback" not in result.stderr
