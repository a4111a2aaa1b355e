"""The ``secretmock`` command, run as a user would: in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import pytest
import requests

from secretmock import __version__
from secretmock.cli import serve
from secretmock.vendors import all_vendors

COMMAND = [sys.executable, "-m", "secretmock"]
DATA = Path(__file__).resolve().parent / "data"
GLOBEX = DATA / "fixtures" / "globex.yaml"
INITECH = DATA / "fixtures" / "initech.yaml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_ready_file(path: Path, process: subprocess.Popen[str]) -> dict[str, Any]:
    """The ready file's content, once the server has written it."""
    deadline = time.monotonic() + 30
    while not path.exists():
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        assert time.monotonic() < deadline, "the server never wrote its ready file"
        time.sleep(0.05)
    return json.loads(path.read_text())  # type: ignore[no-any-return]


@contextmanager
def serving(
    *args: str, env: dict[str, str] | None = None, merge_stderr: bool = True
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``secretmock serve --port 0 ARGS`` in a subprocess, found through its ready file;
    yields its root URL and the process (stderr merged into stdout unless told not to)."""
    with tempfile.TemporaryDirectory() as directory:
        ready = Path(directory) / "ready.json"
        process = subprocess.Popen(
            [*COMMAND, "serve", "--port", "0", "--ready-file", str(ready), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        try:
            yield wait_for_ready_file(ready, process)["url"], process
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_version() -> None:
    result = subprocess.run([*COMMAND, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"secretmock {__version__}"


def test_specs_lists_every_operation_as_implemented() -> None:
    result = subprocess.run([*COMMAND, "specs"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    for vendor in all_vendors():
        assert f"{vendor.name}: {vendor.spec_file} valid" in result.stdout
        for operation_id in vendor.handlers:
            line = next(x for x in result.stdout.splitlines() if f" {operation_id} " in x)
            assert line.rstrip().endswith("implemented") and "NOT" not in line


def test_serve_prints_base_urls_and_default_credentials_and_answers() -> None:
    with serving() as (root, process):
        response = requests.patch(
            f"{root}/fireworks/v1/accounts/acme/secrets/s1",
            headers={"Authorization": "Bearer fw-test-acme"},
            json={"keyName": "WOLFRAM_ALPHA_API_KEY", "value": "x"},
            timeout=5,
        )
        assert response.status_code == 200
        process.terminate()
        banner = process.communicate(timeout=10)[0]
    assert f"base URL {root}/fireworks" in banner
    assert "token fw-test-acme (admin)" in banner
    assert "sk-test-1" not in banner, "secret values are never printed"


def test_serve_one_vendor_at_the_root() -> None:
    with serving("--vendor", "fireworks") as (root, _):
        response = requests.get(
            f"{root}/v1/accounts/acme/secrets",
            headers={"Authorization": "Bearer fw-test-acme"},
            timeout=5,
        )
        assert response.status_code == 200
        assert len(response.json()["secrets"]) == 2


def test_serve_stops_on_broken_fixtures_naming_the_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("tenants: [{vendor: fireworks}]")
    result = subprocess.run(
        [*COMMAND, "serve", "--fixtures", str(broken), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert f"{broken}: tenants[0]" in result.stderr and "'id'" in result.stderr


def test_serve_warms_up_in_the_background() -> None:
    with serving() as (root, _):
        deadline = time.monotonic() + 20
        while not requests.get(f"{root}/__admin__/health", timeout=5).json()["warm"]:
            assert time.monotonic() < deadline, "the server never finished warming up"
            time.sleep(0.1)
        refused = requests.patch(
            f"{root}/fireworks/v1/accounts/acme/secrets/s1",
            headers={"Authorization": "Bearer fw-test-acme"},
            json={"value": "no keyName"},
            timeout=5,
        )
        assert refused.status_code == 400 and "keyName" in refused.json()["message"]


def test_port_0_picks_a_free_port_and_the_ready_file_says_which(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    process = subprocess.Popen(
        [*COMMAND, "serve", "--port", "0", "--ready-file", str(ready)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        announced = wait_for_ready_file(ready, process)
        assert announced["pid"] == process.pid
        url = announced["url"]
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
        health = requests.get(f"{url}/__admin__/health", timeout=5)
        assert health.json()["status"] == "ok"
    finally:
        process.send_signal(signal.SIGINT)
        banner = process.communicate(timeout=10)[0]
    assert f"on {url} " in banner, "the banner shows the port really bound"
    assert not ready.exists(), "the ready file goes when the server stops"


def test_a_port_already_taken_fails_cleanly_before_any_banner() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = subprocess.run(
            [*COMMAND, "serve", "--port", port], capture_output=True, text=True, timeout=30
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr and "base URL" not in result.stdout


def test_environment_variables_stand_in_for_flags(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    env = {
        "SECRETMOCK_PORT": "0",
        "SECRETMOCK_READY_FILE": str(ready),
        "SECRETMOCK_VENDOR": "fireworks",
        "SECRETMOCK_FIXTURES": os.pathsep.join([str(GLOBEX), str(INITECH)]),
    }
    process = subprocess.Popen(
        [*COMMAND, "serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **env},
    )
    try:
        url = wait_for_ready_file(ready, process)["url"]
        tenants = requests.get(f"{url}/__admin__/tenants", timeout=5).json()["tenants"]
        assert tenants == [
            {"vendor": "fireworks", "id": "globex", "secrets": 1},
            {"vendor": "fireworks", "id": "initech", "secrets": 0},
        ]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_flag_wins_over_its_environment_variable() -> None:
    with serving("--vendor", "fireworks", env={"SECRETMOCK_VENDOR": "langwatch"}) as (root, _):
        assert requests.get(f"{root}/__admin__/health", timeout=5).json()["vendors"] == [
            "fireworks"
        ]


BAD_ENVIRONMENT = [
    ("port-not-a-number", "SECRETMOCK_PORT", "eighty", "is not a valid port number"),
    ("port-out-of-range", "SECRETMOCK_PORT", "70000", "is not in the range 0<=x<=65535"),
    ("unknown-vendor", "SECRETMOCK_VENDOR", "acme", "is not one of 'prismeai', "),
    ("seed-not-a-number", "SECRETMOCK_SEED", "x", "is not a valid integer"),
    ("switch-not-a-boolean", "SECRETMOCK_ACCESS_LOG", "maybe", "is not a valid boolean"),
    ("unknown-log-level", "SECRETMOCK_LOG_LEVEL", "loud", "is not one of 'debug', "),
    ("vendor-version-not-a-pair", "SECRETMOCK_VENDOR_VERSION", "langwatch", "is not NAME=VERSION"),
    ("clock-without-offset", "SECRETMOCK_CLOCK", "2031-05-06", "needs a UTC offset"),
]


@pytest.mark.parametrize(
    "variable, value, reason", [r[1:] for r in BAD_ENVIRONMENT], ids=[r[0] for r in BAD_ENVIRONMENT]
)
def test_a_bad_environment_variable_is_a_usage_error(
    variable: str, value: str, reason: str
) -> None:
    result = subprocess.run(
        [*COMMAND, "serve"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, variable: value},
    )
    assert result.returncode == 2
    assert f"(env var: '{variable}')" in result.stderr, "the variable is named"
    assert value in result.stderr and reason in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.startswith("Usage:")
    assert result.stdout == "", "nothing was served"


def test_serve_help_lists_every_option_and_its_variable() -> None:
    result = subprocess.run([*COMMAND, "serve", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for option in serve.params:
        assert isinstance(option, click.Option)
        [flag] = option.opts
        assert flag in text and f"env var: {option.envvar}" in text


def test_with_fixtures_the_banner_lists_their_credentials() -> None:
    with serving("--fixtures", str(GLOBEX)) as (_, process):
        process.terminate()
        banner = process.communicate(timeout=10)[0]
    assert "tenant 'globex': token fw-globex (admin)" in banner
    assert "fw-test-acme" not in banner and "secret-g1" not in banner


def test_one_vendor_shows_alone_in_health_and_the_admin_api() -> None:
    with serving("--vendor", "langwatch") as (root, _):
        health = requests.get(f"{root}/__admin__/health", timeout=5).json()
        assert health["vendors"] == ["langwatch"]
        tenants = requests.get(f"{root}/__admin__/tenants", timeout=5).json()["tenants"]
        assert {t["vendor"] for t in tenants} == {"langwatch"}
        report = requests.get(f"{root}/__admin__/report", timeout=5).json()
        assert list(report["vendors"]) == ["langwatch"]
        assert (
            requests.get(f"{root}/__admin__/tenants/fireworks/acme", timeout=5).status_code == 404
        )


def test_the_access_log_names_requests_but_never_a_credential_or_a_value() -> None:
    with serving("--access-log", merge_stderr=False) as (root, process):
        requests.patch(
            f"{root}/fireworks/v1/accounts/acme/secrets/s1?updateMask=value",
            headers={"Authorization": "Bearer fw-test-acme"},
            json={"keyName": "WOLFRAM_ALPHA_API_KEY", "value": "very-secret-value-42"},
            timeout=5,
        )
        requests.get(
            f"{root}/instabase/api/v2/aihub/secrets?alias=my_secret",
            headers={"Authorization": "Bearer ib-test-admin", "IB-Context": "acme-org"},
            timeout=5,
        )
        process.terminate()
        log = process.communicate(timeout=10)[1]  # stderr (the banner, on stdout, names tokens)
    assert "PATCH /fireworks/v1/accounts/acme/secrets/s1?updateMask=* 200 " in log
    assert "GET /instabase/api/v2/aihub/secrets?alias=* " in log
    for never in ["very-secret-value-42", "fw-test-acme", "ib-test-admin", "my_secret", "value"]:
        assert never not in log.replace("updateMask", "")


def test_without_access_log_the_server_is_quiet() -> None:
    with serving() as (root, process):
        requests.get(f"{root}/__admin__/health", timeout=5)
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert "GET /__admin__/health" not in output


def test_serve_vendor_version_selects_an_older_server() -> None:
    """--vendor-version langwatch=before-2026-07-22: a schema failure is 400 (zod's raw
    result), as on LangWatch's servers before a29667a472; the banner says which version."""
    with serving("--vendor-version", "langwatch=before-2026-07-22") as (root, process):
        response = requests.post(
            f"{root}/langwatch/api/secrets",
            headers={"X-Auth-Token": "sk-lw-test-demo"},
            json={"value": "v"},
            timeout=5,
        )
        assert response.status_code == 400
        assert response.json()["error"]["name"] == "ZodError"
        process.terminate()
        banner = process.communicate(timeout=10)[0]
    assert "(server version before-2026-07-22)" in banner


@pytest.mark.parametrize(
    ("value", "status", "problem"),
    [
        pytest.param("langwatch", 2, "is not NAME=VERSION", id="no-equals"),
        pytest.param("langwatch=2020", 1, "has no version '2020'", id="unknown-version"),
        pytest.param("nope=current", 1, "unknown vendor", id="unknown-vendor"),
    ],
)
def test_serve_refuses_a_bad_vendor_version(value: str, status: int, problem: str) -> None:
    result = subprocess.run(
        [*COMMAND, "serve", "--vendor-version", value, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == status
    assert problem in result.stderr


def test_one_vendor_at_the_root_has_its_base_url_at_the_root() -> None:
    with serving("--vendor", "instabase") as (root, _):
        [vendor] = requests.get(f"{root}/__admin__/vendors", timeout=5).json()["vendors"]
        assert vendor["baseUrl"] == f"{root}/api"
        assert requests.get(f"{root}/__admin__/", timeout=5).status_code == 200
