"""The pytest plugin, exercised as a user would: test files run by pytest in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from secretmock.engine.emulator import Emulator
from secretmock.serve.background import BackgroundServer

pytest_plugins = ["pytester"]

USER_TESTS = """
import requests


def test_fireworks(secretmock):
    base = secretmock.url("fireworks")
    auth = {"Authorization": "Bearer fw-test-acme"}
    created = requests.post(f"{base}/v1/accounts/acme/secrets", headers=auth,
                            json={"name": "db", "keyName": "DB_PASSWORD", "value": "pw"})
    assert created.status_code == 200
    stored = secretmock.secrets("fireworks", "acme")
    assert {"name": "db", "keyName": "DB_PASSWORD", "value": "pw"} in stored
    secretmock.assert_called("fireworks", "Gateway_CreateSecret", tenant="acme", status=200,
                             body={"keyName": "DB_PASSWORD"})


def test_fireworks_state_was_reset(secretmock):
    names = [s["name"] for s in secretmock.secrets("fireworks", "acme")]
    assert "db" not in names


def test_langwatch(secretmock):
    base = secretmock.url("langwatch")
    auth = {"X-Auth-Token": "sk-lw-test-demo"}
    body = {"name": "NEW_KEY", "value": "v"}
    created = requests.post(f"{base}/api/secrets", headers=auth, json=body)
    assert created.status_code == 201
    listed = requests.get(f"{base}/api/secrets", headers=auth).json()
    assert "NEW_KEY" in [s["name"] for s in listed]


def test_prismeai(secretmock):
    base = secretmock.url("prismeai")
    auth = {"x-prismeai-api-key": "prisme-test-ws1"}
    url = f"{base}/v2/workspaces/ws1/security/secrets"
    answer = requests.patch(url, headers=auth, json={"dbPassword": {"value": "pw"}})
    assert answer.status_code == 200 and answer.json()["dbPassword"]["value"] == "pw"


def test_instabase(secretmock):
    base = secretmock.url("instabase")
    auth = {"Authorization": "Bearer ib-test-admin", "IB-Context": "acme-org"}
    created = requests.post(f"{base}/v2/aihub/secrets", headers=auth,
                            json={"alias": "db", "value": "pw", "allowed_workspaces_type": "ALL"})
    assert created.status_code == 200
    listed = requests.get(f"{base}/v2/aihub/secrets", headers=auth, params={"alias": "db"}).json()
    assert [s["alias"] for s in listed["secrets"]] == ["db"]


def test_insforge(secretmock):
    base = secretmock.url("insforge")
    auth = {"Authorization": "Bearer ik_test_demo_admin"}
    body = {"key": "DB_PASSWORD", "value": "pw"}
    created = requests.post(f"{base}/api/secrets", headers=auth, json=body)
    assert created.status_code == 201
    assert requests.get(f"{base}/api/secrets/DB_PASSWORD", headers=auth).json()["value"] == "pw"
"""

VIOLATING_TESTS = """
import pytest
import requests

AUTH = {"Authorization": "Bearer fw-test-acme"}


def test_breaks_the_spec(secretmock):
    requests.patch(secretmock.url("fireworks") + "/v1/accounts/acme/secrets/s1",
                   headers=AUTH, json={"value": "no key name"})


def test_expects_it(secretmock):
    with secretmock.expect_violations():
        answer = requests.patch(secretmock.url("fireworks") + "/v1/accounts/acme/secrets/s1",
                                headers=AUTH, json={"value": "no key name"})
    assert answer.status_code == 400
    [(entry, violation)] = secretmock.violations
    assert (entry.operation_id, violation.location) == ("Gateway_UpdateSecret", "/keyName")


@pytest.mark.secretmock(strict=False)
def test_lenient_by_marker(secretmock):
    requests.get(secretmock.url("fireworks") + "/v1/accounts/acme/secrets?pageSize=x",
                 headers=AUTH)
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=180)


def test_a_new_users_test_file_passes_against_each_vendor(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = run(pytester)
    result.assert_outcomes(passed=6)


def test_contract_mode_fails_a_test_that_breaks_the_spec(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_contract=VIOLATING_TESTS)
    result = run(pytester)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*SpecViolationError: requests broke the vendor's spec:*",
            "*fireworks Gateway_UpdateSecret (PATCH /v1/accounts/acme/secrets/s1): "
            "body /keyName: required*",
            "FAILED test_contract.py::test_breaks_the_spec*",
        ]
    )


def test_lenient_option_turns_contract_mode_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_contract=VIOLATING_TESTS)
    run(pytester, "--secretmock-lenient").assert_outcomes(passed=3)


def test_assert_called_lists_the_closest_requests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_near="""
import requests

def test_near_miss(secretmock):
    requests.get(secretmock.url("fireworks") + "/v1/accounts/acme/secrets/s1",
                 headers={"Authorization": "Bearer fw-test-acme"})
    secretmock.assert_called("fireworks", "Gateway_DeleteSecret", tenant="acme")
"""
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*no request matched vendor='fireworks', operation_id='Gateway_DeleteSecret', "
            "tenant='acme'; the closest were:*",
            "*GET fireworks/v1/accounts/acme/secrets/s1 -> 200 [[]Gateway_GetSecret[]] differs in "
            "operation_id: 'Gateway_GetSecret'*",
        ]
    )


MARKER_MISTAKES = """
import pytest


@pytest.mark.secretmock(strcit=False)
def test_misspelt_option(secretmock):
    pass


@pytest.mark.secretmock("extra.yaml")
def test_positional_option(secretmock):
    pass


@pytest.mark.secretmock(strict=False, fixtures=[])
def test_known_options(secretmock):
    pass
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_marker_refuses_unknown_and_positional_arguments(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    pytester.makepyfile(test_marker=MARKER_MISTAKES)
    result = run(pytester, *workers)
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_misspelt_option*",
            "@pytest.mark.secretmock got unknown argument(s) 'strcit' "
            "(accepted: fixtures, strict, vendor_versions)",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_positional_option*",
            "@pytest.mark.secretmock takes keyword arguments only, got positional "
            "'extra.yaml' (accepted: fixtures, strict, vendor_versions)",
        ]
    )


def test_assert_called_count_and_assert_not_called(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_counts="""
import requests

AUTH = {"Authorization": "Bearer fw-test-acme"}


def test_counts(secretmock):
    for _ in range(2):
        requests.get(secretmock.url("fireworks") + "/v1/accounts/acme/secrets/s1", headers=AUTH)
    secretmock.assert_called("fireworks", "Gateway_GetSecret", count=2)
    secretmock.assert_not_called("fireworks", "Gateway_DeleteSecret")
    secretmock.assert_called("fireworks", "Gateway_GetSecret", count=3)
"""
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*expected 3 request(s) matching vendor='fireworks', "
            "operation_id='Gateway_GetSecret'; 2 did:*",
            "*#1 GET fireworks/v1/accounts/acme/secrets/s1 -> 200 [[]Gateway_GetSecret[]]*",
            "*#2 GET fireworks/v1/accounts/acme/secrets/s1 -> 200 [[]Gateway_GetSecret[]]*",
        ]
    )


def test_marker_fixtures_and_ini_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        extra="""
tenants:
  - vendor: fireworks
    id: globex
    credentials: [{token: fw-globex}]
    secrets: [{name: g, keyName: G, value: v}]
""",
    )
    pytester.makefile(
        ".yaml",
        only="""
tenants:
  - vendor: fireworks
    id: solo
    credentials: [{token: fw-solo}]
""",
    )
    pytester.makeini("[pytest]\nsecretmock_fixtures = only.yaml\n")
    pytester.makepyfile(
        test_marker="""
import pytest

@pytest.mark.secretmock(fixtures="extra.yaml")
def test_marker_adds_a_tenant(secretmock):
    assert [s["keyName"] for s in secretmock.secrets("fireworks", "globex")] == ["G"]
    assert secretmock.secrets("fireworks", "solo") == []

def test_ini_fixtures_replace_the_default(secretmock):
    assert secretmock.emulator.tenant_snapshot("fireworks", "solo") is not None
    assert secretmock.emulator.tenant_snapshot("fireworks", "acme") is None
    assert secretmock.emulator.tenant_snapshot("fireworks", "globex") is None
"""
    )
    run(pytester).assert_outcomes(passed=2)


def test_xdist_workers_each_have_their_own_emulator(pytester: pytest.Pytester) -> None:
    tests = "\n".join(
        f"""
def test_{i}(secretmock):
    import requests
    base = secretmock.url("fireworks") + "/v1/accounts/acme/secrets"
    auth = {{"Authorization": "Bearer fw-test-acme"}}
    created = requests.post(base, headers=auth, json={{"name": "x", "keyName": "X"}})
    assert created.status_code == 200
    assert requests.get(base, headers=auth).json()["totalSize"] == 3
"""
        for i in range(8)
    )
    pytester.makepyfile(test_parallel=tests)
    result = run(pytester, "-n", "2")
    result.assert_outcomes(passed=8)


def test_session_report_has_coverage_and_violations(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_contract=VIOLATING_TESTS)
    report_path = pytester.path / "report.json"
    run(pytester, f"--secretmock-report={report_path}")
    report = json.loads(report_path.read_text())
    fireworks = {
        op["operationId"]: op["statuses"] for op in report["vendors"]["fireworks"]["operations"]
    }
    assert fireworks["Gateway_UpdateSecret"] == {"400": 2}
    assert fireworks["Gateway_ListSecrets"] == {"400": 1}
    assert fireworks["Gateway_CreateSecret"] == {}
    assert report["vendors"]["fireworks"]["exercised"] == 2
    located = sorted((v["operationId"], v["part"], v["location"]) for v in report["violations"])
    assert located == [
        ("Gateway_ListSecrets", "query", "/pageSize"),
        ("Gateway_UpdateSecret", "body", "/keyName"),
        ("Gateway_UpdateSecret", "body", "/keyName"),
    ]
    assert "no key name" not in report_path.read_text()


def test_report_command_writes_junit_and_fails_on_violations(
    emulator: Emulator, server: BackgroundServer, tmp_path: Path
) -> None:
    emulator.journal.clear()
    command = [
        sys.executable,
        "-m",
        "secretmock",
        "report",
        "--url",
        server.url,
        "--junit",
        str(tmp_path / "junit.xml"),
        "--json",
        str(tmp_path / "report.json"),
        "--html",
        str(tmp_path / "report.html"),
    ]
    clean = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert clean.returncode == 0 and "0 contract violation(s)" in clean.stdout
    requests.patch(
        f"{server.url}/fireworks/v1/accounts/acme/secrets/s1",
        headers={"Authorization": "Bearer fw-test-acme"},
        json={},
        timeout=10,
    )
    dirty = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert dirty.returncode == 1 and "1 contract violation(s)" in dirty.stdout
    junit = (tmp_path / "junit.xml").read_text()
    assert 'failures="1"' in junit
    assert '<testcase classname="fireworks" name="Gateway_UpdateSecret"><failure' in junit
    assert "body /keyName: required" in junit
    assert json.loads((tmp_path / "report.json").read_text())["violations"][0]["rule"] == "required"

    html = (tmp_path / "report.html").read_text()
    assert "Violations (1)" in html and '<dd class="mono v-location">body /keyName</dd>' in html


VERSION_TESTS = """
import pytest
import requests

HEADERS = {"X-Auth-Token": "sk-lw-test-demo"}


@pytest.mark.secretmock(vendor_versions={"langwatch": "before-2026-07-22"})
def test_older_server(secretmock):
    url = secretmock.url("langwatch") + "/api/secrets"
    with secretmock.expect_violations():
        answer = requests.post(url, headers=HEADERS, json={"value": "v"})
    assert answer.status_code == 400
    assert answer.json()["error"]["name"] == "ZodError"


def test_next_test_is_back_to_the_current_server(secretmock):
    url = secretmock.url("langwatch") + "/api/secrets"
    with secretmock.expect_violations():
        answer = requests.post(url, headers=HEADERS, json={"value": "v"})
    assert answer.status_code == 422
"""


def test_marker_selects_a_vendor_version_for_one_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_versions=VERSION_TESTS)
    result = run(pytester)
    result.assert_outcomes(passed=2)


def test_session_html_report_has_coverage_and_violations(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_contract=VIOLATING_TESTS)
    html_path = pytester.path / "report.html"
    run(pytester, f"--secretmock-report-html={html_path}")
    html = html_path.read_text()
    assert html.startswith("<!doctype html>")
    assert 'data-operation="Gateway_CreateSecret"><td><span class="mono">' in html
    assert "Violations (3)" in html and "/pageSize" in html and "/keyName" in html
    assert "no key name" not in html


MARKER_VALUES = """
import pytest


@pytest.mark.secretmock(vendor_versions={"langwatch": "nope"})
def test_unknown_version(secretmock):
    pass


@pytest.mark.secretmock(vendor_versions="langwatch=before-2026-07-22")
def test_versions_not_a_mapping(secretmock):
    pass


@pytest.mark.secretmock(strict="no")
def test_strict_not_a_bool(secretmock):
    pass
"""


def test_marker_values_of_the_wrong_kind_are_usage_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_values=MARKER_VALUES)
    result = run(pytester)
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_unknown_version*",
            "@pytest.mark.secretmock: vendor_versions: vendor 'langwatch' has no version 'nope' "
            "(known: current, before-2026-07-22)",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_versions_not_a_mapping*",
            "@pytest.mark.secretmock: vendor_versions must map vendor names to version names, "
            "such as {'langwatch': 'before-2026-07-22'}, got 'langwatch=before-2026-07-22'",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_strict_not_a_bool*",
            "@pytest.mark.secretmock: strict must be True, False or None, got 'no'",
        ]
    )
    assert "Traceback" not in result.stdout.str() and "ValueError" not in result.stdout.str()


SETTINGS_CONFTEST = """
import pytest


@pytest.fixture(scope="session")
def secretmock_settings(secretmock_settings):
    return secretmock_settings.replace(
        seed=11, clock="2031-01-01T00:00:00Z", vendors=["langwatch"], strict=False
    )
"""

SETTINGS_TESTS = """
import pytest
import requests

SEEN = []


@pytest.mark.parametrize("run", [1, 2])
def test_the_same_ids_and_times_in_every_test(secretmock, run):
    assert sorted(secretmock.urls) == ["langwatch"] and not secretmock.strict
    assert secretmock.clock.now.isoformat() == "2031-01-01T00:00:00+00:00"
    created = requests.post(secretmock.url("langwatch") + "/api/secrets",
                            headers={"X-Auth-Token": "sk-lw-test-demo"},
                            json={"name": "NEW", "value": "v"})
    SEEN.append(created.json())
    secretmock.clock.advance(60)
    assert len(SEEN) < 2 or SEEN[0] == SEEN[1]
"""


def test_a_suite_overrides_the_session_settings_in_its_conftest(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(SETTINGS_CONFTEST)
    pytester.makepyfile(test_settings=SETTINGS_TESTS)
    run(pytester).assert_outcomes(passed=2)


KEPT_HANDLES = """
KEEP = {}


def test_a(secretmock):
    KEEP.update(rule=secretmock.fault("fireworks", "Gateway_GetSecret", status=503),
                clock=secretmock.clock, sm=secretmock)


def test_b_uses_the_handle_of_a(secretmock):
    KEEP["sm"].fault("fireworks", "Gateway_GetSecret", status=503, times=1)


def test_c_uses_the_clock_of_a(secretmock):
    KEEP["clock"].advance(10)


def test_d_is_untouched(secretmock):
    assert secretmock.emulator.faults.active == () and not secretmock.clock.frozen
"""


def test_a_handle_kept_past_its_test_raises_naming_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_kept=KEPT_HANDLES)
    result = run(pytester)
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*HandleEndedError: this secretmock handle belongs to test_kept.py::test_a, "
            "which has ended; use the handle the running test received*"
        ]
    )


XDIST_VIOLATIONS = """
import pytest
import requests

AUTH = {"Authorization": "Bearer fw-test-acme"}


@pytest.mark.parametrize("i", range(10))
def test_bad(secretmock, i):
    base = secretmock.url("fireworks") + "/v1/accounts/acme/secrets"
    created = requests.post(base, headers=AUTH, json={"name": f"n{i}", "keyName": f"K{i}"})
    assert created.status_code == 200
    requests.patch(base + "/s1", headers=AUTH, json={"value": f"v{i}"})
"""


def test_xdist_workers_reports_are_merged(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_viol=XDIST_VIOLATIONS)
    report_path, html_path = pytester.path / "v.json", pytester.path / "v.html"
    result = run(
        pytester,
        "-n",
        "2",
        "--secretmock-lenient",
        f"--secretmock-report={report_path}",
        f"--secretmock-report-html={html_path}",
    )
    result.assert_outcomes(passed=10)
    report = json.loads(report_path.read_text())
    assert len(report["violations"]) == 10
    assert {v["location"] for v in report["violations"]} == {"/keyName"}
    fireworks = report["vendors"]["fireworks"]
    statuses = {op["operationId"]: op["statuses"] for op in fireworks["operations"]}
    assert statuses["Gateway_CreateSecret"] == {"200": 10}
    assert statuses["Gateway_UpdateSecret"] == {"400": 10}
    assert fireworks["exercised"] == 2
    assert "Violations (10)" in html_path.read_text()
