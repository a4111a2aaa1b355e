"""A fault rule's latency is bounded (newcomer review C4): ``delay_ms`` is at most
600,000 (ten minutes). One larger is refused naming the field, by the admin API (over
both transports), a faults file and the pytest handle, and nothing is added; the bound
itself is accepted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from secretmock.engine.emulator import Emulator
from secretmock.engine.faults import FaultRuleError, load_fault_file
from secretmock.testing import SecretMock
from tests.conftest import Api


@pytest.mark.parametrize("delay_ms", [600_001, 10**30])
def test_a_delay_past_ten_minutes_is_refused_naming_the_field(api: Api, delay_ms: int) -> None:
    answer = api.request(
        "POST", "/__admin__/faults", json={"vendor": "fireworks", "delay_ms": delay_ms}
    )
    assert answer.status_code == 400, answer.json()
    assert answer.json()["error"] == "invalid_rule"
    assert "'delay_ms' must be from 0 to 600000" in answer.json()["message"]
    assert api.request("GET", "/__admin__/faults").json() == {"faults": []}


def test_ten_minutes_is_accepted(api: Api) -> None:
    answer = api.request(
        "POST", "/__admin__/faults", json={"vendor": "fireworks", "delay_ms": 600_000}
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["delay_ms"] == 600_000


def test_the_pytest_handle_refuses_a_delay_past_ten_minutes(emulator: Emulator) -> None:
    handle = SecretMock(emulator, "http://127.0.0.1")
    with pytest.raises(FaultRuleError, match="'delay_ms' must be from 0 to 600000"):
        handle.fault("fireworks", delay=10**27)
    assert not emulator.faults.active


def test_a_faults_file_with_a_delay_past_ten_minutes_is_refused(
    tmp_path: Path, emulator: Emulator
) -> None:
    path = tmp_path / "faults.yaml"
    path.write_text("- {vendor: fireworks, delay_ms: 3600000}\n")
    rules: Any = load_fault_file(path)
    with pytest.raises(FaultRuleError, match="'delay_ms' must be from 0 to 600000"):
        emulator.set_startup_faults(rules, str(path))
    assert not emulator.faults.active
