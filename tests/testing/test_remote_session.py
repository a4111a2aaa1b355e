"""The pytest plugin against a shared server (``--secretmock-url``): each suite runs in a
fresh sandbox, with the local handle's behaviour (per-test reset, seeding, journal
assertions, faults, clock, snapshots), removes it at the end, and writes its reports
from the sandbox's. Two suites at once against one server, with and without the
server's admin token; the root untouched, no sandbox left behind."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from secretmock.engine.emulator import Emulator
from secretmock.resources import default_fixtures_path
from secretmock.serve.background import BackgroundServer
from secretmock.testing.remote import RemoteSession, SandboxAdmin
from secretmock.testing.session import SessionError, Settings
from secretmock.vendors import all_vendors
from secretmock.web.app import build_app

SUITE = """
import pytest
import requests

FW = {"Authorization": "Bearer fw-test-acme"}


@pytest.fixture(scope="session")
def secretmock_settings(secretmock_settings):
    return secretmock_settings.replace(seed=7, clock="2031-01-01T00:00:00Z")


@pytest.mark.parametrize("round_", range(3))
def test_each_test_starts_from_the_fixtures(secretmock, round_):
    base = secretmock.url("fireworks") + "/v1/accounts/acme/secrets"
    assert "/sandboxes/" in base
    made = requests.post(base, headers=FW, json={"name": "mine", "keyName": "MINE", "value": "v"})
    assert made.status_code == 200, made.text
    names = [s["name"] for s in requests.get(base, headers=FW).json()["secrets"]]
    assert names.count("accounts/acme/secrets/mine") == 1
    secretmock.assert_called("fireworks", "Gateway_CreateSecret", status=200, count=1)
    secretmock.assert_not_called("fireworks", "Gateway_DeleteSecret")
    assert [s["keyName"] for s in secretmock.secrets("fireworks", "acme")].count("MINE") == 1


def test_a_failed_assertion_lists_the_closest(secretmock):
    base = secretmock.url("fireworks") + "/v1/accounts/acme/secrets"
    requests.get(base, headers=FW)
    with pytest.raises(AssertionError, match="closest"):
        secretmock.assert_called("fireworks", "Gateway_ListSecrets", status=500)


def test_faults_clock_and_snapshots(secretmock):
    base = secretmock.url("fireworks") + "/v1/accounts/acme/secrets"
    assert secretmock.clock.now.year == 2031 and secretmock.clock.frozen
    secretmock.clock.advance(86400)
    assert secretmock.clock.now.day == 2
    with secretmock.fault("fireworks", "Gateway_ListSecrets", status=503, times=1) as rule:
        assert requests.get(base, headers=FW).status_code == 503
        assert rule.hits == 1 and rule.remaining == 0
    assert requests.get(base, headers=FW).status_code == 200
    saved = secretmock.snapshot()
    requests.delete(base + "/s1", headers=FW)
    secretmock.restore(saved)
    assert requests.get(base + "/s1", headers=FW).status_code == 200
    secretmock.add_tenant("fireworks", "extra", credentials=[{"token": "fw-extra"}])
    extra = secretmock.url("fireworks") + "/v1/accounts/extra/secrets"
    assert requests.get(extra, headers={"Authorization": "Bearer fw-extra"}).status_code == 200


def test_the_clock_and_faults_are_back_for_the_next_test(secretmock):
    assert secretmock.clock.now.isoformat().startswith("2031-01-01T00:00:00")
    base = secretmock.url("fireworks") + "/v1/accounts/acme/secrets"
    assert requests.get(base, headers=FW).status_code == 200


def test_the_same_seed_gives_the_same_ids_in_every_test(secretmock):
    base = secretmock.url("insforge") + "/api/secrets"
    auth = {"Authorization": "Bearer ik_test_demo_admin"}
    made = requests.post(base, headers=auth, json={"key": "SEEDED", "value": "v"}).json()
    path = __import__("pathlib").Path(__file__).with_name("ids.txt")
    path.write_text(path.read_text() + made["id"] + "\\n" if path.exists() else made["id"] + "\\n")


def test_the_same_seed_again(secretmock):
    test_the_same_seed_gives_the_same_ids_in_every_test(secretmock)
    lines = __import__("pathlib").Path(__file__).with_name("ids.txt").read_text().split()
    assert len(lines) == 2 and lines[0] == lines[1]


LW = {"X-Auth-Token": "sk-lw-test-demo"}


@pytest.mark.secretmock(vendor_versions={"langwatch": "before-2026-07-22"})
def test_a_marker_serves_an_older_vendor_version_in_the_sandbox(secretmock):
    url = secretmock.url("langwatch") + "/api/secrets"
    with secretmock.expect_violations():
        answer = requests.post(url, headers=LW, json={"value": "v"})
    assert answer.status_code == 400 and answer.json()["error"]["name"] == "ZodError"


def test_the_next_test_is_back_to_the_current_version(secretmock):
    url = secretmock.url("langwatch") + "/api/secrets"
    with secretmock.expect_violations():
        answer = requests.post(url, headers=LW, json={"value": "v"})
    assert answer.status_code == 422


def test_interception_is_refused_with_a_reason(secretmock):
    with pytest.raises(RuntimeError, match="remote session"):
        with secretmock.intercept():
            pass
"""

TOKEN = "shared-server-token"


@pytest.fixture(scope="module")
def root() -> Emulator:
    return Emulator(all_vendors(), [default_fixtures_path()])


@pytest.fixture(scope="module", params=[None, TOKEN], ids=["open", "admin-token"])
def shared(request: pytest.FixtureRequest, root: Emulator) -> Iterator[tuple[str, str | None]]:
    token = request.param
    with BackgroundServer(build_app(root, admin_token=token)) as server:
        yield server.url, token


def _suite(where: Path, url: str, token: str | None) -> subprocess.Popen[bytes]:
    where.mkdir()
    (where / "test_remote_suite.py").write_text(SUITE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECRETMOCK_")}
    env["SECRETMOCK_URL"] = url  # the variable, for one of the two ways to give it
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-p", "no:xdist"]
    args += ["--secretmock-report", "report.json", "--secretmock-report-html", "report.html"]
    if token:
        args += ["--secretmock-admin-token", token]
    return subprocess.Popen(
        args, cwd=where, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def test_two_suites_at_once_each_in_its_own_sandbox(
    tmp_path: Path, shared: tuple[str, str | None], root: Emulator
) -> None:
    url, token = shared
    root_before = (root.tenants(), root.journal.last_seq())
    suites = [_suite(tmp_path / name, url, token) for name in ("one", "two")]
    outputs = [suite.communicate(timeout=240)[0].decode() for suite in suites]
    for suite, output in zip(suites, outputs, strict=True):
        assert suite.returncode == 0, output
        assert "11 passed" in output, output
    for name in ("one", "two"):
        report = json.loads((tmp_path / name / "report.json").read_text())
        fireworks = {
            op["operationId"]: sum(op["statuses"].values())
            for op in report["vendors"]["fireworks"]["operations"]
        }
        assert fireworks["Gateway_CreateSecret"] == 3  # its own three, not the other's
        assert "<html" in (tmp_path / name / "report.html").read_text().lower()
    assert (root.tenants(), root.journal.last_seq()) == root_before
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    listed = requests.get(f"{url}/__admin__/sandboxes", headers=headers, timeout=10).json()
    assert listed["sandboxes"] == []


def test_per_handle_versions_over_the_sessions_and_back(shared: tuple[str, str | None]) -> None:
    """``fresh(vendor_versions=...)`` serves them over the session's own (the sandbox's
    start-up versions) for one handle, through ``PUT /__admin__/versions``; the next
    handle is back to the session's; a bad version is refused as in-process."""
    url, token = shared
    settings = Settings(vendor_versions={"insforge": "before-2026-05-22"})
    with RemoteSession(url, token, settings) as session:
        admin = SandboxAdmin(session.url, session.sandbox["token"] if session.sandbox else None)
        session.fresh(vendor_versions={"langwatch": "before-2026-07-22"})
        served = admin.call("GET", "/versions")
        assert served["versions"]["langwatch"] == "before-2026-07-22"
        assert served["versions"]["insforge"] == served["defaults"]["insforge"]
        assert served["defaults"]["insforge"] == "before-2026-05-22"
        assert served["defaults"]["langwatch"] == "current"
        session.fresh()
        back = admin.call("GET", "/versions")["versions"]
        assert back["langwatch"] == "current" and back["insforge"] == "before-2026-05-22"
        expected = "vendor_versions: vendor 'langwatch' has no version 'nope' (known: current"
        with pytest.raises(SessionError, match=re.escape(expected)):
            session.fresh(vendor_versions={"langwatch": "nope"})
        with pytest.raises(SessionError, match=re.escape("unknown vendor(s) ['nobody']")):
            session.fresh(vendor_versions={"nobody": "x"})
        assert admin.call("GET", "/versions")["versions"] == back
        admin.close()
