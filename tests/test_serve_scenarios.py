"""``secretmock serve --faults/--clock/--state``, run as a user would: in a subprocess,
stopped with SIGINT, SIGTERM or SIGKILL."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import requests

from tests.robustness.serve import COMMAND, serving
from tests.scenario_calls import FIREWORKS

ACME = "/fireworks/v1/accounts/acme/secrets"
FAULTS = """\
# After one list of acme's secrets, the next two are rate-limited.
- vendor: fireworks
  operation: Gateway_ListSecrets
  status: 429
  retry_after: 1
  after: 1
  times: 2
"""


def create(root: str, name: str) -> None:
    answer = requests.post(
        root + ACME,
        headers=FIREWORKS,
        json={"name": name, "keyName": name.upper().replace("-", "_"), "value": "v"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def stored_ids(state_file: Path) -> set[str]:
    document = json.loads(state_file.read_text())
    return set(document["vendors"]["fireworks"]["tenants"]["acme"]["secrets"])


def wait_until_written(state_file: Path, secret_id: str) -> None:
    """Until the writer has put ``secret_id`` in the file (it does within about a second;
    the generous bound only keeps a broken writer from hanging the suite)."""
    deadline = time.monotonic() + 30
    while not (state_file.exists() and secret_id in stored_ids(state_file)):
        assert time.monotonic() < deadline, "the state file never got the change"
        time.sleep(0.05)


def stop(process: subprocess.Popen[str], how: signal.Signals) -> int:
    process.send_signal(how)
    return process.wait(timeout=30)


def test_faults_and_clock_given_at_start(tmp_path: Path) -> None:
    faults = tmp_path / "faults.yaml"
    faults.write_text(FAULTS)
    with serving("--faults", str(faults), "--clock", "2031-05-06T07:08:09Z") as (root, process):
        got = [
            requests.get(root + ACME, headers=FIREWORKS, timeout=10).status_code for _ in range(4)
        ]
        assert got == [200, 429, 429, 200]
        clock = requests.get(root + "/__admin__/clock", timeout=10).json()
        assert clock == {"now": "2031-05-06T07:08:09.000000Z", "frozen": True}
        insforge = {"Authorization": "Bearer ik_test_demo_admin"}
        listed = requests.get(root + "/insforge/api/secrets", headers=insforge, timeout=10)
        stripe = next(s for s in listed.json()["secrets"] if s["key"] == "STRIPE_API_KEY")
        assert stripe["createdAt"] == "2031-05-06T07:08:09.000Z", "fixtures made at that time"
        # A reset puts the start-up rules back, counters at zero; the clock runs again.
        requests.post(root + "/__admin__/reset", timeout=10)
        [rule] = requests.get(root + "/__admin__/faults", timeout=10).json()["faults"]
        assert (rule["hits"], rule["remaining"]) == (0, 2)
        assert requests.get(root + "/__admin__/clock", timeout=10).json()["frozen"] is False
        stop(process, signal.SIGINT)
        banner = process.stdout.read() if process.stdout else ""
    assert f"fault rules: 1 from {faults}" in banner
    assert "clock: frozen at 2031-05-06T07:08:09.000000Z" in banner


def test_the_state_survives_sigkill(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with serving("--state", str(state_file)) as (root, process):
        for index in range(50):  # a burst: the writer writes about once a second
            create(root, f"burst-{index}")
        wait_until_written(state_file, "burst-49")
        assert stop(process, signal.SIGKILL) == -signal.SIGKILL
    assert {f"burst-{i}" for i in range(50)} <= stored_ids(state_file)
    lock_file = tmp_path / "state.json.lock"  # the killed server's: its lock went with it
    assert sorted(tmp_path.iterdir()) == [state_file, lock_file], "no temporary file left"
    with serving("--state", str(state_file)) as (root, process):
        listed = requests.get(root + ACME + "?pageSize=200", headers=FIREWORKS, timeout=10).json()
        assert {f"accounts/acme/secrets/burst-{i}" for i in range(50)} <= {
            s["name"] for s in listed["secrets"]
        }
        stop(process, signal.SIGINT)
        assert f"state: loaded from {state_file}" in (
            process.stdout.read() if process.stdout else ""
        )
    assert list(tmp_path.iterdir()) == [state_file], "a server that stops removes its lock"


def test_sigint_writes_the_last_change_at_shutdown(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with serving("--state", str(state_file)) as (root, process):
        create(root, "first")
        wait_until_written(state_file, "first")
        create(root, "last-moment")  # and stop at once: the shutdown write has it
        assert stop(process, signal.SIGINT) == 0
    assert {"first", "last-moment"} <= stored_ids(state_file)


def test_sigterm_writes_the_last_change_at_shutdown_and_the_file_loads(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with serving("--state", str(state_file)) as (root, process):
        create(root, "before-sigterm")
        wait_until_written(state_file, "before-sigterm")
        create(root, "at-sigterm")  # and stop at once, as CI stops a service
        assert stop(process, signal.SIGTERM) == 0
    assert {"before-sigterm", "at-sigterm"} <= stored_ids(state_file)
    with serving("--state", str(state_file)) as (root, process):
        answer = requests.get(root + ACME + "/at-sigterm", headers=FIREWORKS, timeout=10)
        assert answer.status_code == 200


def test_the_clock_setting_is_kept_in_the_state_file(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with serving("--state", str(state_file), "--clock", "2031-05-06T07:08:09Z") as (root, process):
        requests.put(root + "/__admin__/clock", json={"advance": 60}, timeout=10)
        stop(process, signal.SIGINT)
    with serving("--state", str(state_file)) as (root, process):
        clock = requests.get(root + "/__admin__/clock", timeout=10).json()
        assert clock == {"now": "2031-05-06T07:09:09.000000Z", "frozen": True}


def refused(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, "serve", "--port", "0", *args], capture_output=True, text=True, timeout=60
    )


def test_a_state_file_that_cannot_be_loaded_stops_the_start_and_is_kept(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_text('{"format": 1, "vendors": {"fireworks": {"tenants": []}}}')
    before = state_file.read_bytes()
    result = refused("--state", str(state_file))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"secretmock: {state_file}: not a secretmock state file: "
        "vendors.fireworks.tenants: expected an object"
    )
    assert "base URL" not in result.stdout, "refused before serving"
    assert state_file.read_bytes() == before


def test_a_bad_faults_file_stops_the_start_naming_the_rule(tmp_path: Path) -> None:
    faults = tmp_path / "faults.yaml"
    faults.write_text("- {vendor: fireworks, status: 503}\n- {vendor: fireworks, status: 99}\n")
    result = refused("--faults", str(faults))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"secretmock: {faults}[1]: 'status' must be from 400 to 599, got 99"
    )


def test_a_faults_file_that_is_not_a_list_is_refused(tmp_path: Path) -> None:
    faults = tmp_path / "faults.yaml"
    faults.write_text("vendor: fireworks\nstatus: 503\n")
    result = refused("--faults", str(faults))
    assert result.returncode == 1
    assert f"{faults}: expected a list of rules, got an object" in result.stderr


def test_a_clock_without_offset_is_a_usage_error() -> None:
    result = refused("--clock", "2031-05-06")
    assert result.returncode == 2
    assert "needs a UTC offset" in result.stderr
