"""The pytest handle's scenario control (``secretmock.fault``, ``secretmock.clock``,
``snapshot``/``restore``), over both transports (conftest ``api``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from secretmock.engine.emulator import Emulator
from secretmock.engine.faults import FaultRuleError
from secretmock.engine.state import StateError
from secretmock.testing import SecretMock
from tests.conftest import Api
from tests.scenario_calls import CREATES, INSFORGE, LISTS

MOMENT = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)


@pytest.fixture
def handle(emulator: Emulator) -> SecretMock:
    return SecretMock(emulator, "")


def test_fault_takes_every_field_and_counts_its_hits(api: Api, handle: SecretMock) -> None:
    rule = handle.fault(
        "fireworks",
        "Gateway_ListSecrets",
        tenant="acme",
        status=429,
        retry_after=2,
        delay=0.001,
        after=1,
        times=2,
    )
    assert (rule.hits, rule.remaining) == (0, 2)
    statuses = [LISTS["fireworks"].send(api).status_code for _ in range(4)]
    assert statuses == [200, 429, 429, 200]
    assert (rule.hits, rule.remaining) == (2, 0)
    shown = handle.emulator.faults.get(rule.id)
    assert shown is not None and shown.as_dict()["delay_ms"] == 1
    assert shown.retry_after == 2 and shown.tenant == "acme"


def test_fault_delay_may_be_a_timedelta(handle: SecretMock) -> None:
    rule = handle.fault("fireworks", delay=timedelta(milliseconds=250))
    shown = handle.emulator.faults.get(rule.id)
    assert shown is not None and shown.delay_ms == 250


def test_remove_and_the_context_manager_take_the_rule_away(api: Api, handle: SecretMock) -> None:
    with handle.fault("fireworks", status=503) as rule:
        assert LISTS["fireworks"].send(api).status_code == 503
    assert LISTS["fireworks"].send(api).status_code == 200
    assert rule.hits == 1 and handle.emulator.faults.active == ()
    other = handle.fault("fireworks", status=503)
    other.remove()
    other.remove()  # a second time: nothing happens
    assert LISTS["fireworks"].send(api).status_code == 200


def test_fault_commit_and_disconnect_reach_the_rule(handle: SecretMock) -> None:
    rule = handle.fault("insforge", "createSecret", disconnect=True, commit=True)
    shown = handle.emulator.faults.get(rule.id)
    assert shown is not None and (shown.disconnect, shown.commit) == (True, True)


def test_a_bad_fault_raises_naming_the_field(handle: SecretMock) -> None:
    with pytest.raises(FaultRuleError, match="'operation' 'nope' is not an operation"):
        handle.fault("fireworks", "nope", status=503)
    with pytest.raises(FaultRuleError, match="at least one of"):
        handle.fault("fireworks")


def test_clock_set_now_and_advance(api: Api, handle: SecretMock) -> None:
    handle.clock.set(MOMENT)
    assert handle.clock.now == MOMENT and handle.clock.frozen
    handle.clock.advance(90)
    assert handle.clock.now == MOMENT + timedelta(seconds=90)
    handle.clock.advance(timedelta(days=1))
    assert handle.clock.now == MOMENT + timedelta(days=1, seconds=90)
    handle.clock.set("2001-01-01T00:00:00Z")
    assert handle.clock.now == datetime(2001, 1, 1, tzinfo=UTC)
    answer = api.request("GET", "/__admin__/clock").json()
    assert answer == {"now": "2001-01-01T00:00:00.000000Z", "frozen": True}
    handle.clock.run()
    assert not handle.clock.frozen and handle.clock.now >= datetime(2001, 1, 1, tzinfo=UTC)


def test_clock_refuses_a_time_without_offset(handle: SecretMock) -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        handle.clock.set(datetime(2031, 5, 6))
    with pytest.raises(ValueError, match="UTC offset"):
        handle.clock.set("2031-05-06T07:08:09")


def test_an_insforge_secret_expires_when_the_clock_passes_it(api: Api, handle: SecretMock) -> None:
    handle.clock.set(MOMENT)
    body = {"key": "TEMP_TOKEN", "value": "t", "expiresAt": "2031-05-06T08:08:09Z"}
    assert (
        api.request("POST", "/insforge/api/secrets", headers=INSFORGE, json=body).status_code == 201
    )
    handle.clock.advance(timedelta(hours=1))
    gone = api.request("GET", "/insforge/api/secrets/TEMP_TOKEN", headers=INSFORGE)
    assert gone.status_code == 404


def test_snapshot_and_restore(api: Api, handle: SecretMock) -> None:
    handle.clock.set(MOMENT)
    saved = handle.snapshot()
    for call in CREATES.values():
        assert call.send(api).status_code == call.status
    handle.clock.advance(60)
    handle.restore(saved)
    assert handle.snapshot() == saved
    assert handle.clock.now == MOMENT
    listed = LISTS["fireworks"].send(api).json()
    assert [s["keyName"] for s in listed["secrets"]] == ["OPENAI_API_KEY", "WOLFRAM_ALPHA_API_KEY"]


def test_a_snapshot_shares_nothing_with_the_live_state(handle: SecretMock) -> None:
    saved = handle.snapshot()
    saved["vendors"]["fireworks"]["tenants"]["acme"]["secrets"]["s1"]["value"] = "changed"
    assert handle.secrets("fireworks", "acme")[1]["value"] == "wolfram-test-1"


def test_restore_refuses_a_bad_document_and_changes_nothing(handle: SecretMock) -> None:
    before = handle.snapshot()
    with pytest.raises(StateError, match="format: expected 1"):
        handle.restore({**before, "format": 0})
    assert handle.snapshot() == before
