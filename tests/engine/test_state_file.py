"""The state file: its writer's schedule (time injected, so no test waits), its atomic
writes, and loading (a file that cannot be used is refused and left as it was)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NamedTuple

import pytest

from secretmock.engine.emulator import Emulator
from secretmock.engine.state import state_document
from secretmock.serve.files import write_atomically
from secretmock.serve.state_file import (
    MIN_INTERVAL_S,
    WRITING_SHARE,
    StateFileError,
    StateWriter,
    load_state_file,
    read_state_file,
    writer_for,
)
from tests.helpers import table


class Scripted:
    """A monotonic clock that ``wait`` moves; changes happen at scripted times."""

    def __init__(self, changes_at: list[float], stop_at: float) -> None:
        self.now = 0.0
        self.version = 0
        self._changes = sorted(changes_at)
        self._stop_at = stop_at
        self.write_times: list[float] = []

    def wait(self, seconds: float) -> bool:
        self.now += seconds
        while self._changes and self._changes[0] <= self.now:
            self._changes.pop(0)
            self.version += 1
        return self.now >= self._stop_at

    def snapshot(self) -> bytes:
        self.write_times.append(self.now)
        return json.dumps({"version": self.version}).encode()


def run_script(tmp_path: Path, changes_at: list[float], stop_at: float) -> Scripted:
    script = Scripted(changes_at, stop_at)
    writer = StateWriter(
        tmp_path / "state.json", lambda: script.version, script.snapshot, clock=lambda: script.now
    )
    writer.wait = script.wait
    writer.run()
    return script


def test_a_burst_costs_one_write_a_second(tmp_path: Path) -> None:
    burst = [i * 0.01 for i in range(1, 500)]  # 500 changes in 5 seconds
    script = run_script(tmp_path, burst, stop_at=10)
    assert 4 <= len(script.write_times) <= 6
    gaps = [b - a for a, b in zip(script.write_times, script.write_times[1:], strict=False)]
    assert all(gap >= MIN_INTERVAL_S - 1e-9 for gap in gaps)


def test_each_change_is_written_within_a_second(tmp_path: Path) -> None:
    changes = [0.3, 0.35, 2.0, 2.95, 7.5]
    script = run_script(tmp_path, changes, stop_at=12)
    for moment in changes:
        assert any(moment <= t <= moment + MIN_INTERVAL_S + 0.06 for t in script.write_times), (
            moment
        )


def test_no_change_no_write(tmp_path: Path) -> None:
    script = run_script(tmp_path, [], stop_at=5)
    assert script.write_times[:1] == [0.05]  # the first round writes the start-up state
    assert len(script.write_times) == 1


def test_a_failed_write_is_retried_next_round(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    real_replace = os.replace

    def flaky_replace(source: str, target: Path) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk full")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", flaky_replace)
    script = run_script(tmp_path, [], stop_at=3)
    assert len(script.write_times) == 2  # the first failed, the second (a second on) held
    assert json.loads((tmp_path / "state.json").read_text()) == {"version": 0}
    assert list(tmp_path.iterdir()) == [tmp_path / "state.json"]


# -- atomic writes -----------------------------------------------------------------------


def test_a_write_replaces_the_file_whole_and_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    write_atomically(target, b"old")
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert list(tmp_path.iterdir()) == [target]


def test_a_write_that_fails_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "state.json"
    write_atomically(target, b"old")

    def no_room(fd: int) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr(os, "fsync", no_room)
    with pytest.raises(OSError, match="no space"):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


# -- loading -------------------------------------------------------------------------------


class Unusable(NamedTuple):
    id: str
    content: bytes
    mentions: str


UNUSABLE = [
    Unusable("empty", b"", "the state file is empty"),
    Unusable("blank", b"  \n", "the state file is empty"),
    Unusable("not-json", b"{format: 1", "not valid JSON"),
    Unusable("nan", b'{"format": 1, "vendors": {}, "clock": NaN}', "not valid JSON"),
    Unusable("not-utf8", b"\xff\xfe{}", "cannot read the state file"),
    Unusable("not-a-state", b'{"tenants": []}', "not a secretmock state file: state: missing"),
    Unusable("other-format", b'{"format": 9, "vendors": {}}', "format: expected 1, got 9"),
]


@table(UNUSABLE)
def test_a_file_that_cannot_be_used_is_refused_and_left_alone(
    tmp_path: Path, emulator: Emulator, content: bytes, mentions: str
) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(content)
    before = state_document(emulator)
    with pytest.raises(StateFileError) as refused:
        load_state_file(emulator, target)
    assert str(refused.value).startswith(f"{target}: ") and mentions in str(refused.value)
    assert target.read_bytes() == content
    assert state_document(emulator) == before


def test_a_directory_is_not_a_state_file(tmp_path: Path, emulator: Emulator) -> None:
    with pytest.raises(StateFileError, match="cannot read the state file"):
        load_state_file(emulator, tmp_path)


def test_a_state_file_in_a_missing_directory_is_refused(tmp_path: Path, emulator: Emulator) -> None:
    with pytest.raises(StateFileError, match="no directory"):
        load_state_file(emulator, tmp_path / "nowhere" / "state.json")


def test_no_file_means_the_fixtures(tmp_path: Path, emulator: Emulator) -> None:
    assert load_state_file(emulator, tmp_path / "state.json") is False
    assert read_state_file(tmp_path / "state.json") is None


def test_what_the_writer_writes_loads_back(tmp_path: Path, emulator: Emulator) -> None:
    target = tmp_path / "state.json"
    emulator.put_tenant("fireworks", "globex", {"credentials": [{"token": "fw-globex"}]})
    writer = writer_for(emulator, target)
    assert writer.write_if_changed() is True
    assert writer.write_if_changed() is False  # nothing changed since
    saved = state_document(emulator)
    emulator.reset()
    assert load_state_file(emulator, target) is True
    assert state_document(emulator) == saved


def test_a_state_that_is_slow_to_write_is_written_less_often(tmp_path: Path) -> None:
    script = Scripted([i * 0.01 for i in range(1, 2000)], stop_at=20)
    slow = script.snapshot

    def half_a_second_to_write() -> bytes:
        script.now += 0.5  # a state so large that writing it takes half a second
        return slow()

    writer = StateWriter(
        tmp_path / "state.json",
        lambda: script.version,
        half_a_second_to_write,
        clock=lambda: script.now,
    )
    writer.wait = script.wait
    writer.run()
    gaps = [b - a for a, b in zip(script.write_times, script.write_times[1:], strict=False)]
    assert gaps and all(gap >= 0.5 / WRITING_SHARE - 1e-9 for gap in gaps)
