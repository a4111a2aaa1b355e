"""The testing face without pytest: ``secretmock.start`` / ``Session``, its settings,
``fresh()`` handles, the reports it writes, and handles that end with their test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

import secretmock
from secretmock.testing import HandleEndedError, SecretMock, Session, SessionError, Settings

LANGWATCH = {"X-Auth-Token": "sk-lw-test-demo"}
FIREWORKS = {"Authorization": "Bearer fw-test-acme"}
START = datetime(2031, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    """One seeded session on a frozen clock, shared by this module's tests."""
    with secretmock.start(seed=3, clock="2031-01-01T00:00:00Z") as running:
        yield running


def create_langwatch_secret(mock: SecretMock) -> requests.Response:
    return requests.post(
        mock.url("langwatch") + "/api/secrets",
        headers=LANGWATCH,
        json={"name": "NEW", "value": "v"},
        timeout=10,
    )


def test_the_public_face_is_importable_from_the_package() -> None:
    from secretmock.engine.emulator import Emulator
    from secretmock.serve.background import BackgroundServer

    assert (secretmock.Emulator, secretmock.BackgroundServer) == (Emulator, BackgroundServer)
    assert (secretmock.SecretMock, secretmock.Session) == (SecretMock, Session)
    assert set(secretmock.__all__) == {
        "BackgroundServer",
        "Emulator",
        "SecretMock",
        "Session",
        "__version__",
        "start",
    }
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        secretmock.nope  # noqa: B018


def test_each_fresh_handle_sees_the_same_ids_and_times(session: Session) -> None:
    answers = []
    for _ in range(2):
        mock = session.fresh()
        assert mock.clock.now == START and mock.clock.frozen
        created = create_langwatch_secret(mock)
        assert created.status_code == 201
        answers.append(created.json())
        mock.clock.advance(3600)
    assert answers[0] == answers[1]
    assert answers[0]["createdAt"] == "2031-01-01T00:00:00.000Z"


def test_fresh_resets_the_state_rules_and_journal(session: Session) -> None:
    first = session.fresh()
    url = first.url("fireworks") + "/v1/accounts/acme/secrets/s1"
    first.fault("fireworks", status=503)
    assert requests.delete(url, headers=FIREWORKS, timeout=10).status_code == 503
    assert first.journal and first.emulator.faults.active
    second = session.fresh()
    assert second.journal == [] and second.emulator.faults.active == ()
    assert requests.get(url, headers=FIREWORKS, timeout=10).status_code == 200


def test_fresh_takes_versions_fixtures_and_strictness(session: Session, tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "tenants:\n  - vendor: fireworks\n    id: globex\n"
        "    credentials: [{token: fw-globex}]\n    secrets: [{name: g, keyName: G}]\n"
    )
    older = session.fresh(
        fixtures=extra, strict=False, vendor_versions={"langwatch": "before-2026-07-22"}
    )
    assert not older.strict
    assert [s["keyName"] for s in older.secrets("fireworks", "globex")] == ["G"]
    assert older.emulator.versions()["langwatch"] == "before-2026-07-22"
    current = session.fresh()
    assert current.strict and current.secrets("fireworks", "globex") == []
    assert current.emulator.versions()["langwatch"] == "current"


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"vendor_versions": {"langwatch": "nope"}}, "vendor_versions: vendor 'langwatch' has no"),
        ({"vendor_versions": {"nobody": "x"}}, "vendor_versions: unknown vendor(s) ['nobody']"),
        ({"fixtures": "missing.yaml"}, "fixtures: missing.yaml: cannot read the fixtures file"),
    ],
)
def test_fresh_names_a_bad_option(
    session: Session, options: dict[str, object], problem: str
) -> None:
    with pytest.raises(SessionError) as refused:
        session.fresh(**options)  # type: ignore[arg-type]
    assert str(refused.value).startswith(problem)
    assert session.fresh().emulator.versions()["langwatch"] == "current"


def test_a_handle_used_after_its_test_raises_naming_the_test(session: Session) -> None:
    old = session.fresh(owner="test_module.py::test_a")
    rule = old.fault("fireworks", "Gateway_GetSecret", status=503)
    clock = old.clock
    session.fresh(owner="test_module.py::test_b")
    uses = [
        lambda: old.fault("fireworks", status=503),
        lambda: old.journal,
        lambda: old.emulator,
        lambda: old.secrets("fireworks", "acme"),
        lambda: old.assert_not_called("fireworks", "Gateway_GetSecret"),
        lambda: clock.advance(10),
        lambda: clock.now,
        rule.remove,
    ]
    for use in uses:
        with pytest.raises(HandleEndedError, match=r"belongs to test_module.py::test_a, which"):
            use()
    assert rule.hits == 0 and rule.id.startswith("f")  # its counters stay readable
    assert old.ended and "ended" in repr(clock)


def test_write_reports_writes_json_junit_and_html(session: Session, tmp_path: Path) -> None:
    mock = session.fresh(strict=False)
    session.emulator.journal.clear()
    url = mock.url("fireworks") + "/v1/accounts/acme/secrets/s1"
    requests.patch(url, headers=FIREWORKS, json={"value": "no key name"}, timeout=10)
    paths = {name: tmp_path / f"report.{name}" for name in ("json", "junit", "html")}
    session.write_reports(**paths)
    report = json.loads(paths["json"].read_text())
    assert [(v["operationId"], v["location"]) for v in report["violations"]] == [
        ("Gateway_UpdateSecret", "/keyName")
    ]
    assert 'failures="1"' in paths["junit"].read_text()
    assert "Violations (1)" in paths["html"].read_text()
    assert session.report() == report


def test_a_session_without_seed_or_clock_runs_on_the_real_time() -> None:
    plain = Session(vendors=["fireworks", "insforge"])
    with pytest.raises(RuntimeError, match="call start"):
        plain.fresh()
    with plain:
        mock = plain.fresh()
        assert not mock.clock.frozen
        assert sorted(mock.urls) == ["fireworks", "insforge"]
        health = requests.get(plain.url + "/__admin__/health", timeout=10).json()
        assert health["vendors"] == ["fireworks", "insforge"]
        root = plain.url
    assert mock.ended and plain.server is None
    with pytest.raises(requests.ConnectionError):
        requests.get(root + "/__admin__/health", timeout=10)


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"clock": "yesterday"}, "clock: 'yesterday' is not an ISO-8601 time"),
        ({"clock": datetime(2031, 1, 1)}, "clock: a time needs a UTC offset"),
        ({"vendors": ["nobody"]}, "vendors: unknown ['nobody']"),
        ({"vendors": []}, "vendors: unknown empty list"),
        ({"vendor_versions": {"langwatch": "nope"}}, "vendor versions: vendor 'langwatch'"),
        ({"fixtures": ["missing.yaml"]}, "missing.yaml: cannot read the fixtures file"),
    ],
)
def test_a_bad_setting_is_named(settings: dict[str, object], problem: str) -> None:
    with pytest.raises(SessionError) as refused:
        Session(**settings)
    assert str(refused.value).startswith(problem)


def test_settings_replace_and_unknown_fields() -> None:
    base = Settings(seed=1)
    assert base.replace(clock="2031-01-01T00:00:00Z") == Settings(
        seed=1, clock="2031-01-01T00:00:00Z"
    )
    with pytest.raises(TypeError, match="seeed"):
        Session(seeed=1)
